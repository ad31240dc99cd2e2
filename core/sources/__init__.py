"""Parsers for each kind of paper source: bytes in, papers (with the day they were listed) out.

Each module reads one format and knows its quirks; none of them does I/O. `detect_kind`
tells the formats apart from the content alone, for sources configured as `auto`.
"""

from __future__ import annotations

import json
import re
from datetime import date

from core.errors import SourceError
from core.models import SourceKind
from core.sources import arxiv_api, arxiv_rss, feed, hf_daily
from core.sources.common import ParsedSource

__all__ = ["ParsedSource", "detect_kind", "parse_source"]

_PARSERS = {
    SourceKind.HF_DAILY: hf_daily.parse,
    SourceKind.ARXIV_RSS: arxiv_rss.parse,
    SourceKind.ARXIV_API: arxiv_api.parse,
    SourceKind.FEED: feed.parse,
}


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
    return _PARSERS[kind](body, day=day, label=label, source=source)
