"""Publishing speed of the weekly digest, and its email's size as Gmail receives it.

Stores a real week (tests/week_data.py: 5 weekdays × 30 distinct real papers from the
recorded fixtures, classified by rules, with Korean summaries and daily category reports
written by the real summarizer against the stand-in model server), has the stand-in write
each category's weekly report, then, in-process and after imports (the chart's font loaded
once first, as a long-running process has it), times each output of the week:

    build    build_weekly: the week's read model from the store (every output shares it)
    report   render_week_report + atomic write of the Markdown
    chart    render_week_chart_png (matplotlib Agg, stacked bars per day) + write
    page     render_week_page + write, and the index of days and weeks written again
    feed     publish_weekly_feed: weekly.rss and weekly.atom (given the built week)
    email    build_week_message: text + HTML (fitted to the size limit) + inline chart

and the weekly email's HTML part as sent (in the transfer encoding the app chose), against
Gmail's clipping at 102 KB, with the detail level kept to fit (1: each category's paper
list left out, the full report linked) and what the whole week would have been. Target: report + chart + page + feed + email <= 1 s.

    python bench/bench_weekly.py [--repeat 5] [--per-day 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import record  # noqa: E402 - bench/ is not a package

TARGET_SECONDS = 1.0
TODAY = "2026-10-05"
"""After the stored week (2026-W38), so every day of it is in the past."""
STEPS = ("report", "chart", "page", "feed", "email")


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--per-day", type=int, default=30, help="papers on each weekday")
    args = parser.parse_args()
    return run(args.repeat, args.per_day)


def run(repeat: int = 5, per_day: int = 30) -> dict[str, float]:
    """Measure and print; returns the median seconds of each step and the email's size."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["DAILYAI_HOME"] = home
        os.environ["DAILYAI_TODAY"] = TODAY
        from core.channels.chart import _font_properties, render_chart_png, render_week_chart_png
        from core.channels.layout import page_path, week_page_path
        from core.channels.mail import HTML_LIMIT_BYTES, transfer_encoded
        from core.channels.page import publish_index
        from core.channels.week import (
            build_week_message,
            publish_weekly_feed,
            render_week_email,
            render_week_page,
            render_week_report,
            week_report_paths,
        )
        from core.config import load_config
        from core.paths import write_atomic
        from core.store import Store
        from core.weekly import build_weekly, synthesize_week
        from tests.ollama_standin import OllamaStandin
        from tests.week_data import WEEK, model_config, store_week

        out = Path(home) / "out"
        with OllamaStandin(parallel=4) as standin, Store(Path(home) / "bench.sqlite3") as store:
            config = model_config(load_config(), standin.url)
            config.email.sender = "digest@example.org"
            started = time.perf_counter()
            store_week(store, config, per_day=per_day)
            stats = asyncio.run(synthesize_week(store, config, WEEK))
            setup = time.perf_counter() - started

            _font_properties()  # the font file is read once per process
            render_chart_png({"warm-up": 1})

            timings: dict[str, list[float]] = {name: [] for name in ("build", *STEPS)}
            sent = level = 0
            cte = ""
            for _ in range(repeat):
                start = time.perf_counter()
                weekly = build_weekly(store, config, WEEK)
                timings["build"].append(time.perf_counter() - start)
                report_path, chart_path = week_report_paths(out, WEEK)

                start = time.perf_counter()
                write_atomic(report_path, render_week_report(weekly))
                timings["report"].append(time.perf_counter() - start)

                start = time.perf_counter()
                chart = write_atomic(chart_path, render_week_chart_png(weekly)).read_bytes()
                timings["chart"].append(time.perf_counter() - start)

                start = time.perf_counter()
                day_pages = {d.day for d in weekly.days if page_path(out, d.day).is_file()}
                write_atomic(
                    week_page_path(out, WEEK), render_week_page(weekly, config, day_pages=day_pages)
                )
                publish_index(config, out)
                timings["page"].append(time.perf_counter() - start)

                start = time.perf_counter()
                publish_weekly_feed(store, config, out, weeks=[weekly])
                timings["feed"].append(time.perf_counter() - start)

                start = time.perf_counter()
                message = build_week_message(weekly, config, "reader@example.com", chart)
                message.as_bytes()
                timings["email"].append(time.perf_counter() - start)
                html = message.get_body(preferencelist=("html",)).get_content()
                cte, sent = transfer_encoded(html)
                level = (
                    0
                    if "메일이 너무 길어" not in html
                    else (2 if "주요 논문의 요약과" in html else 1)
                )
            # What the whole week (every category's paper list) would have been as sent.
            full_html = render_week_email(weekly, config, chart_src="cid:chart")[1]
            full = transfer_encoded(full_html)[1]

    medians = {name: statistics.median(values) for name, values in timings.items()}
    total = sum(medians[name] for name in STEPS)
    papers = weekly.total
    print(
        f"Publishing a week of {papers} papers (5 days × {per_day}; {len(weekly.sections)} "
        f"categories, weekly reports: {stats.written} written by the stand-in), median of "
        f"{repeat} runs, after imports; set-up {setup:.1f} s:"
    )
    print(f"  build week       {medians['build'] * 1000:8.1f} ms   (shared read model)")
    for name in STEPS:
        print(f"  {name:<16} {medians[name] * 1000:8.1f} ms")
    print(f"  total            {total * 1000:8.1f} ms   target <= {TARGET_SECONDS * 1000:.0f} ms")
    print(
        f"  email HTML part  {sent:,} bytes as sent ({cte}; limit {HTML_LIMIT_BYTES:,}, "
        f"Gmail clips at {102 * 1024:,}); detail left out: level {level} (0 = nothing; "
        f"the whole week would be {full:,} bytes)"
    )
    print(
        f"  {'OK' if total <= TARGET_SECONDS else 'OVER TARGET'}: {total / TARGET_SECONDS:.2f} x target"
    )
    figures = {
        **medians,
        "total": total,
        "email_html_sent": sent,
        "email_level": level,
        "email_full": full,
    }
    record("weekly", figures)
    return figures


if __name__ == "__main__":
    main()
