"""The interest profile: importing seeds from every format, feedback that persists and can
be undone, stars moved into the profile by the migration."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from core.digest import build_digest
from core.fetch import Fetcher
from core.models import Listed, Paper
from core.profile import ProfileError, forget, import_profile, profile_groups, set_feedback
from core.store import Store
from core.store.migrations import MIGRATIONS
from tests.conftest import fixture_path
from tests.http_server import FakeClock, Reply
from tests.raw_sql import count, run_sql

DAY = date(2026, 10, 1)


def lexical(config):
    """The config ranking lexically (no Ollama in these tests)."""
    return dataclasses.replace(config, rank=dataclasses.replace(config.rank, method="lexical"))


async def imported(store, config, name: str, **kwargs):
    return await import_profile(store, lexical(config), fixture_path(name), **kwargs)


async def test_bibtex_seeds_keep_their_arxiv_ids_and_decoded_titles(store, config):
    result = await imported(store, config, "profile_zotero.bib")

    assert (result.format, result.added, result.already, result.untitled) == ("BibTeX", 4, 0, 1)
    entries = {entry.key: entry for entry in store.profile_entries()}
    # The arXiv id from eprint, from a DOI 10.48550/arXiv.…, and from a URL with a version.
    assert {"2203.02155", "2112.10752", "2305.18290"} <= set(entries)
    rombach = entries["2112.10752"]
    assert rombach.title == "High-Resolution Image Synthesis with Latent Diffusion Models"
    assert "Björn Ommer" in rombach.authors
    assert entries["2203.02155"].authors[0] == "Long Ouyang"
    assert entries["2203.02155"].abstract.startswith("Making language models bigger")
    # Without an id, a seed is known by its title; both entries sharing a key are kept.
    (by_title,) = [e for e in entries.values() if e.key.startswith("title:")]
    assert by_title.title == "Attention Is All You Need" and by_title.paper_id is None
    assert all(e.stance == "like" and e.origin == "import" for e in entries.values())
    assert {e.source for e in entries.values()} == {"profile_zotero.bib"}
    assert entries["2203.02155"].category == "LLM"

    again = await imported(store, config, "profile_zotero.bib")
    assert (again.added, again.already) == (0, 4)
    assert store.profile_size() == 4


async def test_malformed_bibtex_is_refused_naming_its_line(store, config):
    with pytest.raises(ProfileError) as caught:
        await imported(store, config, "profile_malformed.bib")

    message = str(caught.value)
    assert "profile_malformed.bib" in message and "line 5" in message
    assert "nothing was imported" in message
    assert store.profile_size() == 0


async def test_csl_json_authors_links_and_untitled_items(store, config):
    result = await imported(store, config, "profile_csl.json")

    assert (result.format, result.added, result.untitled) == ("CSL-JSON", 2, 1)
    entries = {entry.key: entry for entry in store.profile_entries()}
    assert entries["2212.08073"].authors == ["Yuntao Bai", "Anthropic"]
    assert entries["2212.08073"].url == "http://arxiv.org/abs/2212.08073"
    assert entries["1707.06347"].title == "Proximal Policy Optimization Algorithms"


async def test_json_title_list_is_the_classify_titles_format(store, config):
    result = await imported(store, config, "profile_titles.json")

    assert (result.format, result.added, result.untitled) == ("JSON list of titles", 2, 1)
    keys = {entry.key for entry in store.profile_entries()}
    assert "2001.08361" in keys
    assert any(key.startswith("title:") for key in keys)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[{"title": "ok"}, 7]', "entry 2 is a number, not an object"),
        ('[{"title": ["a", "list"]}]', 'entry 1: "title" is a list, not text'),
        ('[{"title": "ok", "abstract": 3}]', 'entry 1: "abstract" is a number'),
        ('[{"title": "ok"},\n {"title": }]', "not valid JSON at line 2 column 12"),
        ('{"title": "not a list"}', "expected a JSON list of papers"),
        ("1605.08386\nnot an id at all\n", "line 2: 'not an id at all' is not an arXiv id"),
        ("# only a comment\n", "no papers found"),
    ],
)
async def test_bad_files_are_refused_naming_the_entry(store, config, tmp_path, content, expected):
    path = tmp_path / ("seeds.json" if content[:1] in "[{" else "seeds.txt")
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ProfileError, match=r"seeds\.(json|txt)") as caught:
        await import_profile(store, lexical(config), path)

    assert expected in str(caught.value)
    assert store.profile_size() == 0


async def test_a_missing_file_is_one_clear_line(store, config, tmp_path):
    with pytest.raises(ProfileError, match="no such file"):
        await import_profile(store, lexical(config), tmp_path / "nowhere.bib")


async def test_arxiv_ids_are_looked_up_in_paced_batches(store, config, http_server):
    replies = {
        "1605.08386": fixture_path("arxiv_api_id_1605.08386_2026-04-12.xml"),
        "1707.08567": fixture_path("arxiv_api_idlist_partial_0808.05394_1707.08567_2026-04-12.xml"),
        "0808.05394": fixture_path("arxiv_api_empty_id_0808.05394_2026-04-12.xml"),
    }

    def answer(request):
        (ids,) = request.query["id_list"]
        return Reply(
            body=replies[ids].read_bytes(), headers={"Content-Type": "application/atom+xml"}
        )

    api = http_server.route("/api/query", answer)
    fetch = dataclasses.replace(
        config.fetch, arxiv_api_url=api, arxiv_api_batch=1, retries=0, arxiv_min_interval_seconds=3
    )
    config = dataclasses.replace(lexical(config), fetch=fetch)
    clock = FakeClock()
    fetcher = Fetcher(fetch, clock=clock, paced_domains=("127.0.0.1",))
    try:
        result = await import_profile(
            store, config, fixture_path("profile_arxiv_ids.txt"), fetcher=fetcher
        )
    finally:
        await fetcher.aclose()

    assert (result.format, result.added, result.not_found) == ("arXiv ids", 2, 1)
    asked = [request.query["id_list"][0] for request in http_server.hits("/api/query")]
    assert asked == ["1605.08386", "1707.08567", "0808.05394"]
    assert clock.sleeps and all(wait <= 3 for wait in clock.sleeps)
    assert sum(clock.sleeps) >= 5.9  # one request every 3 s, as arXiv asks
    entries = {entry.key: entry for entry in store.profile_entries()}
    assert entries["1707.08567"].title.startswith("Proceedings of Workshop AEW10")
    assert entries["1605.08386"].abstract


# --- feedback --------------------------------------------------------------------------------


def listed_paper(store: Store, paper_id: str, title: str, **fields) -> Paper:
    paper = Paper(
        id=paper_id,
        arxiv_id=paper_id,
        title=title,
        abstract=f"Abstract of {title}.",
        links={"abs": f"https://arxiv.org/abs/{paper_id}"},
        **fields,
    )
    store.merge_listed([Listed(paper, DAY, "new")], "arxiv")
    return paper


def test_star_and_not_interested_persist_and_undo(tmp_path, config):
    path = tmp_path / "store.sqlite3"
    with Store(path) as store:
        listed_paper(store, "2610.00001", "Reward models for RLHF")
        listed_paper(store, "2610.00002", "A survey of everything")

        set_feedback(store, config, "2610.00001", "like", source="tui")
        set_feedback(store, config, "https://arxiv.org/abs/2610.00002v2", "dislike", source="tui")

    with Store(path) as store:  # persisted
        papers = {p.paper.id: p for p in build_digest(store, config, DAY).selected}
        assert papers["2610.00001"].starred and not papers["2610.00001"].disliked
        assert papers["2610.00002"].disliked and not papers["2610.00002"].starred
        assert store.reader_states(["2610.00001"])["2610.00001"].starred

        # Not interested after all: the like becomes a dislike (one entry per paper) …
        set_feedback(store, config, "2610.00001", "dislike", source="tui")
        assert store.profile_stances(["2610.00001"]) == {"2610.00001": "dislike"}
        assert store.profile_size() == 2
        # … and undoing takes it out entirely.
        set_feedback(store, config, "2610.00001", None, source="tui")
        assert forget(store, "2610.00002")
        assert not forget(store, "2610.00002")
        assert store.profile_size() == 0
        papers = {p.paper.id: p for p in build_digest(store, config, DAY).selected}
        assert not any(p.starred or p.disliked for p in papers.values())


def test_feedback_on_an_unknown_paper_says_how_to_find_one(store, config):
    with pytest.raises(ProfileError, match=r"no stored paper '9999\.99999'.*dailyai search"):
        set_feedback(store, config, "9999.99999", "like", source="cli")


async def test_profile_groups_by_source(store, config):
    await imported(store, config, "profile_csl.json")
    listed_paper(store, "2610.00001", "Reward models for RLHF")
    listed_paper(store, "2610.00002", "A survey of everything")
    set_feedback(store, config, "2610.00001", "like", source="tui")
    set_feedback(store, config, "2610.00002", "dislike", source="tui")

    groups = {group.label: len(group.entries) for group in profile_groups(store.profile_entries())}

    assert groups == {"seeds from profile_csl.json": 2, "liked (starred)": 1, "not interested": 1}


def test_stars_of_an_older_store_become_likes(tmp_path, monkeypatch, config):
    path = tmp_path / "old.sqlite3"
    before = [m for m in MIGRATIONS if m[0] != "m010_interest_profile"]
    monkeypatch.setattr("core.store.migrations.MIGRATIONS", before)
    with Store(path) as store:
        listed_paper(store, "2610.00001", "Reward models for RLHF")
        listed_paper(store, "2610.00002", "Unstarred")
    run_sql(path, "INSERT INTO reader_state (paper_id, starred) VALUES ('2610.00001', 1)")
    run_sql(path, "INSERT INTO reader_state (paper_id, starred) VALUES ('2610.00002', 0)")
    monkeypatch.undo()

    with Store(path) as store:
        assert store.applied_migrations[-1] == "m010_interest_profile"
        (entry,) = store.profile_entries()
        assert (entry.key, entry.stance, entry.title) == (
            "2610.00001",
            "like",
            "Reward models for RLHF",
        )
        assert entry.url == "https://arxiv.org/abs/2610.00001"
        assert store.reader_states(["2610.00001"])["2610.00001"].starred
    assert count(path, "SELECT count(*) FROM profile_entries") == 1
