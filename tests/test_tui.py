"""Pilot tests of the TUI's flows, on a store filled from the recorded fixtures.

The store holds two real Hugging Face days (2026-05-08 and 2026-07-31), each paper with a
category and a summary state set through the store, a run ledger with a failed source, and
one hostile paper whose title and abstract carry Textual markup and terminal escapes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import socket
import sys
import webbrowser
from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.notifications import Notify
from textual.widgets import OptionList

from core.config import Config
from core.digest import build_digest, report_inputs_hash
from core.models import Listed, Paper
from core.prompts import REPORT_PROMPT_VERSION, SUMMARY_PROMPT_VERSION, abstract_hash
from core.services import Services
from core.sources.hf_daily import parse as parse_hf
from core.store import RunStep, Store
from tests.conftest import fixture_path
from tests.ollama_standin import OllamaStandin
from tui.app import DailyAIApp
from tui.bindings import SCOPES
from tui.dialogs import CategoryDialog, ConfirmDialog, DateDialog, MessageDialog
from tui.messages import (
    DayShown,
    GroupShown,
    KoreanIndexed,
    PipelineFinished,
    PipelineProgressed,
    SummaryFinished,
    SummaryStreamed,
)
from tui.model import ALL, OTHERS
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.preview import PreviewScreen
from tui.screens.report import CategoryReportScreen
from tui.screens.search import MATCH_STYLE, SearchScreen
from tui.screens.trends import TrendsScreen
from tui.text import bar, emoji_cell, fit, safe, safe_line, sparkline
from tui.widgets.category_list import CategoryList
from tui.widgets.day_header import DayHeader
from tui.widgets.paper_detail import PaperDetail
from tui.widgets.paper_table import PaperTable
from tui.widgets.run_progress import RunProgress

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
BAR_CHARS = "█▏▎▍▌▋▊▉"


def listed_from_fixture(day: date) -> list[Listed]:
    """The recorded Hugging Face papers of one day, parsed as the hf-daily source does."""
    body = fixture_path(FIXTURES[day]).read_bytes()
    parsed = parse_hf(body, day=day, label="fixture", source="hf-daily")
    return [Listed(item.paper, day) for item in parsed.listed]


def fill_store(
    store: Store,
    config: Config,
    *,
    hostile: bool = True,
    failed_source: bool = True,
    categories: list[str] = CATEGORY_CYCLE,
) -> None:
    """Two recorded days with categories, summaries, a report and a run ledger.

    Args:
        store: The store to fill.
        config: For the model's name and the taxonomy version.
        hostile: Add a paper whose text carries markup and terminal escapes.
        failed_source: Record a failed source in each day's run.
        categories: The categories given to the papers in turn.
    """
    model = config.llm.model
    for day in (DAY, OLDER_DAY):
        listed = listed_from_fixture(day)
        store.merge_listed(listed, "hf-daily")
        for index, item in enumerate(listed):
            paper = item.paper
            store.set_classification(
                paper.id,
                category=categories[index % len(categories)],
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
        if failed_source:
            store.record_step(
                run,
                RunStep(
                    "fetch", "arxiv-rss", "failed", reason="rss.arxiv.org: HTTP 503 — retry later"
                ),
            )
        store.finish_run(run, "partial" if failed_source else "ok")
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
    if "LLM" in categories:
        save_current_report(
            store,
            config,
            DAY,
            "LLM",
            "## 주요 주제 및 경향\n\n- 에이전트와 **추론**이 중심이다. [@click=app.quit]x[/]\n",
        )


def save_current_report(store: Store, config: Config, day: date, category: str, text: str) -> None:
    """Store a report for the category's papers and summaries as they are now."""
    section = next(
        s for s in build_digest(store, config, day).sections if s.category.name == category
    )
    store.save_category_report(
        day,
        category,
        model=config.llm.model,
        prompt_version=REPORT_PROMPT_VERSION,
        inputs_hash=report_inputs_hash(category, section.inputs),
        status="ok",
        text=text,
        paper_ids=[item.paper_id for item in section.inputs if item.usable],
        inputs=[(item.paper_id, item.state) for item in section.inputs],
    )


# --- helpers ------------------------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_at_nothing(config: Config) -> Config:
    """No Ollama and no SMTP server: every check fails fast and the same way."""
    config.llm.hosts = [f"http://127.0.0.1:{closed_port()}"]
    return config


@pytest.fixture
def services(config: Config, tmp_path: Path) -> Services:
    """Services over a store filled from the fixtures, with no Ollama reachable."""
    store = Store(tmp_path / "tui.sqlite3")
    fill_store(store, config)
    opened = Services(config=point_at_nothing(config), store=store)
    yield opened
    opened.close()


