"""The SQLite store: migrations, one record per paper, merging, the seen-window, search."""

from __future__ import annotations

import ast
import sqlite3
import typing
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.errors import StoreError
from core.ids import canonical_id, link_id, normalise_url, parse_arxiv_id
from core.models import Listed, Paper
from core.prompts import SUMMARY_PROMPT_VERSION
from core.store import Store, merge_paper
from core.store.migrations import MIGRATIONS
from tests.raw_sql import run_sql

DAY = date(2026, 5, 8)
ROOT = Path(__file__).resolve().parent.parent


def arxiv(paper_id: str, version: int | None = 1, **fields) -> Paper:
    defaults = {
        "title": f"Title of {paper_id}",
        "abstract": "An abstract.",
        "arxiv_id": paper_id,
        "version": version,
        "categories": ["cs.CL"],
        "links": {"abs": f"https://arxiv.org/abs/{paper_id}"},
        "text_rank": 2,
    }
    defaults.update(fields)
    return Paper(id=paper_id, **defaults)


def hf(paper_id: str, upvotes: int = 10, **fields) -> Paper:
    defaults = {
        "title": f"HF title of {paper_id}",
        "abstract": "HF copy of the abstract.",
        "arxiv_id": paper_id,
        "hf_upvotes": upvotes,
        "links": {"hf": f"https://huggingface.co/papers/{paper_id}"},
        "ai_keywords": ["llm"],
        "text_rank": 1,
    }
    defaults.update(fields)
    return Paper(id=paper_id, **defaults)


def test_migrations_run_once_in_order(tmp_path):
    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        assert store.applied_migrations == [name for name, _ in MIGRATIONS]
        names = [row[0] for row in run_sql(path, "SELECT name FROM _migrations ORDER BY rowid")]
        assert names == [name for name, _ in MIGRATIONS]
        assert run_sql(path, "PRAGMA journal_mode")[0][0] == "wal"
    with Store(path) as again:
        assert again.applied_migrations == []


