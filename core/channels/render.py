"""The wording and escaping every channel renders the day with.

What a paper or a category shows (`paper_view`, `section_views`), how a summary or report
that is pending, failed or stale says so in place, the day's counts and status lines, and
the Jinja2 templates of the HTML outputs. Nothing is left out silently: a failed summary is
never replaced by the English abstract (the abstract may follow, labelled as the abstract),
and an empty day says why.

Titles, abstracts and model output are untrusted. In Markdown they are escaped so they
cannot open links, images or raw HTML (`escape_markdown`, `plain_markdown`); the model's
Markdown keeps its lists and emphasis but loses links and headings above our own
(`model_markdown`). For HTML outputs (feeds, email), `model_html` renders that Markdown with
raw HTML and links switched off and then sanitizes it with nh3.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import nh3
from markupsafe import Markup

from core.channels.wording import korean, local_time, status_word
from core.config import Config
from core.digest import Digest, DigestPaper, ReportChanges, ReportState, SummaryState
from core.sanitize import clean_text, one_line, truncate

UNCLASSIFIED_NAME = "미분류"
UNCLASSIFIED_EMOJI = "🗂️"
ABSTRACT_LABEL = "영문 초록 (원문 그대로, 요약 아님)"
ABSTRACT_CHARS = 700
UNCLASSIFIED_NOTE = "아직 분야가 정해지지 않은 논문입니다 (dailyai classify)."

SUMMARY_NOTES = {
    "pending": "⏳ 요약 대기 중 — 아직 만들어지지 않았습니다 (dailyai summarize).",
    "failed": "⚠️ 요약 실패",
    "stale": "♻️ 이전 프롬프트나 바뀌기 전 초록으로 만든 요약입니다 — 다음 실행에서 다시 만듭니다.",
}
REPORT_NOTES = {
    "pending": "⏳ 종합 보고서 대기 중 — 아직 만들어지지 않았습니다 (dailyai summarize).",
    "failed": "⚠️ 종합 보고서 생성 실패",
    "stale": "♻️ 지금 이 분야의 논문과 요약이 아닌 것으로 만든 보고서입니다",
}
REPORT_STALE_END = "다음 실행(dailyai summarize)에서 다시 만듭니다."
REVIEW_LABEL = "검토 필요"


# --- escaping -----------------------------------------------------------------------------

# The characters that can make Markdown syntax in the middle of a line: links and images
# need `[`, raw HTML and autolinks `<`, emphasis and code `* _ ~ \``; and the escape itself.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>~])")
# What only makes links, images and raw HTML (model Markdown keeps its emphasis and code).
_MARKDOWN_LINKS = re.compile(r"([\\\[\]<>])")
# GFM viewers (GitHub, most editors) turn bare URLs, www. names and addresses into links;
# an escaped `:`, `.` or `@` keeps them text.
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp)(:)|\b(www)(\.)|(?<=\w)(@)(?=\w)")
_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(\s)")
_BLOCK_START = re.compile(r"^(\s*)(\d+)?([>+=#.)-])")


def escape_markdown(text: str | None) -> str:
    """A title or name as literal Markdown text on one line: no links, HTML or emphasis."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", one_line(text))
    # The sources list puts a title right after " - ", where `# x`, `- x` or `1. x` would
    # open a heading or a nested list.
    return _no_autolinks(_BLOCK_START.sub(_escape_block_start, escaped, 1))


