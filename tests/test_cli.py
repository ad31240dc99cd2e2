"""The `dailyai` command line: exit codes, output formats, help, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli import build_parser, main
from tests.conftest import fixture_path
from tests.http_server import Reply

HF = fixture_path("hf_daily_papers_date_2026-05-08_llm-paper-radar.json").as_uri()
RSS = fixture_path("arxiv_rss_atom_cs.AI_2025-08-20_trimmed7_zotero-arxiv-daily.xml").as_uri()


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fetch_a_file_source_then_export_and_search(capsys):
    code, out, err = run(capsys, "fetch", "--date", "2026-05-08", "--source", HF, "--no-enrich")
    assert code == 0, err
    assert "hf_daily_papers_date_2026-05-08" in out and "37" in out
    assert "done 37 papers" in err  # plain progress lines when not on a terminal

    code, out, _ = run(capsys, "export", "--date", "2026-05-08")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 37
    assert {"id", "title", "abstract", "hf_upvotes", "links", "listings", "ai_keywords"} <= set(
        rows[0]
    )

    code, out, _ = run(capsys, "export", "--all", "--format", "json")
    assert len(json.loads(out)) == 37

    code, out, _ = run(capsys, "export", "--date", "2026-05-08", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == 37 and table[0]["title"]

    code, out, _ = run(capsys, "search", "agentic", "search")
    assert code == 0 and "2605.05242" in out

    code, out, _ = run(capsys, "search", "zzzunfindable")
    assert code == 0 and "No stored paper matches" in out


def test_search_finds_korean_words_inside_compounds_and_shows_where(capsys, config):
    from core.store import Store
    from tests.test_search import fill

    with Store(config.dirs.database) as store:
        fill(store)  # Korean summaries, not analysed yet
    code, out, err = run(capsys, "search", "학습")
    assert code == 0
    assert "analysing the Korean text of 6 papers for search" in err
    for paper_id in ("2401.00001", "2401.00004", "2401.00005", "2401.00006"):
        assert paper_id in out  # 강화학습을, 학습 정책, 학습률, 강화학습과
    assert "강화학습을 다룬다" in out and "https://arxiv.org/abs/2401.00001" in out
    code, out, err = run(capsys, "search", "reinforce")
    assert code == 0 and "2401.00001" in out and err == ""


def test_fetch_exit_codes(capsys, http_server, tmp_path):
    ok = http_server.route(
        "/ok",
        Reply(
            200,
            fixture_path(
                "arxiv_rss_atom_cs.AI_2025-08-20_trimmed7_zotero-arxiv-daily.xml"
            ).read_bytes(),
        ),
    )
    down = http_server.route("/down", Reply(500))
    config = tmp_path / "fast.toml"
    config.write_text("[fetch]\nretries = 0\nenrich_with_arxiv_api = false\n")
    base = ["--config", str(config), "fetch", "--date", "2025-08-20"]
    assert run(capsys, *base, "--source", ok)[0] == 0
    code, out, _ = run(capsys, *base, "--source", ok, "--source", down, "--kind", "feed")
    assert code == 3
    assert "failed" in out and "the others were stored" in out
    assert run(capsys, *base, "--source", down, "--kind", "feed")[0] == 1


def test_kind_goes_with_the_source_before_it(capsys):
    code, _, err = run(
        capsys,
        "fetch",
        "--source",
        RSS,
        "--kind",
        "hf-daily",
        "--no-enrich",
        "--date",
        "2025-08-20",
    )
    assert code == 1
    assert "not valid JSON" in err or "not valid JSON" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fetch", "--date", "2024-13-45"], "--date '2024-13-45': not a date"),
        (["fetch", "--date", "2999-01-01"], "is in the future"),
        (["fetch", "--source", "nosuch"], "neither a configured source"),
        (["fetch", "--kind", "feed"], "--kind must follow the --source"),
        (["--config", "/nonexistent/c.toml", "fetch"], "no such file"),
    ],
)
def test_bad_options_are_one_line_errors_with_exit_2(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err and err.startswith("dailyai: ") and err.count("\n") == 1


def test_a_missing_file_source_fails_clearly(capsys, tmp_path):
    missing = (tmp_path / "gone.xml").as_uri()
    code, out, _ = run(capsys, "fetch", "--source", missing, "--no-enrich")
    assert code == 1
    assert "no such file" in out


def test_every_command_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"fetch", "export", "search", "doctor", "demo"} <= set(commands)
    for name, sub in commands.items():
        assert sub.format_help().startswith("usage: dailyai " + name)


def test_help_runs_as_a_command():
    result = subprocess.run(
        [sys.executable, "-m", "cli", "fetch", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--source NAME_OR_URL" in result.stdout


def test_demo_loads_the_sample_days_offline(capsys, isolated_home):
    code, out, _ = run(capsys, "demo", "--no-tui")
    assert code == 0
    assert "587 papers on 4 days" in out
    assert (isolated_home / "data" / "demo" / "dailyai.sqlite3").exists()
    assert not (
        isolated_home / "data" / "dailyai.sqlite3"
    ).exists()  # the user's store is untouched


def test_doctor_reports_each_source(capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[sources]]\nname = "local"\nurl = "{RSS}"\n\n'
        f'[[sources]]\nname = "gone"\nurl = "{(tmp_path / "x.xml").as_uri()}"\n'
    )
    code, out, _ = run(capsys, "--config", str(config), "doctor")
    assert code == 1
    assert "✓ config" in out and "✓ store" in out
    assert "✓ source local" in out and "arxiv-rss" in out
    assert "✗ source gone" in out and "no such file" in out


# --- "today" comes from one place: $DAILYAI_TODAY, else the clock -------------------------


def test_today_is_injected_not_read_from_the_clock(capsys, monkeypatch):
    """With today before the fixture days the CLI refuses them; with today later, it takes a
    day the real clock would call the future. Either way the clock is not asked."""
    monkeypatch.setenv("DAILYAI_TODAY", "2024-01-01")
    code, _, err = run(capsys, "export", "--date", "2026-05-08")
    assert code == 2 and "is in the future (today is 2024-01-01)" in err
    code, _, err = run(capsys, "export")
    assert code == 0 and "no papers stored for 2024-01-01" in err  # the default day
    code, _, err = run(capsys, "export", "--date", "yesterday")
    assert "no papers stored for 2023-12-31" in err

    monkeypatch.setenv("DAILYAI_TODAY", "2099-06-01")
    code, _, err = run(capsys, "export", "--date", "2099-06-02")
    assert code == 0 and "no papers stored for 2099-06-02" in err


def test_the_fixture_days_work_under_an_early_today_only_when_injected(capsys, monkeypatch):
    """The date-dependent CLI paths of this file, with today set to the fixture day."""
    monkeypatch.setenv("DAILYAI_TODAY", "2026-05-08")
    code, out, err = run(capsys, "fetch", "--date", "today", "--source", HF, "--no-enrich")
    assert code == 0, err
    assert "Fetch for 2026-05-08" in out
    code, out, _ = run(capsys, "export")
    assert code == 0 and len(out.splitlines()) == 37


@pytest.mark.parametrize("value", ["junk", "2026-13-01", "1900-01-01"])
def test_a_bad_dailyai_today_is_a_one_line_error(capsys, monkeypatch, value):
    monkeypatch.setenv("DAILYAI_TODAY", value)
    code, _, err = run(capsys, "export")
    assert code == 2
    assert err.startswith("dailyai: $DAILYAI_TODAY=") and err.count("\n") == 1


# --- dates, ports, paths: one line naming the option, never a traceback ---------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--date", "0001-01-01"], "--date 0001-01-01: is before arXiv began (1991-08)"),
        (["summarize", "--date", "1991-07-31"], "is before arXiv began"),
        (["run", "--date", "1900-01-01", "--no-email"], "is before arXiv began"),
        (["fetch", "--date", ""], "--date '': not a date"),
        (["email", "--dry-run", "", "--to", "a@example.org"], "--dry-run '': not a file path"),
        (["rss", "--out", "/dev/null"], "--out /dev/null: is not a folder"),
        (["report", "--out", "/proc/nope"], "--out /proc/nope: cannot create it"),
        (["serve", "--out", "/proc/nope"], "--out /proc/nope: cannot create it"),
    ],
)
def test_bad_days_and_paths_are_one_line_errors(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err and err.startswith("dailyai: ") and err.count("\n") == 1


def test_the_first_arxiv_day_works_down_the_whole_chain(capsys, tmp_path):
    """The earliest --date with the widest windows config allows: no date arithmetic
    overflows (the day bound and the day-count bound fit together)."""
    from core.announcements import FIRST_DAY
    from core.config import MAX_DAYS

    config = tmp_path / "wide.toml"
    config.write_text(f"[fetch]\nseen_window_days = {MAX_DAYS}\n[output]\nfeed_days = {MAX_DAYS}\n")
    for command in (["report"], ["summarize"], ["classify"], ["export"]):
        code, _, err = run(capsys, "--config", str(config), *command, "--date", str(FIRST_DAY))
        assert code in (0, 1), err
        assert "Traceback" not in err
    assert run(capsys, "--config", str(config), "rss")[0] == 0


def test_an_output_dir_from_the_config_is_checked_before_the_run(capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[output]\ndir = "/dev/null"\n[fetch]\nenrich_with_arxiv_api = false\n')
    args = ["--config", str(config), "run", "--no-email", "--date", "2026-05-08", "--source", HF]
    code, out, err = run(capsys, *args)
    assert code == 2
    assert "output dir /dev/null (output.dir): is not a folder" in err
    assert "Run " not in out  # nothing was fetched first


def test_an_unwritable_out_dir_is_refused(capsys, tmp_path):
    import os

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    if os.access(locked, os.W_OK):  # root writes anywhere but in /proc
        locked = Path("/proc/self")
        if not locked.is_dir():
            pytest.skip("no folder this user cannot write in")
    code, _, err = run(capsys, "report", "--out", str(locked))
    assert code == 2 and f"--out {locked}: cannot write in it (" in err


def test_dry_run_never_replaces_a_device_or_fifo(capsys, tmp_path):
    """The .eml is renamed over its path: /dev/null (or a FIFO) must never be replaced."""
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "email", "--dry-run", str(fifo), "--to", "a@example.org")
    assert code == 2 and "is not a regular file" in err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    code, _, err = run(capsys, "email", "--dry-run", str(tmp_path), "--to", "a@example.org")
    assert code == 2 and f"--dry-run {tmp_path}: is a folder" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "99999"], "argument --port: 99999 is out of range — use 0 to 65535"),
        (["serve", "--port", "-1"], "argument --port: -1 is out of range"),
        (["serve", "--port", "http"], "argument --port: 'http' is not a whole number"),
        (["search", "x", "--limit", "0"], "argument --limit: 0 is out of range — use 1 to 10000"),
        (["search", "x", "--limit", "99999999999999999999"], "--limit: 99999999999999999999 is"),
    ],
)
def test_numbers_out_of_range_are_refused_by_the_parser(capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("host", ["a" * 64 + ".example", "a" * 300, "a\x00b"])
def test_serve_refuses_a_name_that_is_no_host(capsys, tmp_path, host):
    code, _, err = run(capsys, "serve", "--host", host, "--out", str(tmp_path))
    assert code == 2 and "is not a host name or address" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"title": "caf\xe9"}]', "not UTF-8 text (byte 0xe9 at offset 15) — save it as UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
        (b'\xef\xbb\xbf{"title": 1}', 'expected a JSON list of objects, each with a "title"'),
    ],
    ids=["latin-1", "deep", "not-a-list"],
)
def test_a_titles_file_that_cannot_be_used_is_one_line(capsys, tmp_path, content, message):
    path = tmp_path / "titles.json"
    path.write_bytes(content)
    code, _, err = run(capsys, "classify", "--titles", str(path), "--method", "rules")
    assert code == 1
    assert message in err and err.count("\n") == 1


def test_a_titles_file_with_a_byte_order_mark_is_read(capsys, tmp_path):
    path = tmp_path / "titles.json"
    path.write_bytes(b'\xef\xbb\xbf[{"title": "Vision transformers for robots"}]')
    code, out, _ = run(capsys, "classify", "--titles", str(path), "--method", "rules")
    assert code == 0 and json.loads(out)["title"] == "Vision transformers for robots"


def test_an_unforeseen_os_error_is_one_line_with_exit_1(capsys, tmp_path, monkeypatch):
    """The last-resort net: a data dir that is a file fails opening the store."""
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    monkeypatch.setenv("DAILYAI_HOME", str(home))
    code, _, err = run(capsys, "export")
    assert code == 1
    assert err.startswith(f"dailyai: cannot use {home}/data — Not a directory — check the path")
    assert err.count("\n") == 1


@pytest.mark.parametrize("option", ["--titles", "--date"])
def test_error_lines_never_carry_terminal_control_sequences(capsys, option):
    """A value echoed in an error (a path, a date) cannot set the clipboard or clear the screen."""
    hostile = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\nnext line"
    code, _, err = run(capsys, "classify", option, hostile)
    assert code in (1, 2)
    assert "\x1b" not in err and "\x07" not in err and "\r" not in err
    assert err.startswith("dailyai: ") and err.count("\n") == 1


# --- CSV export: no cell a spreadsheet would run -------------------------------------------


FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A9)"]


def test_csv_export_neutralises_spreadsheet_formulas(capsys, tmp_path):
    items = [
        {
            "paper": {
                "id": f"2605.{91000 + index}",
                "title": formula,
                "summary": "\t=cmd|' /C calc'!A0 abstract",
                "authors": [{"name": "=1+2"}, {"name": "Ann Lee"}],
                "upvotes": 1,
                "submittedOnDailyAt": "2026-05-08T00:00:00.000Z",
            }
        }
        for index, formula in enumerate(FORMULAS)
    ]
    path = tmp_path / "formulas.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    assert (
        run(capsys, "fetch", "--date", "2026-05-08", "--source", str(path), "--no-enrich")[0] == 0
    )
    code, out, _ = run(capsys, "export", "--date", "2026-05-08", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == len(FORMULAS)
    for row in rows:
        for key, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (key, cell)
    assert sorted(row["title"] for row in rows) == sorted("'" + f for f in FORMULAS)  # kept whole
    assert rows[0]["authors"].startswith("'=1+2")
    # JSON output is data, not a spreadsheet: the text is exactly as stored.
    code, out, _ = run(capsys, "export", "--date", "2026-05-08")
    assert sorted(json.loads(line)["title"] for line in out.splitlines()) == sorted(FORMULAS)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_owasp_formula_start_is_neutralised(start):
    from cli.papers import write_export

    out = io.StringIO()
    write_export([{"title": f"{start}x", "n": -5, "tags": [f"{start}y", "z"]}], "csv", out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["title"] == f"'{start}x" and row["tags"] == f"'{start}y; z"
    assert row["n"] == "-5"  # a number is a number, not a formula
