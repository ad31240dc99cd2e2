"""RSS and Atom feeds of the digest, so a feed reader can follow it.

Two kinds of feed, each as RSS 2.0 (`.rss`) and Atom (`.atom`) under `<out>/feeds/`:

- `daily`: one item per day carrying the whole digest as HTML (chart, category reports,
  every paper with its Korean summary or the reason it has none);
- `category/<slug>`: one feed per category, one item per paper.

The feeds are re-rendered from the store each time, over the last `output.feed_days`
days, so they accumulate across days without keeping state of their own. Every id is
derived from what it names (`urn:dailyai:digest:2026-05-08`, `urn:dailyai:paper:2605.05242`),
so re-rendering a day never makes a reader show it again as new.

Dates: a reader shows an item's date in its own time zone, so a day's items are stamped at
an instant that is that calendar day in UTC, New York, Seoul and the config's zone (12:00
UTC: 21:00 in Seoul, 08:00 or 07:00 in New York; earlier if the day's papers were listed
earlier, so no item is dated in the future), never at a midnight that is the day before
elsewhere. An item is updated when its newest summary or report was stored, kept
within that same day (a summary written again later shows in the content, not as another
day). Stamps follow the store, not the clock, so an unchanged store gives identical bytes.

Who and what: the feeds and the daily items are authored by the digest (`output.title`);
a paper's item names its authors (the first few, then "et al.") as Atom `<author>` and RSS
`<dc:creator>`, carries its arXiv categories (primary first) next to the digest's category,
and links to its PDF, code and project page as the TUI shows them.

Links point at `output.site_url` when it is set, else at `dailyai serve`'s address from
`[serve]` (which rewrites them for the port and host it is actually reached at).

Untrusted text: titles go in as text (lxml escapes them); HTML content is built from an
autoescaping template and then sanitized with nh3; control characters, which lxml refuses,
are stripped first (see facts.md §3 and §5). Each file is written atomically.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import nh3
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree
from markupsafe import Markup

from core import __version__
from core.channels.base import Channel, ChannelResult, DeliverOptions
from core.channels.chart import chart_file_name
from core.channels.layout import output_dir, report_url, site_url
from core.channels.render import (
    ABSTRACT_LABEL,
    FOR_YOU_WORDING,
    PaperView,
    SectionView,
    empty_reason,
    for_you_views,
    overview_line,
    safe_url,
    section_views,
    status_lines,
    template_environment,
)
from core.config import CategoryConfig, Config
from core.digest import Digest, DigestPaper, build_digest
from core.i18n import N_
from core.models import Paper, RunStatus
from core.paths import write_atomic
from core.sanitize import one_line
from core.store import Store

if TYPE_CHECKING:
    from core.services import Services

FEEDS_DIR = "feeds"
MAIN_FEED = "daily"
ID_PREFIX = "urn:dailyai"
FEED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "small", "ul", "ol", "li", "h2", "h3", "h4", "h5",
    "h6", "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
    "del", "a", "img",
}  # fmt: skip
FEED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}}
# The zones a day's items must read as that day in, besides the config's own: our readers'
# (Seoul) and the two the papers' world runs on (UTC, and New York where arXiv announces).
READER_ZONES = ("UTC", "America/New_York", "Asia/Seoul")
MAX_PAPER_AUTHORS = 10
MAX_ARXIV_CATEGORIES = 8
# An arXiv category (cs.LG, math-ph, stat.ML); anything else a source stored is left out.
ARXIV_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")
ARXIV_SCHEME = "https://arxiv.org/category_taxonomy"
DIGEST_SCHEME = "urn:dailyai:category"
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


def feed_files(
    out_dir: Path, config: Config, slug: str = MAIN_FEED, *, base: str | None = None
) -> FeedFiles:
    """The files and URLs of the main feed (`daily`) or of a category's feed.

    `base` gives the URLs for another address than `site_url(config)`.
    """
    relative = f"{FEEDS_DIR}/{slug}" if slug == MAIN_FEED else f"{FEEDS_DIR}/category/{slug}"
    base = (base or site_url(config)).rstrip("/")
    return FeedFiles(
        rss=out_dir / f"{relative}.rss",
        atom=out_dir / f"{relative}.atom",
        rss_url=f"{base}/{relative}.rss",
        atom_url=f"{base}/{relative}.atom",
    )


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


def day_window(day: date, config: Config) -> tuple[datetime, datetime]:
    """The instants [start, end) that are `day` in the config's zone and `READER_ZONES`.

    A zone whose day does not overlap the others' at all is left out (the config's zone
    never is), so the window is never empty.
    """

    def bounds(name: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(name)
        return (
            datetime.combine(day, time(), zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC),
        )

    start, end = bounds(config.general.timezone)
    for name in READER_ZONES:
        zone_start, zone_end = bounds(name)
        if max(start, zone_start) < min(end, zone_end):
            start, end = max(start, zone_start), min(end, zone_end)
    return start, end


def day_published(day: date, config: Config, first_listed: datetime | None = None) -> datetime:
    """When a day's items count as published, shown in the config's zone.

    12:00 UTC of the day, which is the same calendar day in the config's zone and
    `READER_ZONES`; or, when the day's papers were first listed (`first_listed`) before
    that, that moment, so a run early in the day never dates its items in the future (RSS
    readers may hide those until then). Always within `day_window`.
    """
    start, end = day_window(day, config)
    moment = datetime.combine(day, time(12), UTC)
    if first_listed is not None:
        moment = min(moment, first_listed)
    moment = min(max(moment, start), end - timedelta(seconds=1))
    return moment.astimezone(ZoneInfo(config.general.timezone))


def day_changed(
    day: date, config: Config, moments: Iterable[datetime | None], published: datetime
) -> datetime:
    """When an item of the day last changed: the newest of `moments`, kept within the
    day's window (never before `published`, never on a later day)."""
    newest = max((moment for moment in moments if moment), default=published)
    _, end = day_window(day, config)
    moment = min(max(newest, published), end - timedelta(seconds=1))
    return moment.astimezone(published.tzinfo)


