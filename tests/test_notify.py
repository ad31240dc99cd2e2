"""Chat delivery through Apprise, against a real HTTP receiver on 127.0.0.1.

Apprise's `json://` and `form://` post the message to the receiver; for Slack, Telegram and
Discord the real plugins are pointed at the receiver instead of their hosts (only the base
URL changes), so what is checked is the request each service would get: its formatting,
its escaping and its mentions. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from apprise.plugins.discord import NotifyDiscord
from apprise.plugins.slack import NotifySlack
from apprise.plugins.telegram import NotifyTelegram

from cli import main
from core.channels import DeliverOptions, channel_names
from core.channels.notify import (
    CHANNEL,
    ChatService,
    check_url,
    fit_message,
    report_gist,
    send_chat,
)
from core.config import Config, load_config
from core.digest import build_digest
from core.models import Listed, Paper
from core.pipeline import all_steps, run_pipeline
from core.services import Services
from core.store import Store
from tests.http_server import Reply
from tests.publish_data import DAY, HOSTILE_ID, populate_day

SITE = "https://ai.example.org/daily"
REPORT_LINK = f"{SITE}/reports/{DAY}/Papers_{DAY}_report.html"
CONCLUSION = "이 분야는 빠르게 발전하고 있다."
ISSUE_HOSTILE = "*bold* [x](javascript:alert(1)) <@channel> <!channel> @everyone _it_"
TELEGRAM_TOKEN = "123456:ABCdefGHIjklSecret"
SLACK_TOKENS = "T1ABC/B1ABC/abcdefghijklmnopSecret"
DISCORD_WEBHOOK = "4174216298/JHMHI8qBe7bk2ZwO5U711o3dVSecret"


def hook(server, path: str) -> str:
    """A json:// URL posting to `path` on the receiver."""
    return "json://" + server.url.removeprefix("http://") + path


def write_config(tmp_path: Path, *urls: str, extra: str = "") -> Path:
    listed = ", ".join(json.dumps(url) for url in urls)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[output]\nsite_url = "{SITE}"\n\n[notify]\nurls = [{listed}]\ntimeout_seconds = 5\n'
        + extra,
        encoding="utf-8",
    )
    return path


def stored_day(config_path: Path) -> tuple[Config, Store]:
    """The publishing tests' day, stored where `dailyai --config config_path` looks."""
    config = load_config(config_path)
    store = Store(config.dirs.database)
    populate_day(store, config)
    return config, store


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def squash(text: str) -> str:
    """Text without whitespace (the console wraps long lines where it likes)."""
    return "".join(text.split())


def posted(server, path: str) -> list[dict]:
    return [json.loads(request.body) for request in server.hits(path)]


# --- the message ------------------------------------------------------------------------------


def test_the_day_reaches_a_json_hook_in_korean_with_its_links_once(tmp_path, http_server, capsys):
    http_server.route("/hook", Reply(200, b"{}"))
    config_path = write_config(tmp_path, hook(http_server, "/hook"))
    config, store = stored_day(config_path)
    with store:
        code, out, err = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
        assert code == 0, err
        (payload,) = posted(http_server, "/hook")
        digest = build_digest(store, config, DAY)
        title, message = payload["title"], payload["message"]
        assert title == f"Daily AI Insights · {DAY} · {len(digest.selected)}편"
        assert f"📊 논문 {len(digest.selected)}편" in message
        assert f"[전체 보고서]({REPORT_LINK})" in message  # the report link, near the top
        assert message.index(REPORT_LINK) < message.index("**분야별 한 줄 요약**")
        # Each category with its count and its report's one-line Korean gist (or its state).
        for section in digest.sections:
            assert f"**{section.category.name}** ({len(section.papers)}편)" in message
        assert message.count(CONCLUSION) == 3  # the three categories with a report
        assert "⚠️ 종합 보고서 생성 실패" in message and "⏳ 종합 보고서 대기 중" in message
        assert "iframe" not in message and "피싱" not in message  # after the conclusion: out
        # The top papers, linked; the rest left to the report.
        top = digest.selected[0].paper
        assert top.id == HOSTILE_ID  # the most upvoted paper has the hostile title
        assert "[arXiv:2605.99999](https://arxiv.org/abs/2605.99999)" in message
        assert "\\[click me\\](javascript:alert(1))" in message  # escaped: no link
        assert "\x1b" not in message and "\u202e" not in message and "\x07" not in message
        assert f"나머지 {len(digest.selected) - 5}편은 [전체 보고서]({REPORT_LINK})에" in message
        assert "sent" in out and squash(hook(http_server, "/hook")) in squash(out)

        # The ledger: never twice for the day, unless forced.
        (delivery,) = store.deliveries(DAY, channel="notify")
        assert (delivery.recipient, delivery.status) == (hook(http_server, "/hook"), "sent")
        code, out, _ = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
        assert code == 0 and "already sent" in out and len(http_server.hits("/hook")) == 1
        code, _, _ = run_cli(
            capsys, "--config", str(config_path), "notify", "--date", str(DAY), "--force"
        )
        assert code == 0 and len(http_server.hits("/hook")) == 2
        assert store.deliveries(DAY) == []  # the email's ledger is its own


