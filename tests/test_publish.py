"""Publishing a day end to end, and the `report`, `rss` and `serve` commands."""

from __future__ import annotations

import os
import re
import selectors
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from cli import main
from core.channels.feeds import publish_feeds
from core.channels.layout import configured_site_url, site_url
from core.channels.report import publish_day, publish_report
from core.config import load_config
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
    report, chart, page, index = publish_report(store, config, DAY)
    assert report.name == "Papers_2026-05-08_report.md" and chart.name == "paper_2026-05-08.png"
    assert page.name == "Papers_2026-05-08_report.html"
    assert (
        report.parent == chart.parent == page.parent == tmp_path / "site" / "reports" / "2026-05-08"
    )
    assert index == tmp_path / "site" / "index.html"
    feeds = publish_feeds(store, config, out_dir=None)
    assert tmp_path / "site" / "feeds" / "daily.atom" in feeds


def _use_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DAILYAI_CONFIG", str(path))


def test_feed_links_follow_the_serve_port_unless_site_url_is_set(tmp_path, monkeypatch, capsys):
    """`dailyai rss` (and `run`, which writes the same feeds) agree with `dailyai serve`."""
    config = load_config()
    with _home_store() as store:
        populate_day(store, config)
    _use_config(tmp_path, monkeypatch, "[serve]\nport = 9123\n")
    out = tmp_path / "out"
    assert main(["rss", "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "http://127.0.0.1:9123/feeds/daily.rss" in printed
    atom = etree.fromstring((out / "feeds/daily.atom").read_bytes())
    hrefs = atom.xpath("//@href")
    assert hrefs and not [href for href in hrefs if "8484" in href]
    assert "http://127.0.0.1:9123/feeds/daily.atom" in hrefs

    _use_config(tmp_path, monkeypatch, '[output]\nsite_url = "https://ai.example.org/daily/"\n')
    assert main(["rss", "--out", str(out)]) == 0
    assert "https://ai.example.org/daily/feeds/daily.rss" in capsys.readouterr().out
    assert configured_site_url(load_config()) == "https://ai.example.org/daily"
    # The old default, left in a config file, means "follow `dailyai serve`" as before.
    _use_config(
        tmp_path,
        monkeypatch,
        '[output]\nsite_url = "http://127.0.0.1:8484"\n[serve]\nport = 9124\n',
    )
    assert configured_site_url(load_config()) == ""
    assert site_url(load_config()) == "http://127.0.0.1:9124"


class _Serving:
    """`dailyai serve` running as its own process, as a user starts it."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "400"},
        )
        self.lines: list[str] = []
        self._pending = b""

    def line_starting(self, prefix: str) -> str:
        """The first printed line starting with `prefix` (fails if the server exits first)."""
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        while True:
            while b"\n" in self._pending:
                line, self._pending = self._pending.split(b"\n", 1)
                self.lines.append(line.decode("utf-8"))
                if self.lines[-1].startswith(prefix):
                    return self.lines[-1]
            # A bound on waiting, so a server that never prints fails instead of hanging.
            assert selector.select(timeout=120), f"serve printed no {prefix!r}: {self.lines}"
            chunk = os.read(self.process.stdout.fileno(), 65536)  # unbuffered, unlike readline
            assert chunk, f"serve exited: {self.lines}"
            self._pending += chunk

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.process.stdout.close()


def _links(feed: bytes) -> set[str]:
    """Every URL a reader may follow in a feed: links, authors, and the HTML content's."""
    root = etree.fromstring(feed)
    found = set(root.xpath("//@href"))
    found |= {text.strip() for text in root.xpath("//*[local-name()='link']/text()")}
    found |= {text.strip() for text in root.xpath("//*[local-name()='uri']/text()")}
    for html in root.xpath("//*[local-name()='content' or local-name()='encoded']/text()"):
        found |= set(re.findall(r'(?:href|src)="([^"]+)"', html))
    return {url for url in found if url}


def _fetch(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as response:
        return response.status, response.read()


def test_serve_on_another_port_serves_feeds_whose_links_work(config, tmp_path):
    with _home_store() as store:
        populate_day(store, config)
    out = tmp_path / "out"
    assert main(["rss", "--out", str(out)]) == 0  # written for serve.port (8484)
    assert main(["report", "--date", "2026-05-08", "--out", str(out)]) == 0
    serving = _Serving("--port", "0", "--out", str(out))
    try:
        served = re.search(r"on (http://127\.0\.0\.1:(\d+))/", serving.line_starting("Serving"))
        base, port = served.group(1), served.group(2)
        assert port != "8484"
        feeds = serving.line_starting("Feeds:").split()[1:]
        assert feeds == [f"{base}/feeds/daily.rss", f"{base}/feeds/daily.atom"]
        followed = set()
        for feed_url in [*feeds, f"{base}/feeds/category/computer-vision.atom"]:
            status, body = _fetch(feed_url)
            assert status == 200 and feedparser.parse(body).bozo == 0
            links = _links(body)
            assert not [url for url in links if ":8484" in url], feed_url
            ours = {url for url in links if url.startswith(f"{base}/")}
            assert f"{base}/" in ours
            for url in ours - followed:
                assert _fetch(url)[0] == 200, url
            followed |= ours
        assert f"{base}/reports/2026-05-08/Papers_2026-05-08_report.html" in followed
        assert f"{base}/reports/2026-05-08/paper_2026-05-08.png" in followed
        assert f"{base}/feeds/daily.atom" in followed and f"{base}/feeds/daily.rss" in followed
    finally:
        serving.stop()
