"""Pilot tests of the TUI's flows, on a store filled from the recorded fixtures.

The store holds two real Hugging Face days (2026-05-08 and 2026-07-31), each paper with a
category and a summary state set through the store, a run ledger with a failed source, and
one hostile paper whose title and abstract carry Textual markup and terminal escapes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from rich.text import Text

from core.config import Config
from core.models import Listed, Paper
from core.prompts import REPORT_PROMPT_VERSION, SUMMARY_PROMPT_VERSION, abstract_hash
from core.services import Services
from core.sources.hf_daily import parse as parse_hf
from core.store import RunStep, Store
from tests.conftest import fixture_path

DAY = date(2026, 5, 8)
OLDER_DAY = date(2026, 7, 31)  # listed later in time, so it is the newest day
FIXTURES = {
    DAY: "hf_daily_papers_date_2026-05-08_llm-paper-radar.json",
    OLDER_DAY: "hf_daily_papers_limit30_fetched-2026-08-02_sunday_personal-news-feed.json",
}
HOSTILE_ID = "hostile-1"
HOSTILE_TITLE = (
    "[@click=app.quit]Click me[/] [red]red[/red] [/foo] \x1b]52;c;aGk=\x07 "
    "\x1b[2J\x1b]0;pwned\x07 잘못된 제목 \x9b31m"
)
HOSTILE_ABSTRACT = "Ignore [bold]this[/bold] [link=https://evil.example]x[/link] \x1b[31mred"
KOREAN_SUMMARY = (
    "이 논문은 대규모 언어 모델의 추론 능력을 높이는 방법을 제안한다. "
    "저자들은 강화학습(Reinforcement Learning)으로 모델을 학습시키고 여러 벤치마크에서 "
    "기존 방법보다 좋은 결과를 보고한다."
)
CATEGORY_CYCLE = ["LLM", "Computer Vision", "Multimodal", "LLM", "Reinforcement Learning"]


def listed_from_fixture(day: date) -> list[Listed]:
    """The recorded Hugging Face papers of one day, parsed as the hf-daily source does."""
    body = fixture_path(FIXTURES[day]).read_bytes()
    parsed = parse_hf(body, day=day, label="fixture", source="hf-daily")
    return [Listed(item.paper, day) for item in parsed.listed]


def fill_store(store: Store, config: Config, *, hostile: bool = True) -> None:
    """Two recorded days with categories, summaries, a report, reader state and a run."""
    model = config.ollama.model
    for day in (DAY, OLDER_DAY):
        listed = listed_from_fixture(day)
        store.merge_listed(listed, "hf-daily")
        for index, item in enumerate(listed):
            paper = item.paper
            store.set_classification(
                paper.id,
                category=CATEGORY_CYCLE[index % len(CATEGORY_CYCLE)],
                confidence=0.9 - (index % 4) / 10,
                method="rules" if index % 2 else "llm",
                taxonomy_version=config.taxonomy.version,
                model=None if index % 2 else model,
            )
            status = ("ok", "ok", "failed", None)[index % 4]
            if status:
                store.save_summary(
                    paper.id,
                    model=model,
                    prompt_version=SUMMARY_PROMPT_VERSION,
                    abstract_hash=abstract_hash(paper.title, paper.abstract),
                    status=status,
                    text=KOREAN_SUMMARY,
                    reason="Hanja in the output (漢字) after 3 attempts",
                )
        run = store.start_run("fetch", day)
        store.record_step(run, RunStep("fetch", "hf-daily", "ok", counts={"papers": len(listed)}))
        store.record_step(
            run,
            RunStep("fetch", "arxiv-rss", "failed", reason="rss.arxiv.org: HTTP 503 — retry later"),
        )
        store.finish_run(run, "partial")
    store.save_category_report(
        DAY,
        "LLM",
        model=model,
        prompt_version=REPORT_PROMPT_VERSION,
        inputs_hash="test",
        status="ok",
        text="## 주요 주제 및 경향\n\n- 에이전트와 **추론**이 중심이다. [@click=app.quit]x[/]\n",
        paper_ids=[],
    )
    if hostile:
        paper = Paper(
            id=HOSTILE_ID,
            title=HOSTILE_TITLE,
            abstract=HOSTILE_ABSTRACT,
            authors=["[b]Mallory[/b]"],
            links={"link": "https://example.org/[red]x"},
            hf_upvotes=10_000,  # ranked first: the first paper the app shows
        )
        store.merge_listed([Listed(paper, DAY)], "hf-daily")
        store.set_classification(
            HOSTILE_ID,
            category="LLM",
            confidence=0.5,
            method="rules",
            taxonomy_version=config.taxonomy.version,
        )
        store.save_summary(
            HOSTILE_ID,
            model=model,
            prompt_version=SUMMARY_PROMPT_VERSION,
            abstract_hash=abstract_hash(HOSTILE_TITLE, HOSTILE_ABSTRACT),
            status="ok",
            text="요약 [@click=app.quit]끝[/] \x1b]52;c;aGk=\x07",
        )


@pytest.fixture
def services(config: Config, tmp_path: Path) -> Services:
    """Services over a store filled from the fixtures."""
    store = Store(tmp_path / "tui.sqlite3")
    fill_store(store, config)
    opened = Services(config=config, store=store)
    yield opened
    opened.close()


def screen_text(app) -> str:
    """Everything on screen as plain text (what a user reads)."""
    from textual.widgets import DataTable, Static

    parts = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Static):
            visual = widget.visual
            parts.append(getattr(visual, "plain", str(visual)))
        elif isinstance(widget, DataTable):
            for row in range(widget.row_count):
                parts.extend(
                    cell.plain if isinstance(cell, Text) else str(cell)
                    for cell in widget.get_row_at(row)
                )
    return "\n".join(parts)
