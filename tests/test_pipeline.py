"""`dailyai run` end to end, and under faults: sources failing, Ollama stopping, SMTP down.

Every part is real: sources on a local HTTP server, the real `ollama` client against the
stand-in, an aiosmtpd server with STARTTLS and AUTH, SQLite on a temporary directory.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from cli import main
from core.config import Config, load_config
from core.digest import build_digest
from core.ingest import SourceSpec
from core.pipeline import run_pipeline
from core.prompts import SUMMARY_SYSTEM
from core.services import Services
from core.sources.arxiv_rss import ARXIV_RSS
from core.sources.hf_daily import HF_DAILY
from core.store import Store
from tests.conftest import fixture_path
from tests.http_server import Reply
from tests.ollama_standin import OllamaStandin
from tests.raw_sql import count
from tests.smtp_server import PASSWORD, Mailbox, mail_config, start_smtp

DAY = date(2026, 9, 24)
RSS4 = "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed4_laya-reader_FROM-INDEX-TEXT.xml"
SUMMARY_MARKER = SUMMARY_SYSTEM.splitlines()[0]


def hf_items(count: int = 12) -> list[dict]:
    """Daily Papers items re-dated to DAY, so HF and arXiv list papers on the same day."""
    items = json.loads(
        fixture_path("hf_daily_papers_date_2026-05-08_llm-paper-radar.json").read_bytes()
    )
    items = copy.deepcopy(items[:count])
    for item in items:
        item["paper"]["submittedOnDailyAt"] = "2026-09-24T08:00:00.000Z"
    return items


def hf_endpoint(items: list[dict]):
    def reply(request):
        page = int(request.query.get("p", ["0"])[0])
        return Reply(
            200,
            json.dumps(items if page == 0 else []).encode(),
            {"Content-Type": "application/json"},
        )

    return reply


def prepare(config: Config, standin: OllamaStandin, *, classify: str = "llm") -> Config:
    config.llm.hosts = [standin.url]
    config.llm.retries = 0
    config.llm.backoff_seconds = 0.0
    config.llm.timeout_seconds = 30
    config.classify.method = classify
    config.fetch.retries = 0
    config.fetch.backoff_seconds = 0.0
    config.fetch.enrich_with_arxiv_api = False
    config.digest.size = 10
    return config


def sources(http_server, *, arxiv: Reply | None = None) -> list[SourceSpec]:
    arxiv_reply = arxiv or Reply(200, fixture_path(RSS4).read_bytes(), {"ETag": '"rss-1"'})
    return [
        SourceSpec(
            "hf",
            http_server.route("/api/daily_papers", hf_endpoint(hf_items())),
            HF_DAILY,
        ),
        SourceSpec("arxiv", http_server.route("/rss", arxiv_reply), ARXIV_RSS),
    ]


def summaries(store: Store, status: str = "ok") -> int:
    return count(store.path, "SELECT count(*) FROM summaries WHERE status = ?", (status,))


async def test_a_full_run_and_a_second_run_that_repeats_nothing(
    config,
    store,
    http_server,
    ollama_standin,
    ca,
    tmp_path,
    monkeypatch,
):
    prepare(config, ollama_standin)
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    mail_config(config, port)
    config.email.enabled = True
    config.email.ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(config.email.ca_file)
    monkeypatch.setenv("DAILYAI_SMTP_PASSWORD", PASSWORD)
    services = Services(config=config, store=store)
    specs = sources(http_server)
    try:
        first = await run_pipeline(services, DAY, specs=specs, today=DAY)
        assert first.exit_code == 0, [(s.step, s.status, s.reason) for s in first.steps]
        assert [s.step for s in first.steps] == [
            "fetch",
            "classify",
            "summarize",
            "report",
            "feeds",
            "email",
            "notify",  # off (no chat URLs): a skipped step that says so, as email off does
            "weekly",  # not [weekly] weekday: skipped, saying when the week comes
        ]
        assert summaries(store) == 10
        digest = build_digest(store, config, DAY)
        assert all(p.summary.status == "ok" for p in digest.selected)
        assert all(section.report.status == "ok" for section in digest.sections)
        assert len(mailbox.messages) == 2  # each recipient gets their own message
        report = next(p for p in first.published if p.suffix == ".md")
        assert report.exists() and "**요약:**" in report.read_text(encoding="utf-8")
        (run,) = store.runs(limit=1)
        assert run.kind == "run" and run.status == "ok" and Path(run.log_path).exists()
        steps = {(s.step, s.target): s.status for s in run.steps}
        assert steps[("fetch", "hf")] == "ok" and steps[("fetch", "arxiv")] == "ok"
        assert {step for step, _ in steps} == {
            "fetch",
            "classify",
            "summarize",
            "report",
            "feeds",
            "email",
            "notify",
            "weekly",
        }
        # One writer of the ledger: each step's line once (fetch: one per source).
        assert len(steps) == len(run.steps)
        classified = next(s for s in run.steps if s.step == "classify")
        assert classified.target == str(DAY) and classified.counts["total"] == 16

        requests_before = ollama_standin.request_count
        second = await run_pipeline(services, DAY, specs=specs, today=DAY)
        assert second.exit_code == 0
        assert ollama_standin.request_count == requests_before  # zero model requests
        assert len(mailbox.messages) == 2  # no repeated email
        assert second.outcome("email").counts["skipped"] == 2
        assert [r.status for r in second.fetch.results] == ["unchanged", "unchanged"]
        assert summaries(store) == 10
    finally:
        server.close()


@pytest.mark.parametrize(
    ("fault", "reply", "expected"),
    [
        ("500", Reply(500, b"oops"), "HTTP 500"),
        ("429", Reply(429, b"Rate exceeded.", {"Retry-After": "600"}), "HTTP 429"),
        ("garbage", Reply(200, b"\x89PNG\r\n\x1a\n garbage bytes"), "not a readable feed"),
        ("cut-off", Reply(200, fixture_path(RSS4).read_bytes()[:5000]), "cut off"),
        ("timeout", Reply(200, fixture_path(RSS4).read_bytes(), delay=1.0), "timed out"),
    ],
)
async def test_a_failing_source_still_gives_a_digest_that_names_it(
    config, store, http_server, ollama_standin, fault, reply, expected
):
    prepare(config, ollama_standin, classify="rules")
    config.fetch.timeout_seconds = 0.3
    services = Services(config=config, store=store)
    result = await run_pipeline(
        services,
        DAY,
        specs=sources(http_server, arxiv=reply),
        steps=("fetch", "classify", "summarize", "report", "feeds"),
        today=DAY,
    )
    assert result.exit_code == 3  # partial: the other source made the digest
    failed = [r for r in result.fetch.results if r.failed]
    assert [r.name for r in failed] == ["arxiv"] and expected in failed[0].reason
    digest = build_digest(store, config, DAY)
    assert len(digest.selected) == 10 and all(p.summary.status == "ok" for p in digest.selected)
    report_text = next(p for p in result.published if p.suffix == ".md").read_text(encoding="utf-8")
    assert "arxiv" in report_text and expected.split()[0] in report_text
    from core.channels.mail import render_preview

    text, html = render_preview(digest, config)
    assert "arxiv" in text and "arxiv" in html


async def test_ollama_stopping_mid_run_leaves_the_rest_pending_and_the_next_run_resumes(
    config, store, http_server, ollama_standin
):
    prepare(config, ollama_standin, classify="rules")
    services = Services(config=config, store=store)
    port = int(ollama_standin.url.rsplit(":", 1)[1])

    def stop_after_four(event) -> None:
        if event.step == "summarize" and event.done >= 4 and ollama_standin._server is not None:
            ollama_standin.stop()

    specs = sources(http_server)
    first = await run_pipeline(
        services,
        DAY,
        specs=specs,
        on_progress=stop_after_four,
        steps=("fetch", "classify", "summarize", "report"),
        today=DAY,
    )
    made = summaries(store)
    assert 1 <= made < 10
    assert first.exit_code == 3
    outcome = first.outcome("summarize")
    assert outcome.status == "partial" and "Ollama" in outcome.reason
    assert first.outcome("report").status == "ok"  # the run finished what it could
    digest = build_digest(store, config, DAY)
    assert sum(p.summary.status == "pending" for p in digest.selected) == 10 - made
    done_ids = {p.paper.id for p in digest.selected if p.summary.status == "ok"}

    with OllamaStandin(port=port) as restarted:
        second = await run_pipeline(
            services, DAY, specs=specs, steps=("fetch", "classify", "summarize"), today=DAY
        )
        summary_requests = [r for r in restarted.model_requests if SUMMARY_MARKER in r.text]
        asked_again = [
            p
            for p in digest.selected
            if p.paper.id in done_ids and any(p.paper.title in r.text for r in summary_requests)
        ]
    assert second.exit_code == 0
    assert len(summary_requests) == 10 - made  # nothing already made is made again
    assert asked_again == []
    assert summaries(store) == 10


async def test_smtp_down_still_publishes_and_the_email_goes_out_once_later(
    config,
    store,
    http_server,
    ollama_standin,
    ca,
    tmp_path,
    monkeypatch,
):
    prepare(config, ollama_standin, classify="rules")
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    server.close()
    await server.wait_closed()  # the port is now closed: the mail server is down
    mail_config(config, port, to=["alice@example.com"])
    config.email.enabled = True
    config.email.timeout_seconds = 2
    config.email.ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(config.email.ca_file)
    monkeypatch.setenv("DAILYAI_SMTP_PASSWORD", PASSWORD)
    services = Services(config=config, store=store)
    specs = sources(http_server)
    first = await run_pipeline(services, DAY, specs=specs, today=DAY)
    assert first.outcome("report").status == "ok" and first.outcome("feeds").status == "ok"
    assert first.outcome("email").status == "failed"
    assert first.exit_code == 3
    assert not store.delivered(DAY, "alice@example.com")

    server, _ = await start_smtp(mailbox, ca, port=port)
    try:
        second = await run_pipeline(services, DAY, specs=specs, today=DAY)
        assert second.outcome("email").status == "ok" and len(mailbox.messages) == 1
        third = await run_pipeline(services, DAY, specs=specs, today=DAY)
        assert third.outcome("email").counts["skipped"] == 1 and len(mailbox.messages) == 1
    finally:
        server.close()


async def test_an_empty_day_is_said_and_sends_no_email(config, store, http_server, ollama_standin):
    prepare(config, ollama_standin)
    config.email.enabled = True
    saturday = date(2026, 9, 26)
    empty_rss = fixture_path("arxiv_rss_empty_test_category_2024-11-28_aioarxiv.xml").read_bytes()
    empty_rss = empty_rss.replace(b"Thu, 28 Nov 2024", b"Sat, 26 Sep 2026")
    specs = [
        SourceSpec("hf", http_server.route("/hf", Reply(200, b"[]")), HF_DAILY),
        SourceSpec("arxiv", http_server.route("/rss", Reply(200, empty_rss)), ARXIV_RSS),
    ]
    result = await run_pipeline(
        Services(config=config, store=store), saturday, specs=specs, today=saturday
    )
    assert result.exit_code == 0
    assert "arXiv announces nothing on Saturdays" in result.empty_reason
    email = result.outcome("email")
    assert email.status == "skipped" and "nothing to send" in email.reason
    assert ollama_standin.request_count == 0
    (run,) = store.runs(limit=1)
    assert "Saturdays" in run.note


def test_a_category_that_left_the_taxonomy_counts_as_unclassified(config, store):
    from core.models import Listed, Paper

    store.merge_listed(
        [Listed(Paper(id="2401.00001", title="t", arxiv_id="2401.00001"), DAY)], "hf"
    )
    store.set_classification(
        "2401.00001", category="Old name", confidence=1.0, method="user", taxonomy_version="0"
    )
    digest = build_digest(store, config, DAY)
    assert [p.paper.id for p in digest.unclassified] == ["2401.00001"]
    assert not digest.sections


# --- one run at a time does a day's model work ------------------------------------------


async def test_two_runs_of_a_day_at_once_do_the_model_work_once_and_say_so(
    config, store, http_server, ollama_standin, ca, tmp_path, monkeypatch
):
    """A second `dailyai run` starts while the first is mid-summarize (one summary made).

    The first run is frozen at that moment (the second runs in a thread with its own event
    loop and store connection), so what the second does is not a matter of timing.
    """
    prepare(config, ollama_standin)
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    mail_config(config, port)
    config.email.enabled = True
    config.email.ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(config.email.ca_file)
    monkeypatch.setenv("DAILYAI_SMTP_PASSWORD", PASSWORD)
    specs = sources(http_server)
    second = []

    def run_second() -> None:
        with Store(store.path) as other, ThreadPoolExecutor(1) as thread:
            services = Services(config=config, store=other)
            second.append(
                thread.submit(
                    asyncio.run, run_pipeline(services, DAY, specs=specs, today=DAY)
                ).result()
            )

    def first_progress(event) -> None:
        if event.step == "summarize" and event.done == 1 and event.total > 1 and not second:
            run_second()

    try:
        first = await run_pipeline(
            Services(config=config, store=store),
            DAY,
            specs=specs,
            today=DAY,
            on_progress=first_progress,
        )
    finally:
        server.close()
    (later,) = second
    summary_requests = [r for r in ollama_standin.model_requests if SUMMARY_MARKER in r.text]
    assert len(summary_requests) == 10  # each paper summarized once, by the first run
    assert first.exit_code == 0 and summaries(store) == 10
    holder = f"another dailyai run (pid {os.getpid()}, started "
    for step in ("classify", "summarize"):
        outcome = later.outcome(step)
        assert outcome.status == "skipped", (step, outcome)
        assert holder in outcome.reason and "it publishes the results when it is done" in (
            outcome.reason
        )
    email = later.outcome("email")
    assert email.status == "skipped" and "sends the email when it is done" in email.reason
    assert later.outcome("report").status == "ok"  # it still published what there was
    assert later.exit_code == 0
    # The ledger says the same, and the email went out once, from the first run.
    (ledger,) = [run for run in store.runs() if run.id == later.run_id]
    recorded = {step.step: step for step in ledger.steps}
    assert recorded["summarize"].status == "skipped" and holder in recorded["summarize"].reason
    assert first.outcome("email").counts["sent"] == 2 and len(mailbox.messages) == 2
    assert count(store.path, "SELECT count(*) FROM claims") == 0


async def test_a_cancelled_run_is_marked_interrupted_at_once_and_frees_the_day(
    config, store, http_server, ollama_standin
):
    """Ctrl-C in `dailyai run` (or Stop in the TUI) cancels the run mid-summarize."""
    prepare(config, ollama_standin, classify="rules")
    services = Services(config=config, store=store)
    specs = sources(http_server)
    steps = ("fetch", "classify", "summarize", "report")

    def cancel_after_two(event) -> None:
        if event.step == "summarize" and event.done == 2 and event.total > 2:
            task.cancel()

    task = asyncio.ensure_future(
        run_pipeline(
            services, DAY, specs=specs, steps=steps, today=DAY, on_progress=cancel_after_two
        )
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    (run,) = store.runs(limit=1)
    assert run.status == "interrupted" and run.finished_at is not None
    assert "Ctrl-C" in run.note
    # The step it stopped in is recorded once, with what it had done.
    (stopped,) = [step for step in run.steps if step.step == "summarize"]
    assert (stopped.status, stopped.reason) == ("failed", "cancelled")
    assert stopped.counts["passed"] == 2 and stopped.counts["pending"] == 8
    assert count(store.path, "SELECT count(*) FROM claims") == 0
    made = summaries(store)
    assert made == 2
    ollama_standin.reset_counters()
    again = await run_pipeline(services, DAY, specs=specs, steps=steps, today=DAY)
    assert again.outcome("summarize").status == "ok" and summaries(store) == 10
    assert len([r for r in ollama_standin.model_requests if SUMMARY_MARKER in r.text]) == 8


async def test_a_run_frees_the_days_model_work_once_summaries_are_done(
    config, store, http_server, ollama_standin
):
    """Another run may summarize while this one still publishes (and mails) the digest."""
    prepare(config, ollama_standin, classify="rules")
    holders: dict[str, object] = {}

    def watch(event) -> None:
        if event.step in ("summarize", "report") and event.step not in holders:
            holders[event.step] = store.claim_holder(f"model-work:{DAY}")

    await run_pipeline(
        Services(config=config, store=store),
        DAY,
        specs=sources(http_server),
        steps=("fetch", "classify", "summarize", "report"),
        today=DAY,
        on_progress=watch,
    )
    assert holders["summarize"] is not None  # held while it summarizes …
    assert holders["report"] is None  # … and free while it publishes


@pytest.mark.parametrize("command", ["summarize", "classify"])
def test_dailyai_summarize_or_classify_while_a_run_holds_the_day_skips_and_says_who(
    tmp_path, ollama_standin, capsys, command
):
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[ollama]\nhost = "{ollama_standin.url}"\n', encoding="utf-8")
    with Store(load_config(config_file).dirs.database) as store:
        running = store.start_run("run", DAY, plan=("classify", "summarize", "report"))
        assert store.claim(f"model-work:{DAY}", f"run:{running}", run_id=running) is None
        code = main(["--config", str(config_file), command, "--date", DAY.isoformat()])
        said = " ".join(capsys.readouterr().out.split())
        assert code == 0
        assert f"another dailyai run (pid {os.getpid()}, started" in said
        assert "it publishes the results when it is done" in said
        assert ollama_standin.request_count == 0
        (skipped,) = store.runs(kinds=(command,))
        assert skipped.status == "skipped" and f"pid {os.getpid()}" in skipped.note
        store.finish_run(running, "ok")
        # The day is free again: the command does its work now.
        code = main(["--config", str(config_file), command, "--date", DAY.isoformat()])
        assert store.runs(kinds=(command,))[0].status != "skipped"
