"""The hostile corpus (tests/hostile.py) through ingest: nothing crashes, nothing unsafe is stored."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.errors import SourceError
from core.ingest import SourceSpec, fetch_day
from core.sources import parse_source
from core.sources.arxiv_rss import ARXIV_RSS
from core.sources.feed import FEED
from core.sources.hf_daily import HF_DAILY
from tests.hostile import (
    HOSTILE_TITLES,
    billion_laughs_rss,
    external_entity_rss,
    has_unsafe_characters,
    hostile_hf_json,
)

DAY = date(2026, 5, 8)


async def test_hostile_papers_are_stored_clean(config, store, tmp_path):
    path = tmp_path / "hostile.json"
    path.write_bytes(hostile_hf_json())
    summary = await fetch_day(
        store,
        config,
        DAY,
        specs=[SourceSpec("evil", path.as_uri(), HF_DAILY)],
        enrich=False,
    )
    assert summary.exit_code == 0
    rows = list(store.export_rows(DAY))
    assert len(rows) == len(HOSTILE_TITLES) + 1
    for row in rows:
        text = json.dumps(row, ensure_ascii=False)
        for field in ("title", "abstract"):
            assert not has_unsafe_characters(row[field]), (row["id"], field)
        assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
        assert len(row["title"]) <= 500  # the 1 MB title is cut, not stored whole
        # Links that are not http(s) are dropped; the rest stay as data.
        assert "github" not in row["links"]
    titles = {row["title"].split(":")[0]: row["title"] for row in rows}
    assert "<script>" in titles["script"]  # kept as text: each output escapes it
    assert "[@click=app.quit]" in titles["textual_markup"]
    assert (
        "Bcc: victim@example.org" in titles["email_header"] and "\r" not in titles["email_header"]
    )


@pytest.mark.parametrize("feed", [billion_laughs_rss, external_entity_rss])
@pytest.mark.parametrize("kind", [ARXIV_RSS, FEED])
def test_xml_entity_attacks_are_refused_quickly(feed, kind):
    with pytest.raises(SourceError, match="declares its own XML entities"):
        parse_source(kind, feed(), day=DAY, label="evil", source="evil")


async def test_hostile_papers_are_inert_in_every_output(config, store, tmp_path, ollama_standin):
    """Through the whole pipeline with a model that obeys the papers' planted instructions:
    nothing it was steered into is stored, and report, feeds and email show them as text."""
    import email.policy
    from email import message_from_bytes

    import feedparser
    from markdown_it import MarkdownIt

    from core.channels.mail import build_message
    from core.digest import build_digest
    from core.pipeline import run_pipeline
    from core.services import Services

    path = tmp_path / "hostile.json"
    path.write_bytes(hostile_hf_json())
    config.llm.hosts = [ollama_standin.url]
    config.classify.method = "llm"
    ollama_standin.set_mode("obey_injection")
    result = await run_pipeline(
        Services(config=config, store=store),
        DAY,
        specs=[SourceSpec("evil", path.as_uri(), HF_DAILY)],
        steps=("fetch", "classify", "summarize", "report", "feeds"),
        enrich=False,
    )
    assert result.status in ("ok", "partial"), [(s.step, s.status, s.reason) for s in result.steps]
    names = {category.name for category in config.taxonomy.categories}
    digest = build_digest(store, config, DAY)
    assert len(digest.selected) == len(HOSTILE_TITLES) + 1
    for paper in digest.selected:  # answers keep their structure: a category of ours, plain text
        assert paper.category in names
        assert not has_unsafe_characters(paper.summary.text)
        # Every abstract orders English and "PWNED": the obeyed answers failed the gate.
        assert (paper.summary.status, paper.summary.text) == ("failed", ""), paper.paper.id
    # The stand-in did obey: it answered the category and the words it was told to.
    answers = [ollama_standin.answer(r, "obey_injection") for r in ollama_standin.model_requests]
    assert any('"category": "Hacked"' in answer for answer in answers)
    assert "PWNED" in answers and any(answer.startswith("This paper") for answer in answers)

    def no_active_html(html: str, where: str) -> None:
        """Parse the HTML as a browser would: no script, no handlers, no javascript: links."""
        from html.parser import HTMLParser

        problems: list[str] = []

        class Inspector(HTMLParser):
            def handle_starttag(self, tag, attrs):
                if tag in ("script", "iframe", "object", "embed", "form"):
                    problems.append(f"<{tag}>")
                for name, value in attrs:
                    if name.startswith("on"):
                        problems.append(f"{tag} {name}=")
                    if name in ("href", "src") and (value or "").strip().lower().startswith(
                        ("javascript:", "data:text")
                    ):
                        problems.append(f"{tag} {name}={value}")
                    if name in ("href", "src") and (
                        "evil.example" in (value or "") or value == "x"
                    ):
                        problems.append(
                            f"a link or image injected by a title: {tag} {name}={value}"
                        )

        Inspector().feed(html)
        assert not problems, f"{where}: {problems}"
        assert not has_unsafe_characters(html), where

    report = next(p for p in result.published if p.suffix == ".md").read_text(encoding="utf-8")
    assert not has_unsafe_characters(report)
    no_active_html(MarkdownIt("commonmark").render(report), "report rendered as HTML")

    for feed_path in (p for p in result.published if p.suffix in (".rss", ".atom")):
        parsed = feedparser.parse(feed_path.read_bytes(), sanitize_html=False)
        assert parsed.bozo == 0, (feed_path, parsed.get("bozo_exception"))
        for entry in parsed.entries:
            for content in entry.get("content", []):
                no_active_html(content["value"], f"{feed_path.name} content")
            no_active_html(entry.get("summary", ""), f"{feed_path.name} summary")

    config.email.sender = "Daily AI <digest@example.org>"
    config.email.unsubscribe = "unsubscribe@example.org"
    message = build_message(digest, config, "reader@example.org", None)
    raw = message.as_bytes(policy=email.policy.SMTP)
    parsed_mail = message_from_bytes(raw, policy=email.policy.default)
    assert parsed_mail["Bcc"] is None and parsed_mail["X-Evil"] is None
    # The SMTP wire form ends lines with CRLF; anything else would be a smuggled control.
    html = parsed_mail.get_body(("html",)).get_content().replace("\r\n", "\n")
    text = parsed_mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    no_active_html(html, "email html")
    # The plain part shows each title as written, minus its control characters.
    assert '* script: <script>alert("x")</script><img src=x onerror=alert(1)>' in text
    assert "* csi_cursor: Cursor [2J [H [31m moves" in text
    assert not has_unsafe_characters(text)
