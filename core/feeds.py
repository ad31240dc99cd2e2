"""RSS and Atom feeds of the digest, so a feed reader can follow it.

Two kinds of feed, each as RSS 2.0 (`.rss`) and Atom (`.atom`) under `<out>/feeds/`:

- `daily`: one item per day carrying the whole digest as HTML (chart, category reports,
  every paper with its Korean summary or the reason it has none);
- `category/<slug>`: one feed per category, one item per paper.

The feeds are re-rendered from the store each time, over the last `output.feed_days`
days, so they accumulate across days without keeping state of their own. Every id is
derived from what it names (`urn:dailyai:digest:2026-05-08`, `urn:dailyai:paper:2605.05242`),
so re-rendering a day never makes a reader show it again as new. Dates are timezone-aware
(the config's time zone); a day's item is dated at its midnight and updated when its newest
summary or report was stored, so re-rendering an unchanged store gives identical bytes.

Untrusted text: titles go in as text (lxml escapes them); HTML content is built from an
autoescaping template and then sanitized with nh3; control characters, which lxml refuses,
are stripped first (see facts.md §3 and §5). Each file is written atomically.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import nh3
from feedgen.feed import FeedGenerator
from markupsafe import Markup

from core import __version__
from core.chart import chart_file_name
from core.config import CategoryConfig, Config
from core.digest import Digest, build_digest
from core.paths import write_atomic
from core.report import (
    ABSTRACT_LABEL,
    PaperView,
    SectionView,
    empty_reason,
    overview_line,
    report_dir,
    report_file_name,
    section_views,
    status_lines,
    template_environment,
)
from core.sanitize import one_line
from core.store import Store

FEEDS_DIR = "feeds"
MAIN_FEED = "daily"
ID_PREFIX = "urn:dailyai"
FEED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "small", "ul", "ol", "li", "h2", "h3", "h4", "h5",
    "h6", "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
    "del", "a", "img",
}  # fmt: skip
FEED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}}
# Characters XML 1.0 forbids (lxml raises on them; a lone surrogate cannot be encoded) or
# that steer how text displays.
_XML_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)


@dataclass(frozen=True)
class FeedFiles:
    """Where one feed is written, in both formats, and the URLs it is served at."""

    rss: Path
    atom: Path
    rss_url: str
    atom_url: str


def feed_files(out_dir: Path, config: Config, slug: str = MAIN_FEED) -> FeedFiles:
    """The files and URLs of the main feed (`daily`) or of a category's feed."""
    relative = f"{FEEDS_DIR}/{slug}" if slug == MAIN_FEED else f"{FEEDS_DIR}/category/{slug}"
    base = site_url(config)
    return FeedFiles(
        rss=out_dir / f"{relative}.rss",
        atom=out_dir / f"{relative}.atom",
        rss_url=f"{base}/{relative}.rss",
        atom_url=f"{base}/{relative}.atom",
    )


def site_url(config: Config) -> str:
    """Where the output dir is served (`dailyai serve`), without a trailing slash."""
    return (config.output.site_url or "http://127.0.0.1:8484").rstrip("/")


def category_slug(name: str) -> str:
    """A category's file name: ASCII words joined by hyphens (`Audio & Speech` → audio-speech).

    A name with no ASCII letters (a Korean name) gets a stable hash instead.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or f"category-{zlib.crc32(name.encode('utf-8')):08x}"


def xml_text(text: str | None) -> str:
    """Text lxml accepts: no control characters, no bidi overrides."""
    return _XML_UNSAFE.sub("", text or "")


# --- the days in the window -----------------------------------------------------------------


def feed_window(store: Store, config: Config) -> list[date]:
    """The days the feeds carry, newest first: the last `feed_days` days with papers or runs.

    Counted back from the newest such day (not from today), so a pause does not empty the
    feeds; a day whose fetch found nothing is kept so the reader learns why it is empty.
    """
    days = {date.fromisoformat(day) for day, _ in store.days()}
    days |= {date.fromisoformat(run.day) for run in store.runs(limit=4 * config.output.feed_days)}
    if not days:
        return []
    newest = max(days)
    oldest = newest - timedelta(days=max(config.output.feed_days, 1) - 1)
    return sorted((day for day in days if day >= oldest), reverse=True)


def day_published(day: date, config: Config) -> datetime:
    """When a day's digest counts as published: its midnight in the config's time zone."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(config.general.timezone))


def _stored_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day_updated(digest: Digest, config: Config) -> datetime:
    """When the day's digest last changed: its newest summary or report, else its midnight."""
    published = day_published(digest.day, config)
    moments = [_stored_at(item.summary.created_at) for item in digest.selected]
    moments += [_stored_at(section.report.created_at) for section in digest.sections]
    newest = max((moment for moment in moments if moment), default=None)
    if newest is None or newest < published:
        return published
    return newest.astimezone(published.tzinfo)


