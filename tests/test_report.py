"""The Markdown report: the seed's format, every summary state said out loud, nothing injected."""

from __future__ import annotations

import re
from datetime import date

import pytest
from markdown_it import MarkdownIt

from core.channels.feeds import day_html
from core.channels.mail import render_preview
from core.channels.render import (
    ABSTRACT_LABEL,
    escape_markdown,
    model_html,
    plain_markdown,
    safe_url,
)
from core.channels.report import publish_day, render_report
from core.classify import set_user_category
from core.config import Config
from core.digest import build_digest, report_inputs_hash
from core.prompts import REPORT_PROMPT_VERSION
from core.store import RunStep, Store
from tests.publish_data import (
    DAY,
    FAILED_REASON_KO,
    HOSTILE_ID,
    REPORT_FAILED_REASON_KO,
    korean_summary,
    populate_day,
)


@pytest.fixture
def published(store: Store, config: Config):
    return populate_day(store, config)


@pytest.fixture
def report(store, config, published) -> str:
    return render_report(build_digest(store, config, DAY), config)


def _sections(report: str) -> dict[str, str]:
    """Each `## ` section's body by its heading."""
    parts = re.split(r"^## (.+)$", report, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_report_follows_the_seed_format(store, config, published, report):
    lines = report.splitlines()
    assert lines[0] == (
        "# Daily Artificial Intelligence Insights : Papers"
        "![Category Distribution Graph](paper_2026-05-08.png)"
    )
    sections = _sections(report)
    digest = build_digest(store, config, DAY)
    expected = [f"{s.category.emoji} {s.category.name}" for s in digest.sections]
    assert list(sections)[: len(expected)] == expected  # taxonomy order
    assert list(sections)[len(expected) :] == ["🗂️ 미분류", "📋 이 날의 현황"]
    for section in digest.sections:
        body = sections[f"{section.category.emoji} {section.category.name}"]
        assert body.lstrip().startswith("**요약:**")
        sources = body.split("**출처:**", 1)[1]
        links = re.findall(r"^ - .+ \((\S+)\)$", sources, flags=re.MULTILINE)
        assert links == [p.paper.url for p in section.papers]
        # The per-paper summaries sit between the report and the sources.
        assert body.index("**논문별 요약:**") < body.index("**출처:**")
    # Sections are separated like the seed's: the sources list, then two blank lines.
    assert "\n\n\n## " in report


def test_each_summary_state_is_said_never_hidden(store, config, published, report):
    failed = store.get_paper(published.failed_id)
    pending = store.get_paper(published.pending_id)
    stale = store.get_paper(published.stale_id)

    failed_block = _paper_block(report, failed.title)
    assert f"요약 실패: {FAILED_REASON_KO}" in failed_block
    # The abstract is shown only labelled as the abstract, after the failure.
    assert failed_block.index("요약 실패") < failed_block.index(ABSTRACT_LABEL)
    assert korean_summary(failed) not in report

    pending_block = _paper_block(report, pending.title)
    assert "요약 대기 중" in pending_block and ABSTRACT_LABEL in pending_block

    stale_block = _paper_block(report, stale.title)
    assert "이전 프롬프트" in stale_block
    assert plain_markdown(korean_summary(stale)) in stale_block
    assert ABSTRACT_LABEL not in stale_block

    sections = _sections(report)
    failed_report = next(body for name, body in sections.items() if published.failed_report in name)
    assert f"종합 보고서 생성 실패: {REPORT_FAILED_REASON_KO}" in failed_report
    pending_report = next(
        body for name, body in sections.items() if published.pending_report in name
    )
    assert "종합 보고서 대기 중" in pending_report

    unclassified = sections["🗂️ 미분류"]
    assert store.get_paper(published.unclassified_id).title in unclassified
    assert "아직 분야가 정해지지 않은" in unclassified


def test_a_report_for_other_papers_is_stale_in_every_output(store, config, published):
    """Move a paper (the TUI's `c`): both categories' reports say so wherever they show."""
    digest = build_digest(store, config, DAY)
    written = [s for s in digest.sections if s.report.status == "ok"]
    source, target = written[0], written[1]
    moved = source.papers[-1].paper
    set_user_category(store, config, moved.id, target.category.name)
    digest = build_digest(store, config, DAY)
    by_name = {s.category.name: s for s in digest.sections}
    assert by_name[source.category.name].report.status == "stale"
    assert by_name[target.category.name].report.status == "stale"
    source_note = "♻️ 지금 이 분야의 논문과 요약이 아닌 것으로 만든 보고서입니다 (빠진 논문 1편)"
    target_note = (
        "♻️ 지금 이 분야의 논문과 요약이 아닌 것으로 만든 보고서입니다 (새로 들어온 논문 1편)"
    )
    markdown = render_report(digest, config)
    sections = _sections(markdown)
    assert source_note in next(b for n, b in sections.items() if source.category.name in n)
    assert target_note in next(b for n, b in sections.items() if target.category.name in n)
    assert "분야별 종합 보고서: 완료 1 · 오래됨 2 · 실패 1 · 대기 1" in sections["📋 이 날의 현황"]
    text, html = render_preview(digest, config)
    feed = day_html(digest, config)
    text = " ".join(text.split())  # the text part wraps lines at 76 columns
    for output in (text, html, feed):
        assert source_note in output and target_note in output
        assert "다음 실행(dailyai summarize)에서 다시 만듭니다" in output


def test_a_flagged_report_says_what_to_check_in_every_output(store, config, published):
    section = next(s for s in build_digest(store, config, DAY).sections if s.report.status == "ok")
    name = section.category.name
    store.save_category_report(
        DAY,
        name,
        model=config.llm.model,
        prompt_version=REPORT_PROMPT_VERSION,
        inputs_hash=report_inputs_hash(name, section.inputs),
        status="ok",
        text=section.report.text,
        flags=["numbers not in the source: 93.7"],
        paper_ids=section.report.paper_ids,
    )
    digest = build_digest(store, config, DAY)
    assert next(s for s in digest.sections if s.category.name == name).report.status == "ok"
    note = "검토 필요: 원문에 없는 숫자: 93.7"
    markdown = render_report(digest, config)
    assert note in next(b for n, b in _sections(markdown).items() if name in n)
    assert "검토 필요 표시가 있는 종합 보고서: 1개" in markdown
    text, html = render_preview(digest, config)
    for output in (text, html, day_html(digest, config)):
        assert note in output


def _paper_block(report: str, title: str) -> str:
    start = report.index(f"- **{escape_markdown(title)}**")
    end = report.find("\n- **", start + 1)
    section_end = report.find("**출처:**", start)
    end = min(e for e in (end, section_end) if e != -1)
    return report[start:end]


def test_status_section_tells_what_was_left_out_and_why(report):
    status = _sections(report)["📋 이 날의 현황"]
    assert "수집된 논문 38편 중 30편을 골랐습니다 (나머지: 상위 30편 밖 8편)" in status
    assert "완료 27 · 오래됨 1 · 실패 1 · 대기 1" in status
    assert "arxiv: 실패 — rss.arxiv.org: HTTP 503 (3번 다시 시도했지만 실패)" in status


def test_hostile_text_cannot_inject_markup(report):
    import html

    from core.sanitize import one_line
    from tests.publish_data import HOSTILE_TITLE

    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", report)
    # Rendered by a Markdown renderer that passes raw HTML through (as many do), and by one
    # that also turns bare URLs into links (as GitHub does), the report has no script, no
    # iframe, no image but the chart, and no link but the papers' own.
    for preset in ("commonmark", "gfm-like"):
        renderer = MarkdownIt(preset)
        if preset == "gfm-like":  # like GitHub: bare URLs become links, bare domains do not
            renderer.linkify.set({"fuzzy_link": False})
        rendered = renderer.render(report)
        assert "<script" not in rendered and "<iframe" not in rendered
        assert re.findall(r"<img [^>]*>", rendered) == [
            '<img src="paper_2026-05-08.png" alt="Category Distribution Graph" />'
        ]
        hrefs = re.findall(r'href="([^"]*)"', rendered)
        assert hrefs and all(href.startswith("https://arxiv.org/abs/") for href in hrefs), preset
        # The title as escaped text where the title goes: its paper's heading and the
        # sources list (the category report quotes it too, so a bare substring is no proof).
        title = html.escape(one_line(HOSTILE_TITLE), quote=False)
        assert f"<p><strong>{title}</strong> — " in rendered
        assert f"<li>{title} (" in rendered
        assert f"arXiv:{HOSTILE_ID}" in rendered
        assert "http://evil.example" in rendered  # still readable, as text


def test_escaping_helpers():
    assert escape_markdown("[a](javascript:x) <b> *c* `d` \x1b[31m") == (
        r"\[a\](javascript:x) \<b\> \*c\* \`d\` \[31m"
    )
    assert escape_markdown("see https://x.org, www.y.org, me@z.org") == (
        r"see https\://x.org, www\.y.org, me\@z.org"
    )
    assert plain_markdown("# not a heading\n- not a list\n12. not numbered") == (
        "\\# not a heading\n\\- not a list\n12\\. not numbered"
    )
    assert safe_url("javascript:alert(1)") == ""
    assert safe_url("https://arxiv.org/abs/1 (x)") == "https://arxiv.org/abs/1%20%28x%29"
    html = model_html("# 제목\n\n**굵게** [링크](http://evil.example) <script>x</script>")
    assert str(html).startswith("<h3>제목</h3>")
    assert "<strong>굵게</strong>" in html and "<a" not in html and "<script" not in html


def test_an_empty_day_says_why(store, config):
    run = store.start_run("fetch", date(2026, 5, 9))
    store.record_step(run, RunStep("fetch", "hf-daily", "empty", reason="no weekend papers"))
    store.record_step(run, RunStep("fetch", "arxiv", "failed", reason="HTTP 503"))
    store.finish_run(run, "failed", "arXiv announces nothing on Saturdays")
    report = render_report(build_digest(store, config, date(2026, 5, 9)), config)
    assert "**2026-05-09: 발행할 논문이 없습니다.**" in report
    assert "이유: arXiv는 토요일에 새 논문을 발표하지 않습니다" in report
    assert "수집 출처 arxiv: 실패 — HTTP 503 응답" in report
    assert "## 🪄" not in report


def test_a_day_never_fetched_says_so(store, config):
    report = render_report(build_digest(store, config, date(2026, 1, 1)), config)
    assert "이 날짜는 아직 수집하지 않았습니다" in report
    assert "수집 기록이 없습니다" in report


def test_publish_day_writes_report_beside_its_chart(store, config, published, tmp_path):
    result = publish_day(store, config, DAY, out_dir=tmp_path / "out", feeds=False)
    folder = tmp_path / "out" / "reports" / "2026-05-08"
    assert result.report == folder / "Papers_2026-05-08_report.md"
    assert result.chart == folder / "paper_2026-05-08.png"
    assert result.chart.read_bytes().startswith(b"\x89PNG")
    assert result.report.read_text(encoding="utf-8").startswith(
        "# Daily Artificial Intelligence Insights : Papers"
    )
    assert (result.papers, result.summaries_failed, result.summaries_pending) == (30, 1, 1)
    assert result.page == folder / "Papers_2026-05-08_report.html"
    assert result.index == tmp_path / "out" / "index.html"
    assert sorted(p.name for p in folder.iterdir()) == [
        "Papers_2026-05-08_report.html",
        "Papers_2026-05-08_report.md",
        "paper_2026-05-08.png",
    ]  # no temp files left behind
