"""The RSS and Atom feeds, parsed back with feedparser and lxml as a feed reader would."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from core.config import Config
from core.feeds import category_slug, feed_window, write_feeds
from core.models import Listed, Paper
from core.prompts import SUMMARY_PROMPT_VERSION, abstract_hash
from core.store import RunStep, Store
from tests.publish_data import DAY, HOSTILE_ID, populate_day

NEXT_DAY = DAY + timedelta(days=3)  # the Monday after


@pytest.fixture
def published(store: Store, config: Config):
    return populate_day(store, config)


def _feed(path: Path):
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, getattr(parsed, "bozo_exception", None)
    return parsed


def _add_day(store: Store, config: Config, day: date, count: int = 3) -> list[str]:
    """Another day with a few papers, classified and summarized."""
    ids = [f"2605.2{day.day:02d}{i:02d}" for i in range(count)]
    store.merge_listed(
        [
            Listed(
                Paper(
                    id=paper_id,
                    arxiv_id=paper_id,
                    title=f"Paper {paper_id} on agents",
                    abstract="An abstract.",
                    links={"abs": f"https://arxiv.org/abs/{paper_id}"},
                    hf_upvotes=10 - i,
                ),
                day=day,
            )
            for i, paper_id in enumerate(ids)
        ],
        "hf-daily",
    )
    for paper_id in ids:
        paper = store.get_paper(paper_id)
        store.set_classification(
            paper_id,
            category="LLM",
            confidence=0.8,
            method="rules",
            taxonomy_version=config.taxonomy.version,
        )
        store.save_summary(
            paper_id,
            model=config.ollama.model,
            prompt_version=SUMMARY_PROMPT_VERSION,
            abstract_hash=abstract_hash(paper.title, paper.abstract),
            status="ok",
            text="에이전트에 관한 논문이다.",
        )
    return ids


def test_main_and_category_feeds_in_both_formats(store, config, published, tmp_path):
    paths = write_feeds(store, config, tmp_path)
    names = {path.relative_to(tmp_path).as_posix() for path in paths}
    assert {"feeds/daily.rss", "feeds/daily.atom"} <= names
    for category in config.taxonomy.categories:
        slug = category_slug(category.name)
        assert {f"feeds/category/{slug}.rss", f"feeds/category/{slug}.atom"} <= names

    rss, atom = _feed(tmp_path / "feeds/daily.rss"), _feed(tmp_path / "feeds/daily.atom")
    assert (rss.version, atom.version) == ("rss20", "atom10")
    for parsed in (rss, atom):
        assert [entry.id for entry in parsed.entries] == ["urn:dailyai:digest:2026-05-08"]
        assert parsed.entries[0].title == "2026-05-08 · 30편"
    content = atom.entries[0].content[0]
    assert content.type == "text/html"
    assert "<h2>🪄 Computer Vision (5편)</h2>" in content.value
    assert "요약 실패: Hanja in the output after 3 attempts" in content.value
    assert "paper_2026-05-08.png" in content.value

    assert category_slug("Audio & Speech") == "audio-speech"
    assert category_slug("AI Safety & Ethics") == "ai-safety-ethics"
    assert category_slug("컴퓨터 비전").startswith("category-")
    cv = _feed(tmp_path / "feeds/category/computer-vision.atom")
    cv_ids = [
        published_id
        for published_id, name in published.categories.items()
        if name == "Computer Vision"
    ]
    assert {entry.id for entry in cv.entries} == {
        f"urn:dailyai:paper:{paper_id}"
        for paper_id in cv_ids
        if paper_id in _selected(store, config)
    }
    entry = next(e for e in cv.entries if e.id == f"urn:dailyai:paper:{HOSTILE_ID}")
    assert entry.link == f"https://arxiv.org/abs/{HOSTILE_ID}"


def _selected(store, config) -> set[str]:
    from core.digest import build_digest

    return {item.paper.id for item in build_digest(store, config, DAY).selected}


def test_self_link_first_and_channel_link_is_the_site(store, config, published, tmp_path):
    write_feeds(store, config, tmp_path)
    rss = etree.fromstring((tmp_path / "feeds/daily.rss").read_bytes())
    assert rss.findtext("channel/link") == "http://127.0.0.1:8484/"
    atom_ns = {"atom": "http://www.w3.org/2005/Atom"}
    selfs = rss.findall("channel/atom:link[@rel='self']", atom_ns)
    assert [link.get("href") for link in selfs] == ["http://127.0.0.1:8484/feeds/daily.rss"]
    atom = etree.fromstring((tmp_path / "feeds/daily.atom").read_bytes())
    links = atom.findall("atom:link", atom_ns)
    assert links[0].get("rel") == "self"
    assert links[0].get("href") == "http://127.0.0.1:8484/feeds/daily.atom"
    guid = rss.find("channel/item/guid")
    assert guid.get("isPermaLink") == "false"


def test_dates_are_timezone_aware(store, config, published, tmp_path):
    write_feeds(store, config, tmp_path)
    rss = etree.fromstring((tmp_path / "feeds/daily.rss").read_bytes())
    published_at = parsedate_to_datetime(rss.findtext("channel/item/pubDate"))
    assert published_at.tzinfo is not None
    assert published_at.isoformat() == "2026-05-08T00:00:00+09:00"
    atom = _feed(tmp_path / "feeds/daily.atom")
    assert atom.entries[0].published == "2026-05-08T00:00:00+09:00"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$", atom.entries[0].updated)


def test_rerendering_keeps_guids_and_bytes(store, config, published, tmp_path):
    write_feeds(store, config, tmp_path)
    first = {p: p.read_bytes() for p in (tmp_path / "feeds").rglob("*.*")}
    write_feeds(store, config, tmp_path)
    second = {p: p.read_bytes() for p in (tmp_path / "feeds").rglob("*.*")}
    assert first == second  # unchanged store, identical files (and ETags)

    # The next day arrives: the old day's item keeps its id, the new one comes first.
    new_ids = _add_day(store, config, NEXT_DAY)
    write_feeds(store, config, tmp_path)
    daily = _feed(tmp_path / "feeds/daily.rss")
    assert [entry.id for entry in daily.entries] == [
        "urn:dailyai:digest:2026-05-11",
        "urn:dailyai:digest:2026-05-08",
    ]
    llm = _feed(tmp_path / "feeds/category/llm.rss")
    ids = [entry.id for entry in llm.entries]
    assert ids[:3] == [f"urn:dailyai:paper:{paper_id}" for paper_id in new_ids]
    assert len(ids) == len(set(ids))
    # Nothing is left behind by the atomic writes.
    assert not [p for p in (tmp_path / "feeds").rglob(".*")]


def test_only_the_last_feed_days_are_kept(store, config, published, tmp_path):
    _add_day(store, config, NEXT_DAY)
    assert feed_window(store, config) == [NEXT_DAY, DAY]
    config.output.feed_days = 3  # 2026-05-09 … 2026-05-11
    assert feed_window(store, config) == [NEXT_DAY]
    write_feeds(store, config, tmp_path)
    daily = _feed(tmp_path / "feeds/daily.atom")
    assert [entry.id for entry in daily.entries] == ["urn:dailyai:digest:2026-05-11"]


def test_an_empty_day_is_an_item_that_says_why(store, config, published, tmp_path):
    empty_day = DAY + timedelta(days=1)
    run = store.start_run("fetch", empty_day)
    store.record_step(run, RunStep("fetch", "arxiv", "empty", reason="no announcements"))
    store.finish_run(run, "ok", "arXiv announces nothing on Saturdays")
    write_feeds(store, config, tmp_path)
    daily = _feed(tmp_path / "feeds/daily.rss")
    entry = daily.entries[0]
    assert entry.id == "urn:dailyai:digest:2026-05-09"
    assert entry.title == "2026-05-09 · 발행할 논문 없음"
    assert "arXiv announces nothing on Saturdays" in entry.content[0].value


def test_hostile_text_is_escaped_and_sanitized(store, config, published, tmp_path):
    write_feeds(store, config, tmp_path)
    for path in (tmp_path / "feeds").rglob("*.*"):
        raw = path.read_bytes().decode("utf-8")
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e]", raw), path
        etree.fromstring(raw.encode("utf-8"))  # well-formed XML
    cv = _feed(tmp_path / "feeds/category/computer-vision.rss")
    entry = next(e for e in cv.entries if e.id == f"urn:dailyai:paper:{HOSTILE_ID}")
    # The title is the text as written (minus control characters), not markup.
    assert entry.title.startswith("<script>alert('x')</script> ]]> Evil [31m Title")
    rss = etree.fromstring((tmp_path / "feeds/category/computer-vision.rss").read_bytes())
    item = next(i for i in rss.iter("item") if i.findtext("guid").endswith(HOSTILE_ID))
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    daily = etree.fromstring((tmp_path / "feeds/daily.rss").read_bytes())
    day_content = daily.findtext("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded")
    from html import escape

    from core.sanitize import one_line
    from tests.publish_data import HOSTILE_TITLE

    for html in (content, day_content):
        # Text may mention anything; no tag or attribute may carry it.
        assert not re.search(r"<script|<iframe|<[^>]*(javascript:|onerror)", html, re.I)
        # The title itself is the link's text, escaped (the summary and the category
        # report quote similar markup, so a bare "&lt;script&gt;" would prove nothing).
        title_link = rf'<a href="https://arxiv.org/abs/{HOSTILE_ID}"[^>]*>([^<]*)</a>'
        assert escape(one_line(HOSTILE_TITLE), quote=False) in re.findall(title_link, html)
        assert "모델 출력에 &lt;script&gt;alert(1)&lt;/script&gt; 와" in html  # the summary
        images = re.findall(r"<img [^>]*>", html)
        assert all("evil.example" not in image for image in images)
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert all(href.startswith("https://arxiv.org/abs/") for href in hrefs)


def test_a_category_dropped_from_the_taxonomy_loses_its_feed(store, config, published, tmp_path):
    write_feeds(store, config, tmp_path)
    assert (tmp_path / "feeds/category/robotics.rss").exists()
    config.taxonomy.categories = [c for c in config.taxonomy.categories if c.name != "Robotics"]
    write_feeds(store, config, tmp_path)
    assert not (tmp_path / "feeds/category/robotics.rss").exists()
    assert not (tmp_path / "feeds/category/robotics.atom").exists()
