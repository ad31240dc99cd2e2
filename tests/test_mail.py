"""The digest email against a real SMTP server (aiosmtpd) on 127.0.0.1, over real TLS.

The server speaks STARTTLS or implicit TLS with a certificate from a private CA (trustme),
asks for a login, refuses or drops chosen recipients, and keeps what it receives; each
message is parsed back and checked as a mail client would see it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import signal
import sys
from datetime import date, datetime
from email.header import decode_header, make_header
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cli import main
from core.channels.mail import (
    HTML_LIMIT_BYTES,
    build_message,
    render_preview,
    resolve_password,
    send_digest,
    smtp_settings,
)
from core.config import Config, load_config
from core.digest import build_digest
from core.errors import MailError
from core.store import RunStep, Store
from tests.publish_data import DAY, FAILED_REASON_KO, HOSTILE_ID, populate_day
from tests.raw_sql import count, run_sql
from tests.smtp_server import PASSWORD, USER, Mailbox, mail_config, start_smtp

NOW = datetime(2026, 5, 8, 7, 30, tzinfo=ZoneInfo("Asia/Seoul"))


@pytest.fixture
def published(store: Store, config: Config):
    return populate_day(store, config)


def _html_part(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


async def test_starttls_with_login_sends_each_recipient_their_own_message(
    store, config, published, ca, client_tls, monkeypatch
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    monkeypatch.setenv("DAILYAI_SMTP_PASSWORD", PASSWORD)
    async with server:
        report = await send_digest(
            store, mail_config(config, port), DAY, tls_context=client_tls, now=NOW
        )

    assert report.sent == ["alice@example.com", "Bob <bob@example.net>"]
    assert report.failed == {} and report.ok
    assert mailbox.logins == [USER]
    # One message per recipient: nobody sees anybody else's address.
    assert [rcpts for _, rcpts, _ in mailbox.messages] == [
        ["alice@example.com"],
        ["bob@example.net"],
    ]
    sender, _, message = mailbox.messages[0]
    assert sender == USER
    assert message["To"] == "alice@example.com"
    assert "bob@example.net" not in message.as_string()

    # Korean subject, encoded on the wire, decodes back.
    assert str(make_header(decode_header(message["Subject"]))) == (
        "[Daily AI Insights] 2026-05-08 · 30편"
    )
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"] == "Fri, 08 May 2026 07:30:00 +0900"
    assert message["List-Id"] == "Daily AI Insights <dailyai.example.org>"
    assert message["List-Unsubscribe"] == "<mailto:unsubscribe@example.org?subject=unsubscribe>"

    # Both parts, and the chart inline in the HTML part by Content-ID.
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.walk()]
    assert parts == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = _html_part(message)
    image = next(part for part in message.walk() if part.get_content_type() == "image/png")
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert len(html.encode("utf-8")) < HTML_LIMIT_BYTES

    # Korean text in both parts; a failed summary is shown as failed, never as the abstract.
    assert "오늘의 AI 논문" in html and "오늘의 AI 논문" in text
    assert f"요약 실패: {FAILED_REASON_KO}" in html
    assert f"요약 실패: {FAILED_REASON_KO}" in text
    assert "영문 초록 (원문 그대로, 요약 아님)" in html

    # The hostile title is text, not markup: the whole of it is its link's text.
    from markupsafe import escape

    from core.sanitize import one_line
    from tests.publish_data import HOSTILE_TITLE

    title_link = rf'<a href="https://arxiv.org/abs/{HOSTILE_ID}"[^>]*>([^<]*)</a>'
    assert str(escape(one_line(HOSTILE_TITLE))) in re.findall(title_link, html)
    assert not re.search(r"<script", html, re.IGNORECASE)
    assert not re.search(r"""href=["']?javascript:""", html, re.IGNORECASE)
    assert "<iframe" not in html
    assert "\u202e" not in html and "\x1b" not in html and "\x07" not in html

    # The ledger knows both were sent.
    rows = {delivery.recipient: delivery.status for delivery in store.deliveries(DAY)}
    assert rows == {"alice@example.com": "sent", "bob@example.net": "sent"}


