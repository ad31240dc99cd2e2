"""arXiv's announcement feeds (rss.arxiv.org: RSS 2.0 and Atom; before 2024, RSS 1.0).

Each entry's description reads `arXiv:2411.17700v1 Announce Type: new \\nAbstract: …`; the
announce type (new, cross, replace, replace-cross) decides whether the entry enters a day's
digest. Titles are plain text that may hold TeX. A request for a bad category returns a
valid feed titled "Feed error for query", which is an error, not an empty day.

Until January 2024 arXiv served RSS 1.0 (RDF): the channel's `dc:date` is the evening of the
announcement (`2021-11-01T20:30:00-05:00`), each item's title carries its id, primary
category and kind (`Title. (arXiv:2111.01127v1 [cs.LG])`, `… [stat.ML] CROSS LISTED)`,
`… [cs.LG] UPDATED)`), and descriptions and `dc:creator` are HTML. Its papers are listed on
the day after that evening, as the RSS 2.0 feed of the same announcement would be dated.

arXiv's feeds are well-formed XML of a known shape, so they are read with the standard
library's strict parser (expat, which refuses entity-expansion bombs): that is ten times
faster than feedparser on a full announcement and keeps every `<` of a formula. A feed that
is not well-formed falls back to feedparser, which recovers what it can.

arXiv announces Sunday to Thursday at 20:00 US Eastern; its feeds are dated Monday to
Friday and empty on Saturdays, Sundays and after arXiv's holidays, which explain an empty day.
A source of this kind may give its `categories` instead of a URL.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.errors import SourceError
from core.ids import abs_url, find_arxiv_id, parse_arxiv_id, pdf_url
from core.models import Listed, Paper, SourceKind
from core.sanitize import clean_text, feed_text, one_line
from core.sources.base import SPECIFIC, Kind, Sniffed
from core.sources.common import (
    WEEKDAYS,
    ParsedSource,
    entry_datetime,
    iso,
    parse_datetime,
    parse_xml,
    skip_days,
)

ARXIV_RSS = SourceKind("arxiv-rss")

ARXIV_RSS_BASE = "https://rss.arxiv.org/rss/"
"""A source's feed URL when it gives categories instead: this, then `cs.CV+cs.LG`."""

PARSER_VERSION = 2
"""Bump when the same bytes would be read differently (2: RSS 1.0), so cached bodies are
parsed again instead of being skipped as unchanged."""

TEXT_RANK = 2
"""arXiv's own metadata: above Hugging Face's copy and other feeds, below the arXiv API's."""

_DESCRIPTION = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)
# RSS 1.0 titles: "Title. (arXiv:2111.01127v1 [cs.LG])", "… [stat.ML] CROSS LISTED)", "… UPDATED)".
_RSS1_TITLE = re.compile(
    r"^(?P<title>.*?)\.?\s*\(arXiv:(?P<id>[^\s\[\]()]+)\s*\[(?P<category>[^\]]*)\]"
    r"\s*(?P<marker>[A-Z][A-Z ]*?)?\s*\)\s*$",
    re.DOTALL,
)
_RSS1_MARKERS = {"": "new", "CROSS LISTED": "cross", "UPDATED": "replace"}
_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_RSS1 = "{http://purl.org/rss/1.0/}"
RSS2, ATOM, RSS1 = "arXiv RSS 2.0 feed", "arXiv Atom feed", "arXiv RSS 1.0 (RDF) feed"


@dataclass
class _Entry:
    """The fields of one feed entry, whichever parser read it."""

    guid: str = ""
    link: str = ""
    title: str = ""
    description: str = ""
    categories: list[str] = field(default_factory=list)
    published: str = ""
    announce_type: str = ""
    creators: list[str] = field(default_factory=list)
    doi: str = ""
    journal_ref: str = ""


