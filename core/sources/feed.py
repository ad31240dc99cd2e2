"""Any other RSS or Atom feed of papers, read through feedparser.

Such feeds vary: HTML or plain text in descriptions, dates without a time zone or none at
all, categories that are sentences, doubled guids. A paper is identified by the arXiv id
found in its guid or links when there is one, else by its link.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from core.ids import abs_url, canonical_id, find_arxiv_id, pdf_url
from core.models import Listed, Paper, SourceKind
from core.sanitize import clean_text, feed_text, one_line
from core.sources.base import GENERIC, Kind, Sniffed
from core.sources.common import ParsedSource, entry_datetime, iso, parse_xml, skip_days

FEED = SourceKind("feed")

_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*\.[A-Za-z\-]{2,}$")
_FORMATS = {"rss1": "RSS 1.0 (RDF) feed", "rss": "RSS feed", "atom": "Atom feed"}

PARSER_VERSION = 2
"""Bump when the same bytes would be read differently, so cached bodies are parsed again."""

TEXT_RANK = 0
"""Any feed's copy of a paper yields to arXiv's and Hugging Face's."""


def parse(body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers in a generic feed, each listed on its own date (else on the day asked for)."""
    parsed = parse_xml(body, label)
    version = parsed.get("version") or ""
    result = ParsedSource(
        skip_days=skip_days(body),
        entries=len(parsed.entries),
        format=next((name for key, name in _FORMATS.items() if version.startswith(key)), "feed"),
    )
    if parsed.get("dailyai_warning"):
        result.warnings.append(parsed["dailyai_warning"])
    undated = skipped = 0
    for entry in parsed.entries:
        paper = _paper(entry)
        if paper is None:
            skipped += 1
            continue
        moment = entry_datetime(entry, "published", "updated")
        if moment is None:
            undated += 1
        result.listed.append(Listed(paper=paper, day=moment.date() if moment else day))
    if undated:
        result.warnings.append(f"{undated} entries had no readable date; listed on {day}")
    if skipped:
        result.warnings.append(f"skipped {skipped} entries without a link, id or title")
    return result


def _paper(entry: Any) -> Paper | None:
    link = entry.get("link") or ""
    guid = entry.get("id") or ""
    other_links = [item.get("href") for item in entry.get("links", []) if item.get("href")]
    found = find_arxiv_id(guid, link, *other_links)
    title = _text(entry, "title")
    if not title and not found:
        return None
    if not found and not link and not guid:
        return None
    arxiv_id, version = found if found else (None, None)
    links: dict[str, str] = {}
    if link.startswith(("https://", "http://")):
        links["link"] = link
    if arxiv_id:
        links["abs"] = abs_url(arxiv_id)
        links["pdf"] = pdf_url(arxiv_id)
    content = entry.get("content") or []
    abstract = ""
    if content:
        abstract = feed_text(
            content[0].get("value"), is_html="html" in (content[0].get("type") or "")
        )
    if not abstract:
        detail = entry.get("summary_detail") or {}
        abstract = feed_text(entry.get("summary"), is_html="html" in (detail.get("type") or "html"))
    categories = [
        tag["term"] for tag in entry.get("tags", []) if _ARXIV_CATEGORY.match(tag.get("term") or "")
    ]
    return Paper(
        id=canonical_id(arxiv_id, link or None, guid or None),
        arxiv_id=arxiv_id,
        version=version,
        title=one_line(title) or (arxiv_id or link),
        abstract=clean_text(abstract),
        authors=_authors(entry),
        categories=categories,
        primary_category=categories[0] if categories else None,
        links=links,
        published=iso(entry_datetime(entry, "published", "updated")),
        text_rank=TEXT_RANK,
    )


def _authors(entry: Any) -> list[str]:
    """Author names; some feeds send them as HTML links (arXiv's RSS 1.0 `dc:creator`)."""
    names: list[str] = []
    for author in entry.get("authors") or []:
        text = one_line(feed_text(author.get("name"), is_html=True))
        if "<" in (author.get("name") or "") and "," in text:
            names.extend(part.strip() for part in text.split(",") if part.strip())
        elif text:
            names.append(text)
    return names


def _text(entry: Any, key: str) -> str:
    detail = entry.get(f"{key}_detail") or {}
    return feed_text(entry.get(key), is_html="html" in (detail.get("type") or ""))


class Feed(Kind):
    """Any RSS, RDF or Atom feed: the kind of whatever XML feed no other kind claims."""

    name = FEED
    format_name = "feed"
    text_rank = TEXT_RANK
    parser_version = PARSER_VERSION

    def detect(self, sniffed: Sniffed) -> int:
        return GENERIC if sniffed.is_xml else 0

    def parse(self, body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
        return parse(body, day=day, label=label, source=source)


KIND = Feed()
