"""Publishing speed: the report, chart, feeds and email of a 1,000-paper day.

Builds a store holding one day of 1,000 papers (titles and abstracts cycled from the
recorded Hugging Face fixture), every paper classified into the 11 categories with a
Korean summary, and a Korean report per category; `digest.size` is raised to 1,000 so
every paper is published. Then, in-process and after imports (the chart's font is loaded
once first, as a long-running process would have it), times each output and the total:

    report   render_report + atomic write of the Markdown
    page     publish_page: the HTML report page and the index of days
    chart    render_chart (matplotlib Agg) + atomic write of the PNG
    feeds    write_feeds: daily + 11 category feeds, RSS and Atom (given the built digest)
    email    build_message: text + HTML (trimmed to the size limit) + inline chart

Target (issue 4): report + page + chart + feeds + email <= 1 s. Building the digest from the
store is printed on its own line (it is the read model every output shares).

    python bench/bench_publish.py [--repeat 5] [--papers 1000]
"""

from __future__ import annotations

import argparse
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

FIXTURE = ROOT / "tests" / "fixtures" / "hf_daily_papers_date_2026-05-08_llm-paper-radar.json"
DAY = date(2026, 5, 8)
TARGET_SECONDS = 1.0


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--papers", type=int, default=1000, help="papers on the day")
    args = parser.parse_args()
    return run(args.repeat, args.papers)


def run(repeat: int = 5, papers: int = 1000) -> dict[str, float]:
    """Measure and print; returns the median seconds of each step."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["DAILYAI_HOME"] = home
        from core.channels.chart import _font_properties, render_chart, render_chart_png
        from core.channels.feeds import write_feeds
        from core.channels.layout import report_paths
        from core.channels.mail import HTML_LIMIT_BYTES, build_message
        from core.channels.page import publish_page
        from core.channels.report import render_report
        from core.config import load_config
        from core.digest import build_digest
        from core.paths import write_atomic
        from core.store import Store

        config = load_config()
        config.digest.size = papers
        config.email.sender = "digest@example.org"
        store = Store(Path(home) / "bench.sqlite3")
        _fill(store, config, papers)
        out = Path(home) / "out"

        _font_properties()  # the font file is read once per process
        render_chart_png({"warm-up": 1})

        timings: dict[str, list[float]] = {
            "digest": [],
            "report": [],
            "page": [],
            "chart": [],
            "feeds": [],
            "email": [],
        }
        html_bytes = 0
        for _ in range(repeat):
            start = time.perf_counter()
            digest = build_digest(store, config, DAY)
            timings["digest"].append(time.perf_counter() - start)
            report_path, chart_path = report_paths(out, DAY)

            start = time.perf_counter()
            write_atomic(report_path, render_report(digest, config))
            timings["report"].append(time.perf_counter() - start)

            start = time.perf_counter()
            publish_page(digest, config, out)
            timings["page"].append(time.perf_counter() - start)

            start = time.perf_counter()
            render_chart(digest, chart_path)
            timings["chart"].append(time.perf_counter() - start)

            start = time.perf_counter()
            write_feeds(store, config, out, digests=[digest])
            timings["feeds"].append(time.perf_counter() - start)

            start = time.perf_counter()
            message = build_message(digest, config, "reader@example.com", chart_path.read_bytes())
            message.as_bytes()
            timings["email"].append(time.perf_counter() - start)
            html_bytes = len(
                message.get_body(preferencelist=("html",)).get_content().encode("utf-8")
            )
        store.close()

    medians = {name: statistics.median(values) for name, values in timings.items()}
    total = sum(medians[name] for name in ("report", "page", "chart", "feeds", "email"))
    print(f"Publishing a {papers:,}-paper day (median of {repeat} runs, after imports):")
    print(f"  build digest     {medians['digest'] * 1000:8.1f} ms   (shared read model)")
    for name in ("report", "page", "chart", "feeds", "email"):
        print(f"  {name:<16} {medians[name] * 1000:8.1f} ms")
    print(f"  total            {total * 1000:8.1f} ms   target <= {TARGET_SECONDS * 1000:.0f} ms")
    print(f"  email HTML part  {html_bytes:,} bytes (limit {HTML_LIMIT_BYTES:,})")
    print(
        f"  {'OK' if total <= TARGET_SECONDS else 'OVER TARGET'}: {total / TARGET_SECONDS:.2f} x target"
    )
    medians["total"] = total
    record("publish", medians)
    return medians


def _fill(store, config, papers: int) -> None:
    """One day of `papers` classified, summarized papers and a report per category."""
    from core.models import Listed, Paper
    from core.prompts import REPORT_PROMPT_VERSION, SUMMARY_PROMPT_VERSION, abstract_hash
    from core.sources import hf_daily

    sample = hf_daily.parse(FIXTURE.read_bytes(), day=DAY, label="bench", source="bench").listed
    listed = []
    for index in range(papers):
        source = sample[index % len(sample)].paper
        paper_id = f"2605.{10000 + index}"
        listed.append(
            Listed(
                Paper(
                    id=paper_id,
                    arxiv_id=paper_id,
                    title=f"{source.title} ({index})",
                    abstract=source.abstract,
                    authors=source.authors,
                    links={"abs": f"https://arxiv.org/abs/{paper_id}"},
                    hf_upvotes=papers - index,
                ),
                day=DAY,
            )
        )
    store.merge_listed(listed, "hf-daily")
    categories = [category.name for category in config.taxonomy.categories]
    model = config.llm.model
    for index, item in enumerate(listed):
        paper = item.paper
        store.set_classification(
            paper.id,
            category=categories[index % len(categories)],
            confidence=0.9,
            method="rules",
            taxonomy_version=config.taxonomy.version,
        )
        store.save_summary(
            paper.id,
            model=model,
            prompt_version=SUMMARY_PROMPT_VERSION,
            abstract_hash=abstract_hash(paper.title, paper.abstract),
            status="ok",
            text=(
                f"이 논문은 {paper.title[:60]}을(를) 다룬다. 저자들은 새로운 방법을 제안하고 "
                "여러 벤치마크에서 기존 방법보다 좋은 성능을 보였다. 한계와 향후 과제도 논의한다."
            ),
        )
    for name in categories:
        store.save_category_report(
            DAY,
            name,
            model=model,
            prompt_version=REPORT_PROMPT_VERSION,
            inputs_hash="bench",
            status="ok",
            text=(
                f"### {name} 종합 보고서\n\n#### 주요 주제 및 경향\n\n"
                + "\n".join(f"- 주제 {i}: **중요한** 경향과 사례를 설명한다." for i in range(8))
                + "\n\n#### 결론\n\n이 분야는 빠르게 발전하고 있다."
            ),
        )


if __name__ == "__main__":
    main()
