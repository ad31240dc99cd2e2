"""Offline: a run whose sources cannot be reached says which failed and why, once per place.

Host names under `.invalid` never resolve (RFC 6761); the resolver is made to say so at once,
as it does offline, so the run goes through the real httpx stack without a network.
"""

from __future__ import annotations

import socket
from datetime import date

import pytest

from core.digest import build_digest
from core.ingest import SourceSpec
from core.pipeline import run_pipeline
from core.services import Services
from core.sources.arxiv_rss import ARXIV_RSS
from core.sources.hf_daily import HF_DAILY
from tests.http_server import FakeClock
from tui.screens.main import RUN_STEPS, describe_run, run_log

DAY = date(2026, 9, 24)
HF_CAUSE = "hf-daily: cannot resolve host huggingface.invalid — check the URL or your network"
ARXIV_CAUSE = "arxiv: cannot resolve host rss.arxiv.invalid — check the URL or your network"


@pytest.fixture
def offline(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


async def test_offline_the_notification_and_the_run_log_name_each_failure_once(
    config, store, offline, monkeypatch
):
    clock = FakeClock()
    monkeypatch.setattr("core.fetch.SystemClock", lambda: clock)  # the retries' waits
    specs = [
        SourceSpec("hf-daily", "https://huggingface.invalid/api/daily_papers", HF_DAILY),
        SourceSpec("arxiv", "https://rss.arxiv.invalid/rss/cs.LG", ARXIV_RSS),
    ]
    result = await run_pipeline(
        Services(config=config, store=store), DAY, steps=RUN_STEPS, specs=specs, today=DAY
    )
    assert result.status == "failed"
    assert clock.sleeps == []  # a name that does not resolve is not retried for 14 s
    text, title = describe_run(result)
    log_text = result.log_path.read_text(encoding="utf-8")
    panel = run_log(build_digest(store, config, DAY)).plain
    for place in (text, log_text, panel):
        assert place.count(HF_CAUSE) == 1 and place.count(ARXIV_CAUSE) == 1, place
        assert "hf-daily: hf-daily:" not in place
    assert title == f"Run for {DAY} finished: failed"
    assert "nothing to publish: every source failed: hf-daily, arxiv" in text
