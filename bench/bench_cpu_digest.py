"""Benchmark: prompt tokens per digest paper and minutes to a 30-paper digest on a laptop CPU.

A CPU pays for every prompt token: it reads perhaps 50 a second and writes 8. The stand-in
model server is set up like that (one slot, uncached prompt tokens at 50 tokens/s,
generation at 8 tokens/s, the server's prefix cache emulated: the part of a prompt that
repeats the previous request's start is not read again), time-scaled by --scale so the run
takes seconds, and the daily run's model steps (classify, then summarize with the category
reports) make a 30-paper digest of real papers three ways, in this one run:

- today: the code before the prompt-economy change (commit BASELINE, taken from this
  repository's history with `git archive`; skipped with a note when git is not there):
  classification in batches, then a separate summary request per paper;
- separate: this code with `classify.combined = false` (the old path, the new prompts);
- combined: this code as configured by default (one request per paper for its category and
  summary, a stable prompt prefix).

Printed per way: requests, prompt tokens per digest paper as the server counted them
(classification and summary requests; `prompt_eval_count`) and how many of those were read
rather than served from the cache, output tokens per paper, the category reports' prompt
tokens, the summaries that passed the Korean gate (first try), and minutes to the digest:
the server's time at CPU speed (uncached prompt ÷ 50 + output ÷ 8, every request of the
run) and, as a check, the measured wall time ÷ scale (which adds the app's own overhead,
magnified by the scale). Targets: combined ÷ today ≤ 0.6 for prompt tokens per digest paper
and ≤ 0.75 for minutes to the digest.

Run: python bench/bench_cpu_digest.py [--papers 30] [--scale 0.02]  (or bench/run_all.py cpu)
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from figures import record  # noqa: E402 - bench/ is not a package

BASELINE = "c82d900"
"""main before the prompt economy (one classification batch per 8 papers, then a summary
request per paper, with the long system messages)."""
PROMPT_TOKENS_PER_SECOND = 50.0
OUTPUT_TOKENS_PER_SECOND = 8.0
PAPER_KINDS = ("classify", "summary", "combined")


def drive(root: str, url: str, papers: int, combined: bool) -> None:
    """In a child process: the daily run's model steps with the code at `root`."""
    sys.path.insert(0, root)
    import asyncio

    from core.classify import classify_day
    from core.config import load_config
    from core.store import Store
    from core.summarize import summarize_day
    from tests.paper_fixtures import DAY, store_fixture_day

    config = load_config()
    llm = dataclasses.replace(config.llm, hosts=[url], parallel=1, retries=0)
    config = dataclasses.replace(
        config, llm=llm, digest=dataclasses.replace(config.digest, size=papers)
    )
    if "combined" in {f.name for f in dataclasses.fields(config.classify)}:
        config = dataclasses.replace(
            config, classify=dataclasses.replace(config.classify, combined=combined)
        )
    # What the daily run passes (`dailyai run`: classify, then summarize).
    follow = "summaries_follow" in inspect.signature(classify_day).parameters
    extra = {"summaries_follow": True} if follow else {}

    async def steps() -> dict[str, float]:
        with Store(Path(os.environ["DAILYAI_HOME"]) / "bench.sqlite3") as store:
            stored = store_fixture_day(store, papers)
            started = time.perf_counter()
            await classify_day(store, config, DAY, **extra)
            stats = await summarize_day(store, config, DAY)
            wall = time.perf_counter() - started
            return {
                "stored": len(stored),
                "wall": wall,
                "passed": stats.passed,
                "failed": stats.failed,
                "retried": stats.retried,
                "reports": stats.reports_written,
            }

    print(json.dumps(asyncio.run(steps())))


