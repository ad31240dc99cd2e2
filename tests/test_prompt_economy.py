"""Prompt economy: one request per digest paper for its category and summary, a stable
prompt prefix the server's cache can reuse, and the prompt tokens the server counted."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.classify import ClassifyStats, classify_day
from core.config import Config
from core.digest import build_digest
from core.prompts import SUMMARY_PROMPT_VERSION, summary_system
from core.runs import RecordedRun
from core.store import Store
from core.summarize import SummarizeStats, SummaryStream, summarize_day
from tests.ollama_standin import OllamaStandin, count_tokens
from tests.paper_fixtures import DAY, store_fixture_day
from tests.raw_sql import run_sql
from tests.test_summarize import with_digest, with_llm


@pytest.fixture
def model_config(config: Config, ollama_standin: OllamaStandin) -> Config:
    """Pointed at the stand-in: one slot (as on a laptop), a digest of five papers."""
    return with_digest(with_llm(config, host=ollama_standin.url, parallel=1), size=5)


@pytest.fixture
def day_ids(store: Store) -> list[str]:
    """Eight real papers on DAY, not classified yet (as after a fetch)."""
    return store_fixture_day(store, 8)


def with_combined(config: Config, combined: bool) -> Config:
    return dataclasses.replace(
        config, classify=dataclasses.replace(config.classify, combined=combined)
    )


async def run_model_steps(store: Store, config: Config) -> None:
    """The daily run's model steps: classify (leaving the digest to summarize), summarize."""
    await classify_day(store, config, DAY, summaries_follow=True)
    await summarize_day(store, config, DAY)


def kinds(standin: OllamaStandin) -> list[str]:
    return [usage.schema for usage in standin.usage_log]


async def test_each_digest_paper_is_classified_and_summarized_in_one_request(
    store, model_config, day_ids, ollama_standin
):
    await run_model_steps(store, model_config)
    digest = build_digest(store, model_config, DAY)
    asked = kinds(ollama_standin)
    # One combined request per digest paper, no classification batch for them, and one
    # report per category; the other papers are sorted by rules.
    assert asked.count("combined") == 5 and asked.count("summary") == 0
    assert "classify" not in asked
    assert asked.count("report") == len(digest.sections)
    for item in digest.selected:
        assert item.classification.method == "llm" and item.summary.status == "ok"
        assert item.classification.model == model_config.llm.model
    assert all(item.classification.method == "rules" for item in digest.others)
    # A second run has nothing to do.
    ollama_standin.reset_counters()
    await run_model_steps(store, model_config)
    assert ollama_standin.request_count == 0


async def test_the_old_path_stays_with_combined_off(store, model_config, day_ids, ollama_standin):
    config = with_combined(model_config, False)
    await run_model_steps(store, config)
    asked = kinds(ollama_standin)
    assert asked.count("classify") >= 1 and asked.count("summary") == 5
    assert "combined" not in asked


async def test_a_combined_answer_that_fails_the_gate_retries_the_summary_alone(
    store, model_config, day_ids, ollama_standin
):
    digest = build_digest(store, model_config, DAY)
    victim = digest.selected[0].paper
    ollama_standin.set_mode("hanja", times=1, match=victim.title)
    await run_model_steps(store, model_config)
    mine = [
        (usage, request)
        for usage, request in zip(ollama_standin.usage_log, ollama_standin.answered, strict=True)
        if f"<title>{victim.title}</title>" in request.text and usage.schema != "report"
    ]
    assert [usage.schema for usage, _ in mine] == ["combined", "summary"]
    retry = mine[1][1]
    assert retry.schema is None and "한자가 섞여 있었습니다" in retry.text
    after = next(p for p in build_digest(store, model_config, DAY).selected if p.paper == victim)
    assert after.summary.status == "ok" and "重" not in after.summary.text
    assert after.summary.attempts == 2
    assert after.classification.method == "llm"  # the category of the first answer stays


async def test_an_answer_without_a_valid_category_leaves_it_to_the_rules(
    store, model_config, day_ids, ollama_standin
):
    ollama_standin.set_mode("bad_json")
    await run_model_steps(store, model_config)
    digest = build_digest(store, model_config, DAY)
    assert all(item.classification.method == "rules" for item in digest.selected)
    assert all(item.summary.status == "ok" for item in digest.selected)
    assert kinds(ollama_standin).count("combined") == 5