def first_listed(store: Store, day: date) -> datetime | None:
    """When a paper was first listed for `day` (None for a day without papers)."""
    stamp = store.first_listed_at(day)
    return _stored_at(stamp) if stamp else None


def _stored_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day_updated(digest: Digest, config: Config, published: datetime) -> datetime:
    """When the day's digest last changed: its newest summary or report (see `day_changed`)."""
    moments = [_stored_at(item.summary.created_at) for item in digest.selected]
    moments += [_stored_at(section.report.created_at) for section in digest.sections]
    return day_changed(digest.day, config, moments, published)


# --- what a paper's item carries --------------------------------------------------------------


def paper_creators(paper: Paper) -> list[str]:
    """The paper's authors as the feeds name them: the first few, then "et al."."""
    names = [xml_text(one_line(author, limit=120)) for author in paper.authors]
    names = [name for name in names if name]
    if len(names) > MAX_PAPER_AUTHORS:
        return [*names[:MAX_PAPER_AUTHORS], "et al."]
    return names


def arxiv_categories(paper: Paper) -> list[str]:
    """The paper's arXiv categories, primary first; anything not shaped like one is left out."""
    found: list[str] = []
    for value in (paper.primary_category, *paper.categories):
        term = (value or "").strip()
        if ARXIV_CATEGORY.match(term) and term not in found:
            found.append(term)
    return found[:MAX_ARXIV_CATEGORIES]


