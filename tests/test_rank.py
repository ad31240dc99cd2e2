"""The "For you" ranking: the blend, the why lines, both similarity methods (embeddings
through the Ollama stand-in, lexical without anything), the vector cache, `dailyai rank`,
and following starred papers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import date

import pytest

from cli import main
from core.digest import build_digest
from core.follow import acceptance, sentence_changes
from core.llm import make_client
from core.models import Listed, Paper
from core.profile import embed_day, rank_titles, set_feedback
from core.store import ProfileEntry, Store
from core.summarize import plan_day
from tests.hostile import HOSTILE_TITLES
from tests.raw_sql import count

DAY = date(2026, 10, 1)

TOPICS = {
    "rl": "Reinforcement learning from human feedback with reward models and policy optimization",
    "vision": "Image segmentation with convolutional networks for medical scans and pixels",
    "speech": "Speech recognition of spoken audio with acoustic models and speakers",
    "robots": "Robot manipulation and grasping with legged locomotion controllers",
}


def configured(config, **rank):
    """The config with [rank] keys changed (lexical unless said otherwise)."""
    rank.setdefault("method", "lexical")
    return dataclasses.replace(config, rank=dataclasses.replace(config.rank, **rank))


def paper(paper_id: str, title: str, abstract: str = "", **fields) -> Paper:
    return Paper(
        id=paper_id,
        arxiv_id=paper_id,
        version=fields.pop("version", 1),
        title=title,
        abstract=abstract or f"We study {title.lower()}.",
        links={"abs": f"https://arxiv.org/abs/{paper_id}"},
        **fields,
    )


def list_day(store: Store, papers: list[Paper], day: date = DAY, announce: str = "new") -> None:
    store.merge_listed([Listed(p, day, announce) for p in papers], "arxiv")


def seed(store: Store, key: str, title: str, abstract: str, *, stance="like", added_at="") -> None:
    store.add_profile_entries(
        [
            ProfileEntry(
                key=key,
                stance=stance,
                origin="import",
                title=title,
                abstract=abstract,
                source="seeds.bib",
                added_at=added_at or "2026-09-30T00:00:00+00:00",
            )
        ]
    )


def a_day(store: Store) -> list[Paper]:
    """One paper per topic on DAY, plus a Hugging Face paper with many upvotes."""
    papers = [
        paper(f"2610.0000{i}", f"On {name}", text) for i, (name, text) in enumerate(TOPICS.items())
    ]
    papers.append(paper("2610.00099", "A popular unrelated paper", "Tables.", hf_upvotes=40))
    list_day(store, papers)
    return papers


def order(store, config, day=DAY) -> list[str]:
    return [p.paper.id for p in build_digest(store, config, day).for_you]


# --- the blend ---------------------------------------------------------------------------


def test_an_empty_profile_keeps_the_signals_order_exactly(store, config):
    a_day(store)
    list_day(store, [paper("2610.00098", "Barely upvoted", "Tables.", hf_upvotes=1)])
    config.digest.interest_keywords = ["segmentation"]
    signals = order(
        store,
        dataclasses.replace(config, digest=dataclasses.replace(config.digest, personal=False)),
    )

    digest = build_digest(store, config, DAY)

    assert [p.paper.id for p in digest.for_you] == signals
    # Hugging Face first (by upvotes, however few), then interest matches, then the source's
    # order: the first release's order, which a blend of the same signals would not keep.
    assert signals == [
        "2610.00099",
        "2610.00098",
        "2610.00001",
        "2610.00000",
        "2610.00002",
        "2610.00003",
    ]
    assert not digest.ranking.personal
    assert [p.why for p in digest.for_you[:3]] == ["🤗 40", "🤗 1", "키워드 segmentation"]
    assert digest.for_you[3].why == "arxiv 목록"


def test_a_liked_topic_outranks_public_signals(store, config):
    a_day(store)
    seed(store, "title:robots", "Legged robot locomotion", TOPICS["robots"])
    config = configured(config)

    digest = build_digest(store, config, DAY)

    assert digest.ranking.personal and digest.ranking.method == "lexical"
    assert digest.for_you[0].paper.id == "2610.00003"
    assert digest.for_you[0].why.startswith("관심 논문 'Legged robot locomotion'와 비슷함")
    # The blend is configurable: without the profile's weight, the signals decide again.
    assert order(store, configured(config, profile_weight=0.0))[0] == "2610.00099"


def test_recent_likes_weigh_more(store, config):
    a_day(store)
    seed(store, "title:speech", "Speech", TOPICS["speech"], added_at="2025-10-01T00:00:00+00:00")
    seed(store, "title:vision", "Vision", TOPICS["vision"], added_at="2026-09-30T00:00:00+00:00")
    config = configured(config, like_half_life_days=30)

    ranked = order(store, config)

    assert ranked.index("2610.00001") < ranked.index("2610.00002")  # vision (recent) first
    # The same two likes a year apart the other way round swap the two.
    store.forget_profile_entry("title:speech")
    store.forget_profile_entry("title:vision")
    seed(store, "title:speech", "Speech", TOPICS["speech"], added_at="2026-09-30T00:00:00+00:00")
    seed(store, "title:vision", "Vision", TOPICS["vision"], added_at="2025-10-01T00:00:00+00:00")
    ranked = order(store, config)
    assert ranked.index("2610.00002") < ranked.index("2610.00001")


def test_not_interested_pushes_papers_down_and_itself_last(store, config):
    papers = a_day(store)
    config = configured(config)
    seed(store, "title:rl", "RLHF", TOPICS["rl"])
    set_feedback(store, config, "2610.00003", "dislike", source="tui")  # robots
    near_robots = paper("2610.00010", "Legged locomotion controllers for robot grasping")
    popular = paper("2610.00011", "Popular but not for me", "Tables.", hf_upvotes=500)
    list_day(store, [near_robots, popular])
    set_feedback(store, config, popular.id, "dislike", source="tui")

    digest = build_digest(store, config, DAY)
    ranked = [p.paper.id for p in digest.for_you]

    assert ranked[0] == papers[0].id  # the liked topic
    assert set(ranked[-2:]) == {"2610.00003", "2610.00011"}  # marked not interesting
    # Last whatever their upvotes, even when the profile weighs little.
    assert set(order(store, configured(config, profile_weight=0.2))[-2:]) == {
        "2610.00003",
        "2610.00011",
    }
    assert ranked.index("2610.00010") > ranked.index("2610.00099")
    assert digest.ranking.likes == 1 and digest.ranking.dislikes == 2
    assert next(p for p in digest.for_you if p.paper.id == "2610.00003").disliked


def test_config_interests_stay_explicit(store, config):
    a_day(store)
    seed(store, "title:rl", "RLHF", TOPICS["rl"])
    config = configured(config)
    config.digest.interest_authors = ["Yann LeCun"]
    config.digest.interest_keywords = ["diffusion"]
    list_day(
        store,
        [
            paper(
                "2610.00020",
                "Diffusion models",
                "A diffusion sampler.",
                authors=["Yann LeCun"],
                github_repo="https://github.com/x/y",
            )
        ],
    )

    digest = build_digest(store, config, DAY)
    item = next(p for p in digest.for_you if p.paper.id == "2610.00020")

    assert item.why == "저자 Yann LeCun · 키워드 diffusion · 코드 공개"
    assert item.score > next(p for p in digest.for_you if p.paper.id == "2610.00002").score


def test_hostile_titles_stay_inert_in_why_lines(store, config):
    a_day(store)
    hostile = (
        HOSTILE_TITLES["osc52_clipboard"]
        + HOSTILE_TITLES["bidi_override"]
        + HOSTILE_TITLES["textual_markup"]
        + " <script>alert(1)</script>"
    )
    seed(store, "title:hostile", hostile, TOPICS["rl"])

    why = build_digest(store, configured(config, upvotes_weight=0.0), DAY).for_you[0].why

    assert why.startswith("관심 논문 'Copy") and why.endswith("…'와 비슷함")
    assert not any(char in why for char in "\x1b\x07\u202e\u202c\u2066\u2069")
    assert all(ord(char) >= 32 for char in why)
    assert len(why) < 80  # the title is shortened, never the whole of it


# --- embeddings through the stand-in --------------------------------------------------------


def with_standin(config, standin, **rank):
    llm = dataclasses.replace(config.llm, hosts=[standin.url], retries=0)
    return configured(dataclasses.replace(config, llm=llm), method="embeddings", **rank)


def test_embeddings_rank_and_a_rerun_embeds_nothing(store, config, ollama_standin):
    a_day(store)
    seed(store, "title:rl", "RLHF", TOPICS["rl"])
    config = with_standin(config, ollama_standin, embedding_batch=2)

    before = build_digest(store, config, DAY)
    assert before.ranking.method == "lexical" and "no bge-m3 vectors yet" in before.ranking.note

    outcome = asyncio.run(embed_day(store, config, DAY))
    assert (outcome.embedded, outcome.error) == (6, "")
    requests = ollama_standin.embed_requests
    assert len(requests) == 3  # six texts, two a request
    assert all(isinstance(r.body["input"], list) for r in requests)

    digest = build_digest(store, config, DAY)
    assert digest.ranking.method == "embeddings" and digest.ranking.model == "bge-m3"
    assert digest.ranking.describe() == "embeddings (bge-m3)"
    assert digest.for_you[0].paper.id == "2610.00000"

    again = asyncio.run(embed_day(store, config, DAY))
    assert (again.embedded, again.cached, again.requests) == (0, 6, 0)
    assert len(ollama_standin.embed_requests) == 3  # the rerun asked for nothing
    # A new paper is the only text embedded next time.
    list_day(store, [paper("2610.00050", "Reward hacking in RLHF")])
    assert asyncio.run(embed_day(store, config, DAY)).embedded == 1
    assert ollama_standin.embed_requests[-1].body["input"][0].startswith("Reward hacking")


def test_a_missing_embedding_model_falls_back_to_lexical_with_a_message(
    store, config, ollama_standin
):
    a_day(store)
    seed(store, "title:rl", "RLHF", TOPICS["rl"])
    config = with_standin(config, ollama_standin, embedding_model="nomic-embed-text")

    outcome = asyncio.run(embed_day(store, config, DAY))
    digest = build_digest(store, config, DAY)

    assert outcome.error == (
        "embedding model 'nomic-embed-text' is not pulled — run `ollama pull nomic-embed-text`"
    )
    assert digest.ranking.method == "lexical"
    assert digest.for_you[0].paper.id == "2610.00000"  # ranked all the same
    assert count(store.path, "SELECT count(*) FROM embeddings") == 0


async def test_a_missing_embedding_model_leaves_the_shared_model_client_answering(
    store, config, ollama_standin
):
    """Ranking and summaries share one model client: the embedding model missing is not
    the host's fault, so the same client still summarizes."""
    a_day(store)
    seed(store, "title:rl", "RLHF", TOPICS["rl"])
    config = with_standin(config, ollama_standin, embedding_model="nomic-embed-text")
    async with make_client(config) as client:
        outcome = await embed_day(store, config, DAY, client=client)
        assert "'nomic-embed-text' is not pulled" in outcome.error
        answer = await client.chat(
            [{"role": "user", "content": "<paper><title>T</title><abstract>A</abstract></paper>"}]
        )
    assert answer.text and answer.failed_hosts == []


