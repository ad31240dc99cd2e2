"""A week's web page and the index that lists it, served by `dailyai serve` on 127.0.0.1.

A real week is stored (tests/week_data.py: real papers on Monday to Friday, summarized and
written up by the real summarizer against the stand-in model server), with a hostile title
among Tuesday's papers; its weekly reports are written by the same stand-in. Two days and the
week are published to files; the pages are fetched over loopback by a real HTTP client,
every link of ours followed, the weekly feed read back with feedparser, and the page laid
out in a real browser at phone widths, light and dark (skipped, saying why, without one).
"""

from __future__ import annotations

import asyncio
import re
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urldefrag, urljoin

import feedparser
import pytest
from markupsafe import escape

from core.channels.layout import week_page_url
from core.channels.report import publish_day
from core.channels.week import (
    publish_week_report,
    publish_weekly_feed,
    render_week_email,
    week_view,
)
from core.config import Config
from core.models import Listed, Paper
from core.sanitize import one_line
from core.serve import make_server
from core.store import Store
from core.weekly import IsoWeek, build_weekly, synthesize_week
from tests.browser import PHONE_WIDTHS, contrast
from tests.ollama_standin import OllamaStandin
from tests.publish_data import HOSTILE_TITLE
from tests.test_report_page import parse
from tests.week_data import WEEK, model_config, store_week

MONDAY, TUESDAY, WEDNESDAY = WEEK.days[:3]
PAGE = "reports/weekly/2026-W38/Weekly_2026-W38_report.html"
HOSTILE_ID = "2609.99999"
EARLIER = IsoWeek(2026, 37)


@pytest.fixture
def published(store: Store, config: Config, ollama_standin: OllamaStandin, tmp_path: Path):
    """The output dir: Monday's and Tuesday's pages, the week (and an empty earlier week),
    the weekly feed."""
    config = model_config(config, ollama_standin.url)
    hostile = Paper(
        id=HOSTILE_ID,
        arxiv_id=HOSTILE_ID,
        title=HOSTILE_TITLE,
        abstract="An abstract with <img src=x onerror=alert(1)> about language models.",
        links={"abs": f"https://arxiv.org/abs/{HOSTILE_ID}"},
        hf_upvotes=1000,
    )
    store.merge_listed([Listed(hostile, TUESDAY)], "hf-daily")
    store_week(store, config)
    asyncio.run(synthesize_week(store, config, WEEK))
    out = tmp_path / "out"
    for day in (MONDAY, TUESDAY):
        publish_day(store, config, day, out_dir=out, feeds=False)
    publish_week_report(store, config, EARLIER, out_dir=out)
    publish_week_report(store, config, WEEK, out_dir=out)
    publish_weekly_feed(store, config, out)
    return out, config


def serve(out: Path, *, rewrite_links: bool = False):
    httpd = make_server(out, "127.0.0.1", 0, rewrite_links=rewrite_links)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, thread


@pytest.fixture
def served(published) -> Iterator[str]:
    httpd, thread = serve(published[0], rewrite_links=True)
    host, port = httpd.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def fetch(url: str, **headers: str) -> tuple[int, str, bytes, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                response.headers["Content-Type"],
                response.read(),
                response.headers,
            )
    except HTTPError as error:  # urllib raises for 304
        return error.code, error.headers.get("Content-Type", ""), b"", error.headers


def test_the_week_page_holds_what_the_markdown_holds(store, published):
    out, config = published
    page = (out / PAGE).read_text(encoding="utf-8")
    view = week_view(build_weekly(store, config, WEEK))
    assert f"<h1>이번 주의 AI 논문 · {view.week}</h1>" in page
    assert f'<meta name="description" content="{escape(view.overview)}">' in page
    for paper in view.top:
        assert str(escape(paper.title)) in page
    for section in view.sections:
        assert f"{section.emoji} {escape(section.name)}" in page
        assert str(escape(section.sources_line)) in page
        for paper in section.papers:
            assert str(escape(paper.title)) in page
    for line in view.status_lines:
        assert str(escape(line)) in page
    assert page.count('<div class="label">주간 요약</div>') == len(view.sections)
    assert 'src="weekly_2026-W38.png"' in page
    assert 'name="color-scheme" content="light dark"' in page
    assert "--bg:#0b0f19" in page  # the day's stylesheet, dark colours and all
    # The days with a page of their own link to it; the others are plain text.
    assert 'href="../../2026-09-14/Papers_2026-09-14_report.html"' in page
    assert 'href="../../2026-09-15/Papers_2026-09-15_report.html"' in page
    assert "2026-09-16/Papers_2026-09-16_report.html" not in page


def test_hostile_titles_stay_text_on_the_week_page(published):
    out, _ = published
    page = (out / PAGE).read_text(encoding="utf-8")
    links = parse(page)
    assert not [tag for tag, _ in links.tags if tag in ("script", "iframe", "object", "embed")]
    for _, attrs in links.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), name
            assert "javascript:" not in (value or "").lower()
    images = [attrs.get("src") for tag, attrs in links.tags if tag == "img"]
    assert images == ["weekly_2026-W38.png"]
    assert all(
        url.startswith(("https://arxiv.org/", "../../", "Weekly_", "weekly_")) for url in links.urls
    ), links.urls
    title = escape(one_line(HOSTILE_TITLE))
    assert f'<a href="https://arxiv.org/abs/{HOSTILE_ID}">{title}</a>' in page
    assert "<b>bold</b>" not in page and "onerror=alert" not in page.replace("&lt;", "")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e]", page)


