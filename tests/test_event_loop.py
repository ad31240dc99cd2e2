"""Async steps never write SQLite on the event loop's thread.

A write holds the store's lock and waits on the disk (and on another process's transaction,
up to the busy timeout); on the loop's thread that freezes every other task meanwhile: the
TUI's screen, a model stream, an SMTP session. The store traces every statement it runs on
the thread that runs it, so a test sees whether that thread was running an event loop: a
whole run (fetch, classify, summarize, every channel, email to a real SMTP server and chat
to a real HTTP receiver, and on `[weekly] weekday` the week: its reports written by the
model, published and mailed) and the single commands must show no write on a loop's thread.
"""

from __future__ import annotations

import asyncio
import traceback
from dataclasses import dataclass, field

import pytest

from core.pipeline import run_pipeline
from core.services import Services
from core.weekly import IsoWeek
from tests.smtp_server import PASSWORD, Mailbox, mail_config, start_smtp
from tests.test_pipeline import DAY, hf_items, prepare, sources
from tests.week_data import WEEK, model_config, store_week

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")


@dataclass
class WritesOnLoop:
    """The write statements the store ran on a thread that was running an event loop, each
    with the place in core that asked for it."""

    seen: list[str] = field(default_factory=list)
    writes: int = 0

    def __call__(self, statement: str) -> None:
        if not statement.lstrip().upper().startswith(WRITES):
            return
        self.writes += 1
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread (or sync code outside any loop): fine
        self.seen.append(f"{' '.join(statement.split()[:3])} from {_caller_in_core()}")


def _caller_in_core() -> str:
    frames = [
        f"{'/'.join(frame.filename.rsplit('/', 2)[-2:])}:{frame.lineno} {frame.name}"
        for frame in traceback.extract_stack()
        if "/core/" in frame.filename and "/core/store/" not in frame.filename
    ]
    return frames[-1] if frames else "?"


@pytest.fixture
def week_before(config, store, ollama_standin):
    """The week before DAY's stored and summarized (the week a run on DAY publishes)."""
    assert IsoWeek.of(DAY).previous() == WEEK
    # Other papers than the run fetches for DAY (its HF listing), so the week stays as stored.
    store_week(store, model_config(config, ollama_standin.url), skip=len(hf_items()))


async def test_a_whole_run_writes_the_store_off_the_event_loop(
    config, store, http_server, ollama_standin, ca, tmp_path, monkeypatch, week_before
):
    prepare(config, ollama_standin)
    # Saturday where the reader lives ([weekly] weekday): the run ends by publishing the week.
    monkeypatch.setenv("DAILYAI_TODAY", "2026-09-26")
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    mail_config(config, port)
    config.email.enabled = True
    config.email.ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(config.email.ca_file)
    monkeypatch.setenv("DAILYAI_SMTP_PASSWORD", PASSWORD)
    config.sections["notify"]["urls"] = [
        "json://" + http_server.url.removeprefix("http://") + "/hook"
    ]
    http_server.route("/hook", lambda request: _ok())
    services = Services(config=config, store=store)
    on_loop = WritesOnLoop()
    store.trace(on_loop)
    try:
        result = await run_pipeline(services, DAY, specs=sources(http_server), today=DAY)
    finally:
        store.trace(None)
        server.close()
        await services.aclose()
    assert result.status == "ok", [(s.step, s.status, s.reason) for s in result.steps]
    weekly = result.outcome("weekly")
    assert weekly.target == str(WEEK) and weekly.counts["written"] > 0  # the model wrote it
    # Every channel delivered: the day's email and the week's to both recipients, and chat.
    assert len(mailbox.messages) == 4 and http_server.hits("/hook")
    assert on_loop.writes > 50  # the trace saw the run's writes …
    assert on_loop.seen == [], "\n".join(on_loop.seen)  # … none of them on the loop's thread


def _ok():
    from tests.http_server import Reply

    return Reply(200, b"{}", {"Content-Type": "application/json"})


async def test_dailyai_fetch_records_its_run_off_the_event_loop(config, store, http_server):
    from core.ingest import fetch_day

    config.fetch.retries = 0
    config.fetch.enrich_with_arxiv_api = False
    on_loop = WritesOnLoop()
    store.trace(on_loop)
    try:
        summary = await fetch_day(store, config, DAY, specs=sources(http_server), today=DAY)
    finally:
        store.trace(None)
    assert summary.status == "ok" and summary.stored
    (run,) = store.runs(limit=1)
    assert run.kind == "fetch" and run.status == "ok"  # the ledger was written …
    assert on_loop.writes > 5
    assert on_loop.seen == [], "\n".join(on_loop.seen)  # … from worker threads
