"""Shared test setup: every test runs in its own DAILYAI_HOME, with no user config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Config, load_config
from core.i18n import set_language
from core.store import Store
from tests.smtp_server import ca, client_tls  # noqa: F401 - fixtures for the SMTP tests

FIXTURES = Path(__file__).parent / "fixtures"

TODAY = "2026-10-05"
"""The "today" of every test ($DAILYAI_TODAY): after every fixture day, whatever the clock says."""


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep the user's own config, store, Ollama host and clock out of every test."""
    home = tmp_path / "home"
    monkeypatch.setenv("DAILYAI_HOME", str(home))
    monkeypatch.setenv("DAILYAI_TODAY", TODAY)
    monkeypatch.delenv("DAILYAI_CONFIG", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    # An English locale, whatever the machine's: tests that want Korean set [ui] language.
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    set_language("en")
    yield home
    set_language("en")


@pytest.fixture
def config() -> Config:
    """The shipped default configuration, pointed at the isolated home."""
    return load_config()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store on a temporary file."""
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened


def fixture_path(name: str) -> Path:
    """A recorded response copied from the shared fixtures into tests/fixtures."""
    return FIXTURES / name


@pytest.fixture
def http_server():
    """A scripted HTTP server on 127.0.0.1 (see tests/http_server.py)."""
    from tests.http_server import scripted_server

    with scripted_server() as server:
        yield server


@pytest.fixture
def ollama_standin():
    """A stand-in Ollama server on 127.0.0.1 (see tests/ollama_standin.py), model gemma3:4b.

    Turn its knobs in the test: `mode` / `set_mode(...)`, `token_delay`, `parallel`,
    `pause()`; read `request_count`, `max_active`, `requests`.
    """
    from tests.ollama_standin import OllamaStandin

    with OllamaStandin() as standin:
        yield standin


@pytest.fixture(scope="module")
def chrome():
    """Headless Chromium for the layout checks, one per test module; skipped, saying why,
    where no browser and driver are installed."""
    from tests.browser import browser, missing_browser

    reason = missing_browser()
    if reason:
        pytest.skip(f"no browser check: {reason}")
    with browser() as opened:
        yield opened