async def test_the_same_day_is_not_sent_twice_unless_forced(
    store, config, published, ca, client_tls
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    config = mail_config(config, port)
    async with server:
        first = await send_digest(store, config, DAY, password=PASSWORD, tls_context=client_tls)
        again = await send_digest(store, config, DAY, password=PASSWORD, tls_context=client_tls)
        forced = await send_digest(
            store, config, DAY, password=PASSWORD, tls_context=client_tls, force=True
        )
    assert len(first.sent) == 2
    assert again.sent == [] and again.skipped == first.sent
    assert forced.sent == first.sent
    assert len(mailbox.messages) == 4


# aiosmtpd warns because it cannot tell that an implicit-TLS connection is encrypted.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_implicit_tls_on_its_own_port(store, config, published, ca, client_tls):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca, mode="tls")
    async with server:
        report = await send_digest(
            store,
            mail_config(config, port, security="tls", to=["carol@example.com"]),
            DAY,
            password=PASSWORD,
            tls_context=client_tls,
        )
    assert report.sent == ["carol@example.com"]
    assert mailbox.logins == [USER] and len(mailbox.messages) == 1


async def test_wrong_password_is_a_clear_error_and_nothing_is_marked_sent(
    store, config, published, ca, client_tls
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    async with server:
        with pytest.raises(MailError) as caught:
            await send_digest(
                store, mail_config(config, port), DAY, password="wrong", tls_context=client_tls
            )
    message = str(caught.value)
    assert "refused the login of digest@example.org" in message
    assert "app password" in message and "\n" not in message
    assert mailbox.messages == []
    assert {delivery.status for delivery in store.deliveries(DAY)} == {"failed"}
    assert not store.delivered(DAY, "alice@example.com")


async def test_a_refused_recipient_is_reported_and_the_others_still_get_it(
    store, config, published, ca, client_tls
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    recipients = ["alice@example.com", "refused@example.com", "bob@example.net"]
    async with server:
        report = await send_digest(
            store,
            mail_config(config, port, to=recipients),
            DAY,
            password=PASSWORD,
            tls_context=client_tls,
        )
    assert report.sent == ["alice@example.com", "bob@example.net"]
    assert list(report.failed) == ["refused@example.com"]
    assert "mailbox unavailable" in report.failed["refused@example.com"]
    assert "550" in report.failed["refused@example.com"]
    assert not report.ok
    rows = {d.recipient: (d.status, d.error) for d in store.deliveries(DAY)}
    assert rows["refused@example.com"][0] == "failed"
    assert "550" in rows["refused@example.com"][1]
    assert rows["alice@example.com"][0] == rows["bob@example.net"][0] == "sent"


async def test_a_dropped_connection_stops_with_a_correct_ledger(
    store, config, published, ca, client_tls
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    recipients = ["alice@example.com", "drop@example.com", "bob@example.net"]
    async with server:
        with pytest.raises(MailError) as caught:
            await send_digest(
                store,
                mail_config(config, port, to=recipients),
                DAY,
                password=PASSWORD,
                tls_context=client_tls,
            )
    assert "dropped the connection" in str(caught.value)
    assert "1 of 3 sent" in str(caught.value)
    report = caught.value.report
    assert report.sent == ["alice@example.com"]
    assert set(report.failed) == {"drop@example.com", "bob@example.net"}
    assert report.failed["bob@example.net"].startswith("not sent:")
    statuses = {delivery.recipient: delivery.status for delivery in store.deliveries(DAY)}
    assert statuses == {
        "alice@example.com": "sent",
        "drop@example.com": "failed",
        "bob@example.net": "failed",
    }
    # Running again sends only to those who did not get it.
    server, port = await start_smtp(mailbox, ca)
    async with server:
        retry = await send_digest(
            store,
            mail_config(config, port, to=["alice@example.com", "bob@example.net"]),
            DAY,
            password=PASSWORD,
            tls_context=client_tls,
        )
    assert retry.skipped == ["alice@example.com"] and retry.sent == ["bob@example.net"]


async def test_a_server_without_starttls_is_refused_not_used_in_clear(
    store, config, published, client_tls
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, None, mode="plain", auth=False)
    async with server:
        with pytest.raises(MailError) as caught:
            await send_digest(
                store, mail_config(config, port), DAY, password=PASSWORD, tls_context=client_tls
            )
    assert "does not offer STARTTLS" in str(caught.value)
    assert "never sent in clear" in str(caught.value)
    assert mailbox.messages == []


async def test_an_untrusted_certificate_fails_instead_of_skipping_verification(
    store, config, published, ca
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    async with server:
        with pytest.raises(MailError) as caught:
            # No tls_context: the system CAs, which do not trust the test CA.
            await send_digest(store, mail_config(config, port), DAY, password=PASSWORD)
    assert "TLS with localhost" in str(caught.value)
    assert "certificate" in str(caught.value).lower()
    assert mailbox.messages == []


async def test_plaintext_only_to_a_relay_on_localhost(store, config, published):
    config = mail_config(config, 2525, security="none")
    config.email.host = "smtp.example.com"
    with pytest.raises(MailError, match='security = "none" sends in plaintext'):
        smtp_settings(config)
    with pytest.raises(MailError, match="plaintext"):
        await send_digest(store, config, DAY, password=PASSWORD)

    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, None, mode="plain", auth=False)
    relay = mail_config(config, port, security="none", to=["alice@example.com"])
    relay.email.host = "127.0.0.1"
    relay.email.username = ""  # a local relay needs no login
    async with server:
        report = await send_digest(store, relay, DAY)
    assert report.sent == ["alice@example.com"] and len(mailbox.messages) == 1


def test_port_and_security_that_do_not_match_are_caught(config):
    config.email.host = "smtp.gmail.com"
    config.email.port, config.email.security = 465, "starttls"
    with pytest.raises(MailError, match='set security = "tls"'):
        smtp_settings(config)
    config.email.port, config.email.security = 587, "tls"
    with pytest.raises(MailError, match='set security = "starttls"'):
        smtp_settings(config)
    config.email.host = ""
    with pytest.raises(MailError, match=r"set email\.host"):
        smtp_settings(config)


def test_password_from_env_or_command_never_from_the_config(config, monkeypatch, tmp_path):
    monkeypatch.delenv("DAILYAI_SMTP_PASSWORD", raising=False)
    assert resolve_password(config) is None
    monkeypatch.setenv("DAILYAI_SMTP_PASSWORD", "from-env")
    assert resolve_password(config) == "from-env"
    monkeypatch.delenv("DAILYAI_SMTP_PASSWORD")
    config.email.password_command = f"{sys.executable} -c \"print('from-command')\""
    assert resolve_password(config) == "from-command"
    config.email.password_command = f'{sys.executable} -c "import sys; sys.exit(3)"'
    with pytest.raises(MailError, match=r"password_command .* failed"):
        resolve_password(config)

    secret_config = tmp_path / "config.toml"
    secret_config.write_text('[email]\npassword = "hunter2"\n', encoding="utf-8")
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"secrets never go in config\.toml"):
        load_config(secret_config)


async def test_a_missing_password_says_where_to_put_it(store, config, published, monkeypatch):
    monkeypatch.delenv("DAILYAI_SMTP_PASSWORD", raising=False)
    with pytest.raises(MailError, match="export DAILYAI_SMTP_PASSWORD"):
        await send_digest(store, mail_config(config, 587), DAY)


async def test_an_empty_day_is_not_mailed_unless_asked(store, config, client_tls):
    run = store.start_run("fetch", date(2026, 5, 9))
    store.record_step(run, RunStep("fetch", "hf-daily", "empty", reason="no weekend papers"))
    store.finish_run(run, "ok", "Hugging Face takes no submissions on weekends")
    report = await send_digest(store, mail_config(config, 1), date(2026, 5, 9), password=PASSWORD)
    assert report.sent == [] and "nothing to publish" in report.note
    assert "weekends" in report.note


def test_empty_day_message_says_why(store, config):
    run = store.start_run("fetch", date(2026, 5, 9))
    store.finish_run(run, "ok", "Hugging Face takes no submissions on weekends")
    digest = build_digest(store, mail_config(config, 587), date(2026, 5, 9))
    message = build_message(digest, config, "alice@example.com", None)
    assert str(make_header(decode_header(message["Subject"]))).endswith("발행할 논문 없음")
    html = _html_part(message)
    assert "발행할 논문이 없습니다" in html and "주말에 논문을 받지 않습니다" in html
    assert "cid:" not in html


def test_preview_has_text_and_html(store, config, published):
    text, html = render_preview(build_digest(store, config, DAY), config)
    assert text.startswith("Daily AI Insights · 오늘의 AI 논문 · 2026-05-08")
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "<img" not in html  # no chart source given
    assert HOSTILE_ID in html


def test_an_https_unsubscribe_is_one_click_and_names_its_recipient(store, config, published):
    digest = build_digest(store, config, DAY)
    config = mail_config(config, 587)
    config.email.unsubscribe = "https://lists.example.org/leave?who={email}"
    message = build_message(digest, config, "Kim Min <min+ai@example.com>", None)
    url = "https://lists.example.org/leave?who=min%2Bai@example.com"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in _html_part(message)
    assert url in message.get_body(preferencelist=("plain",)).get_content()

    # A mailto cannot be one-click (RFC 8058 asks for HTTPS).
    config.email.unsubscribe = "leave@example.org"
    message = build_message(digest, config, "bob@example.com", None)
    assert message["List-Unsubscribe"] == "<mailto:leave@example.org?subject=unsubscribe>"
    assert message["List-Unsubscribe-Post"] is None


def test_oversized_digest_is_trimmed_under_the_clipping_limit(store, config, published):
    config.digest.size = 1000
    digest = build_digest(store, config, DAY)
    for item in digest.selected:  # make every summary long
        item.summary.text = "긴 요약 문장입니다. " * 200
        item.summary.status = "ok"
    message = build_message(digest, mail_config(config, 587), "alice@example.com", b"png")
    html = _html_part(message)
    assert len(html.encode("utf-8")) <= HTML_LIMIT_BYTES
    assert "메일이 너무 길어" in html


def test_dry_run_writes_an_eml_without_sending(store, config, published, tmp_path, capsys):
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '[email]\nhost = "smtp.example.org"\nsender = "digest@example.org"\n'
        'to = ["alice@example.com"]\n',
        encoding="utf-8",
    )
    # The CLI opens the store in DAILYAI_HOME; fill that one.
    home_store = Store(load_config(config_file).dirs.database)
    populate_day(home_store, config)
    home_store.close()
    out = tmp_path / "digest.eml"
    code = main(
        ["--config", str(config_file), "email", "--date", "2026-05-08", "--dry-run", str(out)]
    )
    assert code == 0
    parsed = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "alice@example.com"
    assert parsed.get_body(preferencelist=("html",)) is not None
    assert "(not sent)" in " ".join(capsys.readouterr().out.split())


# --- exactly once, with two senders at the same time -------------------------------------


def _received(mailbox: Mailbox) -> list[str]:
    return sorted(rcpt for _, rcpts, _ in mailbox.messages for rcpt in rcpts)


@pytest.mark.parametrize("force", [False, True])
async def test_two_senders_at_once_send_each_recipient_the_digest_once(
    store, config, published, ca, client_tls, force
):
    """Two `dailyai email` at once (here two tasks, each with its own store connection)."""
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    config = mail_config(config, port)
    other_store = Store(store.path)
    try:
        async with server:
            first, second = await asyncio.gather(
                *(
                    send_digest(
                        sender, config, DAY, password=PASSWORD, tls_context=client_tls, force=force
                    )
                    for sender in (store, other_store)
                )
            )
    finally:
        other_store.close()
    assert _received(mailbox) == ["alice@example.com", "bob@example.net"]
    # Whichever claimed first (both read the store in worker threads) sends to everyone …
    first, second = (first, second) if first.sent else (second, first)
    assert first.sent == ["alice@example.com", "Bob <bob@example.net>"]
    # … and the other says who holds each recipient, and sends nobody anything.
    assert second.sent == [] and second.ok
    assert set(second.held) == set(first.sent)
    assert f"another dailyai (pid {os.getpid()}" in second.held["alice@example.com"]
    assert second.as_counts()["held"] == 2
    assert count(store.path, "SELECT count(*) FROM claims") == 0  # every claim released
    assert {delivery.status for delivery in store.deliveries(DAY)} == {"sent"}


async def test_a_failed_recipient_is_released_and_retried_by_the_next_sender(
    store, config, published, ca, client_tls, monkeypatch
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    config = mail_config(config, port)
    monkeypatch.delenv("DAILYAI_SMTP_PASSWORD", raising=False)
    async with server:
        with pytest.raises(MailError, match="no SMTP password"):
            await send_digest(store, config, DAY, tls_context=client_tls)
        assert count(store.path, "SELECT count(*) FROM claims") == 0
        with pytest.raises(MailError, match="refused the login"):
            await send_digest(store, config, DAY, password="wrong", tls_context=client_tls)
        assert count(store.path, "SELECT count(*) FROM claims") == 0
        retry = await send_digest(store, config, DAY, password=PASSWORD, tls_context=client_tls)
    assert len(retry.sent) == 2 and _received(mailbox) == ["alice@example.com", "bob@example.net"]


def _email_setup(tmp_path: Path, ca, port: int) -> tuple[list[str], dict[str, str]]:
    """A config for `dailyai email` against the test server, and the day stored in its home."""
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[email]\nhost = "localhost"\nport = {port}\nsecurity = "starttls"\n'
        f'username = "{USER}"\nsender = "Daily AI <{USER}>"\n'
        'to = ["alice@example.com", "Bob <bob@example.net>"]\n'
        f'ca_file = "{ca_file}"\ntimeout_seconds = 120\n',
        encoding="utf-8",
    )
    config = load_config(config_file)
    with Store(config.dirs.database) as home_store:
        populate_day(home_store, config)
    command = [sys.executable, "-m", "cli", "--config", str(config_file), "email"]
    command += ["--date", DAY.isoformat()]
    env = {**os.environ, "DAILYAI_SMTP_PASSWORD": PASSWORD}
    env.pop("DAILYAI_TEST_KILL_AT", None)
    return command, env


async def test_two_dailyai_email_processes_at_once_send_each_recipient_once(tmp_path, ca):
    """The first `dailyai email` is held at its first message until the second has ended."""
    mailbox = Mailbox(hold=asyncio.Event())
    server, port = await start_smtp(mailbox, ca)
    command, env = _email_setup(tmp_path, ca, port)
    pipe = asyncio.subprocess.PIPE
    async with server:
        first = await asyncio.create_subprocess_exec(*command, env=env, stdout=pipe, stderr=pipe)
        first_done = asyncio.ensure_future(first.communicate())
        holding = asyncio.ensure_future(mailbox.holding.wait())
        await asyncio.wait([first_done, holding], return_when=asyncio.FIRST_COMPLETED)
        assert holding.done(), (await first_done)[1].decode()  # it reached its first message
        second = await asyncio.create_subprocess_exec(*command, env=env, stdout=pipe, stderr=pipe)
        out, err = await second.communicate()
        mailbox.hold.set()
        first_out, first_err = await first_done
    assert first.returncode == 0, first_out.decode() + first_err.decode()
    assert second.returncode == 0, out.decode() + err.decode()
    assert _received(mailbox) == ["alice@example.com", "bob@example.net"]
    said = " ".join(out.decode().split())
    assert f"alice@example.com — being sent by another dailyai (pid {first.pid}" in said
    assert not any(line.startswith("sent") for line in out.decode().splitlines())


async def test_a_sender_killed_after_claiming_does_not_block_the_next_one(tmp_path, ca, client_tls):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca)
    command, env = _email_setup(tmp_path, ca, port)
    config_file = command[command.index("--config") + 1]
    # A long-lived process (the TUI) has the store open while a `dailyai email` dies.
    with Store(load_config(config_file).dirs.database) as store:
        async with server:
            killed = await asyncio.create_subprocess_exec(
                *command, env={**env, "DAILYAI_TEST_KILL_AT": "mail-claimed:1"}
            )
            assert await killed.wait() == -signal.SIGKILL
            held = run_sql(store.path, "SELECT pid FROM claims")
            assert [row["pid"] for row in held] == [killed.pid, killed.pid]
            assert mailbox.messages == [] and store.deliveries(DAY) == []
            # The dead sender's claims are taken over: everyone gets the digest, once.
            report = await send_digest(
                store, load_config(config_file), DAY, password=PASSWORD, tls_context=client_tls
            )
        assert report.held == {} and len(report.sent) == 2
        assert count(store.path, "SELECT count(*) FROM claims") == 0
    assert _received(mailbox) == ["alice@example.com", "bob@example.net"]


@pytest.mark.parametrize("mode", ["plain", "starttls"])
async def test_a_login_the_server_does_not_offer_names_the_real_problem(
    store, config, published, ca, client_tls, mode
):
    mailbox = Mailbox()
    server, port = await start_smtp(mailbox, ca, mode=mode, auth=False)
    config = mail_config(config, port, security="none" if mode == "plain" else "starttls")
    if mode == "plain":
        config.email.host = "127.0.0.1"
    async with server:
        with pytest.raises(MailError) as caught:
            await send_digest(store, config, DAY, password=PASSWORD, tls_context=client_tls)
    message = str(caught.value)
    assert "offers no login (no AUTH)" in message and "remove email.username" in message
    if mode == "plain":
        assert 'use security = "starttls"' in message
    assert "\n" not in message and mailbox.messages == []