async def test_every_summary_request_shares_the_system_message_and_ends_with_the_paper(
    store, model_config, day_ids, ollama_standin
):
    """The stable prefix the server's prompt cache reuses: the paper and retry notes last."""
    ollama_standin.set_mode("invented_numbers", times=2, match="<abstract>")
    await run_model_steps(store, model_config)
    summaries = [
        request
        for request in ollama_standin.answered
        if "<abstract>" in request.text and "주요 주제 및 경향" not in request.text
    ]
    assert len(summaries) == 7  # five papers, two of them asked again
    systems = {request.body["messages"][0]["content"] for request in summaries}
    assert systems == {summary_system(model_config.summaries.glossary)}
    retried = 0
    for request in summaries:
        user = request.body["messages"][1]["content"]
        head, _, rest = user.partition("<paper>")
        assert head == "" or head.startswith("분야: ")  # the same for every paper
        retried += "이전 답변" in rest.partition("</paper>")[2]
    assert retried == 2


async def test_the_prompt_cache_serves_the_shared_prefix(store, model_config, day_ids):
    """With the server's prefix cache emulated, the stable prefix is read once."""
    with OllamaStandin(prefix_cache=True).start() as standin:
        config = with_llm(model_config, host=standin.url)
        await run_model_steps(store, config)
        combined = [u for u in standin.usage_log if u.schema == "combined"]
        system = count_tokens(summary_system(config.summaries.glossary))
        assert combined[0].cached_tokens == 0
        assert all(usage.cached_tokens > system for usage in combined[1:])
        assert all(usage.prompt_tokens > usage.cached_tokens for usage in combined)


async def test_the_prompt_tokens_the_server_counted_are_recorded(
    store, model_config, day_ids, ollama_standin
):
    run = await RecordedRun.start(store, "run", DAY)
    async with run.step("classify") as step:
        await classify_day(
            store, model_config, DAY, summaries_follow=True, stats=step.counting(ClassifyStats())
        )
    async with run.step("summarize") as step:
        stats = await summarize_day(store, model_config, DAY, stats=step.counting(SummarizeStats()))
    counted = {usage.schema: 0 for usage in ollama_standin.usage_log if usage.schema != "classify"}
    for usage in ollama_standin.usage_log:
        counted[usage.schema] += usage.prompt_tokens
    assert stats.prompt_tokens == counted["combined"] > 0
    assert stats.report_prompt_tokens == counted["report"] > 0
    rows = run_sql(
        store.path,
        "SELECT SUM(prompt_tokens) FROM summaries WHERE prompt_version = ?",
        (SUMMARY_PROMPT_VERSION,),
    )
    assert rows[0][0] == counted["combined"]
    steps = {step.step: step.counts for step in store.runs(day=DAY, limit=1)[0].steps}
    assert steps["summarize"]["prompt_tokens"] == counted["combined"]
    assert steps["classify"]["with_summaries"] == 5 and steps["classify"]["prompt_tokens"] == 0


async def test_a_run_stopped_part_way_still_gives_every_digest_paper_a_category(
    store, model_config, day_ids, ollama_standin
):
    digest = build_digest(store, model_config, DAY)
    third = digest.selected[2].paper
    ollama_standin.set_mode("missing_model", match=f"<title>{third.title}</title>")
    await classify_day(store, model_config, DAY, summaries_follow=True)
    stats = await summarize_day(store, model_config, DAY)
    assert "not pulled" in stats.stopped_reason
    after = build_digest(store, model_config, DAY)
    assert all(item.classification is not None for item in after.selected)
    assert stats.classified == 2 and stats.classified_by_rules == 3
    assert stats.pending == 3 and stats.passed == 2


async def test_the_reader_sees_only_the_summary_stream_in(
    store, model_config, day_ids, ollama_standin
):
    pieces: dict[str, list[str]] = {}
    await classify_day(store, model_config, DAY, summaries_follow=True)
    await summarize_day(
        store,
        model_config,
        DAY,
        on_token=lambda key, piece: pieces.setdefault(key, []).append(piece),
    )
    for item in build_digest(store, model_config, DAY).selected:
        streamed = "".join(pieces[item.paper.id])
        assert "{" not in streamed and '"category"' not in streamed
        assert streamed.strip() == item.summary.text


def test_the_summary_stream_unescapes_json_split_anywhere():
    summary = "'큰따옴표 \"안\" \\ 역슬래시\n와 \u00e9' 요약"
    text = json.dumps({"category": "LLM", "confidence": 0.5, "summary": summary})
    for size in (1, 2, 3, 7):
        out: list[str] = []
        stream = SummaryStream(out.append)
        for start in range(0, len(text), size):
            stream(text[start : start + size])
        assert "".join(out) == summary


async def test_a_stale_prompt_version_is_written_again(store, model_config, day_ids):
    """Summaries of the previous prompt version are redone by the next run."""
    with OllamaStandin().start() as standin:
        config = with_llm(model_config, host=standin.url)
        await run_model_steps(store, config)
        run_sql(store.path, "UPDATE summaries SET prompt_version = 'paper-ko-1'")
        standin.reset_counters()
        await run_model_steps(store, config)
        # Categories stay (they are current); only the summaries are asked for again.
        assert kinds(standin).count("summary") == 5 and "combined" not in kinds(standin)
