"""Benchmark: several model hosts of different speeds kept busy, and one killed mid-run.

Three stand-in hosts answer with per-token delays of 1×, 2× and 4× (prompt reading scaled
the same), two slots each (OLLAMA_NUM_PARALLEL=2, `parallel = 2`); 200 real papers from
tests/fixtures are summarized through the real client and summarize step.

Printed figures (all measured in this one run):
- all hosts up: wall time ÷ ideal, where the ideal is the total generation (each host's
  busy time in fast-host seconds: busy ÷ its slowness) ÷ the combined capacity (slots ÷
  slowness, summed). Target ≤ 1.15.
- the fastest host killed at half the first run's time: the run completes, every paper is
  stored and was answered whole exactly once (nothing redone), and the time after the kill
  ÷ the ideal of that part (the surviving hosts' generation after the kill ÷ their
  capacity) is ≤ 1.3.

Run: python bench/bench_hosts.py [--papers 200] [--token-delay 0.003]  (or bench/run_all.py hosts)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import record  # noqa: E402 - bench/ is not a package

SLOWNESS = (1, 2, 4)
SLOTS = 2


def busy_after(timeline: list[tuple[float, float]], moment: float) -> float:
    """Seconds of answering after `moment` (slots held, summed)."""
    return sum(max(0.0, end - max(start, moment)) for start, end in timeline)


async def hosts_run(papers: int, token_delay: float, kill_at: float | None) -> dict[str, float]:
    from core.config import load_config
    from core.store import Store
    from core.summarize import summarize_day
    from tests.ollama_standin import OllamaStandin
    from tests.paper_fixtures import DAY, store_fixture_day

    standins = [
        OllamaStandin(
            token_delay=token_delay * slowness,
            prompt_token_delay=token_delay * slowness / 20,
            parallel=SLOTS,
        ).start()
        for slowness in SLOWNESS
    ]
    fastest = standins[0]
    figures: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as home:
            config = load_config()
            config = dataclasses.replace(
                config,
                llm=dataclasses.replace(
                    config.llm, hosts=[s.url for s in standins], parallel=SLOTS
                ),
            )
            with Store(Path(home) / "bench.sqlite3") as store:
                ids = store_fixture_day(store, papers)
                titles = [store.get_paper(paper_id).title for paper_id in ids]
                started = time.monotonic()
                killed_at: list[float] = []
                if kill_at is not None:

                    def kill() -> None:
                        killed_at.append(time.monotonic())
                        fastest.kill()

                    timer = threading.Timer(kill_at, kill)
                    timer.start()
                stats = await summarize_day(store, config, DAY, paper_ids=ids)
                ended = time.monotonic()
                stored = {s.paper_id for s in store.stored_summaries(ids, config.llm.model)}
            answered = [request.text for s in standins for request in s.answered]
            redone = sum(1 for title in titles if sum(title in text for text in answered) != 1)
            figures.update(
                papers=len(ids),
                passed=stats.passed,
                pending=stats.pending,
                stored=len(stored),
                redone=redone,
                host_failures=stats.host_failures,
                wall=ended - started,
            )
            capacity = sum(SLOTS / slowness for slowness in SLOWNESS)
            work = sum(
                s.busy_seconds / slowness for s, slowness in zip(standins, SLOWNESS, strict=True)
            )
            figures["ideal"] = work / capacity
            for s, slowness in zip(standins, SLOWNESS, strict=True):
                figures[f"answers_{slowness}x"] = len(s.answered)
            if killed_at:
                moment = killed_at[0]
                rest = list(zip(standins[1:], SLOWNESS[1:], strict=True))
                left = sum(busy_after(s.timeline, moment) / slowness for s, slowness in rest)
                figures["killed_after"] = moment - started
                figures["after_kill"] = ended - moment
                figures["ideal_after_kill"] = left / sum(SLOTS / slowness for _, slowness in rest)
    finally:
        for standin in standins:
            standin.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--token-delay", type=float, default=0.003, help="seconds per token")
    args = parser.parse_args()
    os.environ["DAILYAI_HOME"] = tempfile.mkdtemp(prefix="dailyai-bench-")
    os.environ.pop("DAILYAI_CONFIG", None)

    up = asyncio.run(hosts_run(args.papers, args.token_delay, None))
    ratio = up["wall"] / up["ideal"]
    print(
        f"three hosts (per-token delay {args.token_delay * 1000:g} ms × 1, 2, 4; {SLOTS} slots "
        f"each), {up['papers']:.0f} papers: {up['passed']:.0f} summaries, answers by host "
        f"{up['answers_1x']:.0f} / {up['answers_2x']:.0f} / {up['answers_4x']:.0f}"
    )
    print(f"  wall {up['wall']:.2f} s, ideal {up['ideal']:.2f} s (generation ÷ combined capacity)")
    print(f"all hosts up, wall ÷ ideal: {ratio:.3f}  (target ≤ 1.15)")

    down = asyncio.run(hosts_run(args.papers, args.token_delay, up["wall"] / 2))
    after = down["after_kill"] / down["ideal_after_kill"]
    complete = (
        down["stored"] == down["papers"]
        and down["pending"] == 0
        and down["passed"] == down["papers"]
    )
    print(
        f"fastest host killed at {down['killed_after']:.2f} s: {down['passed']:.0f} of "
        f"{down['papers']:.0f} summaries stored, {down['redone']:.0f} papers answered other "
        f"than exactly once, {down['host_failures']:.0f} requests moved off a failed host"
    )
    print(
        f"  after the kill {down['after_kill']:.2f} s, ideal {down['ideal_after_kill']:.2f} s "
        "(the survivors' generation ÷ their capacity)"
    )
    print(f"fastest host killed, after-kill ÷ ideal: {after:.3f}  (target ≤ 1.3)")
    record(
        "hosts",
        {
            "hosts_ratio": ratio,
            "kill_ratio": after,
            "kill_complete": 1.0 if complete and down["redone"] == 0 else 0.0,
        },
    )
    ok = ratio <= 1.15 and after <= 1.3 and complete and down["redone"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
