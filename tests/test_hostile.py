"""The hostile corpus (tests/hostile.py) through ingest: nothing crashes, nothing unsafe is stored."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.errors import SourceError
from core.ingest import SourceSpec, fetch_day
from core.models import SourceKind
from core.sources import parse_source
from tests.hostile import (
    HOSTILE_TITLES,
    billion_laughs_rss,
    external_entity_rss,
    has_unsafe_characters,
    hostile_hf_json,
)

DAY = date(2026, 5, 8)


async def test_hostile_papers_are_stored_clean(config, store, tmp_path):
    path = tmp_path / "hostile.json"
    path.write_bytes(hostile_hf_json())
    summary = await fetch_day(
        store,
        config,
        DAY,
        specs=[SourceSpec("evil", path.as_uri(), SourceKind.HF_DAILY)],
        enrich=False,
    )
    assert summary.exit_code == 0
    rows = list(store.export_rows(DAY))
    assert len(rows) == len(HOSTILE_TITLES) + 1
    for row in rows:
        text = json.dumps(row, ensure_ascii=False)
        for field in ("title", "abstract"):
            assert not has_unsafe_characters(row[field]), (row["id"], field)
        assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
        assert len(row["title"]) <= 500  # the 1 MB title is cut, not stored whole
        # Links that are not http(s) are dropped; the rest stay as data.
        assert "github" not in row["links"]
    titles = {row["title"].split(":")[0]: row["title"] for row in rows}
    assert "<script>" in titles["script"]  # kept as text: each output escapes it
    assert "[@click=app.quit]" in titles["textual_markup"]
    assert (
        "Bcc: victim@example.org" in titles["email_header"] and "\r" not in titles["email_header"]
    )


@pytest.mark.parametrize("feed", [billion_laughs_rss, external_entity_rss])
@pytest.mark.parametrize("kind", [SourceKind.ARXIV_RSS, SourceKind.FEED])
def test_xml_entity_attacks_are_refused_quickly(feed, kind):
    with pytest.raises(SourceError, match="declares its own XML entities"):
        parse_source(kind, feed(), day=DAY, label="evil", source="evil")
