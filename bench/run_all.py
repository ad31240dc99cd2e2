"""Every benchmark of the project, one after another, summed up in one table.

Each benchmark runs as its own process (so memory and start-up are measured fairly) and
prints its own detailed figures; this script then prints one table of the headline figures
against their targets:

    python bench/run_all.py            # all of them (about five minutes on 2 cores)
    python bench/run_all.py rules tui  # some of them
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from figures import ENV  # noqa: E402 - bench/ is not a package

# benchmark -> (script, [(figure key, label, target text, passes(value) -> bool, format)])
BENCHMARKS = {
    "ingest": (
        "bench_ingest.py",
        [
            (
                "ingest_ratio",
                "ingest ÷ feedparser alone (1,504 items)",
                "≤ 1.2",
                lambda v: v <= 1.2,
                "{:.2f}×",
            ),
            ("reingest_ratio", "re-ingest ÷ first ingest", "≤ 0.5", lambda v: v <= 0.5, "{:.3f}×"),
            (
                "korean_index_overhead",
                "Korean search index's cost added to an ingest",
                "≤ 20%",
                lambda v: v <= 0.20,
                "{:+.1%}",
            ),
        ],
    ),
    "models": (
        "bench_models.py",
        [
            (
                "overhead_ratio",
                "classify+summarize wall ÷ ideal (200 papers, 4 slots)",
                "≤ 1.10",
                lambda v: v <= 1.10,
                "{:.3f}×",
            ),
            (
                "rerun_requests",
                "model requests on a rerun with nothing changed",
                "0",
                lambda v: v == 0,
                "{:.0f}",
            ),
        ],
    ),
    "hosts": (
        "bench_hosts.py",
        [
            (
                "hosts_ratio",
                "summarize wall ÷ ideal, 3 hosts at 1×/2×/4× (200 papers)",
                "≤ 1.15",
                lambda v: v <= 1.15,
                "{:.3f}×",
            ),
            (
                "kill_ratio",
                "  fastest host killed half-way: after-kill ÷ ideal",
                "≤ 1.3",
                lambda v: v <= 1.3,
                "{:.3f}×",
            ),
            (
                "kill_complete",
                "  … every paper stored, none answered twice",
                "yes",
                lambda v: v == 1.0,
                "{:.0f}",
            ),
        ],
    ),
    "cpu": (
        "bench_cpu_digest.py",
        [
            (
                "prompt_ratio",
                "prompt tokens per digest paper, combined ÷ before (CPU profile)",
                "≤ 0.60",
                lambda v: v <= 0.60,
                "{:.2f}×",
            ),
            (
                "time_ratio",
                "  minutes to a 30-paper digest, combined ÷ before",
                "≤ 0.75",
                lambda v: v <= 0.75,
                "{:.2f}×",
            ),
            (
                "minutes_after",
                "  minutes to the digest with combined requests (1 slot, 50/8 tokens/s)",
                "(shown)",
                lambda v: True,
                "{:.1f} min",
            ),
        ],
    ),
    "rules": (
        "bench_rules.py",
        [
            (
                "in_sample",
                "rules agreement with the 134 labeled titles, in sample",
                "≥ 65%",
                lambda v: v >= 0.65,
                "{:.1%}",
            ),
            (
                "out_of_sample",
                "rules agreement out of sample (folds by date, mean)",
                "≥ 70%",
                lambda v: v >= 0.70,
                "{:.1%}",
            ),
            (
                "out_of_sample_labels_categories",
                "  same, choosing among the labels' 7 categories",
                "≥ 70%",
                lambda v: v >= 0.70,
                "{:.1%}",
            ),
            (
                "out_of_sample_before",
                "rules out of sample before the learned layer (hints alone)",
                "—",
                lambda v: True,
                "{:.1%}",
            ),
            (
                "ms_per_1000_titles",
                "rules: 1,000 titles classified",
                "< 1000 ms",
                lambda v: v < 1000,
                "{:.0f} ms",
            ),
        ],
    ),
    "rank": (
        "bench_rank.py",
        [
            (
                "precision_at_10",
                "For you P@10, simulated readers with ≥ 10 held-out titles",
                "≥ 0.60",
                lambda v: v >= 0.60,
                "{:.2f}",
            ),
            (
                "base_rate",
                "  their base rate (random order)",
                "≤ 0.30",
                lambda v: v <= 0.30,
                "{:.2f}",
            ),
            (
                "precision_at_10_every_reader",
                "  P@10 over every simulated reader (6 categories)",
                "(shown)",
                lambda v: True,
                "{:.2f}",
            ),
            (
                "rank_seconds",
                "rank 2,000 papers vs a 500-paper profile (lexical, index built)",
                "≤ 200 ms",
                lambda v: v <= 0.2,
                "{:.3f} s",
            ),
            (
                "rerun_embed_requests",
                "embedding requests on a rerun with nothing new",
                "0",
                lambda v: v == 0,
                "{:.0f}",
            ),
        ],
    ),
    "publish": (
        "bench_publish.py",
        [
            (
                "total",
                "report + chart + feeds + email, 1,000-paper day",
                "≤ 1 s",
                lambda v: v <= 1.0,
                "{:.3f} s",
            )
        ],
    ),
    "email": (
        "bench_email_size.py",
        [
            (
                "html_sent_30",
                "email HTML part as sent, 30-paper day (Gmail clips at 102 KB)",
                "≤ 100,000 B",
                lambda v: v <= 100_000,
                "{:,.0f} B",
            ),
            (
                "level_30",
                "  detail left out to fit it (0 = nothing)",
                "0",
                lambda v: v == 0,
                "{:.0f}",
            ),
            (
                "html_sent_100",
                "email HTML part as sent, 100-paper day",
                "≤ 100,000 B",
                lambda v: v <= 100_000,
                "{:,.0f} B",
            ),
        ],
    ),
    "search": (
        "bench_search.py",
        [
            (
                "search",
                "search with the Korean index (60 days × 300 papers, worst)",
                "≤ 100 ms",
                lambda v: v <= 0.1,
                "{:.3f} s",
            ),
            (
                "korean_recall",
                "Korean words found inside compounds and past particles (worst)",
                "≥ 99%",
                lambda v: v >= 0.99,
                "{:.1%}",
            ),
            (
                "korean_precision",
                "  of the hits, those that have the word (worst)",
                "≥ 99%",
                lambda v: v >= 0.99,
                "{:.1%}",
            ),
        ],
    ),
    "tui": (
        "bench_tui.py",
        [
            (
                "first_paint",
                "TUI first full paint (60 days × 300 papers)",
                "≤ 1.0 s",
                lambda v: v <= 1.0,
                "{:.3f} s",
            ),
            ("day_switch", "TUI day switch (worst)", "≤ 100 ms", lambda v: v <= 0.1, "{:.3f} s"),
            (
                "category_switch",
                "TUI category switch (worst)",
                "≤ 100 ms",
                lambda v: v <= 0.1,
                "{:.3f} s",
            ),
            ("search", "TUI search (worst)", "≤ 100 ms", lambda v: v <= 0.1, "{:.3f} s"),
            (
                "memory_mb",
                "TUI resident memory (peak)",
                "≤ 300 MB",
                lambda v: v <= 300,
                "{:.0f} MB",
            ),
        ],
    ),
}


def main() -> int:
    wanted = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        sink = Path(tmp) / "figures.jsonl"
        sink.touch()
        for name in wanted:
            script = HERE / BENCHMARKS[name][0]
            print(f"\n=== {name}: python bench/{script.name}", flush=True)
            subprocess.run(
                [sys.executable, str(script)], env={**os.environ, ENV: str(sink)}, check=False
            )
        recorded = {}
        for line in sink.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            recorded[entry["benchmark"]] = entry["figures"]
    rows = []
    failures = 0
    for name in wanted:
        for key, label, target, passes, fmt in BENCHMARKS[name][1]:
            value = recorded.get(name, {}).get(key)
            if value is None:
                rows.append((label, "missing", target, "NOT MEASURED"))
                failures += 1
                continue
            ok = passes(value)
            failures += not ok
            missed = "UNDER" if target.startswith("≥") else "OVER"
            rows.append((label, fmt.format(value), target, "ok" if ok else missed))
    width = max(len(row[0]) for row in rows)
    print("\n" + "figure".ljust(width) + "  value        target     verdict")
    for label, value, target, verdict in rows:
        print(f"{label.ljust(width)}  {value:<12} {target:<10} {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
