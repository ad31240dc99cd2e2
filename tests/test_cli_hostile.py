"""Every `dailyai` command with hostile arguments: an error line, never a traceback.

The commands and their options are read from the argparse parser itself, so a command or
option added later is walked too. Each run is in-process through `cli.main` against a
config with local sources, an Ollama that refuses connections and a busy serve port (nothing
reaches the network, `serve` cannot start); a few run in a subprocess, as a user types them.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from cli import build_parser, main
from tests.conftest import fixture_path

HF = fixture_path("hf_daily_papers_date_2026-05-08_llm-paper-radar.json")
EXIT_CODES = {0, 1, 2, 3}
SIGPIPE_EXIT = 141  # what a shell reports for a tool ended by a closed pipe

# Values no option should choke on. None of them is a path this test could damage: the
# directories and files are made under tmp_path by `hostile_values` ("{dir}" …). A FIFO is
# left out: reading one waits for a writer, as `cat` does (tests/test_cli.py covers
# --dry-run onto one).
HOSTILE = [
    "",
    " ",
    "-",
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "-1",
    "0",
    "99999999999999999999",
    "1e999",
    "nan",
    "{dir}",
    "{not_utf8}",
    "{missing}",
    "/dev/null",
    "/proc/nope/x",
    "\x1b[31mred\x1b]0;title\x07",
    "a\r\nBcc: x@example.org",
    "a\x00b",
    "\u202etxt.exe",
    "x" * 100_000,
]


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand of the parser (the TUI, with no command, is never launched here)."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(subparsers.choices)


def value_options(sub: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options and positionals of a command that take a value."""
    return [
        action
        for action in sub._actions
        if action.nargs != 0 and not isinstance(action, argparse._HelpAction)
    ]


def required_positionals(sub: argparse.ArgumentParser, skip: argparse.Action) -> list[str]:
    return ["x" for a in sub._actions if not a.option_strings and a.nargs != 0 and a is not skip]


@pytest.fixture
def hostile_values(tmp_path: Path) -> list[str]:
    places = {
        "dir": tmp_path / "a-folder",
        "not_utf8": tmp_path / "latin1.json",
        "missing": tmp_path / "nope" / "none.json",
    }
    places["dir"].mkdir()
    places["not_utf8"].write_bytes(b'[{"title": "caf\xe9"}]')
    return [value.format(**{k: str(v) for k, v in places.items()}) for value in HOSTILE]


@pytest.fixture
def safe_config(tmp_path: Path) -> Iterator[Path]:
    """A config that keeps every command local and fast: a file source, no model, no server.

    serve.port is held by a listening socket, so `serve` fails at bind instead of serving.
    """
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            dead_port = closed.getsockname()[1]
        path = tmp_path / "safe.toml"
        path.write_text(
            "[fetch]\nretries = 0\nenrich_with_arxiv_api = false\n"
            f'[ollama]\nhost = "http://127.0.0.1:{dead_port}"\nretries = 0\n'
            "connect_timeout_seconds = 1\n"
            f'[serve]\nport = {busy.getsockname()[1]}\n[output]\ndir = "{tmp_path / "out"}"\n'
            f'[[sources]]\nname = "local"\nkind = "hf-daily"\nurl = "{HF.as_uri()}"\n',
            encoding="utf-8",
        )
        yield path


