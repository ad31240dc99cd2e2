"""Publishing a day end to end, and the `report`, `rss` and `serve` commands."""

from __future__ import annotations

import socket

import feedparser
import pytest

from core.cli import main
from core.config import load_config
from core.publish import publish_day, publish_feeds, publish_report
from core.store import Store
from tests.publish_data import DAY, populate_day


def test_publish_day_writes_report_chart_and_feeds(store, config, tmp_path):
    populate_day(store, config)
    result = publish_day(store, config, DAY, out_dir=tmp_path)
    written = {path.relative_to(tmp_path).as_posix() for path in result.paths}
    assert {
        "reports/2026-05-08/Papers_2026-05-08_report.md",
        "reports/2026-05-08/paper_2026-05-08.png",
        "feeds/daily.rss",
        "feeds/daily.atom",
        "feeds/category/llm.rss",
    } <= written
    assert all(path.exists() for path in result.paths)


def test_output_dir_defaults_to_the_config(store, config, tmp_path):
    populate_day(store, config)
    config.output.dir = str(tmp_path / "site")
    result = publish_day(store, config, DAY, feeds=False)
    assert result.report.is_relative_to(tmp_path / "site")


def _home_store() -> Store:
    return Store(load_config().dirs.database)


def test_report_and_rss_commands(config, tmp_path, capsys):
    with _home_store() as store:
        populate_day(store, config)
    out = tmp_path / "out"
    assert main(["report", "--date", "2026-05-08", "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "30 papers; summaries: 27 ok, 1 stale, 1 failed, 1 pending" in printed
    assert (out / "reports/2026-05-08/Papers_2026-05-08_report.md").is_file()
    assert not (out / "feeds").exists()

    assert main(["rss", "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "http://127.0.0.1:8484/feeds/daily.rss" in printed
    assert feedparser.parse((out / "feeds/daily.rss").read_bytes()).bozo == 0


def test_report_of_an_empty_day_says_why(tmp_path, capsys):
    assert main(["report", "--date", "2026-05-09", "--out", str(tmp_path)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "No papers for 2026-05-09" in printed
    text = (tmp_path / "reports/2026-05-09/Papers_2026-05-09_report.md").read_text("utf-8")
    assert "발행할 논문이 없습니다" in text


def test_serve_on_a_busy_port_is_a_clear_error(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", "--port", str(port), "--out", str(tmp_path)])
    assert code == 2
    error = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in error and "--port" in error


def test_every_publishing_command_has_help(capsys):
    for command in ("report", "rss", "email", "serve"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert "usage: dailyai " + command in capsys.readouterr().out


def test_one_function_per_output_as_the_pipeline_calls_them(store, config, tmp_path):
    populate_day(store, config)
    config.output.dir = str(tmp_path / "site")
    report, chart = publish_report(store, config, DAY)
    assert report.name == "Papers_2026-05-08_report.md" and chart.name == "paper_2026-05-08.png"
    assert report.parent == chart.parent == tmp_path / "site" / "reports" / "2026-05-08"
    feeds = publish_feeds(store, config, out_dir=None)
    assert tmp_path / "site" / "feeds" / "daily.atom" in feeds
