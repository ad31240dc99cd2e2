"""Outputs are channels: a channel added as one module (and its config section) is a step of
the run, an option of `dailyai run`, a line of `dailyai doctor`, and configured like every key.

The channel below is written into a folder of its own that joins `core.channels`' package
path for the test, the way a module dropped into `core/channels/` would; its section joins
the shipped defaults, the way a section added to core/default_config.toml would. Nothing
else in the app names it. It writes the day's overview into a text file.

Also here: the delivery ledger every delivering channel shares, and its migration.
"""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

import core.channels
import core.config
from cli import main
from core.channels import channel_names, channels
from core.config import load_config
from core.doctor import check_channels
from core.errors import ConfigError
from core.pipeline import all_steps, run_pipeline
from core.services import Services
from core.store import Store
from core.store.migrations import MIGRATIONS
from tests.publish_data import DAY, populate_day

DAY_FILE = '''
"""The day's overview as a line in a text file (a stand-in for any new output)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.channels.base import Channel, ChannelResult
from core.channels.render import overview_line


@dataclass
class Options:
    path: str
    """The file the overview is appended to; empty: the channel is off."""


class DayFile(Channel):
    name = "dayfile"
    order = 50
    what = "appends the day's overview to a file"
    Options = Options

    def enabled(self, config):
        return bool(self.options(config).path)

    def off_reason(self, config):
        return "dayfile is off (dayfile.path is empty)"

    def render(self, digest, config):
        return overview_line(digest)

    async def deliver(self, services, digest, options):
        path = Path(self.options(services.config).path)
        with path.open("a", encoding="utf-8") as out:
            out.write(self.render(digest, services.config) + "\\n")
        return ChannelResult("ok", "", {"lines": 1}, [path])


CHANNEL = DayFile()
'''
DAY_FILE_SECTION = '\n[dayfile]\n# The file the day\'s overview is appended to.\npath = ""\n'