def test_the_index_lists_the_weeks_newest_first_above_the_days(store, published):
    out, config = published
    index = (out / "index.html").read_text(encoding="utf-8")
    weeks = index[index.index("<h2>주간 다이제스트</h2>") : index.index("<h2>날짜별 보고서</h2>")]
    assert weeks.index("2026-W38 (2026-09-14~09-20)") < weeks.index("2026-W37 (2026-09-07~09-13)")
    assert "발행할 논문 없음" in weeks  # the empty week's overview, read back from its page
    pages = [url for url in parse(index).urls if url.endswith("_report.html")]
    assert pages == [
        PAGE,
        "reports/weekly/2026-W37/Weekly_2026-W37_report.html",
        "reports/2026-09-15/Papers_2026-09-15_report.html",
        "reports/2026-09-14/Papers_2026-09-14_report.html",
    ]
    # A day published after the week writes the index again, weeks and all; it links back.
    publish_day(store, config, WEDNESDAY, out_dir=out, feeds=False)
    again = parse((out / "index.html").read_text(encoding="utf-8")).urls
    assert [url for url in again if url.endswith("_report.html")] == [
        *pages[:2],
        "reports/2026-09-16/Papers_2026-09-16_report.html",
        *pages[2:],
    ]
    day_page = (out / "reports/2026-09-16/Papers_2026-09-16_report.html").read_text()
    assert 'href="../../index.html"' in day_page


def test_served_from_the_index_every_link_resolves_and_polls_cost_nothing(served):
    status, kind, body, _ = fetch(f"{served}/")
    assert status == 200 and kind.startswith("text/html")
    week_url = urljoin(f"{served}/", PAGE)
    assert PAGE in parse(body.decode("utf-8")).urls
    status, kind, body, headers = fetch(week_url)
    assert status == 200 and kind == "text/html; charset=utf-8"
    page = parse(body.decode("utf-8"))
    local = {urldefrag(urljoin(week_url, url))[0] for url in page.urls}
    local = {url for url in local if url.startswith(served)}
    assert {
        f"{served}/index.html",
        f"{served}/reports/weekly/2026-W38/weekly_2026-W38.png",
        f"{served}/reports/weekly/2026-W38/Weekly_2026-W38_report.md",
        f"{served}/reports/2026-09-14/Papers_2026-09-14_report.html",
    } <= local
    types = {url: fetch(url)[:2] for url in local}
    assert all(status == 200 for status, _ in types.values()), types
    assert types[f"{served}/reports/weekly/2026-W38/weekly_2026-W38.png"][1] == "image/png"
    assert types[f"{served}/reports/weekly/2026-W38/Weekly_2026-W38_report.md"][1] == (
        "text/markdown; charset=utf-8"
    )
    # A reader polling the page with its ETag or date gets 304 and no body.
    assert fetch(week_url, **{"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(week_url, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304


def test_the_weekly_feed_links_to_the_page_wherever_it_is_served(store, published, served):
    out, config = published
    written = feedparser.parse((out / "feeds/weekly.atom").read_bytes())
    assert [entry.link for entry in written.entries] == [week_page_url(config, WEEK)]
    assert written.entries[0].link == f"http://127.0.0.1:8484/{PAGE}"
    # Served on another port, the link follows the server and opens the page.
    for suffix in ("atom", "rss"):
        _, _, body, _ = fetch(f"{served}/feeds/weekly.{suffix}")
        (entry,) = feedparser.parse(body).entries
        assert entry.link == f"{served}/{PAGE}"
        status, kind, page, _ = fetch(entry.link)
        assert status == 200 and kind.startswith("text/html") and b"2026-W38" in page
    # Published elsewhere, the feed's links point there.
    config.output.site_url = "https://example.org/ai"
    publish_weekly_feed(store, config, out)
    (entry,) = feedparser.parse((out / "feeds/weekly.atom").read_bytes()).entries
    assert entry.link == f"https://example.org/ai/{PAGE}"


def test_the_weekly_email_links_to_the_page_only_when_published_elsewhere(store, published):
    _, config = published
    weekly = build_weekly(store, config, WEEK)
    text, html = render_week_email(weekly, config)
    assert "_report.html" not in html and "_report.md" not in html  # 127.0.0.1: no use to them
    config.output.site_url = "https://example.org/ai"
    text, html = render_week_email(weekly, config)
    assert f'href="https://example.org/ai/{PAGE}"' in html
    assert f"https://example.org/ai/{PAGE}" in text
    assert "_report.md" not in html and "_report.md" not in text
    _, compact = render_week_email(weekly, config, compact=1)
    assert compact.count(f'href="https://example.org/ai/{PAGE}"') == 2  # the note and the foot


# --- in a browser -------------------------------------------------------------------------


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_the_week_page_and_the_index_fit_a_phone(chrome, published, width):
    out, _ = published
    for path in (out / PAGE, out / "index.html"):
        chrome.open(path.as_uri(), width)
        layout = chrome.layout()
        assert layout.scroll_width <= width and layout.overflowing == [], path.name
    chrome.open((out / PAGE).as_uri(), width)
    layout = chrome.layout()
    assert layout.images and all(right <= width for _, right in chrome.layout().images)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_week_page_reads_in_light_and_dark(chrome, published, dark):
    out, _ = published
    chrome.open((out / PAGE).as_uri(), 375, dark=dark)
    _, background = chrome.colours("main")
    for selector in ("h1", "h2", "main li", ".muted", ".foryou a", "section ul a"):
        colour, _ = chrome.colours(selector)
        behind = chrome.colours(".foryou")[1] if "foryou" in selector else background
        assert contrast(colour, behind) >= 4.5, (selector, colour, behind)
    assert (contrast("rgb(0, 0, 0)", background) < 2) == dark