def paper_links(paper: Paper) -> list[tuple[str, str]]:
    """The paper's links (arXiv, PDF, code, project…) that are safe to link: http(s) only."""
    links: list[tuple[str, str]] = []
    for label, url in paper.labelled_links():
        safe = safe_url(url)
        if safe and safe not in (known for _, known in links):
            links.append((xml_text(one_line(label, limit=40)), safe))
    return links


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

    `views` and `papers_html` (each paper's HTML by id, from `paper_html`) may hand in
    what `FeedDay.of` already built.
    """
    if views is None or papers_html is None:
        built = FeedDay.of(digest)
        views, papers_html = built.views, built.papers_html
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
            sections=views,
            papers_html={key: Markup(value) for key, value in papers_html.items()},
            status_lines=status_lines(digest, config),
            abstract_label=ABSTRACT_LABEL,
            for_you=for_you_views(digest, config),
            **FOR_YOU_WORDING,
        )
    )
    return sanitize_feed_html(rendered)


def paper_html(view: PaperView, paper: Paper | None = None) -> str:
    """One paper as sanitized HTML (a category feed's item content), with the arXiv
    categories and links of `paper` when given."""
    rendered = (
        template_environment()
        .get_template("feed_paper.html")
        .render(
            paper=view,
            abstract_label=ABSTRACT_LABEL,
            **FOR_YOU_WORDING,
            categories=arxiv_categories(paper) if paper else [],
            # The title already links to the paper's page; these are the others.
            links=[link for link in paper_links(paper) if link[1] != view.url] if paper else [],
        )
    )
    return sanitize_feed_html(rendered)


# --- the feeds ------------------------------------------------------------------------------


def digest_author(config: Config) -> dict[str, str]:
    """The author of the feeds and of the daily items: the digest itself."""
    name = xml_text(one_line(config.output.title, limit=80)) or "Daily AI Insights"
    return {"name": name, "uri": site_url(config) + "/"}


class RelatedLinks(BaseEntryExtension):
    """An Atom entry's `<link rel="related" title=… href=…>` elements (the PDF, the code…).

    Written by hand: feedgen 1.0.0 drops every attribute but `href` from an entry's links
    (lkiesow/python-feedgen#135), which would make them all alternates.
    """

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for title, href in self.links:
            etree.SubElement(entry, "link", href=href, rel="related", title=title)
        return entry


def _new_feed(
    config: Config, files: FeedFiles, *, feed_id: str, title: str, description: str
) -> FeedGenerator:
    feed = FeedGenerator()
    # dc:creator on RSS items (RSS <author> must be an email address); Atom has <author>.
    feed.load_extension("dc", atom=False, rss=True)
    feed.register_extension("related", BaseExtension, RelatedLinks, atom=True, rss=False)
    feed.id(feed_id)
    feed.title(xml_text(title))
    feed.description(xml_text(description))
    feed.author(digest_author(config))  # RFC 4287 §4.1.1: a feed (or each entry) has one
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
    first_listed: datetime | None = None
    """When the day's first paper was listed (see `day_published`)."""

    @classmethod
    def of(cls, digest: Digest, first_listed: datetime | None = None) -> FeedDay:
        views = section_views(digest)
        # section_views lists the sections in the same order, unclassified last.
        items: list[DigestPaper] = [item for s in digest.sections for item in s.papers]
        items += digest.unclassified
        papers = {item.paper.id: item.paper for item in items}
        rendered = {
            view_paper.id: paper_html(view_paper, papers.get(view_paper.id))
            for view in views
            for view_paper in view.papers
        }
        return cls(digest, views, rendered, first_listed)

    def published(self, config: Config) -> datetime:
        """When the day's items count as published (see `day_published`)."""
        return day_published(self.digest.day, config, self.first_listed)


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
        entry.link(href=report_url(config, digest.day), rel="alternate")
        summary = overview_line(digest) if count else empty_reason(digest)
        entry.description(xml_text(summary))
        entry.content(day_html(digest, config, feed_day.views, feed_day.papers_html), type="html")
        author = digest_author(config)
        entry.author(author)
        entry.dc.dc_creator(author["name"])
        published = feed_day.published(config)
        updated = day_updated(digest, config, published)
        entry.published(published)
        entry.updated(updated)
        for view in feed_day.views:
            entry.category(term=xml_text(view.name), scheme=DIGEST_SCHEME)
        newest = max(newest, updated) if newest else updated
    _date_feed(feed, newest, days, config)
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
        published = feed_day.published(config)
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
                entry.link(href=report_url(config, digest.day), rel="alternate")
            for label, url in paper_links(item.paper):
                if url != paper.url:  # the PDF, the code, the project page…
                    entry.related.links.append((label, url))
            entry.description(xml_text(paper.summary or paper.note))
            entry.content(feed_day.papers_html[paper.id], type="html")
            entry.category(term=xml_text(name), scheme=DIGEST_SCHEME)
            for term in arxiv_categories(item.paper):
                entry.category(term=term, scheme=ARXIV_SCHEME)
            creators = paper_creators(item.paper)
            for creator in creators:
                entry.author(name=creator)
            if creators:  # one line for RSS readers, which show a single creator
                entry.dc.dc_creator(", ".join(creators).replace(", et al.", " et al."))
            updated = day_changed(
                digest.day, config, [_stored_at(item.summary.created_at)], published
            )
            entry.published(published)
            entry.updated(updated)
            newest = max(newest, updated) if newest else updated
    _date_feed(feed, newest, days, config)
    return feed


def _date_feed(
    feed: FeedGenerator, newest: datetime | None, days: list[FeedDay], config: Config
) -> None:
    # The feed's own date follows its content, not the clock, so unchanged input gives
    # byte-identical files (and the same ETag for readers polling `dailyai serve`). A feed
    # with no items yet is dated on the newest day of the window, like the others.
    if newest is None:
        newest = days[0].published(config) if days else day_published(date(2000, 1, 1), config)
    moment = newest
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
        FeedDay.of(given.get(day) or build_digest(store, config, day), first_listed(store, day))
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


def main_feed_urls(config: Config, base: str | None = None) -> tuple[str, str]:
    """The daily feed's RSS and Atom URLs, to subscribe a reader to (at `base` if given)."""
    files = feed_files(Path("."), config, base=base)
    return files.rss_url, files.atom_url


def publish_feeds(
    store: Store,
    config: Config,
    out_dir: Path | str | None = None,
    *,
    digests: list[Digest] | None = None,
) -> list[Path]:
    """Re-render the feeds over the last `output.feed_days` days from the store."""
    return write_feeds(store, config, output_dir(config, out_dir), digests=digests)


class FeedsChannel(Channel):
    name = "feeds"
    order = 20
    run_flag = "rss"
    run_flag_help = N_("do not write the feeds")
    what = N_("writes the RSS and Atom feeds")
    essential = True

    def render(self, digest: Digest, config: Config) -> str:
        return day_html(digest, config)

    async def deliver(
        self, services: Services, digest: Digest, options: DeliverOptions
    ) -> ChannelResult:
        paths = await asyncio.to_thread(
            publish_feeds, services.store, services.config, options.out_dir, digests=[digest]
        )
        return ChannelResult(RunStatus.OK, "", {"files": len(paths)}, paths)


CHANNEL = FeedsChannel()