def test_a_form_hook_gets_the_same_message_as_a_form(tmp_path, http_server, capsys):
    http_server.route("/form", Reply(200, b"ok"))
    url = "form://" + http_server.url.removeprefix("http://") + "/form"
    config_path = write_config(tmp_path, url)
    _, store = stored_day(config_path)
    with store:
        code, _, err = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
    assert code == 0, err
    (request,) = http_server.hits("/form")
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    fields = {key: values[0] for key, values in parse_qs(request.body.decode("ascii")).items()}
    assert CONCLUSION in fields["message"] and fields["title"].endswith("편")


def test_the_gist_is_the_first_sentence_of_the_conclusion():
    report = (
        "### 종합 보고서\n\n#### 주요 주제 및 경향\n\n- 'A' 논문\n\n#### 결론\n\n"
        "에이전트 연구가 **빠르게** 늘고 있다. 두 번째 문장은 빠진다.\n\n[링크](http://x.example)"
    )
    assert report_gist(report, 160) == "에이전트 연구가 빠르게 늘고 있다."
    assert report_gist("#### 요약\n\n결론 절이 없는 보고서다. 다음 문장.", 160) == (
        "결론 절이 없는 보고서다."
    )
    assert report_gist("#### 결론\n\n" + "가" * 300, 50) == "가" * 49 + "…"


def test_a_long_digest_fits_each_service_and_keeps_the_report_link(config, store):
    populate_day(store, config)
    config.output.site_url = SITE
    digest = build_digest(store, config, DAY)
    many = len(digest.selected)
    discord = ChatService("discord://{env:D}", "Discord", 2000, False)
    telegram = ChatService("tgram://{env:T}/1", "Telegram", 4096, True)
    slack = ChatService("slack://{env:S}", "Slack", 35000, False)
    for target in (discord, telegram):
        message = fit_message(digest, config, many, target)
        assert message.length(target.title_in_body) <= target.limit < target.body_maxlen
        assert f"[전체 보고서]({REPORT_LINK})" in message.body
        assert "나머지" in message.body  # says how many are left for the report
    roomy = fit_message(digest, config, many, slack)
    assert "나머지" not in roomy.body and roomy.body.count("(https://") >= many
    assert CONCLUSION in roomy.body


# --- secrets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("tgram://123456:ABCdefGHIjkl/12345", "bot token"),
        ("slack://T1ABC/B1ABC/abcdefghijklmnop/#general", "token a"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "webhook id"),
        ("json://user:hunter2@hooks.example.org/in", "password"),
        ("tgram://123456:{env:PART}/12345", "bot token"),  # half a token is still a token
    ],
)
def test_a_url_with_its_token_written_in_is_refused(url, named):
    problem = check_url(url)
    assert named in problem and "{env:" in problem and "secrets never go in config.toml" in problem


@pytest.mark.parametrize(
    "url",
    [
        "tgram://{env:TELEGRAM_TOKEN}/12345",
        "slack://{env:SLACK_TOKENS}/#papers",
        "discord://{env:DISCORD_WEBHOOK_ID}/{command:pass show discord}",
        "json://127.0.0.1:8080/hook",
        "form://localhost/hook",
        "json://user:{env:HOOK_PASSWORD}@hooks.example.org/in",
    ],
)
def test_placeholders_and_hooks_without_secrets_are_accepted(url):
    assert check_url(url) == ""


