"""A published day for the publishing tests: real Hugging Face papers with every summary state.

`populate_day` stores the papers of a recorded Hugging Face Daily Papers response, sorts
them into categories, and stores Korean summaries and category reports the way the
summarizer does (current prompt versions and abstract hashes), plus the cases a reader must
see clearly: a failed summary, a pending one, a stale one, a failed and a pending category
report, and a paper whose title tries every injection (HTML, CDATA end, control characters,
a bidi override, Markdown links and images).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core.config import Config
from core.digest import build_digest, report_inputs_hash
from core.models import Listed, Paper
from core.prompts import REPORT_PROMPT_VERSION, SUMMARY_PROMPT_VERSION, abstract_hash
from core.sources import hf_daily
from core.store import RunStep, Store
from tests.conftest import fixture_path

DAY = date(2026, 5, 8)
HF_FIXTURE = "hf_daily_papers_date_2026-05-08_llm-paper-radar.json"
HOSTILE_ID = "2605.99999"
HOSTILE_TITLE = (
    "<script>alert('x')</script> ]]> Evil\x07\x1b[31m \u202eTitle "
    "[click me](javascript:alert(1)) ![pixel](http://evil.example/p.png) & <b>bold</b>"
)
FAILED_REASON = "Hanja in the output after 3 attempts"
REPORT_FAILED_REASON = "model 'gemma3:4b' timed out after 300 s"
# The same reasons as the published (Korean) outputs say them.
FAILED_REASON_KO = "3번 시도한 답 모두에 한자가 섞임"
REPORT_FAILED_REASON_KO = "모델 'gemma3:4b'이(가) 300초 안에 답하지 않음"


@dataclass
class PublishedDay:
    """What `populate_day` stored, so tests can check each case in the outputs."""

    day: date
    ids: list[str]
    categories: dict[str, str] = field(default_factory=dict)
    failed_id: str = ""
    pending_id: str = ""
    stale_id: str = ""
    unclassified_id: str = ""
    hostile_id: str = HOSTILE_ID
    failed_report: str = ""
    pending_report: str = ""


def korean_summary(paper: Paper) -> str:
    return (
        f"이 논문은 {paper.title[:40]} 문제를 다룬다. 저자들은 새로운 방법을 제안하고 "
        "여러 벤치마크에서 기존 방법보다 좋은 성능을 보였다. 코드는 공개되어 있다."
    )


def korean_report(category: str, titles: list[str]) -> str:
    named = "\n".join(f"- '{title[:50]}'" for title in titles[:3])
    return (
        f"### {category} 종합 보고서\n\n#### 주요 주제 및 경향\n\n{named}\n\n"
        "#### 주요 이벤트 및 정보\n\n여러 논문이 **에이전트**와 추론을 다룬다.\n\n"
        "#### 결론\n\n이 분야는 빠르게 발전하고 있다."
    )


def populate_day(store: Store, config: Config, *, hostile: bool = True) -> PublishedDay:
    """Store the fixture day with categories, summaries in every state, and reports."""
    body = fixture_path(HF_FIXTURE).read_bytes()
    parsed = hf_daily.parse(body, day=DAY, label="hf-daily", source="hf-daily")
    listed = list(parsed.listed)
    if hostile:
        listed.append(
            Listed(
                paper=Paper(
                    id=HOSTILE_ID,
                    arxiv_id=HOSTILE_ID,
                    title=HOSTILE_TITLE,
                    abstract="An abstract with <img src=x onerror=alert(1)> and \x00 NUL.",
                    authors=["Mallory <m@evil.example>"],
                    links={"abs": "https://arxiv.org/abs/2605.99999"},
                    hf_upvotes=1000,
                ),
                day=DAY,
            )
        )
    store.merge_listed(listed, "hf-daily")
    run_id = store.start_run("fetch", DAY)
    store.record_step(
        run_id,
        RunStep("fetch", "hf-daily", "ok", counts={"listed": len(listed)}, duration_ms=120),
    )
    store.record_step(
        run_id,
        RunStep("fetch", "arxiv", "failed", reason="rss.arxiv.org: HTTP 503 after 3 retries"),
    )
    store.finish_run(run_id, "partial")

    entries = store.day_papers(DAY)
    ids = [entry.paper.id for entry in entries]
    # Spread the papers over the first categories, in a fixed pattern.
    names = [category.name for category in config.taxonomy.categories]
    used = names[:5]
    result = PublishedDay(day=DAY, ids=ids)
    by_position = [entry for entry in entries if entry.paper.id != HOSTILE_ID]
    result.unclassified_id = by_position[4].paper.id
    for index, entry in enumerate(entries):
        category = used[index % len(used)]
        if entry.paper.id == HOSTILE_ID:
            category = used[0]
        if entry.paper.id == result.unclassified_id:
            continue  # one selected paper stays without a category
        store.set_classification(
            entry.paper.id,
            category=category,
            confidence=0.9,
            method="rules",
            taxonomy_version=config.taxonomy.version,
        )
        result.categories[entry.paper.id] = category
    model = config.llm.model
    result.failed_id = by_position[1].paper.id
    result.pending_id = by_position[2].paper.id
    result.stale_id = by_position[3].paper.id
    for entry in entries:
        paper = entry.paper
        if paper.id == result.pending_id:
            continue
        if paper.id == result.failed_id:
            store.save_summary(
                paper.id,
                model=model,
                prompt_version=SUMMARY_PROMPT_VERSION,
                abstract_hash=abstract_hash(paper.title, paper.abstract),
                status="failed",
                reason=FAILED_REASON,
                attempts=3,
            )
            continue
        version = "paper-ko-0" if paper.id == result.stale_id else SUMMARY_PROMPT_VERSION
        text = korean_summary(paper)
        if paper.id == HOSTILE_ID:
            text = "모델 출력에 <script>alert(1)</script> 와 [링크](javascript:alert(1)) 가 있다."
        store.save_summary(
            paper.id,
            model=model,
            prompt_version=version,
            abstract_hash=abstract_hash(paper.title, paper.abstract),
            status="ok",
            text=text,
        )
    # Reports stored as the summarizer stores them: for the categories' papers of now.
    digest = build_digest(store, config, DAY)
    inputs_hash = {
        s.category.name: report_inputs_hash(s.category.name, s.inputs) for s in digest.sections
    }
    inputs = {
        s.category.name: [(item.paper_id, item.state) for item in s.inputs] for s in digest.sections
    }
    for position, category in enumerate(used):
        members = [pid for pid, name in result.categories.items() if name == category]
        if position == 1:
            result.failed_report = category
            store.save_category_report(
                DAY,
                category,
                model=model,
                prompt_version=REPORT_PROMPT_VERSION,
                inputs_hash=inputs_hash[category],
                status="failed",
                reason=REPORT_FAILED_REASON,
                paper_ids=members,
                inputs=inputs[category],
            )
            continue
        if position == 2:
            result.pending_report = category
            continue
        titles = [store.get_paper(pid).title for pid in members]
        text = korean_report(category, titles)
        if position == 0:
            text += "\n\n<iframe src=http://evil.example></iframe> [피싱](http://evil.example)"
        store.save_category_report(
            DAY,
            category,
            model=model,
            prompt_version=REPORT_PROMPT_VERSION,
            inputs_hash=inputs_hash[category],
            status="ok",
            text=text,
            paper_ids=members,
            inputs=inputs[category],
        )
    return result
