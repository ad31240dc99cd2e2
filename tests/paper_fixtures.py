"""A day of real papers for the model tests and benchmark, from the recorded fixtures.

The Hugging Face Daily Papers response of 2026-05-08 (with upvotes, so it ranks first)
and the computer-science items of a full arXiv RSS day, all stored as listed on one day.
"""

from __future__ import annotations

import copy
import functools
from datetime import date

from core.models import Listed
from core.sources import parse_source
from core.sources.arxiv_rss import ARXIV_RSS
from core.sources.hf_daily import HF_DAILY
from core.store import Store
from tests.conftest import fixture_path

DAY = date(2026, 5, 8)
HF_FIXTURE = "hf_daily_papers_date_2026-05-08_llm-paper-radar.json"
ARXIV_FIXTURE = "arxiv_rss_all_archives_2024-11-28_aioarxiv.xml"


@functools.cache
def _parsed(day: date) -> tuple[list[Listed], list[Listed]]:
    """The two fixtures parsed once per test session (the arXiv day is 2.8 MB)."""
    hf = parse_source(
        HF_DAILY,
        fixture_path(HF_FIXTURE).read_bytes(),
        day=day,
        label="hf",
        source="hf-daily",
    ).listed
    arxiv = parse_source(
        ARXIV_RSS,
        fixture_path(ARXIV_FIXTURE).read_bytes(),
        day=day,
        label="arxiv",
        source="arxiv",
    ).listed
    return hf, arxiv


def fixture_listings(count: int, day: date = DAY) -> list[tuple[str, list[Listed]]]:
    """(source, listings) with at most `count` distinct new papers, HF papers first."""
    hf, arxiv = _parsed(day)
    seen: set[str] = set()
    chosen: dict[str, list[Listed]] = {"hf-daily": [], "arxiv": []}
    for source, items in (("hf-daily", hf), ("arxiv", arxiv)):
        for item in items:
            paper = item.paper
            if paper.id in seen or len(seen) >= count:
                continue
            if source == "arxiv" and (
                item.announce_type not in ("new", "cross")
                or not (paper.primary_category or "").startswith("cs.")
            ):
                continue
            seen.add(paper.id)
            chosen[source].append(Listed(copy.deepcopy(paper), day, item.announce_type))
    return [(source, listed) for source, listed in chosen.items() if listed]


def store_fixture_day(store: Store, count: int, day: date = DAY) -> list[str]:
    """Store `count` real papers as listed on `day`; their ids, HF papers first."""
    ids: list[str] = []
    for source, listed in fixture_listings(count, day):
        store.merge_listed(listed, source)
        ids.extend(item.paper.id for item in listed)
    return ids
