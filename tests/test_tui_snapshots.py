"""SVG snapshots of the TUI at 80×24 and 160×48, on fixed content.

The store is the Pilot tests' (two recorded days, categories, summaries, a report), the
theme is fixed, Ollama points at a closed port (the header always says ✗), no source failed
(so no notification is on screen), and nothing shows today's date or a clock. Textual is
pinned in pyproject.toml, so a changed snapshot means the app's screen changed.
Update after looking at the report: `pytest tests/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Config
from core.services import Services
from core.store import Store
from tests.test_tui import fill_store, make_app, point_at_nothing, settle

SIZES = [(80, 24), (160, 48)]
LANGUAGES = ["en", "ko"]


@pytest.fixture
def snapshot_services(config: Config, tmp_path: Path) -> Services:
    config.tui.theme = "textual-dark"
    store = Store(tmp_path / "snapshot.sqlite3")
    fill_store(store, config, failed_source=False)
    services = Services(config=point_at_nothing(config), store=store)
    yield services
    services.close()


def keys_then_settle(*keys: str):
    """A `run_before` that presses `keys` and waits until every worker is done."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_day_view(snap_compare, snapshot_services, size, language):
    snapshot_services.config.ui.language = language
    app = make_app(snapshot_services)
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle())


@pytest.mark.parametrize("language", LANGUAGES)
def test_summary_detail_small_terminal(snap_compare, snapshot_services, language):
    """At 80×24 the Korean summary is on screen under the title; Enter reads the paper and
    the enlarge key gives its pane the whole screen."""
    snapshot_services.config.ui.language = language
    app = make_app(snapshot_services)
    keys = ("down", "enter", "v")
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys_then_settle(*keys))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_hostile_paper_shown_literally(snap_compare, snapshot_services, size):
    app = make_app(snapshot_services)
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle("left_square_bracket"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_category_report(snap_compare, snapshot_services, size):
    app = make_app(snapshot_services)
    keys = ("left_square_bracket", "shift+tab", "down", "down", "down", "r")
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle(*keys))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_trends(snap_compare, snapshot_services, size):
    app = make_app(snapshot_services)
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle("t", "w", "w"))


def test_help(snap_compare, snapshot_services):
    app = make_app(snapshot_services)
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys_then_settle("f1"))


def test_search_results(snap_compare, snapshot_services):
    app = make_app(snapshot_services)
    keys = ("slash", *"agent", "down")
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys_then_settle(*keys))


def test_empty_store_welcome(snap_compare, config, tmp_path):
    store = Store(tmp_path / "empty.sqlite3")
    app = make_app(Services(config=point_at_nothing(config), store=store))
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys_then_settle())
    store.close()