def make_app(services: Services) -> DailyAIApp:
    return DailyAIApp(services, today=lambda: DAY)


async def settle(pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    for _ in range(10):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # A worker just started may still be pending (not running yet): wait for it too.
        if all(worker.is_finished for worker in pilot.app.workers):
            return


def of_kind(messages: list, kind: type) -> list:
    """The messages of one kind, each once (a bubbling message is seen at every node)."""
    seen: dict[int, object] = {}
    for message in messages:
        if isinstance(message, kind):
            seen.setdefault(id(message), message)
    return list(seen.values())


def notes(messages: list) -> list[str]:
    """The notifications shown, as "title: message" lines."""
    return [f"{m.notification.title}: {m.notification.message}" for m in of_kind(messages, Notify)]


def main_screen(app: DailyAIApp) -> MainScreen:
    screen = app.get_screen_stack_main()
    assert screen is not None
    return screen


def shown_titles(app: DailyAIApp) -> list[str]:
    return [paper.paper.title for paper in app.screen.query_one(PaperTable).papers]


# --- opening ------------------------------------------------------------------------------


async def test_opens_on_the_newest_day_with_its_whole_digest(services):
    app = make_app(services)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        header = app.screen.query_one(DayHeader)
        assert header.day == OLDER_DAY  # 2026-07-31 is the newest stored day
        assert header.position == (1, 2)
        categories = app.screen.query_one(CategoryList)
        assert categories.selected_group.key == ALL
        table = app.screen.query_one(PaperTable)
        assert table.row_count == 30
        # The digest is ranked by upvotes: the first paper is the most upvoted of the day.
        upvotes = [paper.paper.hf_upvotes for paper in table.papers]
        assert upvotes == sorted(upvotes, reverse=True)
        detail = app.screen.query_one(PaperDetail)
        assert detail.paper is table.papers[0]
        assert "Ollama" in header.render().plain


async def test_an_empty_store_explains_how_to_get_papers(config, tmp_path):
    store = Store(tmp_path / "empty.sqlite3")
    app = make_app(Services(config=point_at_nothing(config), store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        welcome = app.screen.query_one("#welcome")
        assert welcome.display and not app.screen.query_one("#body").display
        text = str(welcome.visual)
        assert "dailyai fetch" in text and "dailyai demo" in text
        assert "R (here)" in text
    store.close()


async def test_failed_sources_are_named_with_their_reason(services):
    messages: list = []
    app = make_app(services)
    async with app.run_test(notifications=True, message_hook=messages.append) as pilot:
        await settle(pilot)
        assert any("arxiv-rss: rss.arxiv.org: HTTP 503" in line for line in notes(messages))
        assert "arxiv-rss ✗" in app.screen.query_one(DayHeader).render().plain
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog)
        log = app.screen.body.plain
        assert "✗ fetch: arxiv-rss" in log and "HTTP 503 — retry later" in log
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


# --- days and categories -----------------------------------------------------------------


async def test_previous_and_next_day(services):
    shown: list = []
    app = make_app(services)
    async with app.run_test(message_hook=shown.append) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.screen.query_one(DayHeader).day == DAY
        assert app.screen.query_one(DayHeader).counts == (30, 38)
        assert not main_screen(app).check_action("previous_day", ())  # the oldest day
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.screen.query_one(DayHeader).day == OLDER_DAY
        days = [m.day for m in of_kind(shown, DayShown)]
        assert days == [OLDER_DAY, DAY, OLDER_DAY]


async def test_jump_to_a_date_without_papers_says_why(services):
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        assert isinstance(app.screen, DateDialog)
        await pilot.press(*"2026-05-09", "enter")
        await settle(pilot)
        screen = main_screen(app)
        assert screen.digest.day == date(2026, 5, 9) and screen.digest.total == 0
        detail = app.screen.query_one(PaperDetail)
        empty = str(detail.query_one("#detail-body").visual)
        assert "No papers for 2026-05-09 Sat" in empty
        assert app.screen.query_one(DayHeader).position == (0, 2)
        # From a day without papers, [ goes to the nearest older day that has some.
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.digest.day == DAY
        # The dialog also lists the stored days to pick from.
        await pilot.press("g")
        await pilot.press("tab", "up", "enter")
        await settle(pilot)
        assert screen.digest.day == OLDER_DAY


async def test_a_date_that_is_not_one_is_refused_in_the_dialog(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("g", *"05/08", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DateDialog)
        assert "YYYY-MM-DD" in str(app.screen.query_one("#date-error").visual)


async def test_choosing_a_category_lists_its_papers_and_counts_match(services):
    shown: list = []
    app = make_app(services)
    async with app.run_test(message_hook=shown.append) as pilot:
        await settle(pilot)
        categories = app.screen.query_one(CategoryList)
        keys = [group.key for group in categories.groups]
        assert keys == [ALL, "Computer Vision", "Multimodal", "LLM", "Reinforcement Learning"]
        categories.focus()
        await pilot.press("down", "down", "down")  # past the divider to the third category
        await pilot.pause()
        group = categories.selected_group
        assert group.key == "LLM"
        table = app.screen.query_one(PaperTable)
        assert table.row_count == len(group.papers) == 12
        assert all(paper.category == "LLM" for paper in table.papers)
        assert shown[-1] == GroupShown("LLM") or GroupShown("LLM") in shown
        # The bars are the chart: the largest category has the longest bar.
        rows = {
            categories.get_option_at_index(i).id: categories.get_option_at_index(i).prompt.plain
            for i in range(categories.option_count)
            if categories.get_option_at_index(i).id
        }
        assert rows["LLM"].count("█") > rows["Multimodal"].count("█") > 0


# --- reader state ---------------------------------------------------------------------------


async def test_star_and_read_are_saved_and_filters_use_them(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        table = app.screen.query_one(PaperTable)
        first = table.papers[0].paper.id
        await pilot.press("s")
        await pilot.press("down", "m")
        second = table.papers[1].paper.id
        await settle(pilot)
        assert table.cells(0)[0].plain == "★"
        await pilot.press("f")  # starred only
        assert [p.paper.id for p in table.papers] == [first]
        await pilot.press("f", "u")  # unread only
        assert second not in [p.paper.id for p in table.papers]
        assert len(table.papers) == 29
        await pilot.press("u")
    states = services.store.reader_states([first, second])
    assert states[first].starred and states[second].read
    # A new session shows the same state.
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        papers = {p.paper.id: p for p in app.screen.query_one(PaperTable).papers}
        assert papers[first].starred and papers[second].read


async def test_enter_reads_the_paper_and_marks_it_read(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        paper = app.screen.query_one(PaperTable).papers[0]
        await pilot.press("enter")
        await settle(pilot)
        assert paper.read and app.focused is app.screen.query_one(PaperDetail)


async def test_copy_and_open_the_link(services, monkeypatch, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys; open({str(opened)!r}, 'a').write(sys.argv[1])")
    monkeypatch.setenv("BROWSER", f"{sys.executable} {browser} %s")
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # read BROWSER again
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        paper = app.screen.query_one(PaperTable).papers[0]
        await pilot.press("y")
        assert paper.paper.url.startswith("https://") and app.clipboard == paper.paper.url
        await pilot.press("o")
        await settle(pilot)
        assert paper.read
    for _ in range(100):  # the browser is another process
        if opened.exists():
            break
        await asyncio.sleep(0.05)
    assert opened.read_text() == paper.paper.url


# --- untrusted text -------------------------------------------------------------------------


async def test_hostile_title_abstract_and_summary_are_shown_literally(services):
    app = make_app(services)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        table = app.screen.query_one(PaperTable)
        assert table.papers[0].paper.id == HOSTILE_ID
        cell = table.cells(0)[2].plain
        assert cell.startswith("[@click=app.quit]Click me[/] [red]") and cell.endswith("…")
        body = str(app.screen.query_one("#detail-body").visual)
        for literal in (
            "[@click=app.quit]Click me[/] [red]red[/red] [/foo]",
            "Ignore [bold]this[/bold] [link=https://evil.example]x[/link]",
            "요약 [@click=app.quit]끝[/]",
            "[b]Mallory[/b]",
            "https://example.org/[red]x",
        ):
            assert literal in body
        for control in ("\x1b", "\x07", "\x9b"):
            assert control not in body and control not in cell
        # Clicking the title does not run the action it spells out.
        await pilot.click("#detail-body", offset=(3, 0))
        await pilot.click(PaperTable, offset=(10, 1))
        await pilot.pause()
        assert app.is_running
        # The category report renders the model's Markdown, not its Textual markup.
        app.screen.query_one(CategoryList).select_group("LLM")
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, CategoryReportScreen)
        markdown = app.screen.query_one("#report-body")
        assert "[@click=app.quit]x[/]" in markdown.source
        await pilot.click("#report-body", offset=(30, 3))
        await pilot.pause()
        assert app.is_running


def test_text_helpers_strip_escapes_and_align_wide_characters():
    assert safe("a\x1b]52;c;aGk=\x07b\x9b31m").plain == "a]52;c;aGk=b31m"
    assert safe_line("제목\n둘째 줄").plain == "제목 둘째 줄"
    # 🛡️ (with a variation selector) is one cell in some terminals and two in others.
    assert emoji_cell("🛡️") == "🛡 " and emoji_cell("💙") == "💙" and emoji_cell("") == "  "
    for width in (5, 10, 33):
        assert cell_len(fit(Text("강화학습 기반 에이전트 Agents"), width).plain) == width
    assert cell_len(bar(0.5, 10, "red").plain) == 10 and bar(0.5, 8, "red").plain == "████    "
    assert bar(0.01, 4, "red").plain.strip() == "▏"  # any paper at all shows a sliver
    assert sparkline([0, 5, 10]) == "▁▅█"


async def test_korean_category_names_and_titles_line_up(config, tmp_path):
    """A taxonomy in Korean with an ambiguous emoji: rows fill the panel, bars start together."""
    config.taxonomy.categories[0].name = "컴퓨터 비전"
    config.taxonomy.categories[0].emoji = "🛡️"
    config.taxonomy.categories[1].name = "[bold]멀티모달[/]"  # a bracket is not markup
    config.taxonomy.categories[2].name = "대규모 언어 모델 (LLM)"
    store = Store(tmp_path / "ko.sqlite3")
    names = ["대규모 언어 모델 (LLM)", "컴퓨터 비전", "[bold]멀티모달[/]"]
    fill_store(store, config, hostile=False, categories=names)
    for size in ((80, 24), (160, 48)):
        app = make_app(Services(config=point_at_nothing(config), store=store))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            categories = app.screen.query_one(CategoryList)
            width = categories.scrollable_content_region.width
            options = [categories.get_option_at_index(i) for i in range(categories.option_count)]
            prompts = {option.id: option.prompt.plain for option in options if option.id}
            assert "컴퓨터 비전" in prompts["컴퓨터 비전"] and prompts["컴퓨터 비전"].startswith(
                "🛡 "
            )
            assert {cell_len(prompt) for prompt in prompts.values()} == {width}
            bar_starts = set()
            for key, prompt in prompts.items():
                if key in (ALL, OTHERS):
                    continue
                first = next(i for i, char in enumerate(prompt) if char in BAR_CHARS)
                bar_starts.add(cell_len(prompt[:first]))
            assert len(bar_starts) == 1
            categories.select_group("[bold]멀티모달[/]")
            await pilot.pause()
            title = app.screen.query_one("#papers-pane")._border_title.plain
            assert title == "[bold]멀티모달[/] · 10"
            table = app.screen.query_one(PaperTable)
            keys = [key for key, _, _ in table.columns]
            title_width = table.columns[keys.index("title")][2]
            cells = {
                cell_len(table.cells(row)[keys.index("title")].plain)
                for row in range(table.row_count)
            }
            assert cells == {title_width}
            rows = {
                cell_len(table.get_option_at_index(i).prompt.plain)
                for i in range(table.option_count)
            }
            assert rows == {table.scrollable_content_region.width}
    store.close()


# --- search, report, trends, help -----------------------------------------------------------


async def test_search_across_days_and_open_a_result_in_its_day(services):
    shown: list = []
    app = make_app(services)
    async with app.run_test(size=(100, 30), message_hook=shown.append) as pilot:
        await settle(pilot)
        assert app.screen.query_one(DayHeader).day == OLDER_DAY
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"retrieval")
        await settle(pilot)
        results = app.screen.results
        assert results and {day for _, day in results} == {"2026-05-08", "2026-07-31"}
        wanted = next(index for index, (_, day) in enumerate(results) if day == "2026-05-08")
        paper_id = results[wanted][0]
        # ↓ moves through the results while typing; one Enter opens the highlighted one.
        await pilot.press(*["down"] * wanted, "enter")
        await settle(pilot)
        screen = main_screen(app)
        assert app.screen is screen and screen.digest.day == DAY
        assert screen.current_paper.paper.id == paper_id
        assert "retrieval" in screen.current_paper.paper.title.lower() + (
            screen.current_paper.paper.abstract.lower()
        )


async def test_search_finds_korean_summaries_and_says_when_nothing_matches(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("slash", *"강화학습")
        await settle(pilot)
        assert len(app.screen.results) > 0  # matches 강화학습(Reinforcement in the summaries
        await pilot.press(*"zzzz")
        await settle(pilot)
        assert app.screen.results == []
        assert "No stored paper matches" in str(app.screen.query_one("#search-status").visual)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_korean_search_finds_inside_compounds_shows_where_and_opens_with_one_enter(
    services,
):
    shown: list = []
    app = make_app(services)
    async with app.run_test(size=(100, 30), message_hook=shown.append) as pilot:
        await settle(pilot)
        assert services.store.korean_backlog() > 0  # summaries stored since the last search
        await pilot.press("slash")
        await settle(pilot)  # the screen had the Korean text analysed, off the UI thread
        assert [m.error for m in of_kind(shown, KoreanIndexed)] == [""]
        assert services.store.korean_backlog() == 0
        await pilot.press(*"언어모델")  # written "대규모 언어 모델의" in the summaries
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen) and screen.results
        row = screen.query_one("#search-results", OptionList).get_option_at_index(0).prompt
        _, snippet_line = row.plain.split("\n")
        assert "언어 모델의" in snippet_line
        marked = [
            row.plain[span.start : span.end] for span in row.spans if span.style == MATCH_STYLE
        ]
        assert marked == ["언어", "모델"]
        paper_id, day = screen.results[0]
        await pilot.press("enter")
        await settle(pilot)
        main = main_screen(app)
        assert app.screen is main and main.digest.day.isoformat() == day
        assert main.current_paper.paper.id == paper_id


async def test_search_rows_show_hostile_text_literally(services):
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"요약")
        await settle(pilot)
        results = app.screen.query_one("#search-results", OptionList)
        rows = [results.get_option_at_index(i).prompt.plain for i in range(results.option_count)]
        hostile = next(row for row in rows if "요약" in row)
        assert "[@click=app.quit]끝[/]" in hostile and "Click me" in hostile
        assert not any(char in hostile for char in "\x1b\x07\x9b")


async def test_without_the_analyser_korean_words_are_found_at_their_start(
    services, tmp_path, monkeypatch
):
    broken = tmp_path / "broken" / "kiwipiepy"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('no wheel for this machine')\n")
    monkeypatch.setenv("PYTHONPATH", str(broken.parent))
    shown: list = []
    app = make_app(services)
    async with app.run_test(size=(100, 30), message_hook=shown.append) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"강화학습")
        await settle(pilot)
        assert app.screen.results  # 강화학습(Reinforcement …, by the start of the word
        (warning,) = [n for n in notes(shown) if "kiwipiepy" in n]
        assert warning.startswith("Korean words match at their start only:")
        assert services.store.korean_backlog() > 0  # kept for the next search


async def test_category_report_states_and_switching(services):
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert not main_screen(app).check_action("category_report", ())  # whole digest
        app.screen.query_one(CategoryList).select_group("Computer Vision")
        await pilot.press("r")
        await pilot.pause()
        report = app.screen
        assert isinstance(report, CategoryReportScreen)
        assert "No report for this category yet" in str(report.query_one("#report-state").visual)
        assert not report.query_one("#report-body").display
        await pilot.press("right_square_bracket", "right_square_bracket")  # to LLM
        assert report.groups[report.index].key == "LLM"
        assert "주요 주제 및 경향" in report.query_one("#report-body").source
        sources = str(report.query_one("#report-sources").visual)
        assert sources.count(" - ") == 13  # every paper of the category is named
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_trends_chart_and_table(services):
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        trends = app.screen
        assert isinstance(trends, TrendsScreen)
        chart = trends.query_one("#trends-chart")
        assert chart.days == ["2026-07-31"]  # 2026-05-08 is outside the 14 days
        names = [name for name, _, _ in chart.series]
        assert names == ["Computer Vision", "Multimodal", "LLM", "Reinforcement Learning"]
        assert round(sum(shares[0] for _, _, shares in chart.series)) == 100
        assert "07-31" in chart.render().plain and "100%" in chart.render().plain
        table = trends.query_one("#trends-table")
        assert (
            table.get_row_at(0)[1].plain.endswith("LLM") and table.get_row_at(0)[3].plain == "40.0%"
        )
        await pilot.press("w", "w")  # 14 → 30 → 90 days: both stored days
        await settle(pilot)
        assert chart.days == ["2026-05-08", "2026-07-31"]


async def test_trends_count_the_papers_the_day_view_counts(services):
    services.config.digest.size = 10  # the digest is a third of the day's papers
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        digest = main_screen(app).digest
        by_category = {s.category.name: len(s.papers) for s in digest.sections}
        if digest.unclassified:
            by_category[""] = len(digest.unclassified)
        await pilot.press("t")
        await settle(pilot)
        trends = app.screen
        table = trends.query_one("#trends-table")

        def papers_per_row() -> dict[str, int]:
            rows = [table.get_row_at(r) for r in range(table.row_count)]
            return {row[1].plain.strip(): int(row[2].plain) for row in rows}

        def title() -> str:
            return str(trends.query_one("#trends-title").visual)

        assert "Category shares in each day's digest" in title()
        counted = papers_per_row()
        assert sum(counted.values()) == len(digest.selected) == 10
        for name, count in by_category.items():
            assert (
                next(v for k, v in counted.items() if k.endswith(name or "Not classified yet"))
                == count
            )
        await pilot.press("a")
        await settle(pilot)
        assert "Category shares among all papers listed each day" in title()
        assert sum(papers_per_row().values()) == digest.total == 30
        await pilot.press("a")
        await settle(pilot)
        assert sum(papers_per_row().values()) == 10


async def test_help_lists_every_binding_with_the_keymap_applied(services):
    services.config.tui.keymap = {"next_day": "n", "previous-day": "b", "no_such": "x"}
    messages: list = []
    app = make_app(services)
    async with app.run_test(notifications=True, message_hook=messages.append) as pilot:
        await settle(pilot)
        assert any("no_such is not a binding id" in line for line in notes(messages))
        await pilot.press("b")
        await settle(pilot)
        assert main_screen(app).digest.day == DAY
        await pilot.press("left_square_bracket")  # the old key no longer moves
        await pilot.press("n")
        await settle(pilot)
        assert main_screen(app).digest.day == OLDER_DAY
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        rows = [[cell.plain for cell in table.get_row_at(r)] for r in range(table.row_count)]
        ids = {row[2] for row in rows}
        assert {b.id for scope in SCOPES for b in scope.bindings} <= ids
        keys = {row[2]: row[0] for row in rows}
        assert keys["next_day"] == "n" and keys["previous_day"] == "b"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


# --- actions that call the model, the pipeline and the mail server -------------------------


async def test_change_a_papers_category(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.screen.query_one(CategoryList).select_group("LLM")
        await pilot.pause()
        paper = app.screen.query_one(PaperTable).papers[0]
        assert paper.category == "LLM"
        await pilot.press("c")
        assert isinstance(app.screen, CategoryDialog)
        names = [c.name for c in services.config.taxonomy.categories]
        await pilot.press(*["down"] * (names.index("Robotics") - names.index("LLM")), "enter")
        await settle(pilot)
        stored = services.store.classifications([paper.paper.id])[paper.paper.id]
        assert (stored.category, stored.method) == ("Robotics", "user")
        screen = main_screen(app)
        assert screen.current_group.key == "Robotics"  # it left LLM: the list follows it
        assert screen.current_paper.paper.id == paper.paper.id
        assert "set by you" in str(app.screen.query_one("#detail-body").visual)
        # From the whole digest the list stays where it is, with the paper still selected.
        app.screen.query_one(CategoryList).select_group(ALL)
        await pilot.pause()
        assert screen.current_paper.paper.id == paper.paper.id
        await pilot.press("c", *["up"] * 3, "enter")
        await settle(pilot)
        assert screen.current_group.key == ALL
        assert screen.current_paper.paper.id == paper.paper.id
        assert screen.current_paper.category == names[names.index("Robotics") - 3]


async def test_moving_a_paper_leaves_its_categorys_report_out_of_date(services):
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket")  # to 2026-05-08, the day with the report
        await settle(pilot)
        stats = app.screen.query_one("#day-stats")
        sections = len(main_screen(app).digest.sections)
        assert f"Reports   1/{sections} written" in str(stats.visual)
        app.screen.query_one(CategoryList).select_group("LLM")
        await pilot.pause()
        paper = app.screen.query_one(PaperTable).papers[0]
        names = [c.name for c in services.config.taxonomy.categories]
        await pilot.press("c", *["down"] * (names.index("Robotics") - names.index("LLM")), "enter")
        await settle(pilot)
        sections = len(main_screen(app).digest.sections)  # Robotics has a paper now
        assert f"Reports   0/{sections} written 1~" in str(stats.visual)
        app.screen.query_one(CategoryList).select_group("LLM")
        await pilot.press("r")
        await pilot.pause()
        report = app.screen
        assert isinstance(report, CategoryReportScreen)
        state = str(report.query_one("#report-state").visual)
        assert state.startswith("Out of date: written from other papers or summaries")
        assert "(1 paper moved out)" in state
        assert report.query_one("#report-body").display  # the old text, marked as old
        assert paper.paper.title not in str(report.query_one("#report-sources").visual)


async def test_resummarize_streams_the_summary_from_the_model(services):
    streamed: list = []
    with OllamaStandin(token_delay=0.005) as standin:
        services.config.llm.hosts = [standin.url]
        app = make_app(services)
        async with app.run_test(size=(120, 40), message_hook=streamed.append) as pilot:
            await settle(pilot)
            header = app.screen.query_one(DayHeader)
            assert header.ollama[0] is True and header.ollama[2]  # reachable, with a speed
            table = app.screen.query_one(PaperTable)
            index = next(i for i, p in enumerate(table.papers) if p.summary.status == "failed")
            paper_id = table.papers[index].paper.id
            standin.pause()  # hold the answer to see the paper while it is being written
            await pilot.press(*["down"] * index, "z")
            await pilot.pause()
            assert "generating with gemma3:4b" in str(app.screen.query_one("#detail-body").visual)
            assert table.cells(index)[-1].plain.strip() == "…"  # the list marks it too
            await pilot.press("z")  # one at a time
            standin.resume()
            await settle(pilot)
            assert len(of_kind(streamed, SummaryFinished)) == 1
            texts = [m.text for m in of_kind(streamed, SummaryStreamed)]
            assert len(texts) >= 2 and all(b.startswith(a) for a, b in itertools.pairwise(texts))
            screen = main_screen(app)
            paper = screen.current_paper
            assert paper.paper.id == paper_id and paper.summary.status == "ok"
            assert paper.summary.text in str(app.screen.query_one("#detail-body").visual)
            assert not screen.streams


async def test_an_openai_compatible_server_streams_into_the_paper_view(services):
    """The same streaming view with backend "openai" (SSE from /v1), and a host that fails
    mid-answer: the text starts again on the other host."""
    streamed: list = []
    with OllamaStandin(token_delay=0.005) as failing, OllamaStandin(token_delay=0.005) as good:
        failing.set_mode("error_midstream")
        services.config.llm.backend = "openai"
        services.config.llm.hosts = [f"{failing.url}/v1", f"{good.url}/v1"]
        services.config.llm.backoff_seconds = 30.0
        app = make_app(services)
        async with app.run_test(size=(120, 40), message_hook=streamed.append) as pilot:
            await settle(pilot)
            assert app.screen.query_one(DayHeader).ollama[0] is True
            table = app.screen.query_one(PaperTable)
            index = next(i for i, p in enumerate(table.papers) if p.summary.status == "failed")
            paper_id = table.papers[index].paper.id
            await pilot.press(*["down"] * index, "z")
            await settle(pilot)
            assert len(of_kind(streamed, SummaryFinished)) == 1
            texts = [m.text for m in of_kind(streamed, SummaryStreamed)]
            assert len(texts) >= 2
            paper = main_screen(app).current_paper
            assert paper.paper.id == paper_id and paper.summary.status == "ok"
            assert texts[-1] == paper.summary.text or paper.summary.text in texts[-1]
            assert paper.summary.text in str(app.screen.query_one("#detail-body").visual)
            assert [r.path for r in good.model_requests][-1] == "/v1/chat/completions"
            assert failing.request_count >= 1 and len(good.answered) >= 1


async def test_ollama_down_is_a_notification_with_the_fix(services):
    messages: list = []
    app = make_app(services)
    async with app.run_test(notifications=True, message_hook=messages.append) as pilot:
        await settle(pilot)
        assert app.screen.query_one(DayHeader).ollama[0] is False
        await pilot.press("z")
        await settle(pilot)
        problem = [line for line in notes(messages) if line.startswith("No summary written")]
        assert problem and "127.0.0.1" in problem[0]
        assert app.is_running and not main_screen(app).streams


async def test_run_the_pipeline_in_the_background_with_progress(services):
    config = services.config
    config.sources = [
        dataclasses.replace(
            config.sources[0],
            name="hf-recorded",
            url=fixture_path(FIXTURES[DAY]).as_uri(),
            kind="hf-daily",
        )
    ]
    config.digest.size = 4
    config.fetch.enrich_with_arxiv_api = False  # no network in tests
    messages: list = []
    with OllamaStandin() as standin:
        config.llm.hosts = [standin.url]
        app = make_app(services)
        async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
            await settle(pilot)
            standin.pause()  # hold the model's answers: the run waits, the screen must not
            await pilot.press("R")
            await pilot.pause()
            assert app.screen.query_one(RunProgress).display
            assert await asyncio.to_thread(standin.wait_active, 1, 20)
            await pilot.press("left_square_bracket")  # the UI answers while the run waits
            for _ in range(100):
                await pilot.pause(0.02)
                if main_screen(app).digest.day == DAY:
                    break
            assert main_screen(app).digest.day == DAY and main_screen(app).pipeline is not None
            assert not main_screen(app).check_action("run_pipeline", ())
            await pilot.press("q")  # quitting during a run asks first
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("escape")
            assert app.is_running
            standin.resume()
            for _ in range(600):
                await pilot.pause(0.05)
                if any(isinstance(m, PipelineFinished) for m in messages):
                    break
            await settle(pilot)
            finished = next(m for m in messages if isinstance(m, PipelineFinished))
            assert not finished.error and finished.result.day == DAY
            steps = {o.step: o.status for o in finished.result.steps}
            assert list(steps) == ["fetch", "classify", "summarize"]
            assert steps["fetch"] == "ok"
            assert any(isinstance(m, PipelineProgressed) for m in messages)
            assert not app.screen.query_one(RunProgress).display
            summaries = [p.summary.status for p in main_screen(app).digest.selected]
            assert summaries.count("ok") >= 4


def recorded_source(services: Services) -> None:
    config = services.config
    config.sources = [
        dataclasses.replace(
            config.sources[0],
            name="hf-recorded",
            url=fixture_path(FIXTURES[DAY]).as_uri(),
            kind="hf-daily",
        )
    ]
    config.fetch.enrich_with_arxiv_api = False  # no network in tests


async def test_stop_ends_a_run_waiting_on_the_model_and_keeps_what_it_did(services):
    recorded_source(services)
    messages: list = []
    with OllamaStandin() as standin:
        services.config.llm.hosts = [standin.url]
        app = make_app(services)
        async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
            await settle(pilot)
            standin.pause()  # the run waits on the model's answer …
            await pilot.press("R")
            assert await asyncio.to_thread(standin.wait_active, 1, 20)
            await pilot.press("X")  # … and Stop ends it there
            for _ in range(200):
                await pilot.pause(0.02)
                if any(isinstance(m, PipelineFinished) for m in messages):
                    break
            finished = next(m for m in messages if isinstance(m, PipelineFinished))
            assert finished.cancelled and main_screen(app).pipeline is None
            assert not app.screen.query_one(RunProgress).display and app.is_running
            standin.resume()
            await settle(pilot)
    (run,) = services.store.runs(limit=1)
    assert run.status == "interrupted"
    fetched = next(step for step in run.steps if step.step == "fetch")
    assert fetched.status == "ok" and fetched.counts["listed"] == 37  # done before the stop: kept


async def test_quitting_during_a_run_stops_it_and_records_it_interrupted(services):
    recorded_source(services)
    with OllamaStandin() as standin:
        services.config.llm.hosts = [standin.url]
        app = make_app(services)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            standin.pause()
            await pilot.press("R")
            assert await asyncio.to_thread(standin.wait_active, 1, 20)
            await pilot.press("q")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.click("#confirm")
            await pilot.pause()
        assert not app.is_running
        standin.resume()
    (run,) = services.store.runs(limit=1)
    assert run.status == "interrupted" and "stopped" in run.note


async def test_preview_shows_the_email_and_the_rss_item(services):
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        text = preview.query_one("#preview-text").text
        html = preview.query_one("#preview-html").text
        rss = preview.query_one("#preview-rss").text
        assert "2026-07-31" in text and "<html" in html.lower()
        assert rss.startswith("<item>") and "urn:dailyai:digest:2026-07-31" in rss
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_send_test_email_reports_smtp_failure_in_a_dialog(services):
    from tests.test_mail import Mailbox, start_smtp

    email = services.config.email
    email.host, email.port, email.security = "127.0.0.1", closed_port(), "none"
    email.sender, email.to, email.username = "Daily AI <ai@example.org>", ["a@example.org"], ""
    email.unsubscribe = "unsubscribe@example.org"
    app = make_app(services)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("E")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "not sent" in app.screen.title_text
        assert "127.0.0.1" in app.screen.body.plain  # the cause, from core.channels.mail
        await pilot.press("escape")
        # With a server there, the same key sends it.
        mailbox = Mailbox()
        server, email.port = await start_smtp(mailbox, None, mode="plain", auth=False)
        async with server:
            await pilot.press("E")
            await pilot.click("#confirm")
            for _ in range(200):
                await pilot.pause(0.02)
                if mailbox.messages:
                    break
            await settle(pilot)
        assert len(mailbox.messages) == 1
        assert mailbox.messages[0][1] == ["a@example.org"]
        assert isinstance(app.screen, MainScreen)


async def test_email_not_set_up_says_what_to_configure(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("E")
        assert isinstance(app.screen, MessageDialog)
        assert "[email] host" in app.screen.body.plain


async def test_an_unexpected_failure_is_a_dialog_not_a_crash(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        services.store.close()  # the database goes away under the app
        await pilot.press("f5")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, MessageDialog)
        assert app.screen.title_text.startswith("Unexpected error")
        assert "ProgrammingError" in app.screen.body.plain


async def test_layout_from_80x24_up(services):
    app = make_app(services)
    for size in ((80, 24), (100, 30), (160, 48)):
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            screen = app.screen
            for selector in ("#categories", "#papers", "#detail", "#day-stats"):
                region = screen.query_one(selector).region
                assert region.width >= 20 and region.height >= 3, (size, selector, region)
                assert region.right <= size[0] and region.bottom <= size[1]
            papers, detail = screen.query_one("#papers").region, screen.query_one("#detail").region
            if size[0] >= 160:
                assert detail.x >= papers.right  # side by side
            else:
                assert detail.y >= papers.bottom  # stacked
            assert screen.query_one(PaperTable).row_count >= 1
        app = make_app(services)
