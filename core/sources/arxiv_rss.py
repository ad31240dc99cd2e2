"""arXiv's announcement feeds (rss.arxiv.org, RSS 2.0 and Atom).

Each entry's description reads `arXiv:2411.17700v1 Announce Type: new \\nAbstract: …`; the
announce type (new, cross, replace, replace-cross) decides whether the entry enters a day's
digest. Titles are plain text that may hold TeX. A request for a bad category returns a
valid feed titled "Feed error for query", which is an error, not an empty day.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from core.errors import SourceError
from core.ids import abs_url, find_arxiv_id, pdf_url
from core.models import TEXT_RANK, Listed, Paper, SourceKind
from core.sanitize import clean_text, one_line
from core.sources.common import ParsedSource, entry_datetime, iso, parse_xml, skip_days

_DESCRIPTION = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)
_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")


def parse(body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers announced in an arXiv RSS/Atom feed, listed on the feed's announcement day."""
    parsed = parse_xml(body, label)
    channel = parsed.feed
    title = channel.get("title", "")
    if title.startswith("Feed error for query"):
        detail = one_line(channel.get("subtitle") or channel.get("description") or "", limit=300)
        raise SourceError(f"{label}: arXiv refused the feed ({one_line(title)}) {detail}".rstrip())
    feed_moment = entry_datetime(channel, "published", "updated")
    result = ParsedSource(
        feed_day=feed_moment.date() if feed_moment else None,
        skip_days=skip_days(body),
    )
    if parsed.get("dailyai_warning"):
        result.warnings.append(parsed["dailyai_warning"])
    skipped = 0
    for entry in parsed.entries:
        paper, announce_type, listed_day = _paper(entry, result.feed_day or day)
        if paper is None:
            skipped += 1
            continue
        result.listed.append(Listed(paper=paper, day=listed_day, announce_type=announce_type))
    if skipped:
        result.warnings.append(f"skipped {skipped} entries without an arXiv id")
    return result


def _paper(entry: Any, default_day: date) -> tuple[Paper | None, str | None, date]:
    found = find_arxiv_id(entry.get("id"), entry.get("link"))
    if not found:
        return None, None, default_day
    arxiv_id, version = found
    description = entry.get("summary") or ""
    announce_type = entry.get("arxiv_announce_type")
    match = _DESCRIPTION.match(description)
    if match:
        announce_type = announce_type or match.group("type")
        abstract = match.group("abstract")
    else:
        abstract = description
    published = entry_datetime(entry, "published", "updated")
    categories = [
        tag["term"] for tag in entry.get("tags", []) if _ARXIV_CATEGORY.match(tag.get("term") or "")
    ]
    paper = Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        version=version,
        title=one_line(entry.get("title")) or arxiv_id,
        abstract=clean_text(abstract),
        authors=_authors(entry),
        categories=categories,
        primary_category=categories[0] if categories else None,
        links={"abs": abs_url(arxiv_id), "pdf": pdf_url(arxiv_id)},
        published=iso(published),
        doi=one_line(entry.get("arxiv_doi")) or None,
        journal_ref=one_line(entry.get("arxiv_journal_reference")) or None,
        text_rank=TEXT_RANK[SourceKind.ARXIV_RSS],
    )
    listed_day = published.date() if published else default_day
    return paper, (announce_type or "").strip().lower() or None, listed_day


def _authors(entry: Any) -> list[str]:
    """Authors from dc:creator, which arXiv sends as one comma-separated string."""
    names: list[str] = []
    for author in entry.get("authors") or []:
        text = one_line(author.get("name"))
        names.extend(part.strip() for part in re.split(r",\s*|\s+and\s+", text) if part.strip())
    return names
