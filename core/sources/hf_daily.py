"""Hugging Face Daily Papers (huggingface.co/api/daily_papers): a JSON list of papers.

Each item carries the paper (its arXiv id, title, abstract, authors, upvotes, GitHub repo
and stars, project page, and sometimes `ai_keywords`) and the day it entered Daily Papers
(`submittedOnDailyAt`), which is the day it is listed on. Optional fields are often absent.
A day is read in pages (`date`, `limit`, `p`); Daily Papers takes no submissions at weekends.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.errors import SourceError
from core.i18n import _
from core.ids import abs_url, parse_arxiv_id, pdf_url, safe_slug
from core.models import Listed, Paper, SourceKind
from core.sanitize import clean_text, one_line
from core.sources.base import GENERIC, SPECIFIC, Kind, Paging, Sniffed
from core.sources.common import WEEKDAYS, ParsedSource, iso, parse_datetime

HF_DAILY = SourceKind("hf-daily")

HF_PAPER_URL = "https://huggingface.co/papers/"

PARSER_VERSION = 2
"""Bump when the same bytes would be read differently (2: unsafe ids are refused), so
cached bodies are parsed again instead of being skipped as unchanged."""

TEXT_RANK = 1
"""Below arXiv's own metadata (its copy of a paper's text), above any other feed."""


def parse(body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers of a Daily Papers response, each listed on the day it was submitted there."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise SourceError(
            _("{label}: not valid JSON ({error}) — the response may be cut off").format(
                label=label, error=error
            )
        ) from None
    if isinstance(data, dict):
        message = data.get("error") or "an object instead of a list of papers"
        raise SourceError(
            _("{label}: Hugging Face answered {message}").format(
                label=label, message=one_line(str(message), limit=200)
            )
        )
    if not isinstance(data, list):
        raise SourceError(
            _("{label}: expected a list of papers, got {type}").format(
                label=label, type=type(data).__name__
            )
        )
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
        text_rank=TEXT_RANK,
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


def quiet_reason(day: date) -> str:
    """Why Hugging Face Daily Papers is expected to be empty on `day`, or ""."""
    if day.weekday() >= 5:
        return f"Hugging Face Daily Papers takes no submissions on {WEEKDAYS[day.weekday()]}s"
    return ""


def _page_url(base: str, day: date, page: int, limit: int) -> str:
    """A Daily Papers URL for one page of `day`, keeping any query the user configured."""
    parts = urlsplit(base)
    query = dict(parse_qsl(parts.query))
    query.setdefault("date", day.isoformat())
    query.setdefault("limit", str(limit))
    query["p"] = str(page)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


class HfDaily(Kind):
    """Hugging Face Daily Papers: JSON, paged, empty at weekends."""

    name = HF_DAILY
    format_name = "Hugging Face Daily Papers list"
    body_format = "json"
    text_rank = TEXT_RANK
    parser_version = PARSER_VERSION

    def detect(self, sniffed: Sniffed) -> int:
        data = sniffed.json
        if not isinstance(data, list):
            return 0
        if not data:
            return GENERIC  # an empty day's answer: nothing marks it, nothing else claims it
        return SPECIFIC if isinstance(data[0], dict) and "paper" in data[0] else 0

    def parse(self, body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
        return parse(body, day=day, label=label, source=source)

    def page_urls(self, url: str, day: date, paging: Paging) -> list[str]:
        if not _is_http(url):
            return [url]  # a saved file is one page
        return [_page_url(url, day, page, paging.page_size) for page in range(paging.max_pages)]

    def is_last_page(self, body: bytes, paging: Paging) -> bool:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        return (len(data) if isinstance(data, list) else 0) < paging.page_size

    def probe_url(self, url: str) -> str:
        if not _is_http(url):
            return url
        return f"{url}{'&' if '?' in url else '?'}limit=1"

    def empty_reason(
        self, day: date, skip_days: list[str] | None = None, today: date | None = None
    ) -> str:
        reason = quiet_reason(day)
        if reason:
            return reason
        if today is not None and day >= today:
            return "no papers on Hugging Face Daily Papers for this day yet (it fills during the US day)"
        return "Hugging Face Daily Papers listed nothing for this day"


KIND = HfDaily()