@pytest.fixture
def day_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The dayfile channel, present as one more module of `core.channels` for one test."""
    folder = tmp_path / "added_channels"
    folder.mkdir()
    (folder / "day_file.py").write_text(DAY_FILE, encoding="utf-8")
    package_path = list(core.channels.__path__)
    core.channels.__path__.append(str(folder))
    core.channels.channels.cache_clear()
    shipped = core.config.default_config_text
    monkeypatch.setattr(core.config, "default_config_text", lambda: shipped() + DAY_FILE_SECTION)
    try:
        yield "dayfile"
    finally:
        core.channels.__path__[:] = package_path
        sys.modules.pop("core.channels.day_file", None)
        core.channels.channels.cache_clear()


def test_an_added_channel_is_a_step_an_option_and_a_doctor_line(day_file, tmp_path, capsys):
    assert channel_names()[-1] == "dayfile" and all_steps()[-2:] == ("dayfile", "weekly")
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "--no-dayfile" in capsys.readouterr().out
    config = load_config()
    lines = {check.name: check for check in check_channels(config)}
    assert (
        lines["channel dayfile"].ok and "dayfile.path is empty" in lines["channel dayfile"].detail
    )


async def test_an_added_channel_is_configured_and_run_by_the_pipeline(day_file, tmp_path):
    out = tmp_path / "days.txt"
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'[dayfile]\npath = "{out}"\n', encoding="utf-8")
    config = load_config(config_path)
    with Store(tmp_path / "store.sqlite3") as store:
        populate_day(store, config)
        services = Services(config=config, store=store)
        result = await run_pipeline(services, DAY, steps=("report", "dayfile"))
        assert result.outcome("dayfile").status == "ok" and out in result.published
        assert out.read_text(encoding="utf-8").startswith(f"{DAY} · 30편")
        skipped = await run_pipeline(services, DAY, steps=("report", "dayfile", "email"))
        assert [o.step for o in skipped.steps] == ["report", "email", "dayfile"]  # in order

    config_path.write_text('[dayfile]\npaht = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: 'dayfile.paht' unknown key — did you mean"):
        channels()["dayfile"].options(load_config(config_path))


# --- a channel's section is checked like every key --------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[notify]\nurl = ["json://localhost/x"]\n',
            "line 2: 'notify.url' unknown key — did you mean 'urls'?",
        ),
        ('[notify]\n\ntop_papers = "five"\n', "line 3: 'notify.top_papers' must be an integer"),
        ("[notify]\ntop_papers = -1\n", "line 2: 'notify.top_papers' must be 0 or more"),
        ("[notfy]\nurls = []\n", "line 1: 'notfy' unknown key — did you mean 'notify'?"),
        ('[notify]\nurls = ["no scheme"]\n', "line 2: 'notify.urls[1]' is not an Apprise URL"),
    ],
)
def test_the_notify_section_is_checked_naming_key_and_line(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        channels()["notify"].options(load_config(path))
    assert message in str(raised.value)


# --- the delivery ledger: one per channel, the email's rows kept -----------------------------


def test_each_channel_has_its_own_ledger_and_only_email_ignores_case(store):
    store.record_delivery(DAY, "Alice@Example.org", status="sent")
    url = "json://Hooks.example.org/In"
    store.record_delivery(DAY, url, status="sent", channel="notify")
    assert store.delivered(DAY, "alice@example.org")
    assert not store.delivered(DAY, "alice@example.org", channel="notify")
    assert store.delivered(DAY, url, channel="notify")
    assert not store.delivered(DAY, url.lower(), channel="notify")  # a URL's path has case
    claims = store.claim_deliveries(DAY, [url, "json://other/x"], "me", channel="notify")
    assert claims.already_sent == [url] and claims.claimed == ["json://other/x"]
    held = store.claim_deliveries(DAY, ["json://other/x"], "someone else", channel="notify")
    assert list(held.held) == ["json://other/x"]
    # The same recipient under the email is another claim altogether.
    assert store.claim_deliveries(DAY, ["json://other/x"], "someone else").claimed == [
        "json://other/x"
    ]


def test_m008_keeps_the_email_deliveries_of_an_older_store(tmp_path):
    path = tmp_path / "old.sqlite3"
    names = [name for name, _ in MIGRATIONS]
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        db.execute("BEGIN")
        for name, migrate in MIGRATIONS[: names.index("m009_channel_deliveries")]:
            migrate(db)
            db.execute("INSERT INTO _migrations VALUES (?, 'then')", (name,))
        db.execute(
            "INSERT INTO deliveries (day, recipient, status, message_id, error, attempted_at)"
            " VALUES (?, 'alice@example.com', 'sent', '<1@x>', '', 'then'),"
            " (?, 'bob@example.com', 'failed', NULL, '550 no such user', 'then')",
            (str(DAY), str(DAY)),
        )
        db.execute("COMMIT")
    with Store(path) as store:
        assert "m009_channel_deliveries" in store.applied_migrations
        rows = [(d.channel, d.recipient, d.status, d.error) for d in store.deliveries(DAY)]
        assert rows == [
            ("email", "alice@example.com", "sent", ""),
            ("email", "bob@example.com", "failed", "550 no such user"),
        ]
        assert store.delivered(DAY, "alice@example.com")
        assert store.deliveries(DAY, channel="notify") == []


# --- the run's status comes from the channels' results -------------------------------------------


async def test_an_essential_channel_failing_fails_the_run_and_another_only_makes_it_partial(
    config, store, tmp_path, http_server
):
    from tests.http_server import Reply

    populate_day(store, config)
    services = Services(config=config, store=store)
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("", encoding="utf-8")
    broken = await run_pipeline(services, DAY, steps=("report",), out_dir=not_a_folder)
    assert broken.outcome("report").status == "failed" and broken.outcome("report").essential
    assert broken.status == "failed" and broken.exit_code == 1  # nothing was published

    http_server.route("/down", Reply(503, b"busy"))
    config.sections["notify"]["urls"] = ["json://" + http_server.url[7:] + "/down"]
    partial = await run_pipeline(services, DAY, steps=("report", "notify"), out_dir=tmp_path)
    assert partial.outcome("notify").status == "partial"
    assert partial.status == "partial" and partial.exit_code == 3


async def test_an_empty_day_in_the_run_skips_the_chat_and_says_why(config, store, http_server):
    from tests.http_server import Reply

    http_server.route("/hook", Reply(200, b"{}"))
    config.sections["notify"]["urls"] = ["json://" + http_server.url[7:] + "/hook"]
    result = await run_pipeline(Services(config=config, store=store), DAY, steps=("notify",))
    outcome = result.outcome("notify")
    assert outcome.status == "skipped" and "notify.send_empty is false" in outcome.reason
    assert http_server.hits("/hook") == []


def test_every_channel_renders_the_day_in_korean(config, store):
    from core.digest import build_digest

    populate_day(store, config)
    digest = build_digest(store, config, DAY)
    for name, channel in channels().items():
        text = channel.render(digest, config)
        assert f"{DAY} · 30편" in text or "논문 30편" in text, name


def test_doctor_says_what_a_channel_that_is_on_still_needs(tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        '[email]\nenabled = true\nusername = "me"\n\n'
        '[notify]\nurls = ["tgram://{env:TELEGRAM_TOKEN}/12345"]\n',
        encoding="utf-8",
    )
    lines = {check.name: check for check in check_channels(load_config(path))}
    email, notify = lines["channel email"], lines["channel notify"]
    assert not email.ok and "email.host" in email.detail and "DAILYAI_SMTP_PASSWORD" in email.detail
    assert not notify.ok and "$TELEGRAM_TOKEN" in notify.detail
    monkeypatch.setenv("TELEGRAM_TOKEN", "1:x")
    assert check_channels(load_config(path))[-1].ok
