"""Publishing a day: the Markdown report and its chart, and the feeds, into the output dir.

One function per output, and `publish_day` doing all of them for one day from one digest;
the CLI (`dailyai report`, `dailyai rss`) and the daily pipeline call these. Sending the
email is `core.mail.send_digest` (it needs the network and a ledger, so it is its own step).

Layout of the output dir (what `dailyai serve` serves):

    reports/YYYY-MM-DD/Papers_YYYY-MM-DD_report.md   the seed's report, plus summaries
    reports/YYYY-MM-DD/paper_YYYY-MM-DD.png          the category chart it shows
    feeds/daily.rss, feeds/daily.atom                one item per day
    feeds/category/<slug>.rss, .atom                 one item per paper, per category

Every file is written atomically (a temp file, then a rename).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.chart import chart_file_name, render_chart
from core.config import Config
from core.digest import Digest, build_digest
from core.feeds import write_feeds
from core.paths import write_atomic
from core.report import day_stats, render_report, report_dir, report_file_name
from core.store import Store


@dataclass
class PublishResult:
    """What publishing a day wrote, and the state of what it published."""

    day: date
    out_dir: Path
    report: Path | None = None
    chart: Path | None = None
    feeds: list[Path] = field(default_factory=list)
    papers: int = 0
    summaries_ok: int = 0
    summaries_failed: int = 0
    summaries_pending: int = 0
    summaries_stale: int = 0
    empty_reason: str = ""

    @property
    def paths(self) -> list[Path]:
        return [path for path in (self.report, self.chart) if path] + self.feeds


def output_dir(config: Config, out_dir: Path | str | None = None) -> Path:
    """The output dir: the one given, else `output.dir` from the config, else the data dir's."""
    return Path(out_dir).expanduser() if out_dir else config.output_dir


def report_paths(out_dir: Path, day: date) -> tuple[Path, Path]:
    """Where a day's report and chart go: side by side under `reports/YYYY-MM-DD/`."""
    directory = report_dir(out_dir, day)
    return directory / report_file_name(day), directory / chart_file_name(day)


def publish_report(
    store: Store,
    config: Config,
    day: date | str,
    *,
    out_dir: Path | str | None = None,
    digest: Digest | None = None,
) -> list[Path]:
    """Write the day's Markdown report and the chart it shows; returns [report, chart].

    `digest` may hand in the day's digest when it is already built.
    """
    day = date.fromisoformat(str(day))
    directory = output_dir(config, out_dir)
    digest = digest or build_digest(store, config, day)
    chart = publish_chart(digest, directory)
    report, _ = report_paths(directory, day)
    return [write_atomic(report, render_report(digest, config)), chart]


def publish_chart(digest: Digest, out_dir: Path) -> Path:
    """Write the day's category chart PNG (an empty day's chart says why it is empty)."""
    _, path = report_paths(out_dir, digest.day)
    return render_chart(digest, path)


def publish_feeds(
    store: Store,
    config: Config,
    out_dir: Path | str | None = None,
    *,
    digests: list[Digest] | None = None,
) -> list[Path]:
    """Re-render the feeds over the last `output.feed_days` days from the store."""
    return write_feeds(store, config, output_dir(config, out_dir), digests=digests)


def publish_day(
    store: Store,
    config: Config,
    day: date | str,
    *,
    out_dir: Path | str | None = None,
    feeds: bool = True,
) -> PublishResult:
    """Write the day's report and chart, and (unless `feeds` is False) refresh the feeds."""
    day = date.fromisoformat(str(day))
    directory = output_dir(config, out_dir)
    digest = build_digest(store, config, day)
    stats = day_stats(digest)
    result = PublishResult(
        day=day,
        out_dir=directory,
        papers=stats.selected,
        summaries_ok=stats.ok,
        summaries_failed=stats.failed,
        summaries_pending=stats.pending,
        summaries_stale=stats.stale,
        empty_reason=digest.empty_reason,
    )
    result.report, result.chart = publish_report(
        store, config, day, out_dir=directory, digest=digest
    )
    if feeds:
        result.feeds = publish_feeds(store, config, directory, digests=[digest])
    return result