@dataclass
class _Feed:
    """What a feed says about itself, and its entries."""

    format: str
    title: str = ""
    published: str = ""
    subtitle: str = ""
    entries: list[_Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse(body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers announced in an arXiv RSS/Atom feed, listed on the feed's announcement day."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        feed = _read_with_feedparser(body, label)
    else:
        feed = _read_strict(root)
    if feed.title.startswith("Feed error for query"):
        detail = one_line(feed.subtitle, limit=300)
        raise SourceError(
            f"{label}: arXiv refused the feed ({one_line(feed.title)}) {detail}".rstrip()
        )
    feed_moment = parse_datetime(feed.published)
    feed_day = feed_moment.date() if feed_moment else None
    if feed_moment and feed.format == RSS1 and feed_moment.hour >= 12:
        # RSS 1.0 is dated the evening arXiv announced; that announcement is the next day's.
        feed_day = feed_moment.date() + timedelta(days=1)
    result = ParsedSource(
        feed_day=feed_day,
        skip_days=skip_days(body),
        warnings=feed.warnings,
        entries=len(feed.entries),
        format=feed.format,
    )
    skipped = 0
    default_day = result.feed_day or day
    for entry in feed.entries:
        listed = _listed(entry, default_day)
        if listed is None:
            skipped += 1
        else:
            result.listed.append(listed)
    if skipped:
        result.warnings.append(f"skipped {skipped} entries without an arXiv id")
    return result


def _read_strict(root: ElementTree.Element) -> _Feed:
    """The fields of a well-formed RSS 2.0, Atom or RSS 1.0 feed."""
    if root.tag == f"{_ATOM}feed":
        entries = [
            _Entry(
                guid=_text(item, f"{_ATOM}id"),
                link=next(
                    (
                        link.get("href", "")
                        for link in item.iter(f"{_ATOM}link")
                        if link.get("rel", "alternate") == "alternate"
                    ),
                    "",
                ),
                title=_text(item, f"{_ATOM}title"),
                description=_text(item, f"{_ATOM}summary"),
                categories=[c.get("term", "") for c in item.iter(f"{_ATOM}category")],
                published=_text(item, f"{_ATOM}published") or _text(item, f"{_ATOM}updated"),
                announce_type=_text(item, f"{_ARXIV}announce_type"),
                creators=[c.text or "" for c in item.iter(f"{_DC}creator")]
                or [_text(a, f"{_ATOM}name") for a in item.iter(f"{_ATOM}author")],
                doi=_text(item, f"{_ARXIV}DOI") or _text(item, f"{_ARXIV}doi"),
                journal_ref=_text(item, f"{_ARXIV}journal_reference"),
            )
            for item in root.iter(f"{_ATOM}entry")
        ]
        return _Feed(
            ATOM,
            title=_text(root, f"{_ATOM}title"),
            published=_text(root, f"{_ATOM}updated"),
            subtitle=_text(root, f"{_ATOM}subtitle"),
            entries=entries,
        )
    if root.tag == f"{_RDF}RDF":
        return _read_rss1(root)
    channel = root.find("channel")
    if channel is None:
        return _Feed(RSS2)
    entries = [
        _Entry(
            guid=_text(item, "guid"),
            link=_text(item, "link"),
            title=_text(item, "title"),
            description=_text(item, "description"),
            categories=[c.text or "" for c in item.iter("category")],
            published=_text(item, "pubDate"),
            announce_type=_text(item, f"{_ARXIV}announce_type"),
            creators=[c.text or "" for c in item.iter(f"{_DC}creator")],
            doi=_text(item, f"{_ARXIV}DOI"),
            journal_ref=_text(item, f"{_ARXIV}journal_reference"),
        )
        for item in channel.iter("item")
    ]
    return _Feed(
        RSS2,
        title=_text(channel, "title"),
        published=_text(channel, "pubDate") or _text(channel, "lastBuildDate"),
        subtitle=_text(channel, "description"),
        entries=entries,
    )


def _read_rss1(root: ElementTree.Element) -> _Feed:
    """arXiv's RSS 1.0: items beside the channel, HTML descriptions and creators."""
    channel = root.find(f"{_RSS1}channel")
    entries = [
        _Entry(
            guid=item.get(f"{_RDF}about", ""),
            link=_text(item, f"{_RSS1}link"),
            title=_text(item, f"{_RSS1}title"),
            # Abstracts were hard-wrapped at 80 columns: one paragraph again.
            description=one_line(
                feed_text(_text(item, f"{_RSS1}description"), is_html=True), limit=20_000
            ),
            creators=[feed_text(c.text, is_html=True) for c in item.iter(f"{_DC}creator")],
        )
        for item in root.iter(f"{_RSS1}item")
    ]
    if channel is None:
        return _Feed(RSS1, entries=entries)
    return _Feed(
        RSS1,
        title=_text(channel, f"{_RSS1}title"),
        published=_text(channel, f"{_DC}date"),
        subtitle=_text(channel, f"{_RSS1}description"),
        entries=entries,
    )


def _text(element: ElementTree.Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "") if child is not None else ""


def _read_with_feedparser(body: bytes, label: str) -> _Feed:
    """The same fields from a feed that is not well-formed, as far as feedparser recovers it."""
    parsed = parse_xml(body, label)
    channel = parsed.feed
    version = parsed.get("version") or ""
    rss1 = version.startswith("rss1") or version == "rss090"

    # feedparser keeps RSS 1.0's HTML as it came (we turn off its sanitizer).
    def html(text: str) -> str:
        return one_line(feed_text(text, is_html=True), limit=20_000) if rss1 else text

    entries = []
    for item in parsed.entries:
        moment = entry_datetime(item, "published", "updated")
        entries.append(
            _Entry(
                guid=item.get("id") or "",
                link=item.get("link") or "",
                title=item.get("title") or "",
                description=html(item.get("summary") or ""),
                categories=[tag.get("term") or "" for tag in item.get("tags", [])],
                published=moment.isoformat() if moment else "",
                announce_type=item.get("arxiv_announce_type") or "",
                creators=[html(author.get("name") or "") for author in item.get("authors") or []],
                doi=item.get("arxiv_doi") or "",
                journal_ref=item.get("arxiv_journal_reference") or "",
            )
        )
    moment = entry_datetime(channel, "published", "updated")
    return _Feed(
        RSS1 if rss1 else ATOM if version.startswith("atom") else RSS2,
        title=channel.get("title", ""),
        published=moment.isoformat() if moment else "",
        subtitle=channel.get("subtitle") or channel.get("description") or "",
        entries=entries,
        warnings=[parsed["dailyai_warning"]] if parsed.get("dailyai_warning") else [],
    )


def _listed(entry: _Entry, default_day: date) -> Listed | None:
    title = one_line(entry.title)
    categories = list(entry.categories)
    announce_type = entry.announce_type
    version: int | None = None
    if old_style := _RSS1_TITLE.match(title):
        # RSS 1.0 puts the version, primary category and kind in the title.
        title = old_style.group("title").strip()
        categories = [old_style.group("category").strip(), *categories]
        marker = " ".join((old_style.group("marker") or "").split())
        announce_type = announce_type or _RSS1_MARKERS.get(marker, marker.lower())
        in_title = parse_arxiv_id(old_style.group("id"))
        version = in_title[1] if in_title else None
    found = find_arxiv_id(entry.guid, entry.link)
    if not found:
        return None
    arxiv_id, version = found[0], found[1] or version
    match = _DESCRIPTION.match(entry.description)
    if match:
        announce_type = announce_type or match.group("type")
        abstract = match.group("abstract")
    else:
        abstract = entry.description
    published = parse_datetime(entry.published)
    categories = [term for term in categories if _ARXIV_CATEGORY.match(term)]
    paper = Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        version=version,
        title=title or arxiv_id,
        abstract=clean_text(abstract),
        authors=_authors(entry.creators),
        categories=categories,
        primary_category=categories[0] if categories else None,
        links={"abs": abs_url(arxiv_id), "pdf": pdf_url(arxiv_id)},
        published=iso(published),
        doi=one_line(entry.doi) or None,
        journal_ref=one_line(entry.journal_ref) or None,
        text_rank=TEXT_RANK,
    )
    day = published.date() if published else default_day
    return Listed(paper=paper, day=day, announce_type=announce_type.strip().lower() or None)


def _authors(creators: list[Any]) -> list[str]:
    """Authors from dc:creator, which arXiv sends as one comma-separated string."""
    names: list[str] = []
    for creator in creators:
        text = one_line(str(creator))
        names.extend(part.strip() for part in re.split(r",\s*|\s+and\s+", text) if part.strip())
    return names


# Evenings on which arXiv does not announce (its "deferred mailings"), so the next day's
# feed is empty. From arXiv's availability page and status notices; extend as they publish.
ARXIV_HOLIDAYS: dict[date, str] = {
    date(2024, 1, 1): "New Year's Day",
    date(2024, 1, 15): "Martin Luther King Jr. Day",
    date(2024, 6, 19): "Juneteenth",
    date(2024, 7, 4): "Independence Day",
    date(2024, 9, 2): "Labor Day",
    date(2024, 11, 28): "Thanksgiving",
    date(2024, 12, 25): "Christmas",
    date(2025, 1, 1): "New Year's Day",
    date(2025, 1, 20): "Martin Luther King Jr. Day",
    date(2025, 6, 19): "Juneteenth",
    date(2025, 7, 4): "Independence Day",
    date(2025, 9, 1): "Labor Day",
    date(2025, 11, 27): "Thanksgiving",
    date(2025, 12, 25): "Christmas",
    date(2026, 1, 1): "New Year's Day",
    date(2026, 1, 19): "Martin Luther King Jr. Day",
    date(2026, 6, 19): "Juneteenth",
    date(2026, 7, 3): "Independence Day (observed)",
    date(2026, 9, 7): "Labor Day",
    date(2026, 11, 26): "Thanksgiving",
    date(2026, 12, 25): "Christmas",
}


def quiet_reason(day: date) -> str:
    """Why arXiv's feed for `day` is expected to be empty, or "" if it should have papers."""
    if day.weekday() >= 5:
        return f"arXiv announces nothing on {WEEKDAYS[day.weekday()]}s"
    # The feed dated `day` carries the announcement of the evening before (US Eastern).
    evening = day - timedelta(days=1)
    if evening in ARXIV_HOLIDAYS:
        return (
            f"arXiv holiday ({ARXIV_HOLIDAYS[evening]}, {evening.isoformat()}): "
            "no announcement that evening"
        )
    return ""


_ARXIV_FEED_MARKS = re.compile(rb"rss\.arxiv\.org|arxiv\.org/rss|updates on arxiv\.org")


class ArxivRss(Kind):
    """arXiv's announcement feeds: one announcement a weekday, by category."""

    @dataclass
    class Options:
        categories: list[str] = field(default_factory=list)
        """arXiv categories to follow (`cs.CV`); the feed URL is built from them."""

    name = ARXIV_RSS
    format_name = "arXiv feed"
    text_rank = TEXT_RANK
    parser_version = PARSER_VERSION
    url_hint = "an arxiv-rss source may give categories instead"

    def detect(self, sniffed: Sniffed) -> int:
        # Above the arXiv API's score: a feed that links its arXiv RSS home is this kind.
        return SPECIFIC + 1 if sniffed.is_xml and _ARXIV_FEED_MARKS.search(sniffed.head) else 0

    def parse(self, body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
        return parse(body, day=day, label=label, source=source)

    def url(self, url: str, options: Any) -> str:
        if url:
            return url
        categories = options.categories if options is not None else []
        return ARXIV_RSS_BASE + "+".join(categories) if categories else ""

    def empty_reason(
        self, day: date, skip_days: list[str] | None = None, today: date | None = None
    ) -> str:
        reason = quiet_reason(day)
        if reason:
            return reason
        if today is not None and day >= today:
            return (
                "arXiv's feed for this day is not out yet (it appears at midnight US Eastern, "
                "14:00 KST in winter)"
            )
        return "arXiv's feed was empty on a weekday with no known holiday — arXiv may be late"

    def day_warnings(self, parsed: ParsedSource, day: date) -> list[str]:
        if parsed.feed_day and parsed.feed_day != day:
            return [
                f"the feed is arXiv's announcement of {parsed.feed_day}, not {day}: "
                "arXiv RSS serves only its latest announcement"
            ]
        return []


KIND = ArxivRss()