def test_an_inline_token_in_config_toml_stops_notify_and_run_naming_its_line(tmp_path, capsys):
    config_path = tmp_path / "config.toml"
    config_path.write_text(
        '[notify]\nsend_empty = false\nurls = [\n  "json://127.0.0.1:9/hook",\n'
        '  "tgram://123456:ABCdefSECRET/12345",\n]\n',
        encoding="utf-8",
    )
    for command in ("notify", "run"):
        code, out, err = run_cli(capsys, "--config", str(config_path), command)
        said = " ".join(err.split())
        assert code == 2, (command, err)
        assert f"{config_path} line 3: 'notify.urls[2]' has the Telegram bot token" in said
        assert "{env:TELEGRAM_BOT_TOKEN}" in said and "ABCdefSECRET" not in err + out
    with Store(load_config(config_path).dirs.database) as store:
        assert store.runs() == []  # refused before the run started
    code, _, err = run_cli(capsys, "notify", "--to", "tgram://123456:ABCdefSECRET/12345")
    assert code == 2 and "--to tgram://…: has the Telegram bot token" in " ".join(err.split())
    assert "ABCdefSECRET" not in err


def test_secrets_come_from_the_environment_and_never_reach_the_ledger_or_the_screen(
    tmp_path, http_server, capsys, monkeypatch
):
    http_server.route("/hook", Reply(500, b"no"))
    url = "json://hooker:{env:HOOK_PASSWORD}@" + http_server.url.removeprefix("http://") + "/hook"
    config_path = write_config(tmp_path, url)
    _, store = stored_day(config_path)
    with store:
        code, out, _ = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
        assert code == 1 and "$HOOK_PASSWORD is not set — export HOOK_PASSWORD" in " ".join(
            out.split()
        )
        assert http_server.hits("/hook") == []  # nothing sent without its secret
        monkeypatch.setenv("HOOK_PASSWORD", "s3cret-value")
        code, out, err = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
        (request,) = http_server.hits("/hook")
        assert request.headers["Authorization"].startswith("Basic ")  # the secret was used
        (delivery,) = store.deliveries(DAY, channel="notify")
        assert delivery.recipient == url and delivery.status == "failed"
        assert "s3cret-value" not in out + err + delivery.error + delivery.recipient


async def test_a_service_quoting_part_of_a_token_back_is_scrubbed(config, store, monkeypatch):
    """Apprise names the bad one of Slack's three tokens in its error: it is not repeated."""
    populate_day(store, config)
    monkeypatch.setenv("SLACK_TOKENS", "T1ABC/B1ABC/s3cr3t-part!!")
    url = "slack://{env:SLACK_TOKENS}/#papers"
    report = await send_chat(store, config, build_digest(store, config, DAY), urls=[url])
    reason = report.failed[url]
    assert reason.startswith("Slack: ") and "Token (***)" in reason
    assert "s3cr3t" not in reason + store.deliveries(DAY, channel="notify")[0].error


# --- hostile titles in each service's formatting -------------------------------------------------


