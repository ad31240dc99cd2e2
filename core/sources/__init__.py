"""Parsers for each kind of paper source: bytes in, papers (with the day they were listed) out.

Each module reads one format and knows its quirks; none of them does I/O. `detect_kind`
tells the formats apart from the content alone, for sources configured as `auto`. A
response whose items none could be read is an error naming the format, never an empty day.
"""

from __future__ import annotations

import json
import re
from datetime import date

from core.errors import SourceError
from core.models import SourceKind
from core.sources import arxiv_api, arxiv_rss, feed, hf_daily
from core.sources.common import ParsedSource

__all__ = ["PARSER_VERSIONS", "ParsedSource", "detect_kind", "parse_source"]

_PARSERS = {
    SourceKind.HF_DAILY: hf_daily.parse,
    SourceKind.ARXIV_RSS: arxiv_rss.parse,
    SourceKind.ARXIV_API: arxiv_api.parse,
    SourceKind.FEED: feed.parse,
}

PARSER_VERSIONS: dict[SourceKind, int] = {
    SourceKind.HF_DAILY: hf_daily.PARSER_VERSION,
    SourceKind.ARXIV_RSS: arxiv_rss.PARSER_VERSION,
    SourceKind.ARXIV_API: arxiv_api.PARSER_VERSION,
    SourceKind.FEED: feed.PARSER_VERSION,
}
"""Each kind's parser version: a body parsed by an older one is parsed again, not skipped."""

_FORMAT_NAMES = {
    SourceKind.HF_DAILY: "Hugging Face Daily Papers list",
    SourceKind.ARXIV_RSS: "arXiv feed",
    SourceKind.ARXIV_API: "arXiv API response",
    SourceKind.FEED: "feed",
}
# Item elements in any XML feed format (RSS <item>, Atom <entry>, with or without a prefix),
# counted apart from the parsers so a format a parser does not understand cannot look empty.
_XML_ITEM = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")


def detect_kind(body: bytes, content_type: str, label: str) -> SourceKind:
    """The kind of a source from its content (and its declared content type)."""
    head = body[:4096].lstrip()
    lowered = head.lower()
    if head.startswith((b"[", b"{")):
        try:
            data = json.loads(body)
        except ValueError as error:
            raise SourceError(f"{label}: looks like JSON but is not valid ({error})") from None
        if isinstance(data, list) and (
            not data or (isinstance(data[0], dict) and "paper" in data[0])
        ):
            return SourceKind.HF_DAILY
        raise SourceError(
            f"{label}: JSON that is not a Hugging Face Daily Papers list — set the source's kind"
        )
    is_html = (
        lowered.startswith((b"<!doctype html", b"<html")) or "text/html" in content_type.lower()
    )
    if is_html and b"<rss" not in lowered and b"<feed" not in lowered:
        raise SourceError(
            f"{label}: got an HTML page, not a feed — the URL may point at a web page; "
            "use the feed's own URL"
        )
    if b"<rss" in lowered or b"<feed" in lowered or b"<rdf" in lowered or b"<?xml" in lowered:
        if re.search(rb"rss\.arxiv\.org|arxiv\.org/rss|updates on arxiv\.org", lowered):
            return SourceKind.ARXIV_RSS
        if b"opensearch" in lowered and b"arxiv" in lowered:
            return SourceKind.ARXIV_API
        return SourceKind.FEED
    if not body.strip():
        raise SourceError(f"{label}: the response is empty — the source sent no content")
    raise SourceError(
        f"{label}: neither a feed nor Daily Papers JSON (content type {content_type or 'unknown'})"
        " — check the URL"
    )


_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


def parse_source(
    kind: SourceKind, body: bytes, *, day: date, label: str, source: str
) -> ParsedSource:
    """Papers from one response body of the given kind; `day` is the day asked for."""
    if kind != SourceKind.HF_DAILY and _ENTITY_DECLARATION.search(body[:65536]):
        # Feeds never need their own entities; declaring them is how entity-expansion
        # ("billion laughs") and external-entity attacks start.
        raise SourceError(
            f"{label}: the feed declares its own XML entities (<!ENTITY …>), which feeds never "
            "need and which can exhaust memory — refused; check the URL is the feed you meant"
        )
    parsed = _PARSERS[kind](body, day=day, label=label, source=source)
    if not parsed.listed:
        items = parsed.entries
        if kind != SourceKind.HF_DAILY:
            items = max(items, len(_XML_ITEM.findall(body)))
        if items:
            name = parsed.format or _FORMAT_NAMES[kind]
            raise SourceError(
                f"{label}: read none of the {items} items of this {name} — the format is not "
                f"one the {kind.value} parser reads; try another --kind (e.g. feed), or report it"
            )
    return parsed
