"""The "내 관심 논문" section and the why lines in the published outputs (issue 11).

With an interest profile, the report, the email (HTML and text) and the daily feed item open
with the reader's top papers, and every digest paper says why it is there. The why lines
quote liked papers' titles, so a hostile title in the profile must stay inert everywhere.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from lxml import etree
from markdown_it import MarkdownIt

from core.channels.feeds import day_html, write_feeds
from core.channels.mail import render_preview
from core.channels.render import FOR_YOU_HEADING, WHY_LABEL, for_you_views
from core.channels.report import render_report
from core.config import Config
from core.digest import build_digest
from core.models import Listed, Paper
from core.profile import set_feedback
from core.store import ProfileEntry, Store
from tests.publish_data import DAY, populate_day

# Short enough that the why line keeps it all (it shortens liked titles to 40 characters).
HOSTILE_LIKED = "<img src=x onerror=1>[a](javascript:x)"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


@pytest.fixture
def lexical(config: Config) -> Config:
    config.rank.method = "lexical"  # no Ollama in these tests
    return config


@pytest.fixture
def published(store: Store, lexical: Config):
    return populate_day(store, lexical)


def like_hostile_twin(store: Store, paper_id: str) -> None:
    """A liked paper with a hostile title and the abstract of `paper_id`: the day's paper
    is then "similar to" it, and the why line quotes the hostile title."""
    twin = store.get_paper(paper_id)
    store.add_profile_entries(
        [
            ProfileEntry(
                key="title:hostile",
                stance="like",
                origin="import",
                title=HOSTILE_LIKED,
                abstract=twin.abstract,
                source="seeds.bib",
                added_at="2026-05-01T00:00:00+00:00",
            )
        ]
    )


def _sections(report: str) -> list[str]:
    return re.findall(r"^## (.+)$", report, flags=re.MULTILINE)


def test_an_empty_profile_has_no_section_but_every_paper_says_why(store, lexical, published):
    digest = build_digest(store, lexical, DAY)
    assert for_you_views(digest, lexical) == []
    report = render_report(digest, lexical)
    text, html = render_preview(digest, lexical)
    feed = day_html(digest, lexical)
    for output in (report, text, html, feed):
        assert FOR_YOU_HEADING not in output
    # Without a profile the why line is the public signals ("🤗 27 · 코드 공개").
    for item in digest.selected:
        assert item.why, item.paper.id
    assert report.count(f"_{WHY_LABEL}: ") == len(digest.selected)
    assert text.count(f"{WHY_LABEL}: ") == len(digest.selected)
    assert html.count(f"{WHY_LABEL}: ") == len(digest.selected)
    assert feed.count(f"{WHY_LABEL}: ") == len(digest.selected)


def test_the_section_comes_first_with_the_configured_count(store, lexical, published):
    set_feedback(store, lexical, published.ids[3], "like", source="tui")
    lexical.digest.for_you_count = 3
    digest = build_digest(store, lexical, DAY)
    papers = for_you_views(digest, lexical)
    assert len(papers) == 3
    assert [p.id for p in papers] == [
        p.paper.id for p in digest.for_you if p.selected and not p.disliked
    ][:3]

    report = render_report(digest, lexical)
    assert _sections(report)[0] == f"✨ {FOR_YOU_HEADING}"
    section = report.split(f"## ✨ {FOR_YOU_HEADING}", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^\d\. \*\*", section, flags=re.MULTILINE)) == 3
    rendered = MarkdownIt("commonmark").render(section)
    # Title line and why line are one list item, split by a hard line break.
    assert rendered.count("<li>") == 3 and rendered.count("<br />") == 3

    text, html = render_preview(digest, lexical)
    for output in (text, html, day_html(digest, lexical)):
        head = output.index(FOR_YOU_HEADING)
        first_category = output.index(digest.sections[0].category.name)
        assert head < first_category
        assert all(p.title[:30] in output[head:first_category] for p in papers)


def test_count_zero_or_personal_off_leaves_the_section_out(store, lexical, published):
    set_feedback(store, lexical, published.ids[3], "like", source="tui")
    lexical.digest.for_you_count = 0
    assert FOR_YOU_HEADING not in render_report(build_digest(store, lexical, DAY), lexical)
    lexical.digest.for_you_count = 5
    lexical.digest.personal = False
    assert FOR_YOU_HEADING not in render_report(build_digest(store, lexical, DAY), lexical)


def test_a_hostile_liked_title_stays_inert_in_every_output(store, lexical, published, tmp_path):
    twin = next(pid for pid in published.ids[5:] if pid in published.categories)
    like_hostile_twin(store, twin)
    digest = build_digest(store, lexical, DAY)
    item = next(p for p in digest.selected if p.paper.id == twin)
    assert HOSTILE_LIKED in item.why  # the evidence names it, as text
    assert twin in [p.id for p in for_you_views(digest, lexical)]

    report = render_report(digest, lexical)
    for preset in ("commonmark", "gfm-like"):
        renderer = MarkdownIt(preset)
        rendered = renderer.render(report)
        assert "onerror" not in re.sub(r"&lt;img src=x onerror=1&gt;", "", rendered)
        assert not re.search(r"<img [^>]*src=\"x\"", rendered)
        assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', rendered))
        assert "관심 논문 '&lt;img src=x onerror=1&gt;[a](javascript:x)'와" in rendered

    text, html = render_preview(digest, lexical)
    assert f"관심 논문 '{HOSTILE_LIKED}'와 비슷함" in text  # plain text: literal
    write_feeds(store, lexical, tmp_path)
    daily = etree.fromstring((tmp_path / "feeds/daily.rss").read_bytes())
    feed_day = daily.findtext(f"channel/item/{CONTENT}")
    category_feeds = [
        etree.fromstring(path.read_bytes()) for path in (tmp_path / "feeds/category").glob("*.rss")
    ]
    item_html = next(
        item.findtext(CONTENT)
        for feed in category_feeds
        for item in feed.iter("item")
        if item.findtext("guid").endswith(twin)
    )
    for output in (html, feed_day, item_html):
        assert not re.search(r"<img [^>]*onerror|<[^>]*javascript:", output, re.I)
        assert "관심 논문 " in output and "&lt;img src=x onerror=1&gt;[a](javascript:x)" in output


def test_a_starred_paper_that_changed_leads_the_section_with_what_changed(store, lexical):
    first = date(2026, 5, 4)
    later = date(2026, 5, 8)

    def paper(version: int, comment: str | None = None) -> Paper:
        return Paper(
            id="2605.00001",
            arxiv_id="2605.00001",
            version=version,
            title="RLHF Done Right",
            abstract="We fix RLHF. It works." + (" We add a benchmark." if version > 1 else ""),
            links={"abs": "https://arxiv.org/abs/2605.00001"},
            comment=comment,
        )

    store.merge_listed([Listed(paper(1), first, "new")], "arxiv")
    set_feedback(store, lexical, "2605.00001", "like", source="tui")
    store.merge_listed(
        [
            Listed(paper(2, "Accepted at ICLR 2026"), later, "replace"),
            Listed(
                Paper(
                    id="2605.00002",
                    arxiv_id="2605.00002",
                    title="Reward models for RLHF",
                    abstract="We fix RLHF reward models.",
                    links={"abs": "https://arxiv.org/abs/2605.00002"},
                ),
                later,
                "new",
            ),
        ],
        "arxiv",
    )
    digest = build_digest(store, lexical, later)
    papers = for_you_views(digest, lexical)
    assert papers[0].id == "2605.00001"
    assert papers[0].update.startswith("새 버전 v1→v2 · ICLR 2026 채택")
    report = render_report(digest, lexical)
    assert "🔔 별표한 논문 소식: 새 버전 v1→v2 · ICLR 2026 채택" in report
    text, html = render_preview(digest, lexical)
    assert "새 버전 v1→v2 · ICLR 2026 채택" in text and "새 버전 v1→v2" in html