def test_ollama_down_falls_back_to_lexical(store, config):
    a_day(store)
    seed(store, "title:rl", "RLHF", TOPICS["rl"])
    llm = dataclasses.replace(config.llm, hosts=["http://127.0.0.1:9"], connect_timeout_seconds=2)
    config = configured(dataclasses.replace(config, llm=llm), method="embeddings")

    outcome = asyncio.run(embed_day(store, config, DAY))

    assert outcome.error.startswith("cannot reach Ollama at http://127.0.0.1:9")


def test_rank_titles_stores_nothing(store, config, ollama_standin):
    a_day(store)
    seed(store, "title:vision", "Vision", TOPICS["vision"])
    config = with_standin(config, ollama_standin)
    papers = store.count_papers()

    ranked, info = asyncio.run(
        rank_titles(
            store,
            config,
            [{"title": "Segmentation of medical image pixels"}, {"title": "Protein folding"}],
            DAY,
        )
    )

    assert info.method == "embeddings"
    assert [item.title for item in ranked] == [
        "Segmentation of medical image pixels",
        "Protein folding",
    ]
    assert store.count_papers() == papers
    # Only the profile's vector is kept; the titles' vectors are not.
    assert count(store.path, "SELECT count(*) FROM embeddings WHERE item LIKE 'titles:%'") == 0
    assert count(store.path, "SELECT count(*) FROM embeddings") == 1


