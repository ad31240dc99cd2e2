"""Ingest speed: storing, merging and indexing must cost little next to parsing.

Ingests the 1,504-item arXiv RSS fixture (all archives, 2024-11-28) into an empty store,
end to end through `core.ingest.fetch_day` (file:// source, parse, merge, FTS index,
ledger), and compares with feedparser alone parsing the same bytes, in the same run.
Then re-ingests the same file into the now-full store. Prints the figures and both ratios.

Then ingests it twice more, to show what search indexing adds to an ingest: once without
the Korean part (no paper is checked for Hangul, so none is queued for its morphemes: the
ingest as it was before issue 12), and once without any index (core.store.papers'
`index_new_papers` made a no-op).

Targets (issue 2): ingest <= 1.2 x feedparser alone; re-ingest <= 0.5 x first ingest.
Target (issue 12): the Korean index adds <= 20 % to an ingest.

    python bench/bench_ingest.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import record  # noqa: E402 - bench/ is not a package

FIXTURE = ROOT / "tests" / "fixtures" / "arxiv_rss_all_archives_2024-11-28_aioarxiv.xml"
DAY = date(2024, 11, 28)


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()
    return run(args.repeat)


def run(repeat: int = 5) -> dict[str, float]:
    """Measure and print; returns the figures (used by bench/run_all.py)."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["DAILYAI_HOME"] = home
        import feedparser

        import core.store.papers
        from core.config import load_config
        from core.ingest import SourceSpec, fetch_day
        from core.models import SourceKind
        from core.store import Store

        config = load_config()
        body = FIXTURE.read_bytes()
        spec = [SourceSpec("arxiv", FIXTURE.as_uri(), SourceKind("arxiv-rss"))]

        def parse_ours() -> None:
            feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)

        def parse_default() -> None:
            feedparser.parse(body)

        # Interleaved, so that background load on the machine hits both alike.
        parses, defaults, firsts, reingests, reparses, stored = [], [], [], [], [], 0
        unindexed, without_korean = [], []
        indexing, hangul_check = core.store.papers.index_new_papers, core.store.papers.has_hangul
        for index in range(repeat):
            parses.append(_timed(parse_ours))
            defaults.append(_timed(parse_default))
            with Store(Path(home) / f"bench-{index}.sqlite3") as store:
                started = time.perf_counter()
                summary = asyncio.run(fetch_day(store, config, DAY, specs=spec, enrich=False))
                firsts.append(time.perf_counter() - started)
                assert summary.results[0].new == 1504, summary.results[0]
                started = time.perf_counter()
                again = asyncio.run(fetch_day(store, config, DAY, specs=spec, enrich=False))
                reingests.append(time.perf_counter() - started)
                assert again.results[0].new == 0 and again.results[0].status == "unchanged"
                started = time.perf_counter()
                forced = asyncio.run(
                    fetch_day(store, config, DAY, specs=spec, enrich=False, refresh=True)
                )
                reparses.append(time.perf_counter() - started)
                assert forced.results[0].new == 0 and forced.results[0].updated == 0
                stored = store.count_papers()
            for name, times in (("no-korean", without_korean), ("unindexed", unindexed)):
                if name == "no-korean":
                    core.store.papers.has_hangul = lambda text: False
                else:
                    core.store.papers.index_new_papers = lambda db, after_rowid, korean: None
                try:
                    with Store(Path(home) / f"bench-{name}-{index}.sqlite3") as store:
                        started = time.perf_counter()
                        asyncio.run(fetch_day(store, config, DAY, specs=spec, enrich=False))
                        times.append(time.perf_counter() - started)
                finally:
                    core.store.papers.index_new_papers = indexing
                    core.store.papers.has_hangul = hangul_check
        feedparser_ours = statistics.median(parses)
        feedparser_default = statistics.median(defaults)
        first = statistics.median(firsts)
        reingest = statistics.median(reingests)
        reparse = statistics.median(reparses)
        without_index = statistics.median(unindexed)
        before_korean = statistics.median(without_korean)

    figures = {
        "feedparser_s": feedparser_ours,
        "feedparser_default_s": feedparser_default,
        "ingest_s": first,
        "reingest_s": reingest,
        "reparse_s": reparse,
        "ingest_ratio": first / min(feedparser_ours, feedparser_default),
        "reingest_ratio": reingest / first,
        "unindexed_ingest_s": without_index,
        "no_korean_ingest_s": before_korean,
        "index_share": first / without_index - 1,
        "korean_index_overhead": first / before_korean - 1,
    }
    print(
        f"Ingest of {FIXTURE.name} ({len(body) / 1e6:.1f} MB, 1504 items -> {stored} papers), median of {repeat}:"
    )
    print(f"  feedparser alone, sanitizing off:        {feedparser_ours * 1000:8.1f} ms")
    print(f"  feedparser alone, default options:       {feedparser_default * 1000:8.1f} ms")
    print(f"  end-to-end ingest into an empty store:   {first * 1000:8.1f} ms")
    print(
        f"  re-ingest of the same file:              {reingest * 1000:8.1f} ms  (unchanged: inserts nothing)"
    )
    print(f"  forced re-parse and merge (--refresh):   {reparse * 1000:8.1f} ms  (inserts nothing)")
    print(
        f"  ingest / feedparser alone (faster of the two) = {figures['ingest_ratio']:.2f}  (target <= 1.2)"
    )
    print(
        f"  re-ingest / first ingest                      = {figures['reingest_ratio']:.3f}  (target <= 0.5)"
    )
    print(
        f"  ingest without the Korean index:         {before_korean * 1000:8.1f} ms"
        f"  -> the Korean index adds {figures['korean_index_overhead']:+.1%}  (target <= 20%)"
    )
    print(
        f"  ingest without any search index:         {without_index * 1000:8.1f} ms"
        f"  -> the whole index (words + Korean) adds {figures['index_share']:.0%}"
    )
    record("ingest", figures)
    return figures


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
