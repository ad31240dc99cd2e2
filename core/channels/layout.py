"""Where the channels publish: the output dir's layout and the URLs it is served at.

Layout of the output dir (what `dailyai serve` serves):

    index.html                                       the days, newest first
    reports/YYYY-MM-DD/Papers_YYYY-MM-DD_report.md   the seed's report, plus summaries
    reports/YYYY-MM-DD/Papers_YYYY-MM-DD_report.html the same as a web page (linked to)
    reports/YYYY-MM-DD/paper_YYYY-MM-DD.png          the category chart both show
    feeds/daily.rss, feeds/daily.atom                one item per day
    feeds/category/<slug>.rss, .atom                 one item per paper, per category

Links point at `output.site_url` when it is set, else at `dailyai serve`'s address from
`[serve]`. Messages read on other devices (the email, chat) link to the report only when
it is published somewhere other than this machine (`shared_report_url`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from core.channels.chart import chart_file_name
from core.config import Config
from core.sanitize import one_line
from core.serve import base_url

LEGACY_SITE_URL = "http://127.0.0.1:8484"
"""Written as the default by earlier releases: the same as leaving output.site_url unset."""
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def output_dir(config: Config, out_dir: Path | str | None = None) -> Path:
    """The output dir: the one given, else `output.dir` from the config, else the data dir's."""
    return Path(out_dir).expanduser() if out_dir else config.output_dir


def report_dir(out_dir: Path, day: date) -> Path:
    """`<out>/reports/YYYY-MM-DD`, where the report and its chart live side by side."""
    return out_dir / "reports" / day.isoformat()


def report_file_name(day: date) -> str:
    return f"Papers_{day.isoformat()}_report.md"


def page_file_name(day: date) -> str:
    """The report's web page beside the Markdown: what links to "the full report" open."""
    return f"Papers_{day.isoformat()}_report.html"


INDEX_FILE = "index.html"
"""The page at the output dir's root listing the days (what `dailyai serve` opens on)."""


def page_path(out_dir: Path, day: date) -> Path:
    """Where a day's report page goes: beside its Markdown and chart."""
    return report_dir(out_dir, day) / page_file_name(day)


def report_paths(out_dir: Path, day: date) -> tuple[Path, Path]:
    """Where a day's report and chart go: side by side under `reports/YYYY-MM-DD/`."""
    directory = report_dir(out_dir, day)
    return directory / report_file_name(day), directory / chart_file_name(day)


def configured_site_url(config: Config) -> str:
    """`output.site_url` when the user set one; "" when links follow `dailyai serve`."""
    value = one_line(config.output.site_url).rstrip("/")
    return "" if value == LEGACY_SITE_URL else value


def site_url(config: Config) -> str:
    """Where the output dir is served, without a trailing slash: `output.site_url`, else
    `dailyai serve`'s address from `[serve]`."""
    return configured_site_url(config) or base_url(config.serve.host, config.serve.port)


def report_url(config: Config, day: date) -> str:
    """The URL of a day's report page (HTML, with the chart) when the output dir is served."""
    relative = report_dir(Path("."), day) / page_file_name(day)
    return f"{site_url(config)}/{relative.as_posix()}"


def shared_report_url(config: Config, day: date) -> str:
    """The day's report URL for messages read elsewhere (email, chat): "" unless the output
    dir is published at an address other than this machine (useless to other readers)."""
    host = (urlsplit(config.output.site_url).hostname or "").lower()
    if not host or host in LOCAL_HOSTS or host.startswith("127."):
        return ""
    return report_url(config, day)