# --- HTML content ------------------------------------------------------------------------------


def sanitize_feed_html(fragment: str) -> str:
    """HTML a feed reader may render: our template's tags only, http(s) links, no scripts.

    Control characters are removed before nh3 (which cannot take a lone surrogate) and again
    after it (it decodes `&#27;` into a real ESC).
    """
    return xml_text(
        nh3.clean(
            xml_text(fragment),
            tags=FEED_TAGS,
            attributes=FEED_ATTRIBUTES,
            url_schemes={"http", "https"},
        )
    ).strip()


def day_html(
    digest: Digest,
    config: Config,
    views: list[SectionView] | None = None,
    papers_html: dict[str, str] | None = None,
) -> str:
    """The whole digest of a day as sanitized HTML (the main feed's item content).

    `papers_html` may hand in each paper's HTML (by id) already rendered by `paper_html`.
    """
    day = digest.day
    chart_url = ""
    if not digest.is_empty:
        chart_url = f"{site_url(config)}/reports/{day.isoformat()}/{chart_file_name(day)}"
    rendered = (
        template_environment()
        .get_template("feed_day.html")
        .render(
            chart_url=chart_url,
            overview=overview_line(digest),
            empty=digest.is_empty,
            empty_reason=empty_reason(digest),
            sections=views if views is not None else section_views(digest),
            papers_html={key: Markup(value) for key, value in (papers_html or {}).items()},
            status_lines=status_lines(digest, config),
            abstract_label=ABSTRACT_LABEL,
        )
    )
    return sanitize_feed_html(rendered)


def paper_html(view: PaperView) -> str:
    """One paper as sanitized HTML (a category feed's item content)."""
    rendered = (
        template_environment()
        .get_template("feed_paper.html")
        .render(paper=view, abstract_label=ABSTRACT_LABEL)
    )
    return sanitize_feed_html(rendered)


# --- the feeds ------------------------------------------------------------------------------


def _new_feed(
    config: Config, files: FeedFiles, *, feed_id: str, title: str, description: str
) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(xml_text(title))
    feed.description(xml_text(description))
    # feedgen takes RSS <link> from the *last* link added: self first, the site last.
    feed.link(href=files.atom_url, rel="self", type="application/atom+xml")
    feed.link(href=site_url(config) + "/", rel="alternate")
    feed.language("ko")
    feed.generator("dailyai", version=__version__)
    return feed


@dataclass
class FeedDay:
    """A day in the feeds: its digest and the views every feed shows of it (built once)."""

    digest: Digest
    views: list[SectionView]
    papers_html: dict[str, str]
    """Each paper's sanitized HTML by id, shared by the daily item and the category items."""

    @classmethod
    def of(cls, digest: Digest) -> FeedDay:
        views = section_views(digest)
        rendered = {paper.id: paper_html(paper) for view in views for paper in view.papers}
        return cls(digest, views, rendered)


def build_main_feed(days: list[FeedDay], config: Config, files: FeedFiles) -> FeedGenerator:
    """The daily feed: one item per day (newest first) with the whole digest."""
    feed = _new_feed(
        config,
        files,
        feed_id=f"{ID_PREFIX}:feed:{MAIN_FEED}",
        title=f"{config.output.title} — 오늘의 AI 논문",
        description="매일 고른 AI 논문을 분야별로 나누고 한국어로 요약한 다이제스트",
    )
    newest = None
    for feed_day in days:  # newest first, so items are appended in that order
        digest = feed_day.digest
        entry = feed.add_entry(order="append")
        day = digest.day.isoformat()
        entry.id(f"{ID_PREFIX}:digest:{day}")
        count = len(digest.selected)
        entry.title(f"{day} · {count}편" if count else f"{day} · 발행할 논문 없음")
        entry.link(
            href=f"{site_url(config)}/reports/{day}/{report_file_name(digest.day)}",
            rel="alternate",
        )
        summary = overview_line(digest) if count else empty_reason(digest)
        entry.description(xml_text(summary))
        entry.content(day_html(digest, config, feed_day.views, feed_day.papers_html), type="html")
        published = day_published(digest.day, config)
        updated = day_updated(digest, config)
        entry.published(published)
        entry.updated(updated)
        for view in feed_day.views:
            entry.category(term=xml_text(view.name))
        newest = max(newest, updated) if newest else updated
    _date_feed(feed, newest, config)
    return feed