def test_rank_command_writes_json_lines_and_names_the_method(store, config, capsys, tmp_path):
    a_day(store)
    seed(store, "title:robots", "Robots", TOPICS["robots"])
    toml = tmp_path / "config.toml"
    toml.write_text('[rank]\nmethod = "lexical"\n', encoding="utf-8")
    store.close()
    database = config.dirs.database
    database.parent.mkdir(parents=True, exist_ok=True)
    store.path.rename(database)

    code = main(["--config", str(toml), "rank", "--date", DAY.isoformat(), "--limit", "2"])

    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 2
    assert lines[0]["id"] == "2610.00003" and set(lines[0]) == {"id", "title", "score", "why"}
    assert lines[0]["score"] >= lines[1]["score"]
    assert "ranked by lexical (BM25)" in err


# --- following starred papers ----------------------------------------------------------------


def test_acceptance_is_read_from_comments():
    assert acceptance("Accepted at ICLR 2026; 12 pages") == "ICLR 2026"
    assert acceptance("accepted as a poster at NeurIPS 2025 (spotlight)") == "NeurIPS 2025"
    assert acceptance("To appear in Proceedings of ACL 2024.") == "Proceedings of ACL 2024"
    assert acceptance("Accepted for publication in IEEE TPAMI") == "IEEE TPAMI"
    assert acceptance("12 pages, 4 figures") is None
    assert acceptance(None) is None


