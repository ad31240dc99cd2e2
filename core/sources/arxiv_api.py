"""The arXiv API (export.arxiv.org/api/query): Atom results of a query or an id list.

Used to look papers up by id and to enrich papers from other sources with their arXiv
categories. The API reports errors as a feed holding one entry titled "Error" (with HTTP
400); that entry is an error, never a paper. Legacy responses wrap titles and abstracts
over several indented lines; a title may be a falsy string such as "0".
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from core.errors import SourceError
from core.i18n import _
from core.ids import abs_url, find_arxiv_id, pdf_url
from core.models import Listed, Paper, SourceKind
from core.sanitize import clean_text, one_line
from core.sources.base import SPECIFIC, Kind, Sniffed
from core.sources.common import ParsedSource, entry_datetime, iso, parse_xml

ARXIV_API = SourceKind("arxiv-api")

PARSER_VERSION = 2
"""Bump when the same bytes would be read differently, so cached bodies are parsed again."""

TEXT_RANK = 3
"""arXiv's full record of a paper: its metadata wins over every other source's."""


def parse(body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers in an arXiv API response, listed on the day asked for."""
    parsed = parse_xml(body, label)
    result = ParsedSource(entries=len(parsed.entries), format="arXiv API response")
    if parsed.get("dailyai_warning"):
        result.warnings.append(parsed["dailyai_warning"])
    for entry in parsed.entries:
        if _is_error(entry):
            message = one_line(entry.get("summary")) or "unknown error"
            raise SourceError(
                _("{label}: the arXiv API reported an error: {message}").format(
                    label=label, message=message
                )
            )
        paper = paper_from_entry(entry)
        if paper is not None:
            result.listed.append(Listed(paper=paper, day=day))
    return result


def _is_error(entry: Any) -> bool:
    return entry.get("title") == "Error" and "api/errors" in (entry.get("id") or "")


def paper_from_entry(entry: Any) -> Paper | None:
    """A paper from one API entry (None when the entry carries no arXiv id)."""
    found = find_arxiv_id(entry.get("id"), entry.get("link"))
    if not found:
        return None
    arxiv_id, version = found
    title = entry.get("title")
    categories = [tag["term"] for tag in entry.get("tags", []) if tag.get("term")]
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    if primary and primary in categories:
        categories.remove(primary)
    if primary:
        categories.insert(0, primary)
    links = {"abs": abs_url(arxiv_id), "pdf": pdf_url(arxiv_id)}
    doi = one_line(entry.get("arxiv_doi")) or None
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    return Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        version=version,
        # `title` may legitimately be "0": compare with None, never rely on truthiness.
        title=one_line(title) if title is not None else arxiv_id,
        abstract=one_line(entry.get("summary"), limit=20_000),
        authors=[one_line(a.get("name")) for a in entry.get("authors") or [] if a.get("name")],
        categories=categories,
        primary_category=primary or (categories[0] if categories else None),
        links=links,
        published=iso(entry_datetime(entry, "published")),
        updated=iso(entry_datetime(entry, "updated")),
        doi=doi,
        journal_ref=one_line(entry.get("arxiv_journal_ref")) or None,
        comment=clean_text(entry.get("arxiv_comment"), limit=1000) or None,
        text_rank=TEXT_RANK,
    )


def lookup_url(api_url: str, arxiv_ids: list[str]) -> str:
    """The API request for the papers with these ids (one answer holding all of them)."""
    return f"{api_url}?{urlencode({'id_list': ','.join(arxiv_ids), 'max_results': str(len(arxiv_ids))})}"


class ArxivApi(Kind):
    """The arXiv API: Atom answers to a query or an id list, listed on the day asked for."""

    name = ARXIV_API
    format_name = "arXiv API response"
    text_rank = TEXT_RANK
    parser_version = PARSER_VERSION

    def detect(self, sniffed: Sniffed) -> int:
        marked = b"opensearch" in sniffed.head and b"arxiv" in sniffed.head
        return SPECIFIC if sniffed.is_xml and marked else 0

    def parse(self, body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
        return parse(body, day=day, label=label, source=source)


KIND = ArxivApi()