def build_category_feed(
    category: CategoryConfig, days: list[FeedDay], config: Config, files: FeedFiles
) -> FeedGenerator:
    """A category's feed: one item per paper of the window's digests, newest day first."""
    name = one_line(category.name, limit=80)
    feed = _new_feed(
        config,
        files,
        feed_id=f"{ID_PREFIX}:feed:category:{category_slug(category.name)}",
        title=f"{config.output.title} — {one_line(category.emoji, limit=8)} {name}".strip(),
        description=f"{name}: {one_line(category.description, limit=300)}",
    )
    seen: set[str] = set()
    newest = None
    for feed_day in days:
        digest = feed_day.digest
        position = next(
            (i for i, s in enumerate(digest.sections) if s.category.name == category.name), None
        )
        if position is None:
            continue
        # section_views lists the sections in the same order, unclassified last.
        section, view = digest.sections[position], feed_day.views[position]
        published = day_published(digest.day, config)
        for item, paper in zip(section.papers, view.papers, strict=True):
            if paper.id in seen:  # listed again on a later day: the newest day wins
                continue
            seen.add(paper.id)
            entry = feed.add_entry(order="append")
            entry.id(f"{ID_PREFIX}:paper:{xml_text(paper.id)}")
            entry.title(xml_text(paper.title))
            if paper.url:
                entry.link(href=paper.url, rel="alternate")
            else:
                entry.link(
                    href=f"{site_url(config)}/reports/{digest.day.isoformat()}/"
                    f"{report_file_name(digest.day)}",
                    rel="alternate",
                )
            entry.description(xml_text(paper.summary or paper.note))
            entry.content(feed_day.papers_html[paper.id], type="html")
            entry.category(term=xml_text(name))
            for author in item.paper.authors[:20]:
                cleaned = xml_text(one_line(author, limit=120))
                if cleaned:
                    entry.author(name=cleaned)
            updated = max(published, _stored_at(item.summary.created_at) or published)
            entry.published(published)
            entry.updated(updated)
            newest = max(newest, updated) if newest else updated
    _date_feed(feed, newest, config)
    return feed


def _date_feed(feed: FeedGenerator, newest: datetime | None, config: Config) -> None:
    # The feed's own date follows its content, not the clock, so unchanged input gives
    # byte-identical files (and the same ETag for readers polling `dailyai serve`).
    moment = newest or datetime(2000, 1, 1, tzinfo=ZoneInfo(config.general.timezone))
    feed.updated(moment)
    feed.lastBuildDate(moment)


def write_feeds(
    store: Store,
    config: Config,
    out_dir: Path,
    *,
    digests: Iterable[Digest] | None = None,
) -> list[Path]:
    """Write the daily feed and every category's feed (RSS and Atom); returns the paths.

    `digests` may hand in digests already built (newest first) to save rebuilding them.
    """
    out_dir = Path(out_dir)
    given = {digest.day: digest for digest in digests or ()}
    days = [
        FeedDay.of(given.get(day) or build_digest(store, config, day))
        for day in feed_window(store, config)
    ]
    written: list[Path] = []
    main = feed_files(out_dir, config)
    written += _write(build_main_feed(days, config, main), main)
    wanted = set()
    for category in config.taxonomy.categories:
        slug = category_slug(category.name)
        wanted.add(slug)
        files = feed_files(out_dir, config, slug)
        written += _write(build_category_feed(category, days, config, files), files)
    _remove_stale_category_feeds(out_dir / FEEDS_DIR / "category", wanted)
    return written


def _write(feed: FeedGenerator, files: FeedFiles) -> list[Path]:
    atom = feed.atom_str(pretty=True)
    # The RSS copy names its own URL as self.
    feed.link(href=files.rss_url, rel="self", type="application/rss+xml", replace=True)
    feed.link(href=files.rss_url.rsplit("/feeds/", 1)[0] + "/", rel="alternate")
    rss = feed.rss_str(pretty=True)
    return [write_atomic(files.rss, rss), write_atomic(files.atom, atom)]


def _remove_stale_category_feeds(directory: Path, wanted: set[str]) -> None:
    """A category removed from the taxonomy stops having a feed."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        if path.suffix in (".rss", ".atom") and path.stem not in wanted:
            path.unlink(missing_ok=True)


def main_feed_urls(config: Config) -> tuple[str, str]:
    """The daily feed's RSS and Atom URLs, to subscribe a reader to."""
    files = feed_files(Path("."), config)
    return files.rss_url, files.atom_url


def report_url(config: Config, day: date) -> str:
    """The URL of a day's Markdown report when the output dir is served."""
    relative = report_dir(Path("."), day) / report_file_name(day)
    return f"{site_url(config)}/{relative.as_posix()}"
