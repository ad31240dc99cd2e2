"""Hugging Face Daily Papers (huggingface.co/api/daily_papers): a JSON list of papers.

Each item carries the paper (its arXiv id, title, abstract, authors, upvotes, GitHub repo
and stars, project page, and sometimes `ai_keywords`) and the day it entered Daily Papers
(`submittedOnDailyAt`), which is the day it is listed on. Optional fields are often absent.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from core.errors import SourceError
from core.ids import abs_url, parse_arxiv_id, pdf_url, safe_slug
from core.models import TEXT_RANK, Listed, Paper, SourceKind
from core.sanitize import clean_text, one_line
from core.sources.common import ParsedSource, iso, parse_datetime

HF_PAPER_URL = "https://huggingface.co/papers/"

PARSER_VERSION = 2
"""Bump when the same bytes would be read differently (2: unsafe ids are refused), so
cached bodies are parsed again instead of being skipped as unchanged."""


def parse(body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers of a Daily Papers response, each listed on the day it was submitted there."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise SourceError(
            f"{label}: not valid JSON ({error}) — the response may be cut off"
        ) from None
    if isinstance(data, dict):
        message = data.get("error") or "an object instead of a list of papers"
        raise SourceError(f"{label}: Hugging Face answered {one_line(str(message), limit=200)}")
    if not isinstance(data, list):
        raise SourceError(f"{label}: expected a list of papers, got {type(data).__name__}")
    result = ParsedSource(entries=len(data), format="Hugging Face Daily Papers list")
    skipped = 0
    for item in data:
        listed = _listed(item, day)
        if listed is None:
            skipped += 1
        else:
            result.listed.append(listed)
    if skipped:
        result.warnings.append(f"skipped {skipped} items without a usable paper id or title")
    return result


def _listed(item: Any, default_day: date) -> Listed | None:
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        return None
    paper_data = item["paper"]
    raw_id = paper_data.get("id")
    title = paper_data.get("title") if paper_data.get("title") is not None else item.get("title")
    if not isinstance(raw_id, str) or title is None:
        return None
    found = parse_arxiv_id(raw_id)
    arxiv_id = found[0] if found else None
    # Anything else becomes part of a link and an id: refuse what is not a plain slug
    # (`../../etc/passwd`, `a/b?c`, spaces, control characters).
    slug = arxiv_id or safe_slug(raw_id)
    if slug is None:
        return None
    paper_id = arxiv_id or f"hf:{slug}"
    links = {"hf": HF_PAPER_URL + slug}
    if arxiv_id:
        links["abs"] = abs_url(arxiv_id)
        links["pdf"] = pdf_url(arxiv_id)
    github = _url(paper_data.get("githubRepo"))
    project = _url(paper_data.get("projectPage"))
    if github:
        links["github"] = github
    if project:
        links["project"] = project
    submitted = parse_datetime(_str(paper_data.get("submittedOnDailyAt")))
    keywords = paper_data.get("ai_keywords")
    paper = Paper(
        id=paper_id,
        arxiv_id=arxiv_id,
        title=one_line(str(title)) or paper_id,
        abstract=clean_text(_str(paper_data.get("summary")) or _str(item.get("summary"))),
        authors=[
            one_line(_str(author.get("name")))
            for author in _list(paper_data.get("authors"))
            if isinstance(author, dict) and _str(author.get("name")) and not author.get("hidden")
        ],
        links=links,
        published=iso(parse_datetime(paper_data.get("publishedAt"))),
        hf_upvotes=_int(paper_data.get("upvotes")),
        hf_comments=_int(item.get("numComments")),
        github_repo=github,
        github_stars=_int(paper_data.get("githubStars")),
        project_page=project,
        ai_keywords=[one_line(k, limit=80) for k in keywords if isinstance(k, str)]
        if isinstance(keywords, list)
        else [],
        hf_summary=clean_text(_str(paper_data.get("ai_summary")), limit=2000) or None,
        text_rank=TEXT_RANK[SourceKind.HF_DAILY],
    )
    return Listed(paper=paper, day=submitted.date() if submitted else default_day)


def _str(value: Any) -> str:
    """A text field, or "" when the JSON holds something else there (a number, a list)."""
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return one_line(value, limit=500)
    return None
