"""arXiv's announcement feeds (rss.arxiv.org, RSS 2.0 and Atom).

Each entry's description reads `arXiv:2411.17700v1 Announce Type: new \\nAbstract: …`; the
announce type (new, cross, replace, replace-cross) decides whether the entry enters a day's
digest. Titles are plain text that may hold TeX. A request for a bad category returns a
valid feed titled "Feed error for query", which is an error, not an empty day.

arXiv's feeds are well-formed XML of a known shape, so they are read with the standard
library's strict parser (expat, which refuses entity-expansion bombs): that is ten times
faster than feedparser on a full announcement and keeps every `<` of a formula. A feed that
is not well-formed falls back to feedparser, which recovers what it can.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.errors import SourceError
from core.ids import abs_url, find_arxiv_id, pdf_url
from core.models import TEXT_RANK, Listed, Paper, SourceKind
from core.sanitize import clean_text, one_line
from core.sources.common import (
    ParsedSource,
    entry_datetime,
    iso,
    parse_datetime,
    parse_xml,
    skip_days,
)

_DESCRIPTION = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)
_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"


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


def parse(body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers announced in an arXiv RSS/Atom feed, listed on the feed's announcement day."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        title, feed_published, entries, warnings, subtitle = _read_with_feedparser(body, label)
    else:
        title, feed_published, entries, subtitle = _read_strict(root)
        warnings = []
    if title.startswith("Feed error for query"):
        detail = one_line(subtitle, limit=300)
        raise SourceError(f"{label}: arXiv refused the feed ({one_line(title)}) {detail}".rstrip())
    feed_moment = parse_datetime(feed_published)
    result = ParsedSource(
        feed_day=feed_moment.date() if feed_moment else None,
        skip_days=skip_days(body),
        warnings=warnings,
    )
    skipped = 0
    default_day = result.feed_day or day
    for entry in entries:
        listed = _listed(entry, default_day)
        if listed is None:
            skipped += 1
        else:
            result.listed.append(listed)
    if skipped:
        result.warnings.append(f"skipped {skipped} entries without an arXiv id")
    return result


def _read_strict(root: ElementTree.Element) -> tuple[str, str, list[_Entry], str]:
    """Title, publication date, entries and subtitle of a well-formed RSS or Atom feed."""
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
        published = _text(root, f"{_ATOM}updated")
        return _text(root, f"{_ATOM}title"), published, entries, _text(root, f"{_ATOM}subtitle")
    channel = root.find("channel")
    if channel is None:
        return "", "", [], ""
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
    published = _text(channel, "pubDate") or _text(channel, "lastBuildDate")
    return _text(channel, "title"), published, entries, _text(channel, "description")


def _text(element: ElementTree.Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "") if child is not None else ""


def _read_with_feedparser(body: bytes, label: str) -> tuple[str, str, list[_Entry], list[str], str]:
    """The same fields from a feed that is not well-formed, as far as feedparser recovers it."""
    parsed = parse_xml(body, label)
    channel = parsed.feed
    warnings = [parsed["dailyai_warning"]] if parsed.get("dailyai_warning") else []
    entries = []
    for item in parsed.entries:
        moment = entry_datetime(item, "published", "updated")
        entries.append(
            _Entry(
                guid=item.get("id") or "",
                link=item.get("link") or "",
                title=item.get("title") or "",
                description=item.get("summary") or "",
                categories=[tag.get("term") or "" for tag in item.get("tags", [])],
                published=moment.isoformat() if moment else "",
                announce_type=item.get("arxiv_announce_type") or "",
                creators=[author.get("name") or "" for author in item.get("authors") or []],
                doi=item.get("arxiv_doi") or "",
                journal_ref=item.get("arxiv_journal_reference") or "",
            )
        )
    moment = entry_datetime(channel, "published", "updated")
    subtitle = channel.get("subtitle") or channel.get("description") or ""
    return (
        channel.get("title", ""),
        moment.isoformat() if moment else "",
        entries,
        warnings,
        subtitle,
    )


def _listed(entry: _Entry, default_day: date) -> Listed | None:
    found = find_arxiv_id(entry.guid, entry.link)
    if not found:
        return None
    arxiv_id, version = found
    announce_type = entry.announce_type
    match = _DESCRIPTION.match(entry.description)
    if match:
        announce_type = announce_type or match.group("type")
        abstract = match.group("abstract")
    else:
        abstract = entry.description
    published = parse_datetime(entry.published)
    categories = [term for term in entry.categories if _ARXIV_CATEGORY.match(term)]
    paper = Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        version=version,
        title=one_line(entry.title) or arxiv_id,
        abstract=clean_text(abstract),
        authors=_authors(entry.creators),
        categories=categories,
        primary_category=categories[0] if categories else None,
        links={"abs": abs_url(arxiv_id), "pdf": pdf_url(arxiv_id)},
        published=iso(published),
        doi=one_line(entry.doi) or None,
        journal_ref=one_line(entry.journal_ref) or None,
        text_rank=TEXT_RANK[SourceKind.ARXIV_RSS],
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
