"""The weekly digest: a stored week's daily reports synthesised per category, and published.

Each test stores a real week (tests/week_data.py): distinct real papers on each weekday,
classified by rules and summarized — summaries and daily category reports — by the real
summarizer against the stand-in model server. The week is then written by the same stand-in,
published to files, a feed (read back with feedparser) and a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import date

import feedparser
import pytest

from cli import main
from core.channels.week import (
    build_week_message,
    publish_week_report,
    publish_weekly_feed,
    render_week_email,
    render_week_report,
    send_week,
    week_report_paths,
)
from core.classify import classify_day
from core.config import Config
from core.digest import build_digest, report_inputs_hash
from core.doctor import check_weekly
from core.errors import ConfigError
from core.models import Listed, Paper
from core.pipeline import publish_week, run_pipeline
from core.prompts import REPORT_PROMPT_VERSION
from core.services import Services
from core.store import WEEKLY_EMAIL_CHANNEL, ProfileEntry, RunStep, Store
from core.summarize import summarize_day
from core.weekly import (
    IsoWeek,
    build_weekly,
    faithful_report,
    synthesize_week,
    week_due,
)
from tests.ollama_standin import INVENTED_NUMBER, OllamaStandin
from tests.publish_data import HOSTILE_TITLE
from tests.smtp_server import PASSWORD, Mailbox, mail_config, start_smtp
from tests.week_data import PER_DAY, WEEK, model_config, store_week

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = WEEK.days


@pytest.fixture
def week_config(config: Config, ollama_standin: OllamaStandin) -> Config:
    return model_config(config, ollama_standin.url)


@pytest.fixture
def full_week(store: Store, week_config: Config, ollama_standin: OllamaStandin):
    """A stored week, Monday to Friday with papers, the weekend fetched and empty."""
    by_day = store_week(store, week_config)
    ollama_standin.reset_counters()
    return by_day


def weekly_requests(standin: OllamaStandin) -> list:
    return [r for r in standin.model_requests if "주간 보고서" in r.text]


# --- ISO weeks --------------------------------------------------------------------------------


def test_iso_weeks_are_parsed_and_bad_ones_named_in_one_line():
    today = date(2026, 10, 5)
    assert str(IsoWeek.parse("2026-W38", today=today)) == "2026-W38"
    assert IsoWeek.parse("2026w38", today=today) == WEEK
    assert IsoWeek.parse("last", today=today) == IsoWeek(2026, 40)
    assert WEEK.days[0] == date(2026, 9, 14) and WEEK.days[-1] == date(2026, 9, 20)
    assert IsoWeek.parse("2020-W53", today=today).sunday == date(2021, 1, 3)
    for text, message in (
        ("2026-W54", "2026 has 53 ISO weeks — use 2026-W01 to 2026-W53"),
        ("2025-W53", "2025 has 52 ISO weeks"),
        ("2026-W00", "2026 has 53 ISO weeks"),
        ("2026-09-14", "not an ISO week — use YYYY-Www"),
        ("2026-W42", "has not begun (this week is 2026-W41)"),
        ("1990-W10", "out of range"),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)) as caught:
            IsoWeek.parse(text, today=today)
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize("command", ["report", "rss", "email"])
def test_a_bad_week_exits_2_with_one_line(command, capsys):
    assert main([command, "--week", "2026-W54"]) == 2
    err = capsys.readouterr().err
    assert err == "dailyai: --week 2026-W54: 2026 has 53 ISO weeks — use 2026-W01 to 2026-W53\n"


def test_week_and_date_together_are_refused(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--week", "2026-W38", "--date", "2026-09-14"])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_run_publishes_the_week_on_its_weekday(config):
    assert week_due(config, FRIDAY, SATURDAY) == WEEK  # Saturday morning in Seoul
    assert week_due(config, SATURDAY, SUNDAY) is None  # not the weekday
    tuesday = model_config(config, "http://127.0.0.1:9", weekday="tue")
    # On a Tuesday the run's day is Monday: the week before is the one complete.
    assert week_due(tuesday, date(2026, 9, 21), date(2026, 9, 22)) == WEEK
    off = model_config(config, "http://127.0.0.1:9", enabled=False)
    assert week_due(off, FRIDAY, SATURDAY) is None
    bad = model_config(config, "http://127.0.0.1:9", weekday="someday")
    with pytest.raises(ConfigError, match="'someday' is not a weekday — use one of mon, tue"):
        week_due(bad, FRIDAY, SATURDAY)


def test_doctor_shows_the_weekly_setting(config):
    on = check_weekly(model_config(config, "http://127.0.0.1:9", weekday="Friday"))
    assert on.ok and on.detail.startswith("on: dailyai run publishes the week on fri (Asia/Seoul)")
    off = check_weekly(model_config(config, "http://127.0.0.1:9", enabled=False))
    assert off.ok and off.detail.startswith("off (weekly.enabled = false)")
    bad = check_weekly(model_config(config, "http://127.0.0.1:9", weekday="someday"))
    assert not bad.ok and "'someday' is not a weekday" in bad.detail


# --- the synthesis --------------------------------------------------------------------------


async def test_each_category_week_is_one_request_over_its_daily_reports(
    store, week_config, full_week, ollama_standin
):
    before = build_weekly(store, week_config, WEEK)
    assert [day.status for day in before.days] == ["ok"] * 5 + ["empty"] * 2
    assert all(section.report.status == "pending" for section in before.sections)
    stats = await synthesize_week(store, week_config, WEEK)
    weekly = build_weekly(store, week_config, WEEK)
    assert stats.written == len(weekly.sections) > 1 and stats.failed == 0
    requests = weekly_requests(ollama_standin)
    assert len(requests) == len(weekly.sections) == stats.requests
    for section in weekly.sections:
        assert section.report.status == "ok", section.report.reason
        assert "#### 결론" in section.report.text
        (request,) = [r for r in requests if f"'{section.category.name}' 분야의" in r.text]
        # Built from each day's report of the category, never from the papers' abstracts.
        for day in (d for d in weekly.days if d.digest):
            daily = next(
                (s for s in day.digest.sections if s.category.name == section.category.name),
                None,
            )
            if daily is not None:
                assert daily.report.text.split("#### 결론")[1].strip() in request.text
                for item in daily.papers:
                    assert item.paper.abstract[:60] not in request.text
        assert section.report.paper_ids == [item.paper_id for item in section.inputs]
        assert sum(section.counts) == len(section.papers)
    assert sum(sum(s.counts) for s in weekly.sections) == 5 * PER_DAY
    # Nothing changed: nothing is asked again.
    ollama_standin.reset_counters()
    again = await synthesize_week(store, week_config, WEEK)
    assert ollama_standin.requests == [] and again.cached == len(weekly.sections)


async def test_a_daily_report_written_again_makes_its_category_week_stale(
    store, week_config, full_week, ollama_standin
):
    await synthesize_week(store, week_config, WEEK)
    digest = build_digest(store, week_config, TUESDAY)
    section = digest.sections[0]
    name = section.category.name
    store.save_category_report(
        TUESDAY,
        name,
        model=week_config.llm.model,
        prompt_version=REPORT_PROMPT_VERSION,
        inputs_hash=report_inputs_hash(name, section.inputs),
        status="ok",
        text=section.report.text.replace(
            "#### 결론\n\n", "#### 결론\n\n화요일 보고서를 고쳐 썼다. "
        ),
        paper_ids=[item.paper_id for item in section.inputs],
        inputs=[(item.paper_id, item.state) for item in section.inputs],
    )
    weekly = build_weekly(store, week_config, WEEK)
    stale = [s for s in weekly.sections if s.report.status != "ok"]
    assert [s.category.name for s in stale] == [name]
    assert stale[0].report.status == "stale" and stale[0].report.changes.resummarized == 1
    report = render_week_report(weekly)
    assert (
        "지금의 일별 보고서가 아닌 것으로 만든 주간 보고서입니다 (바뀐 일별 보고서 1개)" in report
    )
    ollama_standin.reset_counters()
    stats = await synthesize_week(store, week_config, WEEK)
    assert (stats.written, stats.cached) == (1, len(weekly.sections) - 1)
    assert "화요일 보고서를 고쳐 썼다" in weekly_requests(ollama_standin)[0].text


async def test_the_gate_failing_a_synthesis_marks_it_failed_never_faked(
    store, week_config, full_week, ollama_standin
):
    ollama_standin.set_mode("hanja", match="주간 보고서")
    stats = await synthesize_week(store, week_config, WEEK)
    weekly = build_weekly(store, week_config, WEEK)
    assert stats.failed == len(weekly.sections) and stats.written == 0
    attempts = week_config.summaries.max_attempts
    assert len(weekly_requests(ollama_standin)) == attempts * len(weekly.sections)
    for section in weekly.sections:
        assert section.report.status == "failed" and section.report.text == ""
        assert "Han characters (Hanja)" in section.report.reason
    report = render_week_report(weekly)
    failed_line = next(line for line in report.splitlines() if "종합 보고서 생성 실패: " in line)
    assert "한자" in failed_line  # the gate's reason, published in Korean
    assert "Han characters" not in report
    assert "重大한 발전" not in report  # the reason quotes the letters, never the text
    assert stats.status == "partial"


async def test_numbers_not_in_the_abstracts_are_left_out_and_flagged(
    store, week_config, full_week, ollama_standin
):
    # A day's report with an invented figure: that sentence never reaches the week.
    text, left_out = faithful_report(
        "#### 결론\n\n정확도는 93.7%이다. 이 분야는 발전한다.\n- 목록 항목 55.5점", "no numbers"
    )
    assert left_out == ["93.7", "55.5"]
    assert text == "#### 결론\n\n이 분야는 발전한다."
    # The week's own answer with a number in no abstract is kept, flagged for review.
    ollama_standin.set_mode("invented_numbers", match="주간 보고서")
    await synthesize_week(store, week_config, WEEK)
    weekly = build_weekly(store, week_config, WEEK)
    section = weekly.sections[0]
    assert section.report.status == "ok"
    assert any(INVENTED_NUMBER.rstrip("%") in flag for flag in section.report.flags)
    published = render_week_report(weekly)
    assert "검토 필요: 원문에 없는 숫자: 93.7" in published
    assert "numbers not in the source" not in published


def test_a_week_with_missing_days_says_which_and_why(store, week_config, ollama_standin):
    # Wednesday was never fetched; Friday's fetch failed; Thursday is classified, not
    # summarized yet.
    store_week(store, week_config, weekdays=(0, 1, 3), fetched=(0, 1, 3, 5, 6), summarize=False)
    for day in (MONDAY, TUESDAY, THURSDAY):
        asyncio.run(classify_day(store, week_config, day, method="rules"))
    for day in (MONDAY, TUESDAY):
        asyncio.run(summarize_day(store, week_config, day))
    run_id = store.start_run("fetch", FRIDAY)
    store.record_step(run_id, RunStep("fetch", "hf-daily", "failed", "HTTP 503 after 3 retries"))
    store.finish_run(run_id, "failed", "every source failed: hf-daily")
    asyncio.run(synthesize_week(store, week_config, WEEK))
    weekly = build_weekly(store, week_config, WEEK)
    status = {day.day: (day.status, day.note) for day in weekly.days}
    assert status[MONDAY] == ("ok", "")
    assert status[WEDNESDAY] == (
        "missing",
        "수집하지 않은 날입니다 (dailyai run --date 2026-09-16)",
    )
    assert status[THURSDAY][0] == "partial" and "대기 중" in status[THURSDAY][1]
    assert status[FRIDAY] == ("failed", "발행할 논문이 없습니다: every source failed: hf-daily")
    assert status[SATURDAY][0] == "empty" and "주말" in status[SATURDAY][1]
    assert weekly.total == 3 * PER_DAY == sum(day.papers for day in weekly.days)
    # Thursday's categories have no report yet: the weeks are written from the other days.
    thursday = [s for s in weekly.sections if s.counts[3]]
    assert thursday and all(any(i.paper_id == "2026-09-17" for i in s.missing) for s in thursday)
    report = render_week_report(weekly)
    assert (
        "- ✗ 2026-09-16 (수): 0편 — 수집하지 않은 날입니다 (dailyai run --date 2026-09-16)"
        in report
    )
    assert "2026-09-18 (금): 0편 — 발행할 논문이 없습니다: every source failed: hf-daily" in report
    assert "빠진 날: 2026-09-17 (목) 대기 중" in report
    text, _ = render_week_email(weekly, week_config)
    assert "- 2026-09-16 (수): 수집하지 않은 날입니다" in text
    # A category whose only day has no report yet is failed with why, not faked.
    only_thursday = [s for s in weekly.sections if not any(i.usable for i in s.inputs)]
    for section in only_thursday:
        assert section.report.status == "failed"
        assert "no day of this category has a current category report" in section.report.reason


# --- publishing -----------------------------------------------------------------------------


async def test_the_weekly_report_chart_and_top_papers(
    store, week_config, full_week, tmp_path, ollama_standin
):
    await synthesize_week(store, week_config, WEEK)
    weekly = build_weekly(store, week_config, WEEK)
    report_path, chart_path, page_path, index_path = publish_week_report(
        store, week_config, WEEK, out_dir=tmp_path
    )
    assert (report_path, chart_path) == week_report_paths(tmp_path, WEEK)
    assert page_path == report_path.with_suffix(".html") and index_path == tmp_path / "index.html"
    assert report_path.name == "Weekly_2026-W38_report.md"
    assert chart_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = report_path.read_text(encoding="utf-8")
    assert report.startswith(
        "# Weekly Artificial Intelligence Insights : 2026-W38 (2026-09-14~09-20)"
        "![Weekly Category Distribution Graph](weekly_2026-W38.png)"
    )
    assert "## 🏆 이번 주의 주요 논문" in report
    # Top papers by the public signals: Hugging Face upvotes first, across the week.
    upvotes = [paper.paper.hf_upvotes or 0 for paper in weekly.top]
    assert len(weekly.top) == 10 and upvotes == sorted(upvotes, reverse=True)
    everything = [p.item.paper.hf_upvotes or 0 for s in weekly.sections for p in s.papers]
    assert upvotes[0] == max(everything)
    for section in weekly.sections:
        assert (
            f"## {section.category.emoji} {section.category.name} · {len(section.papers)}편"
            in report
        )


async def test_the_top_papers_follow_the_readers_profile_when_there_is_one(
    store, week_config, full_week, ollama_standin
):
    config = dataclasses.replace(
        week_config, rank=dataclasses.replace(week_config.rank, method="lexical")
    )
    weekly = build_weekly(store, config, WEEK)
    assert not weekly.ranking.personal
    last = min(
        weekly.top[-1:] + [p for s in weekly.sections for p in s.papers],
        key=lambda p: p.paper.hf_upvotes or 0,
    )
    store.add_profile_entries(
        [
            ProfileEntry(
                key="seed",
                stance="like",
                origin="import",
                title=last.paper.title,
                abstract=last.paper.abstract,
                source="seeds.bib",
                added_at="2026-09-01T00:00:00+00:00",
            )
        ]
    )
    personal = build_weekly(store, config, WEEK)
    assert personal.ranking.personal
    assert personal.top[0].paper.id == last.paper.id
    view = render_week_report(personal)
    assert "관심 프로필과 공개 신호" in view


def test_the_weekly_feed_parses_and_escapes_hostile_titles(
    store, week_config, ollama_standin, tmp_path
):
    hostile = Paper(
        id="2609.99999",
        arxiv_id="2609.99999",
        title=HOSTILE_TITLE,
        abstract="An abstract with <img src=x onerror=alert(1)> about language models.",
        links={"abs": "https://arxiv.org/abs/2609.99999"},
        hf_upvotes=1000,
    )
    store.merge_listed([Listed(hostile, TUESDAY)], "hf-daily")
    store_week(store, week_config)
    asyncio.run(synthesize_week(store, week_config, WEEK))
    paths = publish_weekly_feed(store, week_config, tmp_path)
    assert [path.name for path in paths] == ["weekly.rss", "weekly.atom"]
    for path in paths:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        (entry,) = parsed.entries
        assert entry.id == "urn:dailyai:week:2026-W38"
        assert entry.title == f"2026-W38 (2026-09-14~09-20) · {5 * PER_DAY + 1}편"
        assert entry.link.endswith("/reports/weekly/2026-W38/Weekly_2026-W38_report.html")
        content = entry.content[0].value
        assert "<script" not in content and "onerror" not in content
        assert 'href="javascript' not in content and "<b>bold</b>" not in content
        assert "&lt;script&gt;alert" in content  # the title, shown as text
        assert "\x1b" not in content and "\u202e" not in content
        # Links pass the feeds' sanitizer: http(s) only, none sending the reader's referrer.
        assert content.count("<a ") == content.count('rel="noopener noreferrer"') > 10
    # The Markdown escapes it too: no link, no image, no raw HTML.
    report = render_week_report(build_weekly(store, week_config, WEEK))
    assert "[click me](javascript" not in report and "<script>" not in report
    assert "\\<script\\>alert" in report
    # Re-rendering an unchanged week gives the same bytes.
    first = paths[1].read_bytes()
    publish_weekly_feed(store, week_config, tmp_path)
    assert paths[1].read_bytes() == first


async def test_the_weekly_email_goes_once_per_recipient_per_week(
    store, week_config, full_week, ca, client_tls
):
    await synthesize_week(store, week_config, WEEK)
    weekly = build_weekly(store, week_config, WEEK)
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    config = mail_config(week_config, port)
    async with server:
        first = await send_week(store, config, weekly, password=PASSWORD, tls_context=client_tls)
        again = await send_week(store, config, weekly, password=PASSWORD, tls_context=client_tls)
        forced = await send_week(
            store, config, weekly, password=PASSWORD, tls_context=client_tls, force=True
        )
    assert len(first.sent) == 2 and first.ok
    assert again.sent == [] and again.skipped == first.sent
    assert forced.sent == first.sent and len(mailbox.messages) == 4
    # Its own ledger: the day's email of that Monday is still to be sent.
    assert {d.status for d in store.deliveries(MONDAY, channel=WEEKLY_EMAIL_CHANNEL)} == {"sent"}
    assert store.deliveries(MONDAY) == []
    message = mailbox.messages[0][2]
    assert str(message["Subject"]) == (
        f"[Daily AI Insights] 주간 2026-W38 (2026-09-14~09-20) · {5 * PER_DAY}편"
    )
    html = message.get_body(("html",)).get_content()
    assert "이번 주의 AI 논문 · 2026-W38" in html and "cid:" in html
    assert any(part.get_content_type() == "image/png" for part in message.walk())


def test_the_weekly_email_stays_under_the_clipping_limit(store, week_config, full_week):
    weekly = build_weekly(store, week_config, WEEK)
    message = build_week_message(weekly, mail_config(week_config, 587), "a@example.com", None)
    html = message.get_body(("html",)).get_content()
    assert len(html.encode("utf-8")) <= 100_000


# --- the commands and the run ----------------------------------------------------------------


def _cli_config(tmp_path, url: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[llm]\nhosts = ["{url}"]\n', encoding="utf-8")
    return str(path)


def test_report_rss_and_email_commands_with_week(config, ollama_standin, tmp_path, capsys):
    with Store(config.dirs.database) as store:
        store_week(store, model_config(config, ollama_standin.url))
    path = _cli_config(tmp_path, ollama_standin.url)
    out = tmp_path / "out"
    assert main(["--config", path, "report", "--week", "2026-W38", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2026-W38: 30 papers on 5 days; weekly reports: " in printed
    report, chart = week_report_paths(out, WEEK)
    assert report.is_file() and chart.is_file()
    assert main(["--config", path, "rss", "--week", "2026-W38", "--out", str(out)]) == 0
    assert (out / "feeds" / "weekly.atom").is_file()
    assert "0 model requests" in capsys.readouterr().out  # written once, cached since
    eml = tmp_path / "week.eml"
    args = ["--config", path, "email", "--week", "2026-W38", "--to", "a@example.com"]
    assert main([*args, "--dry-run", str(eml)]) == 1  # no sender configured: one line
    assert "email.sender" in capsys.readouterr().err


def test_report_with_week_exits_3_and_marks_pending_when_the_model_is_down(
    config, tmp_path, capsys
):
    with OllamaStandin() as standin:
        with Store(config.dirs.database) as store:
            store_week(store, model_config(config, standin.url))
        url = standin.url
    out = tmp_path / "out"
    path = _cli_config(tmp_path, url)  # nothing answers there any more
    assert main(["--config", path, "report", "--week", "2026-W38", "--out", str(out)]) == 3
    printed = capsys.readouterr().out
    assert "Model: cannot reach" in printed
    report = week_report_paths(out, WEEK)[0].read_text(encoding="utf-8")
    assert "⏳ 주간 보고서 대기 중" in report


async def test_the_run_on_its_weekday_publishes_the_week(
    store, week_config, full_week, monkeypatch, tmp_path, ollama_standin
):
    services = Services(config=week_config, store=store)
    monkeypatch.setenv("DAILYAI_TODAY", SATURDAY.isoformat())
    result = await run_pipeline(
        services, FRIDAY, steps=("report", "feeds", "weekly"), out_dir=tmp_path, today=SATURDAY
    )
    outcome = result.outcome("weekly")
    assert outcome.status == "ok", outcome.reason
    assert outcome.counts["week"] == "2026-W38" and outcome.counts["written"] > 0
    assert week_report_paths(tmp_path, WEEK)[0] in result.published
    assert (tmp_path / "feeds" / "weekly.rss") in result.published
    run = store.runs(limit=1)[0]
    assert [s.status for s in run.steps if s.step == "weekly"] == ["ok"]
    # Another day: the step says when the week comes.
    monkeypatch.setenv("DAILYAI_TODAY", SUNDAY.isoformat())
    other = await run_pipeline(services, SATURDAY, steps=("weekly",), out_dir=tmp_path)
    skipped = other.outcome("weekly")
    assert skipped.status == "skipped" and "published on sat (weekly.weekday)" in skipped.reason


async def test_the_run_holds_the_weekly_email_while_reports_are_missing(
    store, week_config, full_week, tmp_path
):
    down = model_config(week_config, "http://127.0.0.1:9")
    down.email.enabled = True
    published = await publish_week(
        Services(config=down, store=store), WEEK, parts=("email",), send_incomplete=False
    )
    email_outcome = published.parts["email"]
    assert email_outcome.status == "skipped"
    assert "dailyai email --week 2026-W38" in email_outcome.reason
    assert published.status == "partial"


def test_the_chart_has_a_bar_per_day(store, week_config, full_week, tmp_path):
    from core.channels.chart import render_week_chart_png

    png = render_week_chart_png(build_weekly(store, week_config, WEEK))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == 1200
    (tmp_path / "chart.png").write_bytes(png)
