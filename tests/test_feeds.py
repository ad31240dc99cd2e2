"""The RSS and Atom feeds, parsed back with feedparser and lxml as a feed reader would."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree

from core.channels.feeds import (
    category_slug,
    day_changed,
    day_published,
    day_window,
    feed_window,
    write_feeds,
)
from core.channels.layout import site_url
from core.config import Config
from core.models import Listed, Paper
from core.prompts import SUMMARY_PROMPT_VERSION, abstract_hash
from core.store import RunStep, Store
from tests.publish_data import DAY, HOSTILE_ID, populate_day
from tests.raw_sql import run_sql

NEXT_DAY = DAY + timedelta(days=3)  # the Monday after
ATOM = "{http://www.w3.org/2005/Atom}"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
READERS = ("UTC", "America/New_York", "Asia/Seoul")


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
            model=config.llm.model,
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
    assert "요약 실패: 3번 시도한 답 모두에 한자가 섞임" in content.value
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


def _stamps(path: Path) -> dict[str, list[datetime]]:
    """Every date a reader may show from one feed file: the feed's own and each item's."""
    root = etree.fromstring(path.read_bytes())
    if path.suffix == ".rss":
        feed = [parsedate_to_datetime(root.findtext("channel/lastBuildDate"))]
        items = [parsedate_to_datetime(text) for text in root.xpath("channel/item/pubDate/text()")]
    else:
        feed = [datetime.fromisoformat(root.findtext(f"{ATOM}updated"))]
        items = [
            datetime.fromisoformat(element.text)
            for entry in root.iter(f"{ATOM}entry")
            for element in (entry.find(f"{ATOM}published"), entry.find(f"{ATOM}updated"))
        ]
    assert all(moment.tzinfo is not None for moment in feed + items)
    return {"feed": feed, "items": items}


def _reads_as(moment: datetime, day: date) -> bool:
    return all(moment.astimezone(ZoneInfo(zone)).date() == day for zone in READERS)


def test_every_date_reads_as_its_day_in_utc_new_york_and_seoul(store, config, published, tmp_path):
    """A day stamped 00:00 KST would show as the day before in UTC and New York."""
    write_feeds(store, config, tmp_path)
    for path in (tmp_path / "feeds").rglob("*.*"):
        stamps = _stamps(path)
        if path.stem in ("daily", "llm", "computer-vision"):
            assert stamps["items"], path
        for moment in stamps["feed"] + stamps["items"]:
            assert _reads_as(moment, DAY), (path, moment)
    atom = _feed(tmp_path / "feeds/daily.atom")
    assert atom.entries[0].published == "2026-05-08T21:00:00+09:00"  # 12:00 UTC
    rss = etree.fromstring((tmp_path / "feeds/daily.rss").read_bytes())
    assert rss.findtext("channel/item/pubDate") == "Fri, 08 May 2026 21:00:00 +0900"


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 15),  # New York on EST
        date(2026, 3, 8),  # New York moves to EDT
        date(2026, 7, 1),
        date(2026, 11, 1),  # New York back to EST
        date(2026, 12, 31),
    ],
)
@pytest.mark.parametrize(
    "zone", ["Asia/Seoul", "UTC", "America/New_York", "America/Los_Angeles", "Pacific/Auckland"]
)
def test_a_days_stamps_read_as_that_day_whatever_the_configured_zone(config, day, zone):
    config.general.timezone = zone
    published = day_published(day, config)
    start, end = day_window(day, config)
    assert start <= published < end
    assert published.tzinfo == ZoneInfo(zone)  # shown in the configured zone
    assert _reads_as(published, day) and published.astimezone(ZoneInfo(zone)).date() == day
    days_later = datetime.combine(day + timedelta(days=3), datetime.min.time(), UTC)
    hours_before = published - timedelta(hours=10)
    for changed in (days_later, hours_before, None):
        updated = day_changed(day, config, [changed], published)
        assert published <= updated and _reads_as(updated, day), (changed, updated)
    # Papers listed early in the day date it then (not in the future), still on the day.
    for listed_utc_hour in (0, 3, 6, 9):
        listed = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=listed_utc_hour)
        early = day_published(day, config, listed)
        assert early <= max(listed, start) and _reads_as(early, day), (listed, early)


def test_a_day_fetched_early_is_not_dated_in_the_future(store, config, published, tmp_path):
    """RSS readers may hide an item whose pubDate is still to come."""
    listed = datetime(2026, 5, 8, 5, 10, tzinfo=UTC)  # 01:10 in New York, 14:10 in Seoul
    run_sql(store.path, "UPDATE listings SET listed_at = ?", (listed.isoformat(),))
    write_feeds(store, config, tmp_path)
    rss = etree.fromstring((tmp_path / "feeds/daily.rss").read_bytes())
    assert rss.findtext("channel/item/pubDate") == "Fri, 08 May 2026 14:10:00 +0900"
    for path in (tmp_path / "feeds").rglob("*.*"):
        for moment in _stamps(path)["items"]:
            assert listed <= moment and _reads_as(moment, DAY), (path, moment)


def test_updated_follows_a_change_made_on_the_day(store, config, published, tmp_path):
    paper_id = next(iter(published.categories))  # a classified, summarized paper
    changed = datetime(2026, 5, 8, 13, 30, tzinfo=UTC)  # 22:30 in Seoul, 09:30 in New York
    run_sql(store.path, "UPDATE summaries SET created_at = ?", ("2026-05-08T01:00:00+00:00",))
    run_sql(
        store.path, "UPDATE category_reports SET created_at = ?", ("2026-05-08T01:00:00+00:00",)
    )
    run_sql(
        store.path,
        "UPDATE summaries SET created_at = ? WHERE paper_id = ?",
        (changed.isoformat(), paper_id),
    )
    write_feeds(store, config, tmp_path)
    atom = _feed(tmp_path / "feeds/daily.atom")
    assert datetime.fromisoformat(atom.entries[0].updated) == changed
    assert datetime.fromisoformat(atom.feed.updated) == changed
    slug = category_slug(published.categories[paper_id])
    category = _feed(tmp_path / f"feeds/category/{slug}.atom")
    entry = next(e for e in category.entries if e.id == f"urn:dailyai:paper:{paper_id}")
    assert datetime.fromisoformat(entry.updated) == changed
    others = [e for e in category.entries if e.id != entry.id]
    assert all(e.updated == e.published for e in others)  # stored before it was published


def test_a_summary_written_again_days_later_keeps_the_item_on_its_day(
    store, config, published, tmp_path
):
    run_sql(store.path, "UPDATE summaries SET created_at = ?", ("2026-05-12T02:00:00+00:00",))
    write_feeds(store, config, tmp_path)
    for path in (tmp_path / "feeds").rglob("*.*"):
        stamps = _stamps(path)
        for moment in stamps["feed"] + stamps["items"]:
            assert _reads_as(moment, DAY), (path, moment)


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
    assert "arXiv는 토요일에 새 논문을 발표하지 않습니다" in entry.content[0].value


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
        assert hrefs and all(href.startswith("https://") for href in hrefs)
        assert not [href for href in hrefs if "evil.example" in href]
    assert re.findall(r'href="([^"]*)"', content) == [f"https://arxiv.org/abs/{HOSTILE_ID}"]


def test_a_category_dropped_from_the_taxonomy_loses_its_feed(store, config, published, tmp_path):
    write_feeds(store, config, tmp_path)
    assert (tmp_path / "feeds/category/robotics.rss").exists()
    config.taxonomy.categories = [c for c in config.taxonomy.categories if c.name != "Robotics"]
    write_feeds(store, config, tmp_path)
    assert not (tmp_path / "feeds/category/robotics.rss").exists()
    assert not (tmp_path / "feeds/category/robotics.atom").exists()


def test_feeds_and_items_have_authors(store, config, published, tmp_path):
    """RFC 4287: an Atom feed or each of its entries names an author; RSS items a dc:creator."""
    write_feeds(store, config, tmp_path)
    site = site_url(config) + "/"
    for path in (tmp_path / "feeds").rglob("*.atom"):
        root = etree.fromstring(path.read_bytes())
        author = root.find(f"{ATOM}author")
        assert author is not None, path
        assert author.findtext(f"{ATOM}name") == "Daily AI Insights"
        assert author.findtext(f"{ATOM}uri") == site
    daily = etree.fromstring((tmp_path / "feeds/daily.atom").read_bytes())
    names = daily.xpath("//a:entry/a:author/a:name/text()", namespaces={"a": ATOM[1:-1]})
    assert names == ["Daily AI Insights"]
    rss = etree.fromstring((tmp_path / "feeds/daily.rss").read_bytes())
    assert [item.findtext(DC_CREATOR) for item in rss.iter("item")] == ["Daily AI Insights"]

    # A paper's item names its authors: the first ten, then "et al." (2605.05242 has 19).
    paper = store.get_paper("2605.05242")
    assert len(paper.authors) == 19
    slug = category_slug(published.categories[paper.id])
    atom = _feed(tmp_path / f"feeds/category/{slug}.atom")
    entry = next(e for e in atom.entries if e.id == f"urn:dailyai:paper:{paper.id}")
    assert [author.name for author in entry.authors] == [*paper.authors[:10], "et al."]
    rss = etree.fromstring((tmp_path / f"feeds/category/{slug}.rss").read_bytes())
    item = next(i for i in rss.iter("item") if i.findtext("guid").endswith(paper.id))
    assert item.findall(DC_CREATOR)[0].text == ", ".join(paper.authors[:10]) + " et al."
    assert len(item.findall(DC_CREATOR)) == 1
    assert _feed(tmp_path / f"feeds/category/{slug}.rss").entries  # feedparser reads it
    # Every RSS item of a paper with authors has its creator; the hostile one is text.
    cv = etree.fromstring((tmp_path / "feeds/category/computer-vision.rss").read_bytes())
    hostile = next(i for i in cv.iter("item") if i.findtext("guid").endswith(HOSTILE_ID))
    assert hostile.findtext(DC_CREATOR) == "Mallory <m@evil.example>"
    assert b"<m@evil.example>" not in (tmp_path / "feeds/category/computer-vision.rss").read_bytes()


def _add_paper(store: Store, config: Config, paper: Paper, category: str = "LLM") -> None:
    store.merge_listed([Listed(paper, day=DAY)], "arxiv")
    store.set_classification(
        paper.id,
        category=category,
        confidence=0.9,
        method="rules",
        taxonomy_version=config.taxonomy.version,
    )
    store.save_summary(
        paper.id,
        model=config.llm.model,
        prompt_version=SUMMARY_PROMPT_VERSION,
        abstract_hash=abstract_hash(paper.title, paper.abstract),
        status="ok",
        text="에이전트에 관한 논문이다.",
    )


def test_a_papers_item_carries_its_arxiv_categories_and_links(store, config, tmp_path):
    _add_paper(
        store,
        config,
        Paper(
            id="2605.11111",
            arxiv_id="2605.11111",
            title="Agents that plan",
            abstract="An abstract.",
            authors=["Ada Lovelace", "Alan Turing"],
            categories=["cs.LG", "cs.AI", "stat.ML"],
            primary_category="cs.AI",
            links={
                "abs": "https://arxiv.org/abs/2605.11111",
                "pdf": "https://arxiv.org/pdf/2605.11111",
            },
            github_repo="https://github.com/ada/planner",
            project_page="https://ada.example.org/planner",
        ),
    )
    write_feeds(store, config, tmp_path)
    atom = _feed(tmp_path / "feeds/category/llm.atom")
    (entry,) = atom.entries
    assert [(tag.term, tag.scheme) for tag in entry.tags] == [
        ("LLM", "urn:dailyai:category"),
        ("cs.AI", "https://arxiv.org/category_taxonomy"),  # the primary first
        ("cs.LG", "https://arxiv.org/category_taxonomy"),
        ("stat.ML", "https://arxiv.org/category_taxonomy"),
    ]
    assert entry.link == "https://arxiv.org/abs/2605.11111"
    related = [(link.title, link.href) for link in entry.links if link.rel == "related"]
    assert related == [
        ("PDF", "https://arxiv.org/pdf/2605.11111"),
        ("GitHub", "https://github.com/ada/planner"),
        ("Project", "https://ada.example.org/planner"),
    ]
    rss = _feed(tmp_path / "feeds/category/llm.rss")
    assert [tag.term for tag in rss.entries[0].tags] == ["LLM", "cs.AI", "cs.LG", "stat.ML"]
    # The HTML content (and the daily item's) shows them too, as the TUI's detail pane does.
    daily = _feed(tmp_path / "feeds/daily.atom").entries[0].content[0].value
    for html in (entry.content[0].value, rss.entries[0].content[0].value, daily):
        assert "cs.AI · cs.LG · stat.ML" in html
        anchors = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html)
        assert anchors[-3:] == [
            ("https://arxiv.org/pdf/2605.11111", "PDF"),
            ("https://github.com/ada/planner", "GitHub"),
            ("https://ada.example.org/planner", "Project"),
        ]


def test_hostile_categories_and_links_are_inert(store, config, tmp_path):
    _add_paper(
        store,
        config,
        Paper(
            id="2605.22222",
            arxiv_id="2605.22222",
            title="A paper from a hostile feed",
            abstract="An abstract.",
            authors=["Eve\x1b[31m <script>alert(1)</script>"],
            categories=[
                "javascript:alert(1)",
                "cs.CL\x1b[2J",
                '"><img src=x onerror=alert(1)>',
                "cs.CL",
            ],
            primary_category="<b>cs.AI</b>",
            links={
                "abs": "https://arxiv.org/abs/2605.22222",
                "pdf": "javascript:alert(document.cookie)",
                "hf": "data:text/html,<script>alert(1)</script>",
                "link": "https://example.org/\x07ring\x1b]8;;https://evil.example\x07",
            },
            github_repo="vbscript:msgbox(1)",
            project_page=" JaVaScRiPt:alert(1)",
        ),
    )
    write_feeds(store, config, tmp_path)
    for path in (tmp_path / "feeds").rglob("*.*"):
        raw = path.read_bytes()
        etree.fromstring(raw)  # lxml accepted every value: no control characters got in
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", raw), path
        root = etree.fromstring(raw)
        hrefs = root.xpath("//@href") + root.xpath("//*[local-name()='link']/text()")
        assert all(href.startswith(("https://", "http://127.0.0.1:")) for href in hrefs), path
    atom = _feed(tmp_path / "feeds/category/llm.atom")
    (entry,) = atom.entries
    assert [tag.term for tag in entry.tags] == ["LLM", "cs.CL"]  # only arXiv-shaped ones
    related = [link.href for link in entry.links if link.rel == "related"]
    assert related == ["https://example.org/%20ring%20%5D8;;https://evil.example"]
    assert [author.name for author in entry.authors] == ["Eve [31m <script>alert(1)</script>"]
    for html in (
        entry.content[0].value,
        _feed(tmp_path / "feeds/daily.atom").entries[0].content[0].value,
    ):
        assert not re.search(r"javascript:|vbscript:|data:|onerror|<script|<img src=.x", html, re.I)
        anchors = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html)
        assert ("https://example.org/%20ring%20%5D8;;https://evil.example", "Link") in anchors
        assert all(href.startswith("https://") for href, _ in anchors)
