"""The report's web page and the index of the days, served by `dailyai serve` on 127.0.0.1.

Published from the test day (every summary state and a hostile title), fetched over
loopback by a real HTTP client, every link of ours followed; then laid out in a real
browser at phone widths, light and dark (skipped, saying why, without a browser).
"""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import feedparser
import pytest
from markupsafe import escape

from core.channels.layout import report_url
from core.channels.mail import render_preview
from core.channels.page import render_page
from core.channels.report import publish_day
from core.config import Config
from core.digest import build_digest
from core.profile import set_feedback
from core.sanitize import one_line
from core.serve import make_server
from core.store import RunStep, Store
from tests.browser import PHONE_WIDTHS, contrast
from tests.publish_data import DAY, FAILED_REASON_KO, HOSTILE_ID, HOSTILE_TITLE, populate_day

PAGE = "reports/2026-05-08/Papers_2026-05-08_report.html"


class Links(HTMLParser):
    """Every href and src of a page, and every element id."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.tags.append((tag, found))
        for name in ("href", "src"):
            if found.get(name):
                self.urls.append(found[name])
        if found.get("id"):
            self.ids.add(found["id"])


def parse(page: str) -> Links:
    links = Links()
    links.feed(page)
    return links


@pytest.fixture
def published(store: Store, config: Config, tmp_path: Path) -> Path:
    config.rank.method = "lexical"
    day = populate_day(store, config)
    set_feedback(store, config, day.ids[3], "like", source="tui")
    out = tmp_path / "out"
    publish_day(store, config, DAY, out_dir=out)
    return out


@pytest.fixture
def served(published: Path) -> Iterator[str]:
    httpd = make_server(published, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_the_index_lists_the_days_and_every_link_resolves(served, store, config):
    status, kind, body = fetch(f"{served}/")
    assert status == 200 and kind.startswith("text/html")
    index = body.decode("utf-8")
    assert "2026-05-08 (금)" in index and "30편" in index
    pages = [url for url in parse(index).urls if url.endswith("_report.html")]
    assert pages == [PAGE]
    page_url = urljoin(f"{served}/", pages[0])
    status, kind, body = fetch(page_url)
    assert status == 200 and kind == "text/html; charset=utf-8"
    page = parse(body.decode("utf-8"))
    ours = {urldefrag(urljoin(page_url, url)) for url in page.urls}
    local = {url for url, _ in ours if url.startswith(served)}
    assert {
        f"{served}/index.html",
        f"{served}/reports/2026-05-08/paper_2026-05-08.png",
        f"{served}/reports/2026-05-08/Papers_2026-05-08_report.md",
    } <= local
    for url in local:
        assert fetch(url)[0] == 200, url
    assert fetch(f"{served}/reports/2026-05-08/paper_2026-05-08.png")[1] == "image/png"
    # The "내 관심 논문" entries jump to their papers on the page.
    fragments = [fragment for _, fragment in ours if fragment]
    assert len(fragments) == 5 and set(fragments) <= page.ids


def test_the_page_holds_what_the_markdown_holds(store, config, published):
    page = (published / PAGE).read_text(encoding="utf-8")
    digest = build_digest(store, config, DAY)
    for item in digest.selected:
        assert escape(one_line(item.paper.title) or item.paper.id) in page
    for section in digest.sections:
        assert escape(section.category.name) in page
    assert "내 관심 논문" in page and "선정 이유" in page
    assert f"요약 실패: {FAILED_REASON_KO}" in page
    assert "요약 대기 중" in page and "종합 보고서 대기 중" in page
    assert "수집 출처 arxiv" in page
    assert 'name="color-scheme" content="light dark"' in page


def test_hostile_titles_stay_text_on_the_page(published):
    page = (published / PAGE).read_text(encoding="utf-8")
    links = parse(page)
    assert not [tag for tag, _ in links.tags if tag in ("script", "iframe", "object", "embed")]
    for _, attrs in links.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), name
            assert "javascript:" not in (value or "").lower()
    images = [attrs.get("src") for tag, attrs in links.tags if tag == "img"]
    assert images == ["paper_2026-05-08.png"]
    assert all(
        url.startswith(("https://arxiv.org/", "#p-", "../../index.html", "Papers_", "paper_"))
        for url in links.urls
    ), links.urls
    title = escape(one_line(HOSTILE_TITLE))
    assert f'<a href="https://arxiv.org/abs/{HOSTILE_ID}">{title}</a>' in page
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e]", page)


def test_feeds_and_email_link_to_the_page_not_the_markdown(store, config, published):
    daily = feedparser.parse((published / "feeds/daily.atom").read_bytes())
    assert daily.entries[0].link.endswith(PAGE)
    config.output.site_url = "https://example.org/ai"
    assert report_url(config, DAY) == f"https://example.org/ai/{PAGE}"
    _, html = render_preview(build_digest(store, config, DAY), config)
    assert f'href="https://example.org/ai/{PAGE}"' in html
    assert "_report.md" not in html


def test_the_index_keeps_every_day_newest_first(store, config, published):
    run = store.start_run("fetch", date(2026, 5, 9))
    store.record_step(run, RunStep("fetch", "hf-daily", "empty", reason="no weekend papers"))
    store.finish_run(run, "ok", "Hugging Face takes no submissions on weekends")
    publish_day(store, config, date(2026, 5, 9), out_dir=published, feeds=False)
    index = (published / "index.html").read_text(encoding="utf-8")
    assert index.index("2026-05-09 (토)") < index.index("2026-05-08 (금)")
    assert "발행할 논문 없음" in index
    empty_page = (published / "reports/2026-05-09/Papers_2026-05-09_report.html").read_text()
    assert "<img" not in empty_page and "발행할 논문이 없습니다" in empty_page


# --- in a browser -------------------------------------------------------------------------


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_the_page_fits_a_phone(chrome, published, width):
    chrome.open((published / PAGE).as_uri(), width)
    layout = chrome.layout()
    assert layout.scroll_width <= width and layout.overflowing == []
    assert layout.images and all(right <= width for _, right in layout.images)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_page_reads_in_light_and_dark(chrome, published, dark):
    chrome.open((published / PAGE).as_uri(), 375, dark=dark)
    _, background = chrome.colours("main")
    for selector in ("h1", "h2", "main p", ".muted", ".paper .title a", ".foryou a"):
        colour, _ = chrome.colours(selector)
        behind = chrome.colours(".foryou")[1] if "foryou" in selector else background
        assert contrast(colour, behind) >= 4.5, (selector, colour, behind)
    assert (contrast("rgb(0, 0, 0)", background) < 2) == dark


def test_render_page_is_reusable_for_a_digest_without_files(store, config):
    populate_day(store, config, hostile=False)
    page = render_page(build_digest(store, config, DAY), config, chart_src="chart.png")
    assert 'src="chart.png"' in page and "<!DOCTYPE html>" in page
