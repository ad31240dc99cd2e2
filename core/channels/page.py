"""The report as web pages: one page per day beside the Markdown, and an index of the days.

`reports/YYYY-MM-DD/Papers_YYYY-MM-DD_report.html` holds what the Markdown report holds
(the "내 관심 논문" section, the chart, each category's report and papers, the day's
status) for a browser: one fluid column that fits a phone, light and dark. It is where the
feed items' and the email's "full report" links lead (`core.channels.layout.report_url`),
and `dailyai serve` opens on `index.html`, which lists every day that has a page, newest
first. The report channel writes both with the Markdown (`core.channels.report`).

Untrusted text is escaped as in the email: the templates autoescape, and the model's
Markdown enters only through `model_html` (no raw HTML, no links, sanitized with nh3). The
index reads each day's one-line overview back from its page's `<meta name="description">`,
unescaped and escaped again, so listing the days needs no store.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.channels.chart import chart_file_name
from core.channels.layout import INDEX_FILE, page_path, report_file_name
from core.channels.render import (
    ABSTRACT_LABEL,
    FOR_YOU_WORDING,
    empty_reason,
    for_you_views,
    overview_line,
    section_views,
    status_lines,
    template_environment,
)
from core.config import Config
from core.digest import Digest
from core.paths import write_atomic
from core.sanitize import one_line

WEEKDAYS = "월화수목금토일"
_DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)">')
_DAY_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def anchor(key: str) -> str:
    """An element id for a paper or section: letters, digits, `.`, `_` and `-` only."""
    return "p-" + re.sub(r"[^A-Za-z0-9._-]", "-", key)[:120]


def _title(config: Config) -> str:
    return one_line(config.output.title, limit=60) or "Daily AI Insights"


def render_page(
    digest: Digest,
    config: Config,
    *,
    chart_src: str | None = None,
    markdown_href: str | None = None,
    index_href: str = f"../../{INDEX_FILE}",
) -> str:
    """The day's report page. `chart_src` is the chart's URL (relative: its file name, as
    written beside the page; None: the chart's file name unless the day is empty)."""
    if chart_src is None and not digest.is_empty:
        chart_src = chart_file_name(digest.day)
    environment = template_environment()
    return environment.get_template("report_page.html").render(
        title=_title(config),
        day=digest.day.isoformat(),
        overview=overview_line(digest),
        empty=digest.is_empty,
        empty_reason=empty_reason(digest),
        for_you=for_you_views(digest, config),
        **FOR_YOU_WORDING,
        chart_src=chart_src if not digest.is_empty else None,
        sections=section_views(digest),
        status_lines=status_lines(digest, config),
        abstract_label=ABSTRACT_LABEL,
        model=one_line(config.ollama.model, limit=80),
        anchor=anchor,
        markdown_href=markdown_href if markdown_href is not None else report_file_name(digest.day),
        index_href=index_href,
    )


@dataclass
class IndexDay:
    """One day in the index: its link, its label and its one-line overview."""

    href: str
    label: str
    overview: str


def day_label(day: date) -> str:
    """`2026-05-08 (금)`."""
    return f"{day.isoformat()} ({WEEKDAYS[day.weekday()]})"


def index_days(out_dir: Path) -> list[IndexDay]:
    """Every day with a report page under `out_dir`, newest first."""
    reports = out_dir / "reports"
    if not reports.is_dir():
        return []
    days = []
    for folder in sorted(reports.iterdir(), reverse=True):
        if not _DAY_DIR.match(folder.name):
            continue
        try:
            day = date.fromisoformat(folder.name)
        except ValueError:
            continue
        page = page_path(out_dir, day)
        if not page.is_file():
            continue
        head = page.read_text(encoding="utf-8", errors="replace")[:4000]
        found = _DESCRIPTION.search(head)
        overview = one_line(html.unescape(found.group(1)), limit=300) if found else ""
        href = page.relative_to(out_dir).as_posix()
        days.append(IndexDay(href, day_label(day), overview))
    return days


def render_index(out_dir: Path, config: Config) -> str:
    """The index page of the days published under `out_dir`."""
    return (
        template_environment()
        .get_template("index_page.html")
        .render(title=_title(config), days=index_days(out_dir))
    )


def publish_page(digest: Digest, config: Config, out_dir: Path) -> list[Path]:
    """Write the day's report page, then the index that lists it; returns [page, index]."""
    page = write_atomic(page_path(out_dir, digest.day), render_page(digest, config))
    index = write_atomic(out_dir / INDEX_FILE, render_index(out_dir, config))
    return [page, index]