def baseline_tree(into: Path) -> Path | None:
    """The code at BASELINE, unpacked under `into`; None when git or the commit is missing."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE, "core", "tests", "config.toml"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def one_way(root: Path, standin, papers: int, combined: bool, scale: float) -> dict[str, float]:
    """Run the model steps of `root`'s code in a child process against `standin`."""
    standin.reset_counters()
    with tempfile.TemporaryDirectory(prefix="dailyai-cpu-") as home:
        env = {**os.environ, "DAILYAI_HOME": home, "PYTHONPATH": str(root)}
        env.pop("DAILYAI_CONFIG", None)
        child = subprocess.run(
            [sys.executable, __file__, "--drive", str(root), standin.url, str(papers)]
            + (["--combined"] if combined else []),
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=home,
        )
    if child.returncode != 0:
        raise SystemExit(f"the run with {root} failed:\n{child.stderr[-3000:]}")
    run = json.loads(child.stdout.strip().splitlines()[-1])
    usage = list(standin.usage_log)
    per_paper = [u for u in usage if u.schema in PAPER_KINDS]
    stored = run["stored"]
    server_seconds = sum(
        (u.prompt_tokens - u.cached_tokens) / PROMPT_TOKENS_PER_SECOND
        + u.output_tokens / OUTPUT_TOKENS_PER_SECOND
        for u in usage
    )
    first_try = sum(1 for u in usage if u.schema in ("summary", "combined"))
    return {
        **run,
        "requests": len(usage),
        "prompt_per_paper": sum(u.prompt_tokens for u in per_paper) / stored,
        "read_per_paper": sum(u.prompt_tokens - u.cached_tokens for u in per_paper) / stored,
        "output_per_paper": sum(u.output_tokens for u in per_paper) / stored,
        "report_prompt": sum(u.prompt_tokens for u in usage if u.schema == "report"),
        "summary_requests": first_try,
        "minutes": server_seconds / 60,
        "wall_minutes": run["wall"] / scale / 60,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=30)
    parser.add_argument(
        "--scale", type=float, default=0.02, help="stand-in time ÷ CPU time (0.02: 50× faster)"
    )
    parser.add_argument("--drive", nargs=3, metavar=("ROOT", "URL", "PAPERS"), help="internal")
    parser.add_argument("--combined", action="store_true", help="internal")
    args = parser.parse_args()
    if args.drive:
        root, url, papers = args.drive
        drive(root, url, int(papers), args.combined)
        return 0

    sys.path.insert(0, str(ROOT))
    from tests.ollama_standin import OllamaStandin

    ways: dict[str, dict[str, float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="dailyai-baseline-") as old,
        OllamaStandin(
            parallel=1,
            prefix_cache=True,
            prompt_token_delay=args.scale / PROMPT_TOKENS_PER_SECOND,
            token_delay=args.scale / OUTPUT_TOKENS_PER_SECOND,
        ) as standin,
    ):
        today = baseline_tree(Path(old))
        if today is None:
            print(f"(git or commit {BASELINE} not found: 'today' is not measured)")
        else:
            ways[f"today ({BASELINE})"] = one_way(today, standin, args.papers, False, args.scale)
        ways["separate (combined = false)"] = one_way(ROOT, standin, args.papers, False, args.scale)
        ways["combined (default)"] = one_way(ROOT, standin, args.papers, True, args.scale)

    print(
        f"CPU profile: 1 slot, prompt {PROMPT_TOKENS_PER_SECOND:g} tokens/s (uncached), "
        f"output {OUTPUT_TOKENS_PER_SECOND:g} tokens/s, prefix cache on; "
        f"{args.papers}-paper digest of real papers, time scale {args.scale:g}"
    )
    header = (
        f"{'':30} {'requests':>8} {'prompt/paper':>12} {'read/paper':>10} "
        f"{'output/paper':>12} {'report prompt':>13} {'gate ok':>8} {'minutes':>8} {'(wall)':>7}"
    )
    print(header)
    for name, way in ways.items():
        print(
            f"{name:30} {way['requests']:>8.0f} {way['prompt_per_paper']:>12.0f} "
            f"{way['read_per_paper']:>10.0f} {way['output_per_paper']:>12.0f} "
            f"{way['report_prompt']:>13.0f} {way['passed']:>4.0f}/{way['stored']:<3.0f} "
            f"{way['minutes']:>8.1f} {way['wall_minutes']:>7.1f}"
        )
    after = ways["combined (default)"]
    base_name = next(iter(ways))
    base = ways[base_name]
    prompt_ratio = after["prompt_per_paper"] / base["prompt_per_paper"]
    time_ratio = after["minutes"] / base["minutes"]
    print(
        f"prompt tokens per digest paper, combined ÷ {base_name}: {prompt_ratio:.2f}  "
        "(target ≤ 0.60)"
    )
    print(f"minutes to the digest, combined ÷ {base_name}: {time_ratio:.2f}  (target ≤ 0.75)")
    print(
        "first-try gate passes: "
        + ", ".join(
            f"{name.split()[0]} {way['passed'] - way['retried']:.0f}/{way['stored']:.0f}"
            for name, way in ways.items()
        )
    )
    record(
        "cpu",
        {
            "prompt_ratio": prompt_ratio,
            "time_ratio": time_ratio,
            "prompt_per_paper_before": base["prompt_per_paper"],
            "prompt_per_paper_after": after["prompt_per_paper"],
            "minutes_before": base["minutes"],
            "minutes_after": after["minutes"],
        },
    )
    return 0 if prompt_ratio <= 0.6 and time_ratio <= 0.75 else 1


if __name__ == "__main__":
    raise SystemExit(main())
