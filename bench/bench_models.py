"""Benchmark: how close classify + summarize come to keeping every model slot busy.

200 real papers from tests/fixtures are classified (by the model) and summarized, with
their category reports, against the Ollama stand-in answering with a fixed delay per
token and at most 4 requests at once (OLLAMA_NUM_PARALLEL=4, `llm.parallel = 4`).

Printed figures (all measured in this one run):
- overhead ratio = wall time of classify + summarize ÷ ideal time, where the ideal is the
  server's total generation time ÷ 4 (every slot busy all the time). Target ≤ 1.10.
- requests made by a second run with nothing changed. Target 0.

The rules method's agreement with labeled titles is measured by bench/bench_rules.py.

Run: python bench/bench_models.py [--papers 200] [--token-delay 0.003] [--parallel 4]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import record  # noqa: E402 - bench/ is not a package


async def model_run(papers: int, token_delay: float, parallel: int) -> dict[str, float]:
    from core.classify import classify_day
    from core.config import load_config
    from core.llm import make_client
    from core.store import Store
    from core.summarize import summarize_day
    from tests.ollama_standin import OllamaStandin
    from tests.paper_fixtures import DAY, store_fixture_day

    figures: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory() as home,
        OllamaStandin(
            token_delay=token_delay, prompt_token_delay=token_delay / 20, parallel=parallel
        ) as standin,
    ):
        config = load_config()
        config = dataclasses.replace(
            config,
            llm=dataclasses.replace(config.llm, hosts=[standin.url], parallel=parallel),
            digest=dataclasses.replace(config.digest, size=papers),
        )
        with Store(Path(home) / "bench.sqlite3") as store:
            stored = store_fixture_day(store, papers)
            figures["papers"] = len(stored)
            client = make_client(config)
            started = time.perf_counter()
            classified = await classify_day(store, config, DAY, client=client)
            summarized = await summarize_day(store, config, DAY, client=client)
            wall = time.perf_counter() - started
            figures.update(
                wall=wall,
                ideal=standin.busy_seconds / parallel,
                requests=standin.request_count,
                tokens=standin.eval_tokens,
                by_llm=classified.by_llm,
                passed=summarized.passed,
                failed=summarized.failed,
                reports=summarized.reports_written,
                speed=client.tokens_per_second or 0.0,
            )
            standin.reset_counters()
            await classify_day(store, config, DAY, client=client)
            await summarize_day(store, config, DAY, client=client)
            figures["rerun_requests"] = standin.request_count
            await client.aclose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--token-delay", type=float, default=0.003, help="seconds per token")
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    os.environ["DAILYAI_HOME"] = tempfile.mkdtemp(prefix="dailyai-bench-")
    os.environ.pop("DAILYAI_CONFIG", None)
    figures = asyncio.run(model_run(args.papers, args.token_delay, args.parallel))
    ratio = figures["wall"] / figures["ideal"]
    print(
        f"model pipeline: {figures['papers']:.0f} papers, {figures['by_llm']:.0f} classified by "
        f"the model, {figures['passed']:.0f} summaries ({figures['failed']:.0f} failed), "
        f"{figures['reports']:.0f} category reports"
    )
    print(
        f"  {figures['requests']:.0f} requests, {figures['tokens']:.0f} tokens at "
        f"{args.token_delay * 1000:g} ms/token, {args.parallel} slots "
        f"({figures['speed']:.0f} tokens/s per request)"
    )
    print(
        f"  wall {figures['wall']:.2f} s, ideal {figures['ideal']:.2f} s "
        f"(generation time ÷ {args.parallel})"
    )
    print(f"overhead ratio (wall ÷ ideal): {ratio:.3f}  (target ≤ 1.10)")
    print(
        f"second run, nothing changed: {figures['rerun_requests']:.0f} model requests  (target 0)"
    )
    record(
        "models",
        {
            "overhead_ratio": ratio,
            "rerun_requests": figures["rerun_requests"],
        },
    )
    ok = ratio <= 1.10 and figures["rerun_requests"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