@pytest.fixture(autouse=True)
def work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile value is also a valid relative path (`--out 0001-01-01`): keep it in tmp."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(autouse=True)
def serve_never_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value `serve` accepts (`--port 0`: any free port) returns at once instead of serving."""
    monkeypatch.setattr(ThreadingHTTPServer, "serve_forever", lambda self, *args: None)


def run_in_process(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refusing an option: its usage line and exit 2
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean(argv: list[str], code: int, out: str, err: str) -> None:
    shown = [arg[:40] for arg in argv]
    assert "Traceback" not in err + out, (shown, err[-2000:])
    assert code in EXIT_CODES, (shown, code, err[-500:])
    if code == 2:  # a refused option or config: the last line says so
        last = err.strip().splitlines()[-1]
        assert last.startswith("dailyai"), (shown, last)
    # The hostile value may be echoed, but never as live terminal control sequences.
    assert "\x1b" not in err and "\x07" not in err, (shown, err[-500:])


def test_the_walk_covers_every_command():
    walked = commands()
    assert {"fetch", "export", "search", "doctor", "run", "demo", "classify", "summarize"} <= set(
        walked
    )
    assert {"report", "rss", "email", "serve"} <= set(walked)
    for name, sub in walked.items():
        if name != "doctor" and name != "demo":
            assert value_options(sub), f"{name} has no option to walk"


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_option_of_every_command_survives_hostile_values(
    command, capsys, safe_config, hostile_values
):
    sub = commands()[command]
    for action in value_options(sub):
        for value in hostile_values:
            if action.option_strings:
                argv = [command, action.option_strings[0], value]
            else:
                argv = [command, value]
            argv += required_positionals(sub, action)
            if command == "email" and "--dry-run" not in argv:
                argv += ["--dry-run", str(safe_config.parent / "walk.eml")]
            argv = ["--config", str(safe_config), *argv]
            assert_clean(argv, *run_in_process(capsys, argv))


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_survives_a_hostile_config_path(command, capsys, hostile_values):
    for value in hostile_values:
        if value == "/dev/null":
            continue  # an empty config is valid: the command would run on the defaults
        argv = ["--config", value, command, *required_positionals(commands()[command], None)]
        code, out, err = run_in_process(capsys, argv)
        assert_clean(argv, code, out, err)
        assert code == (1 if command == "doctor" else 2), (value[:40], err)  # doctor: a ✗ line


def dailyai(*args: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """`dailyai ARGS` in a subprocess, with this test's DAILYAI_HOME.

    stdout is buffered as a user's is (PYTHONUNBUFFERED would hide a failed final flush).
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=env,
    )


def test_the_issue_examples_end_in_one_line_in_a_subprocess(tmp_path):
    latin1 = tmp_path / "titles.json"
    latin1.write_bytes(b'[{"title": "caf\xe9"}]')
    cases = [
        (["serve", "--port", "99999"], 2, "--port: 99999 is out of range"),
        (["report", "--date", "0001-01-01"], 2, "before arXiv began"),
        (["summarize", "--date", "0001-01-01"], 2, "before arXiv began"),
        (["classify", "--titles", str(latin1)], 1, "not UTF-8 text (byte 0xe9 at offset 15)"),
        (["email", "--dry-run", str(tmp_path), "--to", "a@example.org"], 2, "is a folder"),
        (["rss", "--out", "/dev/null"], 2, "--out /dev/null: is not a folder"),
        (["report", "--out", "/proc/nope"], 2, "--out /proc/nope: cannot create it"),
    ]
    for args, code, message in cases:
        result = dailyai(*args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr.strip().splitlines()[-1], (args, result.stderr)


def test_a_closed_pipe_ends_export_quietly(capsys, tmp_path):
    assert main(["fetch", "--date", "2026-05-08", "--source", str(HF), "--no-enrich"]) == 0
    capsys.readouterr()
    titles = tmp_path / "one.json"
    titles.write_text('[{"title": "Robot arms"}]', encoding="utf-8")
    # The reader is gone before the command writes a byte (as after `| head` has read enough).
    reader, writer = os.pipe()
    os.close(reader)
    try:
        # Much output fails while writing; a line or two only when stdout is flushed (rich
        # flushes each print itself: `search`; plain writes wait for the end: `classify`).
        for args in (
            ["export", "--all"],
            ["export", "--all", "--format", "csv"],
            ["search", "x"],
            ["classify", "--titles", str(titles), "--method", "rules"],
        ):
            result = dailyai(*args, stdout=writer)
            assert result.stderr == "", (args, result.stderr)
            assert result.returncode == SIGPIPE_EXIT, args
    finally:
        os.close(writer)


def test_a_broken_pipe_that_is_not_stdout_is_still_reported(monkeypatch, capsys):
    """Only a closed stdout is quiet: a connection that breaks is a failure with a line."""
    import cli.doctor

    def broken(args: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli.doctor, "command_doctor", broken)  # read when main builds the parser
    code = main(["doctor"])
    assert code == 1
    assert "Broken pipe" in capsys.readouterr().err
