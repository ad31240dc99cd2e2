"""The `dailyai` command line: exit codes, output formats, help, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import build_parser, main
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
        [sys.executable, "-m", "core.cli", "fetch", "--help"],
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


def test_core_never_imports_textual():
    modules = [p.stem for p in (Path(__file__).parent.parent / "core").glob("*.py")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('core.' + name)\n"
        "importlib.import_module('core.sources')\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