def _no_autolinks(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        if match.group(1):
            return f"{match.group(1)}\\:"
        if match.group(3):
            return f"{match.group(3)}\\."
        return "\\@"

    return _AUTOLINK.sub(escape, text)


def safe_url(url: str | None) -> str:
    """An http(s) URL safe to print bare or inside `(...)` and `href`; "" for anything else."""
    url = one_line(url, limit=2000)
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https"):
        return ""
    # Characters that would end the URL early in Markdown or an attribute are percent-encoded.
    return quote(url, safe="/:?#@!$&'*+,;=%-._~")


def model_markdown(text: str) -> str:
    """Model output (Markdown) made safe to embed in our report.

    Lists, emphasis and the `###`/`####` headings of the seed's reports are kept; `#` and
    `##` headings are lowered to `###` so they cannot pose as our own sections; raw HTML,
    links and images are escaped to literal text.
    """
    return _no_autolinks(_MARKDOWN_LINKS.sub(r"\\\1", model_markdown_source(text))).strip()


def plain_markdown(text: str) -> str:
    """Plain text (a paper's summary, an abstract, a reason) as literal Markdown."""
    lines = []
    for line in clean_text(text).split("\n"):
        escaped = _MARKDOWN_INLINE.sub(r"\\\1", line)
        # A line that starts like a heading, list, quote or numbered item stays text.
        lines.append(_no_autolinks(_BLOCK_START.sub(_escape_block_start, escaped, 1)))
    return "\n".join(lines).strip()


def _escape_block_start(match: re.Match[str]) -> str:
    indent, number, mark = match.group(1), match.group(2) or "", match.group(3)
    if number and mark not in ".)":
        return match.group(0)
    return f"{indent}{number}\\{mark}"


# --- HTML fragments (feeds and email) -------------------------------------------------------

HTML_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h3", "h4", "h5", "h6",
    "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip


@functools.cache
def _markdown_renderer():
    from markdown_it import MarkdownIt

    # No raw HTML, no links, images or autolinks: a model's text may not point anywhere.
    return (
        MarkdownIt("commonmark", {"html": False})
        .enable(["table", "strikethrough"])
        .disable(["link", "image", "autolink"])
    )


@functools.lru_cache(maxsize=4096)
def model_html(text: str, styles: tuple[tuple[str, str], ...] = ()) -> Markup:
    """Model output (Markdown) as sanitized HTML; `styles` sets a style attribute per tag."""
    source = model_markdown_source(text)
    rendered = _markdown_renderer().render(source)
    cleaned = nh3.clean(
        rendered,
        tags=HTML_TAGS,
        attributes={},
        set_tag_attribute_values={tag: {"style": style} for tag, style in styles} or None,
    )
    return Markup(cleaned.strip())  # sanitized by nh3 above


def model_markdown_source(text: str) -> str:
    """Model Markdown prepared for rendering: cleaned, headings lowered to `###`."""
    lines = []
    for line in clean_text(text).split("\n"):
        heading = _HEADING.match(line)
        if heading and len(heading.group(2)) < 3:
            line = heading.group(1) + "###" + heading.group(3) + line[heading.end() :]
        lines.append(line)
    return "\n".join(lines)


def plain_html(text: str, *, paragraph_style: str = "") -> Markup:
    """Plain text as escaped HTML paragraphs (blank lines split, newlines become <br>)."""
    style = f' style="{html.escape(paragraph_style)}"' if paragraph_style else ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", clean_text(text)) if p.strip()]
    return Markup(  # every piece is escaped here
        "".join(f"<p{style}>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    )


# --- what a paper or category shows, shared by every output ---------------------------------


@dataclass
class PaperView:
    """A paper as the outputs show it: cleaned text and what state its summary is in."""

    id: str
    title: str
    url: str
    link_label: str
    authors: str
    upvotes: int | None
    category: str
    status: str
    """ok, stale, failed or pending (the SummaryState status)."""
    summary: str
    """The Korean summary (ok or stale); empty otherwise."""
    note: str
    """What to tell the reader about the summary's state (empty when ok)."""
    abstract: str
    """The English abstract, shown labelled as such, only when there is no summary."""
    flags: list[str] = field(default_factory=list)
    why: str = ""
    """Why it is in the digest, in one Korean line built from the evidence (untrusted:
    liked papers' titles are in it, so every output escapes it)."""
    update: str = ""
    """What changed in a starred paper that day ("새 버전 v1→v2 · ICLR 2026 채택")."""
    category_emoji: str = ""


def paper_view(item: DigestPaper, category_emoji: str = "") -> PaperView:
    """The view of one digest paper (`category_emoji`: its category's, for lists that mix
    categories)."""
    paper = item.paper
    state = item.summary
    authors = [one_line(author, limit=80) for author in paper.authors]
    author_text = ", ".join(authors[:3]) + (f" 외 {len(authors) - 3}명" if len(authors) > 3 else "")
    has_summary = state.status in ("ok", "stale") and bool(state.text.strip())
    return PaperView(
        id=paper.id,
        title=one_line(paper.title) or paper.id,
        url=safe_url(paper.url),
        link_label=f"arXiv:{paper.arxiv_id}" if paper.arxiv_id else "링크",
        authors=author_text,
        upvotes=paper.hf_upvotes,
        category=item.category or UNCLASSIFIED_NAME,
        status=state.status if has_summary or state.status != "ok" else "failed",
        summary=clean_text(state.text) if has_summary else "",
        note=summary_note(state) if not has_summary or state.status != "ok" else "",
        abstract=""
        if has_summary
        else truncate(clean_text(paper.abstract).replace("\n", " "), ABSTRACT_CHARS),
        flags=[korean(one_line(flag, limit=200)) for flag in state.flags],
        why=one_line(item.why, limit=300),
        update=one_line(item.update.line, limit=200) if item.update is not None else "",
        category_emoji=one_line(category_emoji, limit=8),
    )


FOR_YOU_EMOJI = "✨"
FOR_YOU_HEADING = "내 관심 논문"
FOR_YOU_INTRO = "관심 프로필(별표, 관심 없음, 가져온 논문)로 고른 오늘의 논문입니다."
WHY_LABEL = "선정 이유"
UPDATE_LABEL = "🔔 별표한 논문 소식"
FOR_YOU_WORDING = {
    "for_you_emoji": FOR_YOU_EMOJI,
    "for_you_heading": FOR_YOU_HEADING,
    "for_you_intro": FOR_YOU_INTRO,
    "why_label": WHY_LABEL,
    "update_label": UPDATE_LABEL,
}
"""The section's wording, as the HTML and text templates take it."""


def for_you_views(digest: Digest, config: Config) -> list[PaperView]:
    """The "내 관심 논문" section, best first: starred papers that changed that day (a new
    version, an acceptance), then the digest's papers in the reader's ranking, up to
    `digest.for_you_count` in all; papers marked "not interested" never.

    Empty when the count is 0, and when the ranking used no profile (an empty profile, or
    `digest.personal` off) and no starred paper changed.
    """
    count = config.digest.for_you_count
    if count <= 0:
        return []
    emoji = {category.name: category.emoji for category in digest.taxonomy}
    followed = [p for p in (*digest.selected, *digest.others) if p.update is not None]
    ranked = []
    if digest.ranking.personal:
        ranked = [p for p in digest.for_you if p.selected and not p.disliked and p.update is None]
    chosen = [*followed, *ranked][:count]
    return [paper_view(item, emoji.get(item.category or "", "")) for item in chosen]


def summary_note(state: SummaryState) -> str:
    """One line on a summary's state, in Korean (empty for a good summary)."""
    if state.status == "ok" and state.text.strip():
        return ""
    if state.status == "ok":  # stored as ok but empty: treat as a failure, never as blank
        return f"{SUMMARY_NOTES['failed']}: 빈 요약이 저장되었습니다"
    if state.status == "failed":
        reason = korean(one_line(state.reason, limit=300)) or "이유가 기록되지 않았습니다"
        return f"{SUMMARY_NOTES['failed']}: {reason}"
    return SUMMARY_NOTES.get(state.status, f"요약 상태: {one_line(state.status)}")


def report_note(state: ReportState) -> str:
    """One line on a category report's state, in Korean (empty for a good, unflagged report).

    A stale report says what changed since it was written; a report with flags (numbers
    not in its papers' abstracts, papers left out to fit) says what to check, as a
    summary's flags do.
    """
    if state.status == "ok" and state.text.strip():
        if state.flags:
            flags = "; ".join(korean(one_line(flag, limit=300)) for flag in state.flags)
            return f"{REVIEW_LABEL}: {flags}"
        return ""
    if state.status == "failed" or state.status == "ok":
        reason = korean(one_line(state.reason, limit=300)) or "이유가 기록되지 않았습니다"
        return f"{REPORT_NOTES['failed']}: {reason}"
    if state.status == "stale":
        return _stale_report_note(state.changes)
    return REPORT_NOTES.get(state.status, f"보고서 상태: {one_line(state.status)}")


def _stale_report_note(changes: ReportChanges | None) -> str:
    parts = []
    if changes is not None:
        for count, label in (
            (changes.added, "새로 들어온 논문"),
            (changes.removed, "빠진 논문"),
            (changes.resummarized, "요약이 바뀐 논문"),
        ):
            if count:
                parts.append(f"{label} {count}편")
        if changes.older_prompt:
            parts.append("이전 프롬프트")
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"{REPORT_NOTES['stale']}{detail} — {REPORT_STALE_END}"


def report_counts(digest: Digest) -> dict[str, int]:
    """The day's category reports by status (ok counts only a current report with text)."""
    counts = {"ok": 0, "stale": 0, "failed": 0, "pending": 0}
    for section in digest.sections:
        status = section.report.status
        if status == "ok" and not section.report.text.strip():
            status = "failed"
        counts[status if status in counts else "pending"] += 1
    return counts


@dataclass
class SectionView:
    """A category of the day as the outputs show it (the unclassified papers have one too)."""

    emoji: str
    name: str
    report_status: str
    """ok, stale, failed, pending, or "unclassified" for the papers without a category."""
    report_text: str
    """The Korean category report (model Markdown; ok or stale), else empty."""
    report_note: str
    papers: list[PaperView]


def section_views(digest: Digest) -> list[SectionView]:
    """The day's categories in taxonomy order, then the unclassified papers."""
    views = []
    for section in digest.sections:
        report = section.report
        has_text = report.status in ("ok", "stale") and bool(report.text.strip())
        views.append(
            SectionView(
                emoji=one_line(section.category.emoji, limit=8),
                name=one_line(section.category.name, limit=80),
                report_status=report.status if has_text or report.status != "ok" else "failed",
                report_text=clean_text(report.text) if has_text else "",
                report_note=report_note(report),
                papers=[paper_view(item) for item in section.papers],
            )
        )
    if digest.unclassified:
        views.append(
            SectionView(
                emoji=UNCLASSIFIED_EMOJI,
                name=UNCLASSIFIED_NAME,
                report_status="unclassified",
                report_text="",
                report_note=UNCLASSIFIED_NOTE,
                papers=[paper_view(item) for item in digest.unclassified],
            )
        )
    return views


@functools.cache
def template_environment():
    """The Jinja2 templates of the feeds and the email, autoescaping all HTML."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2.html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # templates ship with the package; no stat() per render
    )
    environment.filters["model_html"] = model_html
    environment.filters["plain_html"] = plain_html
    return environment


@dataclass
class DayStats:
    """The counts a reader sees at the top or bottom of every output."""

    selected: int
    others: int
    total: int
    ok: int
    stale: int
    failed: int
    pending: int
    categories: int
    sources: list[tuple[str, str, str]]
    """(source, status, detail) of the day's last fetch; the detail in Korean."""


def day_stats(digest: Digest) -> DayStats:
    """How many papers, summaries in each state, and how each source fared."""
    counts = {"ok": 0, "stale": 0, "failed": 0, "pending": 0}
    for item in digest.selected:
        status = item.summary.status
        if status == "ok" and not item.summary.text.strip():
            status = "failed"
        counts[status if status in counts else "pending"] += 1
    sources = []
    if digest.last_run is not None:
        for step in digest.last_run.steps:
            if step.step != "fetch":
                continue
            listed = step.counts.get("listed")
            detail = korean(one_line(step.reason, limit=240))
            if step.status == "ok" and listed is not None:
                detail = f"논문 {listed}편" + (f" ({detail})" if detail else "")
            sources.append((one_line(step.target, limit=80), step.status, detail))
    return DayStats(
        selected=len(digest.selected),
        others=len(digest.others),
        total=digest.total,
        ok=counts["ok"],
        stale=counts["stale"],
        failed=counts["failed"],
        pending=counts["pending"],
        categories=len(digest.sections) + (1 if digest.unclassified else 0),
        sources=sources,
    )


def others_breakdown(digest: Digest, config: Config) -> list[tuple[str, int]]:
    """Why the day's other papers are not in the digest, counted by reason."""
    counts = {"seen": 0, "announce": 0, "beyond": 0}
    for item in digest.others:
        if item.entry.seen:
            counts["seen"] += 1
        elif item.entry.announce_types and item.rank_reason.startswith("arXiv"):
            counts["announce"] += 1
        else:
            counts["beyond"] += 1
    labels = {
        "beyond": f"상위 {config.digest.size}편 밖",
        "seen": f"최근 {config.fetch.seen_window_days}일 안에 이미 소개됨",
        "announce": "새 논문이 아닌 arXiv 갱신",
    }
    return [(labels[key], count) for key, count in counts.items() if count]


def empty_reason(digest: Digest) -> str:
    """Why a day has nothing to publish, in one Korean line."""
    return korean(one_line(digest.empty_reason, limit=600)) or "이 날 수집된 논문이 없습니다"


def overview_line(digest: Digest) -> str:
    """One line on the day: date, papers, categories, and summaries not (yet) good."""
    stats = day_stats(digest)
    if digest.is_empty:
        return f"{digest.day.isoformat()} · 발행할 논문 없음"
    parts = [f"{digest.day.isoformat()} · {stats.selected}편 · {stats.categories}개 분야"]
    parts.append(f"요약 완료 {stats.ok}")
    for label, count in (("오래됨", stats.stale), ("실패", stats.failed), ("대기", stats.pending)):
        if count:
            parts.append(f"{label} {count}")
    return " · ".join(parts)


def status_lines(digest: Digest, config: Config) -> list[str]:
    """The day's status as plain lines: what was selected, summary states, each source."""
    stats = day_stats(digest)
    lines = []
    if stats.total:
        line = f"수집된 논문 {stats.total}편 중 {stats.selected}편을 골랐습니다"
        if stats.others:
            reasons = ", ".join(
                f"{label} {count}편" for label, count in others_breakdown(digest, config)
            )
            line += f" (나머지: {reasons})"
        lines.append(line + ".")
    if stats.selected:
        lines.append(
            f"논문 요약: 완료 {stats.ok} · 오래됨 {stats.stale} · 실패 {stats.failed} · "
            f"대기 {stats.pending}"
        )
        reports = report_counts(digest)
        if digest.sections:
            lines.append(
                f"분야별 종합 보고서: 완료 {reports['ok']} · 오래됨 {reports['stale']} · "
                f"실패 {reports['failed']} · 대기 {reports['pending']}"
            )
        flagged = sum(1 for s in digest.sections if s.report.status == "ok" and s.report.flags)
        if flagged:
            lines.append(f"{REVIEW_LABEL} 표시가 있는 종합 보고서: {flagged}개")
    for name, status, detail in stats.sources:
        lines.append(
            f"수집 출처 {name}: {status_word(status)}" + (f" — {detail}" if detail else "")
        )
    if digest.last_run is None:
        lines.append("이 날짜의 수집 기록이 없습니다 (dailyai fetch).")
    else:
        when = local_time(digest.last_run.started_at, config.general.timezone)
        if when:
            lines.append(f"마지막 수집: {when}")
    return lines
