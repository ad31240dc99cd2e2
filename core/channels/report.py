"""The Markdown report, its web page and its category chart: the day as files in the output dir.

The report copies the seed (`Papers_YYYY-MM-DD_report.md`): the title line with the chart,
then per category `## <emoji> <name>`, `**요약:**` with the Korean category report and
`**출처:**` with ` - Title (link)` lines. It adds what the seed lacks: each paper's Korean
summary under its category, and a closing status section (what was fetched, what failed).
The chart beside it is drawn by `core.channels.chart`, and the same day as a web page (what
the feeds' and the email's links open) by `core.channels.page`, which also rewrites the
index of the days; all are written atomically under `reports/YYYY-MM-DD/` (see
`core.channels.layout`). Untrusted text is escaped as Markdown by `core.channels.render`.

The report is essential: when it cannot be written, nothing was published and the run fails.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from core.channels.base import Channel, ChannelResult, DeliverOptions
from core.channels.chart import chart_file_name, render_chart
from core.channels.feeds import publish_feeds
from core.channels.layout import output_dir, report_paths
from core.channels.page import publish_page
from core.channels.render import (
    ABSTRACT_LABEL,
    FOR_YOU_EMOJI,
    FOR_YOU_HEADING,
    FOR_YOU_INTRO,
    REVIEW_LABEL,
    UPDATE_LABEL,
    WHY_LABEL,
    PaperView,
    SectionView,
    day_stats,
    empty_reason,
    escape_markdown,
    for_you_views,
    model_markdown,
    overview_line,
    plain_markdown,
    section_views,
    status_lines,
)
from core.config import Config
from core.digest import Digest, build_digest
from core.i18n import N_
from core.models import RunStatus
from core.paths import write_atomic
from core.store import Store

if TYPE_CHECKING:
    from core.services import Services

REPORT_TITLE = "Daily Artificial Intelligence Insights : Papers"
CHART_ALT = "Category Distribution Graph"


def render_report(digest: Digest, config: Config) -> str:
    """The day's report as Markdown, in the seed's format plus per-paper summaries."""
    day = digest.day
    out = [f"# {REPORT_TITLE}![{CHART_ALT}]({chart_file_name(day)})", ""]
    if digest.is_empty:
        out += [
            f"**{day.isoformat()}: 발행할 논문이 없습니다.**",
            "",
            f"이유: {plain_markdown(empty_reason(digest))}",
            "",
            "",
        ]
    else:
        out += [f"> {plain_markdown(overview_line(digest))}", "", ""]
    out += for_you_markdown(for_you_views(digest, config))
    for view in section_views(digest):
        out += _section_markdown(view)
    out += _status_section(digest, config)
    return "\n".join(out).rstrip() + "\n"


def for_you_markdown(papers: list[PaperView]) -> list[str]:
    """The "내 관심 논문" section: each paper's title, link and category, with why it is
    there (or what changed, for a starred paper); [] when there are none."""
    if not papers:
        return []
    out = [f"## {FOR_YOU_EMOJI} {FOR_YOU_HEADING}", "", plain_markdown(FOR_YOU_INTRO), ""]
    for number, paper in enumerate(papers, 1):
        head = f"{number}. **{escape_markdown(paper.title)}**"
        if paper.url:
            head += f" — [{escape_markdown(paper.link_label)}]({paper.url})"
        head += " · " + " ".join(
            filter(None, (paper.category_emoji, escape_markdown(paper.category)))
        )
        lines = [head]
        if paper.update:
            lines.append(f"{UPDATE_LABEL}: {plain_markdown(paper.update)}")
        if paper.why:
            lines.append(f"{WHY_LABEL}: {plain_markdown(paper.why)}")
        # A backslash at the end of a line is CommonMark's hard line break.
        out += [" \\\n   ".join(lines), ""]
    return [*out, ""]


def _section_markdown(view: SectionView) -> list[str]:
    """One category in the seed's layout, with each paper's summary before the sources."""
    heading = f"{view.emoji} {escape_markdown(view.name)}".strip()
    out = [f"## {heading}", "", "**요약:**", ""]
    if view.report_text:
        if view.report_note:
            out += [f"_{plain_markdown(view.report_note)}_", ""]
        out += [model_markdown(view.report_text), ""]
    else:
        out += [plain_markdown(view.report_note), ""]
    out += ["**논문별 요약:**", ""]
    for paper in view.papers:
        out += _paper_block(paper)
    out += ["**출처:**", ""]
    for paper in view.papers:
        out.append(f" - {escape_markdown(paper.title)} ({paper.url or '링크 없음'})")
    out += ["", ""]
    return out


def _paper_block(view: PaperView) -> list[str]:
    meta = []
    if view.upvotes is not None:
        meta.append(f"🤗 {view.upvotes}")
    if view.authors:
        meta.append(escape_markdown(view.authors))
    head = f"- **{escape_markdown(view.title)}**"
    if view.url:
        head += f" — [{escape_markdown(view.link_label)}]({view.url})"
    if meta:
        head += " · " + " · ".join(meta)
    lines = [head, ""]
    if view.update:
        lines += [_indent(f"**{UPDATE_LABEL}:** {plain_markdown(view.update)}"), ""]
    if view.why:
        lines += [_indent(f"_{WHY_LABEL}: {plain_markdown(view.why)}_"), ""]
    if view.note:
        lines += [_indent(f"_{plain_markdown(view.note)}_"), ""]
    if view.summary:
        lines += [_indent(plain_markdown(view.summary)), ""]
    if view.flags:
        flags = "; ".join(view.flags)
        lines += [_indent(f"_{REVIEW_LABEL}: {plain_markdown(flags)}_"), ""]
    if view.abstract:
        lines += [_indent(f"> **{ABSTRACT_LABEL}:** {plain_markdown(view.abstract)}"), ""]
    return lines


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in text.split("\n"))


def _status_section(digest: Digest, config: Config) -> list[str]:
    out = ["## 📋 이 날의 현황", ""]
    out += [f"- {plain_markdown(line)}" for line in status_lines(digest, config)]
    return [*out, ""]


# --- writing it -------------------------------------------------------------------------------


@dataclass
class PublishResult:
    """What publishing a day wrote, and the state of what it published."""

    day: date
    out_dir: Path
    report: Path | None = None
    chart: Path | None = None
    page: Path | None = None
    """The report's web page (and the index of the days beside it, in `index`)."""
    index: Path | None = None
    feeds: list[Path] = field(default_factory=list)
    papers: int = 0
    summaries_ok: int = 0
    summaries_failed: int = 0
    summaries_pending: int = 0
    summaries_stale: int = 0
    empty_reason: str = ""

    @property
    def paths(self) -> list[Path]:
        written = (self.report, self.chart, self.page, self.index)
        return [path for path in written if path] + self.feeds