def test_sentence_changes_count_what_was_added_and_dropped():
    assert sentence_changes("A. B. C.", "A.  B. C.") == (0, 0)
    assert sentence_changes("A. B. C.", "A. B2. C. D.") == (2, 1)


def test_a_starred_paper_with_a_new_version_is_flagged_that_day(store, config):
    config = configured(config)
    list_day(store, [paper("2610.00001", "RLHF done right", "Old abstract. It works.")])
    set_feedback(store, config, "2610.00001", "like", source="tui")
    later = date(2026, 10, 3)
    v2 = paper(
        "2610.00001",
        "RLHF done right",
        "Old abstract. It works even better. We add a new benchmark.",
        version=2,
        comment="Accepted at ICLR 2026",
    )
    list_day(store, [v2], later, announce="replace")

    digest = build_digest(store, config, later)

    (update,) = digest.followed
    assert (update.old_version, update.new_version, update.venue) == (1, 2, "ICLR 2026")
    assert update.line == "새 버전 v1→v2 · ICLR 2026 채택 · 초록 변경(문장 2개 추가, 1개 삭제)"
    assert update.badge == "v2 · ICLR 2026 채택"
    item = next(p for p in digest.others if p.paper.id == "2610.00001")
    assert item.update is update and item.starred and not item.eligible
    # Only on the day it changed.
    assert build_digest(store, config, DAY).followed == []
    # Its summary is out of date (the abstract changed): the day's summarize run rewrites it.
    assert "2610.00001" in [p.id for p in plan_day(store, config, later).summaries]


def test_changes_before_the_star_or_of_unstarred_papers_are_not_flagged(store, config):
    config = configured(config)
    list_day(store, [paper("2610.00001", "Starred later"), paper("2610.00002", "Never starred")])
    later = date(2026, 10, 3)
    list_day(
        store,
        [
            paper("2610.00001", "Starred later", version=2),
            paper("2610.00002", "Never starred", version=2),
        ],
        later,
        announce="replace",
    )
    set_feedback(store, config, "2610.00001", "like", source="tui")
    store.add_profile_entries([])  # nothing else

    assert build_digest(store, config, later).followed == []


def test_an_acceptance_without_a_new_version_is_flagged(store, config):
    config = configured(config)
    list_day(store, [paper("2610.00001", "RLHF done right", comment="10 pages")])
    set_feedback(store, config, "2610.00001", "like", source="tui")
    later = date(2026, 10, 4)
    list_day(
        store,
        [paper("2610.00001", "RLHF done right", comment="Accepted to NeurIPS 2026 (oral)")],
        later,
        announce="replace",
    )

    (update,) = build_digest(store, config, later).followed

    assert update.line == "NeurIPS 2026 채택" and not update.abstract_changed
    assert "2610.00001" not in [p.id for p in plan_day(store, config, later).summaries]


@pytest.mark.parametrize("personal", [True, False])
def test_digest_personal_switch(store, config, personal):
    a_day(store)
    seed(store, "title:robots", "Robots", TOPICS["robots"])
    config = configured(config)
    config.digest.personal = personal

    digest = build_digest(store, config, DAY)

    assert digest.ranking.personal is personal
    assert (digest.for_you[0].paper.id == "2610.00003") is personal


def test_doctor_says_which_method_ranks(store, config, ollama_standin):
    from core.doctor import check_ranking

    assert "the interest profile is empty" in check_ranking(config, store).detail
    seed(store, "title:rl", "RLHF", TOPICS["rl"])
    ready = with_standin(config, ollama_standin)

    check = check_ranking(ready, store)
    assert check.ok and check.detail.startswith(f"embeddings with bge-m3 at {ollama_standin.url}")

    check = check_ranking(with_standin(config, ollama_standin, embedding_model="nope"), store)
    assert not check.ok
    assert check.detail.startswith("the lexical method stands in for embeddings: embedding model")
    assert "`ollama pull nope`" in check.detail
    assert check_ranking(configured(config), store).detail.startswith("lexical (BM25)")
