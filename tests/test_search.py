"""Searching the store: Korean words inside compounds and past particles, English prefixes,
snippets with their matches, and the Korean index's backlog (kept through changes, stops,
a missing analyser and the migration of an older store).

The analyser is the real one (kiwipiepy in its child process), so every test that analyses
takes about a second; the read-only cases share one analysed store.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from core.korean import KoreanAnalyserError
from core.models import Listed, Paper
from core.prompts import SUMMARY_PROMPT_VERSION
from core.store import Store
from core.store.migrations import MIGRATIONS
from core.store.search import split_korean
from tests.raw_sql import count, run_sql

DAY = date(2026, 5, 8)

SUMMARIES = {
    "2401.00001": "이 논문은 로봇 제어를 위한 강화학습을 다룬다.",
    "2401.00002": "대규모 언어모델의 추론 능력을 개선하는 방법을 제안한다.",
    "2401.00003": "분자 구조로부터 화학 반응의 결과를 예측한다.",
    "2401.00004": "심층 강화 학습 정책을 실제 로봇에 옮긴다.",
    "2401.00005": "학습률 조정 없이도 수렴하는 최적화 기법을 보인다.",
    # Here Kiwi reads 강화학습 as one (guessed) proper noun; the index splits it all the same.
    "2401.00006": "저자들은 강화학습과 장문 이해의 결합으로 기존 방법의 한계를 극복한다.",
}
TITLES = {
    "2401.00001": "Reinforcement learning for robot control",
    "2401.00002": "Reasoning in large language models",
    "2401.00003": "Predicting chemical reactions",
    "2401.00004": "Sim-to-real transfer of deep RL policies",
    "2401.00005": "Unreinforced optimisation without learning-rate tuning",
    "2401.00006": "Long-context understanding",
}


def paper(paper_id: str, title: str, abstract: str = "An abstract.", version: int = 1) -> Paper:
    return Paper(
        id=paper_id,
        arxiv_id=paper_id,
        version=version,
        title=title,
        abstract=abstract,
        links={"abs": f"https://arxiv.org/abs/{paper_id}"},
        text_rank=2,
    )


def summarize(store: Store, paper_id: str, text: str, status: str = "ok") -> None:
    store.save_summary(
        paper_id,
        model="m",
        prompt_version=SUMMARY_PROMPT_VERSION,
        abstract_hash="h",
        status=status,
        text=text,
        reason="" if status == "ok" else "English",
    )


def found(store: Store, query: str) -> list[str]:
    return sorted(hit.paper.id for hit in store.search(query))


def fill(store: Store) -> None:
    store.merge_listed(
        [Listed(paper(paper_id, title), DAY, "new") for paper_id, title in TITLES.items()],
        "arxiv",
    )
    for paper_id, text in SUMMARIES.items():
        summarize(store, paper_id, text)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Store:
    """A store with five papers and Korean summaries, its Korean index up to date."""
    with Store(tmp_path_factory.mktemp("search") / "store.sqlite3") as store:
        fill(store)
        assert store.update_korean_index() == len(SUMMARIES)
        yield store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Inside a compound, past a particle, and across the space Korean often leaves out.
        ("학습", ["2401.00001", "2401.00004", "2401.00005", "2401.00006"]),
        ("강화학습", ["2401.00001", "2401.00004", "2401.00006"]),
        ("강화학습을", ["2401.00001", "2401.00004", "2401.00006"]),
        ("강화 학습", ["2401.00001", "2401.00004", "2401.00006"]),
        ("모델", ["2401.00002"]),
        ("언어모델의", ["2401.00002"]),
        ("모델의", ["2401.00002"]),
        ("최적화", ["2401.00005"]),
        ("제안하는", ["2401.00002"]),
        ("강화학", ["2401.00001", "2401.00004", "2401.00006"]),  # still typing: 강화 then 학…
        # Morphemes, not strings: 화학 (chemistry) is not found inside 강화학습.
        ("화학", ["2401.00003"]),
        ("학습률", ["2401.00005"]),
        # English stays a prefix at the start of a word: unreinforced is not reinforce….
        ("reinforce", ["2401.00001"]),
        ("robot", ["2401.00001"]),
        ("learning-rate", ["2401.00005"]),
        ("로봇 강화학습", ["2401.00001", "2401.00004"]),
        ("장문", ["2401.00006"]),
        ("없는말", []),
    ],
)
def test_korean_words_match_inside_compounds_and_past_particles(analysed, query, expected):
    assert found(analysed, query) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("강화학습", (["강화", "학습"], "")),
        ("학습", (["학습"], "")),
        ("언어모델의", (["언어", "모델"], "")),
        ("모델의", (["모델"], "")),  # the particle left off, though 의 is a morpheme too
        ("평가", (["평가"], "")),  # ends like the particle 가, and is a whole word
        ("제안하는", (["제안"], "")),
        ("강화학", (["강화"], "학")),
        ("화학", (["화"], "학")),  # not the suffix 화 alone: 최적화 is no match
        ("없는말", ([], "")),
    ],
)
def test_korean_query_words_are_split_into_indexed_morphemes(word, expected):
    known = {"강화", "학습", "언어", "모델", "의", "평가", "평", "제안", "화", "최적"}
    assert split_korean(word, known) == expected


def test_snippets_mark_the_match_in_the_summary_abstract_or_title(analysed):
    (hit,) = analysed.search("모델")
    assert hit.snippet.field == "summary" and "언어모델의" in hit.snippet.text
    assert [hit.snippet.text[a:b] for a, b in hit.snippet.highlights] == ["모델"]
    (hit,) = analysed.search("언어모델의")  # as typed, where it was written so
    assert [hit.snippet.text[a:b] for a, b in hit.snippet.highlights] == ["언어모델의"]
    hits = analysed.search("강화학습")
    marked = {
        hit.paper.id: [hit.snippet.text[a:b] for a, b in hit.snippet.highlights] for hit in hits
    }
    assert marked == {
        "2401.00001": ["강화학습"],
        "2401.00004": ["강화", "학습"],
        "2401.00006": ["강화학습"],
    }
    (hit,) = analysed.search("화학")
    assert [hit.snippet.text[a:b] for a, b in hit.snippet.highlights] == ["화학"]
    # An English word is marked to its end, in the title too.
    (hit,) = analysed.search("reinforce")
    assert [hit.title.text[a:b] for a, b in hit.title.highlights] == ["Reinforcement"]
    assert hit.snippet.field == "summary" and not hit.snippet.highlights  # the summary's start


def test_a_long_abstract_is_cut_around_its_first_match(store):
    words = " ".join(f"word{n}" for n in range(200))
    abstract = f"{words} the needle sits here {words} \x1b[31m"
    store.merge_listed([Listed(paper("2401.00009", "Haystack", abstract), DAY, "new")], "arxiv")
    (hit,) = store.search("needle")
    snippet = hit.snippet
    assert (
        snippet.field == "abstract" and snippet.text.startswith("…") and snippet.text.endswith("…")
    )
    assert len(snippet.text) <= 202
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["needle"]
    assert snippet.text.index("needle") < 20  # in sight at the start of a row
    assert "\x1b" not in snippet.text


def test_hostile_queries_are_literal(analysed):
    for query in [
        '학습"',
        '"강화 학습"',
        "korean : 학습",
        "{korean}",
        "학습 OR",
        "학습\x00x",
        "NEAR(학습",
    ]:
        analysed.search(query)  # never an FTS syntax error
    assert found(analysed, "korean") == []
    assert found(analysed, '학습"') == found(analysed, "학습")


def test_words_are_found_at_once_and_inside_compounds_once_analysed(store):
    fill(store)
    assert store.korean_backlog() == len(SUMMARIES)
    # By its words, as before: at the start of a word only.
    assert found(store, "강화학습") == ["2401.00001", "2401.00006"]
    assert found(store, "학습") == ["2401.00004", "2401.00005"]  # 학습 정책, 학습률
    assert store.update_korean_index() == len(SUMMARIES)
    assert store.korean_backlog() == 0
    assert found(store, "학습") == ["2401.00001", "2401.00004", "2401.00005", "2401.00006"]
    # A failed summary leaves the searchable one alone; nothing is analysed again.
    summarize(store, "2401.00002", "", status="failed")
    assert store.korean_backlog() == 0 and found(store, "모델") == ["2401.00002"]
    assert store.update_korean_index() == 0


def test_a_text_changed_during_the_analysis_waits_for_the_next_one(store):
    fill(store)

    def summary_rewritten(done: int, total: int) -> None:
        if done == 1:
            summarize(store, "2401.00003", "확산모델로 이미지를 생성한다.")

    assert store.update_korean_index(on_progress=summary_rewritten) == len(SUMMARIES) - 1
    assert store.korean_backlog() == 1
    assert found(store, "모델") == ["2401.00002"]  # the new summary not analysed yet
    assert store.update_korean_index() == 1
    assert found(store, "모델") == ["2401.00002", "2401.00003"]
    assert found(store, "화학") == []


def test_a_stopped_analysis_keeps_what_it_did(store):
    fill(store)
    done: list[int] = []  # the stop comes once the first paper is analysed
    stopped = store.update_korean_index(
        on_progress=lambda n, _: done.append(n), should_stop=lambda: bool(done)
    )
    assert stopped == 1
    assert store.korean_backlog() == len(SUMMARIES) - 1
    assert store.update_korean_index() == len(SUMMARIES) - 1


def test_korean_titles_of_a_feed_are_indexed_and_follow_a_new_version(store):
    store.merge_listed([Listed(paper("k-1", "한국어 언어모델 연구"), DAY, None)], "blog")
    assert store.korean_backlog() == 1
    store.update_korean_index()
    assert found(store, "모델") == ["k-1"]
    store.merge_listed([Listed(paper("k-1", "새로운 확산모델", version=2), DAY, None)], "blog")
    assert store.korean_backlog() == 1  # the title changed
    store.update_korean_index()
    assert found(store, "확산") == ["k-1"] and found(store, "언어") == []


def test_without_the_analyser_a_search_finds_words_and_the_backlog_waits(
    store, tmp_path, monkeypatch
):
    broken = tmp_path / "broken" / "kiwipiepy"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('no model for this machine')\n")
    monkeypatch.setenv("PYTHONPATH", str(broken.parent))
    fill(store)
    with pytest.raises(KoreanAnalyserError, match="kiwipiepy") as failure:
        store.update_korean_index()
    assert "\n" not in str(failure.value)
    assert store.korean_backlog() == len(SUMMARIES)
    assert found(store, "강화학습") == ["2401.00001", "2401.00006"]


def test_an_older_store_gets_the_korean_index_with_its_summaries(tmp_path):
    path = tmp_path / "old.sqlite3"
    before = [function for name, function in MIGRATIONS if name < "m010"]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.execute("BEGIN")
    for function in before:
        function(db)
        db.execute("INSERT INTO _migrations VALUES (?, 'then')", (function.__name__,))
    for rowid, (paper_id, title) in enumerate(TITLES.items(), start=1):
        db.execute(
            "INSERT INTO papers (rowid, id, title, abstract, first_seen_at, updated_at)"
            " VALUES (?, ?, ?, 'An abstract.', 'x', 'x')",
            (rowid, paper_id, title),
        )
        summary = SUMMARIES[paper_id] if paper_id != "2401.00005" else ""
        db.execute(
            "INSERT INTO papers_fts (rowid, title, abstract, summary) VALUES (?, ?, ?, ?)",
            (rowid, title, "An abstract.", summary),
        )
    db.execute("COMMIT")
    db.close()
    with Store(path) as store:
        assert "m011_korean_search" in store.applied_migrations
        assert found(store, "reinforce") == ["2401.00001"]
        # Searchable at once by its words.
        assert found(store, "강화학습") == ["2401.00001", "2401.00006"]
        assert store.korean_backlog() == len(SUMMARIES) - 1  # 2401.00005 had no summary
        store.update_korean_index()
        assert found(store, "학습") == ["2401.00001", "2401.00004", "2401.00006"]
    assert count(path, "SELECT count(*) FROM papers_fts") == len(TITLES)


def test_a_deleted_paper_leaves_the_index_and_the_backlog(store, tmp_path):
    fill(store)
    database = Path(store.path)
    assert count(database, "SELECT count(*) FROM search_backlog") == len(SUMMARIES)
    run_sql(database, "DELETE FROM papers WHERE id = '2401.00001'")
    assert store.korean_backlog() == len(SUMMARIES) - 1
    assert count(database, "SELECT count(*) FROM papers_fts") == len(TITLES) - 1