def test_a_store_from_an_older_version_is_brought_up_to_date(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    first_name, first = MIGRATIONS[0]
    db.execute("BEGIN")
    first(db)
    db.execute("INSERT INTO _migrations VALUES (?, 'then')", (first_name,))
    db.execute(
        "INSERT INTO papers (id, title, first_seen_at, updated_at) VALUES ('2401.00001', 'kept', 'x', 'x')"
    )
    db.execute("COMMIT")
    db.close()
    with Store(path) as store:
        assert store.applied_migrations == [name for name, _ in MIGRATIONS[1:]]
        assert store.get_paper("2401.00001").title == "kept"
        store.start_run("fetch", DAY)  # tables of later migrations exist


def test_a_failing_migration_leaves_nothing_half_done(tmp_path, monkeypatch):
    def broken(db):
        db.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr("core.store.migrations.MIGRATIONS", [*MIGRATIONS, ("m999_broken", broken)])
    with pytest.raises(RuntimeError):
        Store(tmp_path / "s.sqlite3")
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'half'").fetchall()
    assert not db.execute("SELECT 1 FROM _migrations WHERE name = 'm999_broken'").fetchall()


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store(path)


def test_canonical_ids():
    assert parse_arxiv_id("oai:arXiv.org:2411.09009v2") == ("2411.09009", 2)
    assert parse_arxiv_id("https://arxiv.org/abs/astro-ph/0601001v1") == ("astro-ph/0601001", 1)
    assert parse_arxiv_id("https://huggingface.co/papers/2605.05242") == ("2605.05242", None)
    assert parse_arxiv_id("no id here") is None
    assert canonical_id("2411.09009", "https://x") == "2411.09009"
    # A paper known only by its link: the same page over http/https, with a fragment or a
    # trailing slash, is one paper.
    assert link_id("http://Example.org/paper/1/#abs") == link_id("https://example.org/paper/1")
    assert normalise_url("HTTP://Example.org/a/") == "https://example.org/a"
    assert canonical_id(None, "https://example.org/p").startswith("url:")


def test_same_paper_from_hf_and_arxiv_is_one_record_with_both_signals(store):
    store.merge_listed([Listed(hf("2605.05242", upvotes=86), DAY)], "hf-daily")
    counts = store.merge_listed([Listed(arxiv("2605.05242"), DAY, "new")], "arxiv")
    assert (counts.new, counts.updated) == (0, 1)
    assert store.count_papers() == 1
    paper = store.get_paper("2605.05242")
    assert paper.title == "Title of 2605.05242"  # arXiv's own text wins over HF's copy
    assert paper.hf_upvotes == 86 and paper.ai_keywords == ["llm"]
    assert paper.categories == ["cs.CL"]
    assert set(paper.links) == {"hf", "abs"}
    assert paper.sources == ["arxiv", "hf-daily"]
    # HF seen later again: its upvotes update, arXiv's text stays.
    store.merge_listed([Listed(hf("2605.05242", upvotes=120), DAY)], "hf-daily")
    paper = store.get_paper("2605.05242")
    assert paper.hf_upvotes == 120 and paper.title == "Title of 2605.05242"


def test_a_new_version_updates_the_record_and_an_old_one_does_not(store):
    store.merge_listed([Listed(arxiv("2411.09009", 1, title="First"), DAY, "new")], "arxiv")
    store.merge_listed(
        [
            Listed(
                arxiv("2411.09009", 2, title="Second", abstract="Revised."),
                DAY + timedelta(days=3),
                "replace",
            )
        ],
        "arxiv",
    )
    paper = store.get_paper("2411.09009")
    assert (paper.version, paper.title, paper.abstract) == (2, "Second", "Revised.")
    store.merge_listed([Listed(arxiv("2411.09009", 1, title="First"), DAY, "new")], "arxiv")
    assert store.get_paper("2411.09009").title == "Second"
    assert store.count_papers() == 1
    assert store.get_paper("2411.09009").days == [str(DAY), str(DAY + timedelta(days=3))]


def test_duplicates_inside_one_feed_are_merged(store):
    """Two entries of one paper in a batch: nothing the first one carried is lost."""
    first = arxiv(
        "2401.00001",
        1,
        categories=["cs.CL"],
        links={
            "abs": "https://arxiv.org/abs/2401.00001",
            "pdf": "https://arxiv.org/pdf/2401.00001",
        },
        hf_upvotes=7,
        ai_keywords=["agents"],
    )
    second = arxiv(
        "2401.00001",
        2,
        title="v2",
        abstract="Revised.",
        categories=["cs.LG"],
        links={"html": "https://arxiv.org/html/2401.00001v2"},
    )
    counts = store.merge_listed([Listed(first, DAY, "new"), Listed(second, DAY, "new")], "arxiv")
    assert (counts.new, counts.duplicates, counts.listings) == (1, 1, 1)
    paper = store.get_paper("2401.00001")
    # The second entry is a newer version: its text wins ...
    assert (paper.version, paper.title, paper.abstract) == (2, "v2", "Revised.")
    # ... and the first entry's categories, signals and links are kept beside its own.
    assert paper.categories == ["cs.CL", "cs.LG"]
    assert paper.hf_upvotes == 7 and paper.ai_keywords == ["agents"]
    assert set(paper.links) == {"abs", "pdf", "html"}


def test_an_older_duplicate_later_in_the_batch_does_not_replace_the_newer_text(store):
    newer = arxiv("2401.00002", 3, title="v3", abstract="Third.", categories=["cs.AI"])
    older = arxiv("2401.00002", 1, title="v1", abstract="First.", categories=["cs.RO"])
    store.merge_listed([Listed(newer, DAY, "new"), Listed(older, DAY, "new")], "arxiv")
    paper = store.get_paper("2401.00002")
    assert (paper.version, paper.title, paper.abstract) == (3, "v3", "Third.")
    assert paper.categories == ["cs.AI", "cs.RO"]


def test_merge_paper_keeps_every_signal_and_the_best_text():
    stored = arxiv(
        "2605.05242",
        2,
        title="arXiv v2",
        authors=["A. Author"],
        links={"abs": "https://arxiv.org/abs/2605.05242", "pdf": "https://arxiv.org/pdf/x"},
        primary_category="cs.CL",
        published="2026-05-01",
    )
    # Hugging Face's copy (no version, a lower text rank): signals in, text not.
    merged = merge_paper(
        stored,
        hf(
            "2605.05242",
            upvotes=86,
            title="HF copy",
            links={"hf": "https://huggingface.co/papers/2605.05242", "pdf": "https://hf/pdf"},
            github_repo="https://github.com/o/r",
        ),
    )
    assert (merged.title, merged.version, merged.authors) == ("arXiv v2", 2, ["A. Author"])
    assert (merged.hf_upvotes, merged.github_repo, merged.ai_keywords) == (
        86,
        "https://github.com/o/r",
        ["llm"],
    )
    assert merged.links == {
        "abs": "https://arxiv.org/abs/2605.05242",
        "pdf": "https://arxiv.org/pdf/x",  # the text's own source wins a clash
        "hf": "https://huggingface.co/papers/2605.05242",
    }
    # A later HF reading without upvotes does not erase the ones known.
    assert merge_paper(merged, hf("2605.05242", upvotes=None)).hf_upvotes == 86
    # An older version brings its categories but not its text or version.
    older = merge_paper(merged, arxiv("2605.05242", 1, title="v1", categories=["cs.LG"]))
    assert (older.title, older.version, older.categories) == ("arXiv v2", 2, ["cs.CL", "cs.LG"])
    assert older.primary_category == "cs.CL"
    # A newer version takes the text, the version and its primary category.
    newer = merge_paper(
        merged, arxiv("2605.05242", 3, title="v3", abstract="", primary_category="cs.AI")
    )
    assert (newer.title, newer.version, newer.primary_category) == ("v3", 3, "cs.AI")
    assert newer.abstract == stored.abstract  # an empty field never erases a known one
    assert newer.hf_upvotes == 86 and newer.published == "2026-05-01"
    # Between equal versions the more authoritative source keeps the text.
    same = merge_paper(merged, arxiv("2605.05242", 2, title="Same version", text_rank=1))
    assert same.title == "arXiv v2"


def test_reingesting_the_same_papers_changes_nothing(store):
    batch = [Listed(arxiv(f"2401.{i:05d}"), DAY, "new") for i in range(50)]
    assert store.merge_listed(batch, "arxiv").new == 50
    again = store.merge_listed(batch, "arxiv")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 50)