@pytest.fixture
def services_at_receiver(http_server, monkeypatch):
    """Slack, Telegram and Discord's real plugins, posting to the receiver instead."""
    monkeypatch.setattr(NotifySlack, "webhook_url", http_server.url + "/slack")
    monkeypatch.setattr(NotifyTelegram, "notify_url", http_server.url + "/bot")
    monkeypatch.setattr(NotifyDiscord, "notify_url", http_server.url + "/discord")
    monkeypatch.setenv("TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("SLACK_TOKENS", SLACK_TOKENS)
    monkeypatch.setenv("DISCORD_WEBHOOK", DISCORD_WEBHOOK)
    paths = {
        "slack": f"/slack/{SLACK_TOKENS}",
        "telegram": f"/bot{TELEGRAM_TOKEN}/sendMessage",
        "discord": f"/discord/{DISCORD_WEBHOOK}",
    }
    http_server.route(paths["slack"], Reply(200, b"ok"))
    ok = json.dumps({"ok": True, "result": {"message_id": 1}}).encode()
    http_server.route(paths["telegram"], Reply(200, ok, {"Content-Type": "application/json"}))
    http_server.route(paths["discord"], Reply(204, b""))
    return paths


def store_hostile_top_paper(store: Store, config: Config) -> None:
    populate_day(store, config)
    paper = Paper(
        id="2605.88888",
        arxiv_id="2605.88888",
        title=ISSUE_HOSTILE,
        links={"abs": "https://arxiv.org/abs/2605.88888"},
        hf_upvotes=5000,
    )
    store.merge_listed([Listed(paper, DAY)], "hf-daily")


async def test_hostile_titles_are_inert_in_slack_telegram_and_discord(
    config, store, services_at_receiver, http_server
):
    store_hostile_top_paper(store, config)
    config.sections["notify"]["urls"] = [
        "slack://{env:SLACK_TOKENS}/#papers",
        "tgram://{env:TELEGRAM_TOKEN}/12345",
        "discord://{env:DISCORD_WEBHOOK}",
    ]
    digest = build_digest(store, config, DAY)
    assert digest.selected[0].paper.title == ISSUE_HOSTILE
    report = await send_chat(store, config, digest)
    assert sorted(report.sent) == sorted(config.sections["notify"]["urls"]), report.failed

    (slack,) = posted(http_server, services_at_receiver["slack"])
    text = json.dumps(slack, ensure_ascii=False)
    assert "<javascript" not in text and "|x>" not in text  # no Slack link
    assert "<@" not in text and "<!channel>" not in text  # no mention
    assert "&lt;@\u200bchannel&gt;" in text and "&lt;!channel&gt;" in text
    assert not re.search(r"(?<!\\)\*bold", text)  # no bold
    assert "@everyone" not in text and "@\u200beveryone" in text
    assert CONCLUSION in text  # Korean intact

    (telegram,) = posted(http_server, services_at_receiver["telegram"])
    body = telegram["text"]
    if telegram.get("parse_mode", "").upper() == "HTML":
        assert 'href="javascript' not in body and "<b>bold</b>" not in body
    else:
        assert "\\[x\\]" in body and "](javascript" not in body.replace("\\]", "")
        assert not re.search(r"(?<!\\)\*bold", body) and not re.search(r"(?<!\\)_it", body)
    assert "@everyone" not in body and CONCLUSION in body

    (discord,) = posted(http_server, services_at_receiver["discord"])
    content = discord["content"]
    assert "@everyone" not in content and "<@channel>" not in content
    assert "allowed_mentions" not in discord and "allow_mentions" not in discord
    assert "\\[x\\](javascript" in content  # escaped: a Markdown link cannot open
    assert len(content) <= 2000 and CONCLUSION in content


# --- failures, retries and the ledger -------------------------------------------------------------


def test_a_failing_endpoint_is_reported_by_service_and_retried_by_the_next_run(
    tmp_path, http_server, capsys
):
    http_server.route("/ok", Reply(200, b"{}"))
    http_server.route("/down", Reply(500, b"oops"), Reply(200, b"{}"))
    good, bad = hook(http_server, "/ok"), hook(http_server, "/down")
    config_path = write_config(tmp_path, good, bad)
    _, store = stored_day(config_path)
    with store:
        code, out, _ = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
        said = " ".join(out.split())
        assert code == 1
        assert "failed" in said and "JSON: Failed to send JSON POST notification" in said
        assert "500" in said
        statuses = {d.recipient: d.status for d in store.deliveries(DAY, channel="notify")}
        assert statuses == {good: "sent", bad: "failed"}

        code, out, _ = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
        assert code == 0
        assert len(http_server.hits("/ok")) == 1  # not sent twice
        assert len(http_server.hits("/down")) == 2  # the failure, tried again
        assert {d.status for d in store.deliveries(DAY, channel="notify")} == {"sent"}


def test_a_closed_port_fails_that_url_alone(tmp_path, http_server, config, store):
    http_server.route("/ok", Reply(200, b"{}"))
    populate_day(store, config)
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = f"json://127.0.0.1:{port}/hook"
    config.sections["notify"]["urls"] = [closed, hook(http_server, "/ok")]
    config.sections["notify"]["timeout_seconds"] = 5
    report = asyncio.run(send_chat(store, config, build_digest(store, config, DAY)))
    assert list(report.failed) == [closed] and "JSON:" in report.failed[closed]
    assert report.sent == [hook(http_server, "/ok")]


async def test_two_notifiers_at_once_send_each_url_once(tmp_path, http_server, config, store):
    http_server.route("/hook", Reply(200, b"{}"))
    populate_day(store, config)
    config.sections["notify"]["urls"] = [hook(http_server, "/hook")]
    digest = build_digest(store, config, DAY)
    with Store(store.path) as other:
        first, second = await asyncio.gather(
            send_chat(store, config, digest), send_chat(other, config, digest)
        )
    assert len(http_server.hits("/hook")) == 1
    # Whichever claimed first (both claim in worker threads) sent it; the other held off.
    first, second = (first, second) if first.sent else (second, first)
    assert (len(first.sent), len(second.sent)) == (1, 0)
    assert "being sent by another dailyai" in next(iter(second.held.values()))


def test_dry_run_prints_each_services_message_and_sends_nothing(tmp_path, http_server, capsys):
    http_server.route("/hook", Reply(200, b"{}"))
    config_path = write_config(tmp_path, hook(http_server, "/hook"))
    _, store = stored_day(config_path)
    with store:
        code, out, _ = run_cli(
            capsys, "--config", str(config_path), "notify", "--date", str(DAY), "--dry-run"
        )
        assert code == 0 and "(not sent)" in out and CONCLUSION in out
        assert "JSON" in out and "of 32768 characters" in out
        assert http_server.hits("/hook") == [] and store.deliveries(DAY, channel="notify") == []


def test_an_empty_day_sends_nothing_unless_send_empty(tmp_path, http_server, capsys):
    http_server.route("/hook", Reply(200, b"{}"))
    config_path = write_config(tmp_path, hook(http_server, "/hook"))
    Store(load_config(config_path).dirs.database).close()
    code, out, _ = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
    assert code == 0 and "notify.send_empty is false" in " ".join(out.split())
    assert http_server.hits("/hook") == []
    config_path = write_config(tmp_path, hook(http_server, "/hook"), extra="send_empty = true\n")
    code, _, err = run_cli(capsys, "--config", str(config_path), "notify", "--date", str(DAY))
    (payload,) = posted(http_server, "/hook")
    assert code == 0, err
    assert (
        payload["title"].endswith("발행할 논문 없음")
        and "발행할 논문이 없습니다" in payload["message"]
    )


# --- in the daily run ----------------------------------------------------------------------------


async def test_the_run_notifies_after_the_email_once_per_day(config, store, http_server):
    http_server.route("/hook", Reply(200, b"{}"))
    populate_day(store, config)
    config.sections["notify"]["urls"] = [hook(http_server, "/hook")]
    assert all_steps().index("email") < all_steps().index("notify")
    services = Services(config=config, store=store)
    first = await run_pipeline(services, DAY, steps=("report", "notify"))
    assert first.outcome("notify").status == "ok" and first.outcome("notify").counts["sent"] == 1
    second = await run_pipeline(services, DAY, steps=("notify",))
    assert second.outcome("notify").counts == {"sent": 0, "skipped": 1, "held": 0, "failed": 0}
    assert len(http_server.hits("/hook")) == 1


async def test_a_run_with_chat_down_is_partial_and_says_which_service(config, store, http_server):
    http_server.route("/down", Reply(503, b"busy"))
    populate_day(store, config)
    config.sections["notify"]["urls"] = [hook(http_server, "/down")]
    result = await run_pipeline(
        Services(config=config, store=store), DAY, steps=("report", "notify")
    )
    outcome = result.outcome("notify")
    assert outcome.status == "partial" and "refused:" in outcome.reason
    assert result.status == "partial" and result.exit_code == 3  # the report was published


def test_notify_is_a_channel_with_a_run_option(capsys):
    assert "notify" in channel_names() and CHANNEL.delivers and not CHANNEL.essential
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "--no-notify" in capsys.readouterr().out


async def test_deliver_with_targets_overrides_the_configured_urls(config, store, http_server):
    http_server.route("/a", Reply(200, b"{}"))
    populate_day(store, config)
    services = Services(config=config, store=store)
    result = await CHANNEL.deliver(
        services,
        build_digest(store, config, DAY),
        DeliverOptions(targets=[hook(http_server, "/a")]),
    )
    assert result.status == "ok" and result.delivery.sent == [hook(http_server, "/a")]
