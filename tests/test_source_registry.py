"""Sources are a registry: a kind added as one module is detected, parsed, paged, explained
when empty, probed by `doctor` and configured, with no other file changed.

The kind below is written into a folder of its own that joins `core.sources`' package path
for the test, the way a module dropped into `core/sources/` would; nothing in the app names
it. It reads a conference's papers from an OpenReview-like JSON API ("notes").
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

import core.sources
from core.config import load_config
from core.errors import ConfigError
from core.ingest import fetch_day, parse_kind, source_specs
from core.sources import detect_kind, kind_names, kind_of, parse_source
from tests.conftest import fixture_path
from tests.http_server import FakeClock, Reply

VENUE_NOTES = '''
"""Venue notes: a conference's accepted papers from an OpenReview-like JSON API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from core.errors import SourceError
from core.models import Listed, Paper
from core.sources.base import SPECIFIC, Kind, Paging, Sniffed
from core.sources.common import ParsedSource


def _notes(body: bytes) -> list | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    notes = data.get("notes") if isinstance(data, dict) else None
    return notes if isinstance(notes, list) else None


def _with(url: str, **query: object) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"


class VenueNotes(Kind):
    @dataclass
    class Options:
        venue: str = ""
        """The venue id whose papers to read (ICLR.cc/2026/Conference)."""

    name = "venue-notes"
    format_name = "venue notes list"
    body_format = "json"
    text_rank = 1
    parser_version = 1

    def detect(self, sniffed: Sniffed) -> int:
        data = sniffed.json
        return SPECIFIC if isinstance(data, dict) and "notes" in data else 0

    def parse(self, body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
        notes = _notes(body)
        if notes is None:
            raise SourceError(f"{label}: not a venue notes list")
        result = ParsedSource(entries=len(notes), format=self.format_name)
        for note in notes:
            paper = Paper(
                id=f"venue:{note['id']}",
                title=note["title"],
                links={"link": note["url"]},
                text_rank=self.text_rank,
            )
            result.listed.append(Listed(paper=paper, day=date.fromisoformat(note["day"])))
        return result

    def url(self, url: str, options: Options) -> str:
        return _with(url, venue=options.venue) if url and options.venue else url

    def page_urls(self, url: str, day: date, paging: Paging) -> list[str]:
        size = paging.page_size
        return [
            _with(url, day=day.isoformat(), offset=page * size, limit=size)
            for page in range(paging.max_pages)
        ]

    def is_last_page(self, body: bytes, paging: Paging) -> bool:
        return len(_notes(body) or []) < paging.page_size

    def probe_url(self, url: str) -> str:
        return _with(url, limit=1)

    def empty_reason(self, day, skip_days=None, today=None) -> str:
        return f"the venue published no papers on {day}"


KIND = VenueNotes()
'''

DAY = date(2026, 5, 8)
NOTES = [
    {"id": f"n{number}", "title": f"Paper {number}", "url": f"https://venue.org/{number}"}
    for number in range(3)
]


@pytest.fixture
def venue_notes(tmp_path: Path):
    """The venue-notes kind, present as one more module of `core.sources` for one test."""
    folder = tmp_path / "added_kinds"
    folder.mkdir()
    (folder / "venue_notes.py").write_text(VENUE_NOTES, encoding="utf-8")
    package_path = list(core.sources.__path__)
    core.sources.__path__.append(str(folder))
    core.sources.kinds.cache_clear()
    try:
        yield "venue-notes"
    finally:
        core.sources.__path__[:] = package_path
        sys.modules.pop("core.sources.venue_notes", None)
        core.sources.kinds.cache_clear()


def notes_api(seen: list):
    """The venue's API: its notes of the asked day, `limit` from `offset`."""

    def reply(request):
        query = {key: values[0] for key, values in request.query.items()}
        seen.append(query)
        notes = [dict(note, day=DAY.isoformat()) for note in NOTES]
        if query.get("day", DAY.isoformat()) != DAY.isoformat():
            notes = []
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        body = json.dumps({"notes": notes[offset : offset + limit], "count": len(notes)})
        return Reply(200, body.encode(), {"Content-Type": "application/json"})

    return reply


def write_config(tmp_path: Path, url: str, *extra: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[fetch]\nretries = 0\nenrich_with_arxiv_api = false\nhf_page_size = 2\n\n"
        f'[[sources]]\nname = "iclr"\nkind = "venue-notes"\nurl = "{url}"\n'
        'venue = "ICLR.cc/2026/Conference"\n' + "".join(extra),
        encoding="utf-8",
    )
    return path


def test_an_added_kind_is_listed_detected_and_parsed(venue_notes):
    assert venue_notes in kind_names() and parse_kind(venue_notes) == venue_notes
    body = json.dumps({"notes": [dict(NOTES[0], day="2026-05-07")]}).encode()
    assert detect_kind(body, "application/json", "iclr") == venue_notes
    hf = fixture_path("hf_daily_papers_date_2026-05-08_llm-paper-radar.json").read_bytes()
    assert detect_kind(hf, "application/json", "hf") == "hf-daily"  # the others still win theirs
    parsed = parse_source(venue_notes, body, day=DAY, label="iclr", source="iclr")
    (listed,) = parsed.listed
    assert (listed.paper.title, listed.day, listed.paper.text_rank) == (
        "Paper 0",
        date(2026, 5, 7),
        kind_of(venue_notes).text_rank,
    )


async def test_an_added_kind_is_configured_paged_and_explains_an_empty_day(
    venue_notes, tmp_path, store, http_server
):
    seen: list = []
    config = load_config(write_config(tmp_path, http_server.route("/notes", notes_api(seen))))
    (spec,) = source_specs(config)
    assert spec.kind == venue_notes and "venue=ICLR.cc" in spec.url  # built by the kind
    summary = await fetch_day(store, config, DAY, fetcher=_fetcher(config))
    (result,) = summary.results
    assert (result.kind, result.status, result.new) == (venue_notes, "ok", 3)
    assert [(query["offset"], query["limit"]) for query in seen] == [("0", "2"), ("2", "2")]
    assert [store.get_paper(f"venue:n{number}").title for number in range(3)] == [
        "Paper 0",
        "Paper 1",
        "Paper 2",
    ]

    empty = await fetch_day(store, config, date(2026, 5, 9), fetcher=_fetcher(config))
    assert (empty.results[0].status, empty.results[0].reason) == (
        "empty",
        "the venue published no papers on 2026-05-09",
    )
    assert "iclr: the venue published no papers on 2026-05-09" in empty.empty_reason


async def test_doctor_probes_an_added_kind(venue_notes, tmp_path, http_server):
    from core.doctor import check_sources

    seen: list = []
    config = load_config(write_config(tmp_path, http_server.route("/notes", notes_api(seen))))
    (check,) = await check_sources(config)
    assert check.ok and check.detail.endswith("answers with venue-notes: 1 papers readable")
    assert seen == [{"venue": "ICLR.cc/2026/Conference", "limit": "1"}]  # the kind's probe


def test_an_added_kinds_keys_are_checked_by_line_and_name(venue_notes, tmp_path):
    path = write_config(tmp_path, "https://venue.org/notes", 'venu = "typo"\n')
    with pytest.raises(
        ConfigError, match=r"line 11: 'sources\[1\]\.venu' unknown key — did you mean 'venue'\?"
    ):
        load_config(path)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[[sources]]\nname = "f"\nurl = "https://x.org/rss"\nvenue = "ICLR"\n')
    with pytest.raises(ConfigError, match=r"line 4: 'sources\[1\]\.venue' is a key of venue-notes"):
        load_config(wrong)


def test_without_the_module_the_kind_does_not_exist(tmp_path):
    assert "venue-notes" not in kind_names()
    path = write_config(tmp_path, "https://venue.org/notes")
    with pytest.raises(ConfigError, match=r"'sources\[1\]\.kind' must be one of"):
        load_config(path)


def _fetcher(config):
    from core.fetch import Fetcher

    return Fetcher(config.fetch, clock=FakeClock())