def test_seen_window_marks_papers_listed_on_earlier_days(store):
    store.merge_listed([Listed(arxiv("2401.00001"), DAY - timedelta(days=3), "new")], "arxiv")
    store.merge_listed([Listed(arxiv("2401.00002"), DAY - timedelta(days=8), "new")], "arxiv")
    store.merge_listed(
        [Listed(arxiv("2401.00003", 2), DAY - timedelta(days=2), "replace")], "arxiv"
    )
    store.merge_listed(
        [
            Listed(hf(paper_id), DAY)
            for paper_id in ("2401.00001", "2401.00002", "2401.00003", "2401.00004")
        ],
        "hf-daily",
    )
    seen = {
        entry.paper.id: entry.seen
        for entry in store.day_papers(DAY, seen_window_days=7, announce_types=["new", "cross"])
    }
    assert seen == {
        "2401.00001": True,  # shown 3 days ago
        "2401.00002": False,  # 8 days ago is outside the window
        "2401.00003": False,  # only re-announced as a new version, never shown as new
        "2401.00004": False,
    }
    # Fetching days out of order gives the same answer: seen is derived, never stale.
    wide = {e.paper.id: e.seen for e in store.day_papers(DAY, seen_window_days=30)}
    assert wide["2401.00002"] is True and wide["2401.00003"] is True


def test_search_titles_abstracts_and_korean_summaries(store):
    store.merge_listed(
        [
            Listed(arxiv("2401.00001", title="Reinforcement learning for robots"), DAY, "new"),
            Listed(
                arxiv("2401.00002", title="Diffusion models", abstract="We study denoising."),
                DAY,
                "new",
            ),
        ],
        "arxiv",
    )
    assert [hit.paper.id for hit in store.search("reinforce")] == ["2401.00001"]
    assert [hit.paper.id for hit in store.search("denois")] == ["2401.00002"]
    store.save_summary(
        "2401.00002", model="m", prompt_version=SUMMARY_PROMPT_VERSION, abstract_hash="h",
        status="ok", text="확산 모델의 강화학습을 다룬다.",
    )  # fmt: skip
    assert [hit.paper.id for hit in store.search("강화학습")] == ["2401.00002"]
    # FTS syntax in a query is taken literally, never an error.
    for query in ['"', "AND", "-x", "title:", "a*b", "(", "NEAR("]:
        store.search(query)
    assert store.search("   ") == []


