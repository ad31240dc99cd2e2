"""Reading the day comfortably: pane widths, the enlarge key, the summary on a small
terminal, and a message (not silence) for a key that cannot act."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.geometry import Region

from core.config import Config
from core.services import Services
from core.store import Store
from tests.test_tui import fill_store, main_screen, make_app, notes, point_at_nothing, settle
from tui.widgets.paper_detail import PaperDetail
from tui.widgets.paper_table import PaperTable


@pytest.fixture
def services(config: Config, tmp_path: Path) -> Iterator[Services]:
    """The Pilot tests' store (two recorded days with summaries), no Ollama reachable."""
    store = Store(tmp_path / "tui.sqlite3")
    fill_store(store, config)
    opened = Services(config=point_at_nothing(config), store=store)
    yield opened
    opened.close()


async def test_titles_get_the_room_at_120x40(services):
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PaperTable)
        title_width = next(width for key, _, width in table.columns if key == "title")
        assert title_width >= 45, table.columns  # it was 28 beside a half-empty sidebar
        sidebar = app.screen.query_one("#sidebar").region
        assert sidebar.width <= 44
        papers, detail = (
            app.screen.query_one("#papers").region,
            app.screen.query_one("#detail").region,
        )
        assert detail.y >= papers.bottom and detail.width >= 70  # the paper reads under the list


async def test_the_sidebar_is_as_wide_as_its_names_need(services):
    app = make_app(services)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        categories = app.screen.query_one("#categories")
        longest = max(cell_len(group.label) for group in main_screen(app).groups)
        assert categories.region.width == categories.wanted_width() <= 44
        assert categories.region.width >= longest + 5  # emoji, name, a bar and the count fit


async def test_the_korean_summary_is_readable_at_80x24(services):
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        detail = app.screen.query_one(PaperDetail)
        paper = detail.paper
        assert paper is not None and paper.summary.status == "ok"
        body = app.screen.query_one("#detail-body")
        visible = Region(0, 0, body.size.width, detail.scrollable_content_region.height)
        shown = "".join(line.text.strip() for line in body.render_lines(visible))
        assert paper.summary.text.replace(" ", "")[:40] in shown.replace(" ", "")


async def test_the_enlarge_key_gives_the_focused_pane_the_screen_and_back(services):
    app = make_app(services)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("v")
        assert screen.maximized is screen.query_one("#papers-pane")
        assert screen.query_one("#papers-pane").region.width == 80
        await pilot.press("v")
        assert screen.maximized is None
        await pilot.press("enter")  # read the paper: the focus moves to its pane
        await pilot.press("v")
        assert screen.maximized is screen.query_one("#detail")
        await pilot.press("escape")
        assert screen.maximized is None


async def test_a_key_that_cannot_act_says_why(services):
    messages: list = []
    app = make_app(services)
    async with app.run_test(notifications=True, message_hook=messages.append) as pilot:
        await settle(pilot)
        assert main_screen(app).current_group.key == "all"
        await pilot.press("r")  # the whole digest has no report of its own
        await pilot.press("right_square_bracket")  # already the newest day
        await pilot.press("X")  # nothing is running
        await settle(pilot)
    shown = "\n".join(notes(messages))
    assert "Only a category has a report" in shown
    assert "This is the newest stored day." in shown
    assert "No run is going" in shown


async def test_the_interface_speaks_korean(services):
    services.config.ui.language = "ko"
    messages: list = []
    app = make_app(services)
    async with app.run_test(notifications=True, message_hook=messages.append) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.query_one("#categories").border_title == "카테고리"
        assert str(screen.query_one("#detail").border_title) == "논문"
        footer = {b.binding.description for b in screen.active_bindings.values()}
        assert {"검색", "보고서", "즐겨찾기", "새로 고침", "종료", "크게"} <= footer
        assert screen.groups[0].label in ("전체 다이제스트", "맞춤 추천")
        await pilot.press("r")
        await settle(pilot)
    assert any("보고서는 카테고리마다 있습니다" in line for line in notes(messages))