def publish_report(
    store: Store,
    config: Config,
    day: date,
    *,
    out_dir: Path | str | None = None,
    digest: Digest | None = None,
) -> list[Path]:
    """Write the day's Markdown report, the chart it shows, its web page and the index of
    the days; returns [report, chart, page, index].

    `digest` may hand in the day's digest when it is already built.
    """
    directory = output_dir(config, out_dir)
    digest = digest or build_digest(store, config, day)
    chart = publish_chart(digest, directory)
    report, _ = report_paths(directory, day)
    markdown = write_atomic(report, render_report(digest, config))
    return [markdown, chart, *publish_page(digest, config, directory)]


def publish_chart(digest: Digest, out_dir: Path) -> Path:
    """Write the day's category chart PNG (an empty day's chart says why it is empty)."""
    _, path = report_paths(out_dir, digest.day)
    return render_chart(digest, path)


def publish_day(
    store: Store,
    config: Config,
    day: date,
    *,
    out_dir: Path | str | None = None,
    feeds: bool = True,
) -> PublishResult:
    """Write the day's report and chart, and (unless `feeds` is False) refresh the feeds."""
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
    result.report, result.chart, result.page, result.index = publish_report(
        store, config, day, out_dir=directory, digest=digest
    )
    if feeds:
        result.feeds = publish_feeds(store, config, directory, digests=[digest])
    return result


class ReportChannel(Channel):
    name = "report"
    order = 10
    run_flag_help = N_("do not write the report (Markdown and web page)")
    what = N_("writes the Markdown report and its web page")
    essential = True

    def render(self, digest: Digest, config: Config) -> str:
        return render_report(digest, config)

    async def deliver(
        self, services: Services, digest: Digest, options: DeliverOptions
    ) -> ChannelResult:
        paths = await asyncio.to_thread(
            publish_report,
            services.store,
            services.config,
            digest.day,
            out_dir=options.out_dir,
            digest=digest,
        )
        return ChannelResult(RunStatus.OK, "", {"files": len(paths)}, paths)


CHANNEL = ReportChannel()