def test_user_category_wins_over_later_classification(store):
    store.merge_listed([Listed(arxiv("2401.00001"), DAY, "new")], "arxiv")
    store.set_classification(
        "2401.00001", category="LLM", confidence=1.0, method="user", taxonomy_version="1"
    )
    assert not store.set_classification(
        "2401.00001", category="Other", confidence=0.9, method="llm", taxonomy_version="2"
    )
    stored = store.classifications(["2401.00001"])["2401.00001"]
    assert (stored.category, stored.method) == ("LLM", "user")
    assert store.unclassified(["2401.00001"], "2") == []


def test_export_rows_carry_every_field_and_listing(store):
    store.merge_listed([Listed(hf("2605.05242"), DAY)], "hf-daily")
    store.merge_listed([Listed(arxiv("2605.05242"), DAY, "new")], "arxiv")
    rows = list(store.export_rows(DAY))
    assert len(rows) == 1
    row = rows[0]
    assert row["hf_upvotes"] == 10 and row["categories"] == ["cs.CL"]
    assert {(item["source"], item["announce_type"]) for item in row["listings"]} == {
        ("hf-daily", None),
        ("arxiv", "new"),
    }
    assert list(store.export_rows(DAY + timedelta(days=1))) == []


def test_run_ledger_records_steps(store):
    from core.store import RunStep

    run_id = store.start_run("fetch", DAY)
    store.record_step(
        run_id, RunStep("fetch", "arxiv", "failed", "arxiv: HTTP 503", {"listed": 0}, 12)
    )
    store.finish_run(run_id, "partial", "")
    (run,) = store.runs(day=DAY)
    assert (run.status, run.steps[0].target, run.steps[0].reason) == (
        "partial",
        "arxiv",
        "arxiv: HTTP 503",
    )


def test_delivery_ledger_knows_who_had_the_day_whatever_the_case_of_the_address(store):
    store.record_delivery(DAY, "Alice@Example.org", status="sent", message_id="<1@x>")
    store.record_delivery(DAY, "bob@example.org", status="failed", error="550 no such user")
    assert store.delivered(DAY, "alice@example.org") and store.delivered(DAY, "ALICE@example.org")
    assert not store.delivered(DAY, "bob@example.org")  # a failure is retried next time
    assert not store.delivered(DAY + timedelta(days=1), "alice@example.org")
    store.record_delivery(DAY, "Bob@example.org", status="sent", message_id="<2@x>")
    assert [(delivery.recipient, delivery.status) for delivery in store.deliveries(DAY)] == [
        ("alice@example.org", "sent"),
        ("bob@example.org", "sent"),
    ]


def test_a_recipient_is_claimed_by_one_sender_at_a_time_whatever_the_case(store):
    first = store.claim_deliveries(DAY, ["Alice@Example.org"], "mail:first")
    assert first.claimed == ["Alice@Example.org"]
    second = store.claim_deliveries(DAY, ["alice@example.org", "bob@example.org"], "mail:second")
    assert second.claimed == ["bob@example.org"]  # alice is being sent to by the first sender
    assert second.held["alice@example.org"].holder == "mail:first"


def test_a_second_connection_can_read_while_one_writes(tmp_path):
    path = tmp_path / "s.sqlite3"
    with Store(path) as reader, closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO papers (id, title, first_seen_at, updated_at) VALUES ('a', 't', 'x', 'x')"
        )
        assert reader.count_papers() == 0  # WAL: the reader sees the last commit, no lock error
        writer.execute("COMMIT")
        assert reader.count_papers() == 1


def test_the_store_speaks_in_records_and_keeps_its_sql_to_itself():
    """No public way to run SQL on the store, and no database row in anything it returns."""
    public = {
        name: getattr(Store, name)
        for name in dir(Store)
        if not name.startswith("_") and callable(getattr(Store, name))
    }
    assert not {"query", "query_ids", "transaction"} & public.keys()
    for name, method in public.items():
        returned = repr(typing.get_type_hints(method).get("return"))
        assert "sqlite3" not in returned, f"Store.{name} returns {returned}"


def test_only_the_store_imports_sqlite3():
    """SQL stays in core.store: no other module of the app, bench or scripts opens SQLite."""
    paths = [
        path
        for folder in ("core", "tui", "bench", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if (ROOT / "core" / "store") not in path.parents
    ]
    assert paths
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            for name in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
        }
        assert "sqlite3" not in imported, path.relative_to(ROOT)
