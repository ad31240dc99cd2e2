"""The weekly digest published: a Markdown report and a web page with its chart, a `weekly`
feed, an email.

What a week shows comes from `core.weekly` (the week's read model); this module only words
and escapes it, with the same helpers the day uses (`core.channels.render`), so a week's
pending, failed or stale report says so in place as a day's does, and untrusted text is
escaped the same way. The files go beside the days':

    reports/weekly/YYYY-Www/Weekly_YYYY-Www_report.md    the week,
    reports/weekly/YYYY-Www/Weekly_YYYY-Www_report.html  the same as a web page, and
    reports/weekly/YYYY-Www/weekly_YYYY-Www.png          its chart (papers per day)
    feeds/weekly.rss, feeds/weekly.atom                  one item per week

The page is the day's page machinery (`core.channels.page`: its stylesheet, escaping and the
index, which lists the weeks above the days); the feed items and the email link to it.

The email is sent once per recipient per week, through the same send loop and delivery
ledger as the day's (`core.channels.mail.send_messages`, channel `email-weekly`, dated on
the week's Monday).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

from core.channels.base import DeliveryReport
from core.channels.chart import render_week_chart_png, week_chart_file_name
from core.channels.feeds import (
    FEEDS_DIR,
    ID_PREFIX,
    FeedFiles,
    _new_feed,
    _stored_at,
    _write,
    day_changed,
    day_published,
    digest_author,
    sanitize_feed_html,
    xml_text,
)
from core.channels.layout import (
    output_dir,
    page_file_name,
    page_path,
    shared_week_url,
    site_url,
    week_dir,
    week_page_path,
    week_page_url,
    week_report_file_name,
)
from core.channels.mail import (
    HTML_LIMIT_BYTES,
    REPORT_STYLES,
    SUMMARY_STYLE,
    Envelope,
    _unsubscribe_text,
    send_messages,
    transfer_encoded,
)
from core.channels.page import anchor, page_title, publish_index
from core.channels.plaintext import WIDTH, LinkList, heading, markdown_text, wrap
from core.channels.render import (
    escape_markdown,
    model_markdown,
    paper_view,
    plain_markdown,
    report_note,
    template_environment,
)
from core.config import Config
from core.digest import ReportState
from core.paths import write_atomic
from core.sanitize import clean_text, one_line
from core.store import WEEKLY_EMAIL_CHANNEL, Store
from core.weekly import (
    KOREAN_WEEKDAYS,
    IsoWeek,
    WeekDay,
    WeeklyDigest,
    WeekPaper,
    WeekSection,
    build_weekly,
    day_label,
    weekly_options,
)

WEEK_TITLE = "Weekly Artificial Intelligence Insights"
WEEK_CHART_ALT = "Weekly Category Distribution Graph"
WEEKLY_FEED = "weekly"
DAY_MARKS = {
    "ok": "✓",
    "partial": "△",
    "empty": "—",
    "missing": "✗",
    "failed": "✗",
    "future": "·",
}
WEEK_REPORT_NOTES = {
    "pending": "⏳ 주간 보고서 대기 중 — 아직 만들어지지 않았습니다 (dailyai report --week {week}).",
    "stale": "♻️ 지금의 일별 보고서가 아닌 것으로 만든 주간 보고서입니다",
    "stale_end": "다음 실행(dailyai report --week {week})에서 다시 만듭니다.",
}


# --- what the week shows -------------------------------------------------------------------


@dataclass
class WeekPaperView:
    """A paper of the week as the outputs show it (escape every text field)."""

    id: str
    title: str
    url: str
    link_label: str
    category: str
    emoji: str
    day: str
    upvotes: int | None
    summary: str
    note: str
    why: str = ""


@dataclass
class WeekSectionView:
    """One category's week as the outputs show it."""

    emoji: str
    name: str
    total: int
    per_day: str
    """`월 3 · 화 2 · 금 1`: its papers on the days that had some."""
    report_status: str
    report_text: str
    report_note: str
    sources_line: str
    """Which days' reports the week was written from, and which were missing and why."""
    papers: list[WeekPaperView] = field(default_factory=list)


@dataclass
class WeekView:
    """Everything a week's outputs print, worded and cleaned once."""

    week: str
    span: str
    overview: str
    empty: bool
    empty_reason: str
    days: list[tuple[str, int, str, str]]
    """(label, papers, mark, note) of each day, Monday to Sunday."""
    gaps: list[str]
    """`2026-05-09 (토): why` for each day that is not complete."""
    top: list[WeekPaperView]
    ranking: str
    sections: list[WeekSectionView]
    status_lines: list[str]


def week_view(weekly: WeeklyDigest) -> WeekView:
    """The week as every output shows it."""
    emojis = {category.name: one_line(category.emoji, limit=8) for category in weekly.taxonomy}
    week = str(weekly.week)
    return WeekView(
        week=week,
        span=weekly.week.span(),
        overview=week_overview(weekly),
        empty=weekly.is_empty,
        empty_reason=one_line(weekly.empty_reason, limit=900),
        days=[
            (day_label(day.day), day.papers, DAY_MARKS.get(day.status, "·"), _day_note(day))
            for day in weekly.days
        ],
        gaps=[f"{day_label(day.day)}: {_day_note(day)}" for day in weekly.gaps],
        # Without a profile the why line only repeats the upvotes the list already shows.
        top=[_paper_view(paper, emojis, weekly.ranking.personal) for paper in weekly.top],
        ranking=_ranking_line(weekly),
        sections=[_section_view(section, week, emojis) for section in weekly.sections],
        status_lines=week_status_lines(weekly),
    )


def week_overview(weekly: WeeklyDigest) -> str:
    """One line on the week: its name, papers, categories and weekly reports not (yet) good."""
    if weekly.is_empty:
        return f"{weekly.week} · 발행할 논문 없음"
    counts = week_report_counts(weekly)
    parts = [
        f"{weekly.week} ({weekly.week.span()})",
        f"{weekly.total}편",
        f"{len(weekly.sections)}개 분야",
        f"주간 보고서 완료 {counts['ok']}",
    ]
    for label, key in (("오래됨", "stale"), ("실패", "failed"), ("대기", "pending")):
        if counts[key]:
            parts.append(f"{label} {counts[key]}")
    return " · ".join(parts)


def week_report_counts(weekly: WeeklyDigest) -> dict[str, int]:
    """The week's category reports by status."""
    counts = {"ok": 0, "stale": 0, "failed": 0, "pending": 0}
    for section in weekly.sections:
        status = section.report.status
        if status == "ok" and not section.report.text.strip():
            status = "failed"
        counts[status if status in counts else "pending"] += 1
    return counts


def week_status_lines(weekly: WeeklyDigest) -> list[str]:
    """The week's status as plain lines: days, daily reports used, weekly reports."""
    with_papers = [day for day in weekly.days if day.papers]
    lines = [f"논문이 있는 날 {len(with_papers)}일, 모두 {weekly.total}편."]
    if weekly.gaps:
        lines.append(
            "빠진 날: " + ", ".join(f"{day_label(day.day)} {_day_note(day)}" for day in weekly.gaps)
        )
    if weekly.sections:
        counts = week_report_counts(weekly)
        lines.append(
            f"분야별 주간 보고서: 완료 {counts['ok']} · 오래됨 {counts['stale']} · "
            f"실패 {counts['failed']} · 대기 {counts['pending']}"
        )
        used = sum(1 for s in weekly.sections for item in s.inputs if item.usable)
        total = sum(len(s.inputs) for s in weekly.sections)
        lines.append(f"주간 보고서의 재료: 분야별 일일 보고서 {total}개 중 {used}개")
    if any(weekly.unclassified):
        lines.append(f"분야가 정해지지 않은 논문: {sum(weekly.unclassified)}편")
    return lines


def week_report_note(state: ReportState, week: str) -> str:
    """One line on a weekly report's state, in Korean (empty for a good, unflagged one)."""
    if state.status in ("failed", "ok"):
        return report_note(state)  # flags and failures read as a day's report's do
    if state.status == "stale":
        parts = []
        changes = state.changes
        if changes is not None:
            for count, label in (
                (changes.added, "새로 생긴 일별 보고서"),
                (changes.removed, "빠진 날"),
                (changes.resummarized, "바뀐 일별 보고서"),
            ):
                if count:
                    parts.append(f"{label} {count}개")
            if changes.older_prompt:
                parts.append("이전 프롬프트")
        detail = f" ({', '.join(parts)})" if parts else ""
        end = WEEK_REPORT_NOTES["stale_end"].format(week=week)
        return f"{WEEK_REPORT_NOTES['stale']}{detail} — {end}"
    return WEEK_REPORT_NOTES["pending"].format(week=week)


def _day_note(day: WeekDay) -> str:
    return one_line(day.note, limit=400) or "완료"


def _ranking_line(weekly: WeeklyDigest) -> str:
    if weekly.ranking.personal:
        return "관심 프로필과 공개 신호(Hugging Face 추천 수 등)로 고른 이번 주의 논문입니다."
    return "공개 신호(Hugging Face 추천 수, 관심 키워드, 출처의 순서)로 고른 이번 주의 논문입니다."


def _paper_view(paper: WeekPaper, emojis: dict[str, str], why: bool = False) -> WeekPaperView:
    view = paper_view(paper.item)
    return WeekPaperView(
        id=view.id,
        title=view.title,
        url=view.url,
        link_label=view.link_label,
        category=view.category,
        emoji=emojis.get(paper.item.category or "", ""),
        day=day_label(paper.day),
        upvotes=view.upvotes,
        summary=view.summary,
        note=view.note,
        why=one_line(paper.why, limit=300) if why else "",
    )


def _section_view(section: WeekSection, week: str, emojis: dict[str, str]) -> WeekSectionView:
    report = section.report
    has_text = report.status in ("ok", "stale") and bool(report.text.strip())
    per_day = " · ".join(
        f"{KOREAN_WEEKDAYS[index]} {count}" for index, count in enumerate(section.counts) if count
    )
    used = [item for item in section.inputs if item.usable]
    sources = f"일별 보고서 {len(section.inputs)}개 중 {len(used)}개"
    if used:
        sources += f" ({', '.join(item.title for item in used)})"
    sources += "를 종합했습니다."
    if section.missing:
        missing = {"pending": "대기 중", "stale": "오래됨", "failed": "실패"}
        sources += " 빠진 날: " + ", ".join(
            f"{item.title} {missing.get(item.summary_status, item.summary_status)}"
            for item in section.missing
        )
        sources += "."
    return WeekSectionView(
        emoji=emojis.get(section.category.name, ""),
        name=one_line(section.category.name, limit=80),
        total=sum(section.counts),
        per_day=per_day,
        report_status=report.status if has_text or report.status != "ok" else "failed",
        report_text=clean_text(report.text) if has_text else "",
        report_note=week_report_note(report, week),
        sources_line=sources,
        papers=[_paper_view(paper, emojis) for paper in section.papers],
    )


# --- the Markdown report --------------------------------------------------------------------


def week_report_paths(out_dir: Path, week: IsoWeek | str) -> tuple[Path, Path]:
    """Where a week's report and chart go, side by side."""
    directory = week_dir(out_dir, week)
    return directory / week_report_file_name(week), directory / week_chart_file_name(week)


def render_week_report(weekly: WeeklyDigest) -> str:
    """The week's report as Markdown: the days, the top papers, each category's week."""
    view = week_view(weekly)
    out = [
        f"# {WEEK_TITLE} : {view.week} ({view.span})"
        f"![{WEEK_CHART_ALT}]({week_chart_file_name(view.week)})",
        "",
        f"> {plain_markdown(view.overview)}",
        "",
    ]
    if view.empty:
        out += [
            f"**{view.week}: 발행할 논문이 없습니다.**",
            "",
            plain_markdown(view.empty_reason),
            "",
        ]
    out += ["## 📅 이번 주의 날들", ""]
    for label, papers, mark, note in view.days:
        line = f"- {mark} {label}: {papers}편"
        if note != "완료":
            line += f" — {plain_markdown(note)}"
        out.append(line)
    out.append("")
    if view.top:
        out += ["## 🏆 이번 주의 주요 논문", "", f"_{plain_markdown(view.ranking)}_", ""]
        for rank, paper in enumerate(view.top, 1):
            out += _top_paper_markdown(rank, paper)
    for section in view.sections:
        out += _week_section_markdown(section)
    out += ["## 📋 이 주의 현황", ""]
    out += [f"- {plain_markdown(line)}" for line in view.status_lines]
    return "\n".join(out).rstrip() + "\n"


def _top_paper_markdown(rank: int, paper: WeekPaperView) -> list[str]:
    head = f"{rank}. **{escape_markdown(paper.title)}**"
    if paper.url:
        head += f" — [{escape_markdown(paper.link_label)}]({paper.url})"
    meta = [f"{paper.emoji} {escape_markdown(paper.category)}".strip(), paper.day]
    if paper.upvotes is not None:
        meta.append(f"🤗 {paper.upvotes}")
    lines = [head + " · " + " · ".join(meta), ""]
    if paper.summary:
        lines += ["    " + plain_markdown(paper.summary).replace("\n", "\n    "), ""]
    elif paper.note:
        lines += [f"    _{plain_markdown(paper.note)}_", ""]
    if paper.why:
        lines += [f"    _{plain_markdown(paper.why)}_", ""]
    return lines


def _week_section_markdown(view: WeekSectionView) -> list[str]:
    heading = f"{view.emoji} {escape_markdown(view.name)}".strip()
    out = [f"## {heading} · {view.total}편", "", f"일별 논문 수: {view.per_day}", ""]
    out += ["**주간 요약:**", ""]
    if view.report_note:
        out += [f"_{plain_markdown(view.report_note)}_", ""]
    if view.report_text:
        out += [model_markdown(view.report_text), ""]
    out += [f"_{plain_markdown(view.sources_line)}_", "", "**출처:**", ""]
    for paper in view.papers:
        out.append(
            f" - {escape_markdown(paper.title)} ({paper.url or '링크 없음'}) · {paper.day[5:]}"
        )
    return [*out, "", ""]


# --- the web page ---------------------------------------------------------------------------


@dataclass
class WeekPageDay:
    """A day of the week on its page: linked to the day's own page when there is one."""

    label: str
    papers: int
    mark: str
    note: str
    href: str


def render_week_page(
    weekly: WeeklyDigest, config: Config, *, day_pages: Collection[date] = ()
) -> str:
    """The week as a web page, made as a day's page is (`core.channels.page`); the days in
    `day_pages` link to their pages beside it."""
    view = week_view(weekly)
    days = [
        WeekPageDay(
            label,
            papers,
            mark,
            note,
            f"../../{day.day.isoformat()}/{page_file_name(day.day)}"
            if day.day in day_pages
            else "",
        )
        for day, (label, papers, mark, note) in zip(weekly.days, view.days, strict=True)
    ]
    return (
        template_environment()
        .get_template("week_page.html")
        .render(
            title=page_title(config),
            view=view,
            days=days,
            chart_src=None if weekly.is_empty else week_chart_file_name(weekly.week),
            model=one_line(config.llm.model, limit=80),
            anchor=anchor,
            markdown_href=week_report_file_name(weekly.week),
            index_href="../../../index.html",
        )
    )


def publish_week_report(
    store: Store,
    config: Config,
    week: IsoWeek,
    *,
    out_dir: Path | str | None = None,
    weekly: WeeklyDigest | None = None,
) -> list[Path]:
    """Write the week's Markdown report, its chart, its web page and the index that lists
    it; returns [report, chart, page, index]."""
    directory = output_dir(config, out_dir)
    weekly = weekly or build_weekly(store, config, week)
    report, chart = week_report_paths(directory, week)
    write_atomic(chart, render_week_chart_png(weekly))
    write_atomic(report, render_week_report(weekly))
    day_pages = {day.day for day in weekly.days if page_path(directory, day.day).is_file()}
    page = write_atomic(
        week_page_path(directory, week), render_week_page(weekly, config, day_pages=day_pages)
    )
    return [report, chart, page, publish_index(config, directory)]


# --- the weekly feed ------------------------------------------------------------------------


def week_html(weekly: WeeklyDigest, config: Config) -> str:
    """The whole week as sanitized HTML (the weekly feed's item content)."""
    view = week_view(weekly)
    chart_url = ""
    if not weekly.is_empty:
        chart_url = (
            f"{site_url(config)}/reports/weekly/{view.week}/{week_chart_file_name(view.week)}"
        )
    rendered = (
        template_environment().get_template("feed_week.html").render(view=view, chart_url=chart_url)
    )
    return sanitize_feed_html(rendered)


def weekly_feed_files(out_dir: Path, config: Config) -> FeedFiles:
    """The weekly feed's files and URLs (beside `daily`)."""
    base = site_url(config).rstrip("/")
    relative = f"{FEEDS_DIR}/{WEEKLY_FEED}"
    return FeedFiles(
        rss=out_dir / f"{relative}.rss",
        atom=out_dir / f"{relative}.atom",
        rss_url=f"{base}/{relative}.rss",
        atom_url=f"{base}/{relative}.atom",
    )


def feed_weeks(store: Store, config: Config, also: Sequence[IsoWeek] = ()) -> list[IsoWeek]:
    """The weeks the weekly feed carries, newest first: those with weekly reports stored
    (the last `weekly.feed_weeks`), and `also`."""
    limit = weekly_options(config).feed_weeks
    found = {IsoWeek.named(week) for week in store.weekly_report_weeks(limit=limit)}
    found |= set(also)
    return sorted(found, reverse=True)[:limit]


def week_published(weekly: WeeklyDigest, config: Config) -> datetime:
    """When a week's item counts as published: its last day with papers (see
    `day_published`), its Monday when it has none."""
    days = [day.day for day in weekly.days if day.papers]
    return day_published(max(days) if days else weekly.week.monday, config)


def build_weekly_feed(weeks: list[WeeklyDigest], config: Config, files: FeedFiles):
    """The weekly feed: one item per week (newest first) with the whole week."""
    feed = _new_feed(
        config,
        files,
        feed_id=f"{ID_PREFIX}:feed:{WEEKLY_FEED}",
        title=f"{config.output.title} — 이번 주의 AI 논문",
        description="한 주의 AI 논문을 분야별로 종합한 한국어 주간 다이제스트",
    )
    newest = None
    for weekly in weeks:
        entry = feed.add_entry(order="append")
        name = str(weekly.week)
        entry.id(f"{ID_PREFIX}:week:{name}")
        count = weekly.total
        tail = f"{count}편" if count else "발행할 논문 없음"
        entry.title(f"{name} ({weekly.week.span()}) · {tail}")
        entry.link(href=week_page_url(config, name), rel="alternate")
        entry.description(xml_text(week_overview(weekly) if count else weekly.empty_reason))
        entry.content(week_html(weekly, config), type="html")
        author = digest_author(config)
        entry.author(author)
        entry.dc.dc_creator(author["name"])
        published = week_published(weekly, config)
        moments = [_stored_at(section.report.created_at) for section in weekly.sections]
        updated = day_changed(published.date(), config, moments, published)
        entry.published(published)
        entry.updated(updated)
        newest = max(newest, updated) if newest else updated
    moment = newest or day_published(date(2000, 1, 1), config)
    feed.updated(moment)
    feed.lastBuildDate(moment)
    return feed


def publish_weekly_feed(
    store: Store,
    config: Config,
    out_dir: Path | str | None = None,
    *,
    weeks: Sequence[WeeklyDigest] = (),
) -> list[Path]:
    """Write feeds/weekly.{rss,atom} over the stored weeks; `weeks` hands in weeks already
    built (and adds them when they have no weekly report stored yet)."""
    directory = output_dir(config, out_dir)
    given = {weekly.week: weekly for weekly in weeks}
    built = [
        given.get(week) or build_weekly(store, config, week)
        for week in feed_weeks(store, config, list(given))
    ]
    files = weekly_feed_files(directory, config)
    return _write(build_weekly_feed(built, config, files), files)


# --- the email --------------------------------------------------------------------------------

WEEK_COMPACT_LEVELS = 3


def week_subject(weekly: WeeklyDigest, config: Config) -> str:
    """`[Daily AI Insights] 주간 2026-W19 (2026-05-04~05-10) · 42편`."""
    title = one_line(config.output.title, limit=60) or "Daily AI Insights"
    tail = f"{weekly.total}편" if weekly.total else "발행할 논문 없음"
    return f"[{title}] 주간 {weekly.week} ({weekly.week.span()}) · {tail}"


def render_week_email(
    weekly: WeeklyDigest,
    config: Config,
    *,
    chart_src: str | None = None,
    compact: int = 0,
    unsubscribe: str | None = None,
) -> tuple[str, str]:
    """The weekly email's plain text and HTML. `compact` 1 leaves out each category's paper
    list, 2 also the top papers' summaries (the report and the feed keep everything)."""
    context = {
        "subject": week_subject(weekly, config),
        "title": one_line(config.output.title, limit=60) or "Daily AI Insights",
        "view": week_view(weekly),
        "chart_src": chart_src,
        "report_styles": REPORT_STYLES,
        "summary_style": SUMMARY_STYLE,
        "report_url": shared_week_url(config, weekly.week),
        "unsubscribe": _unsubscribe_text(config) if unsubscribe is None else unsubscribe,
        "model": one_line(config.llm.model, limit=80),
        "compact": compact,
    }
    html = template_environment().get_template("week_email.html").render(context)
    return render_week_text(context), html


def render_week_text(context: dict) -> str:
    """The weekly email's plain-text part, as the day's is written: lines of at most 76
    columns, headings as underlined text, and every link listed at the end by number."""
    view: WeekView = context["view"]
    compact, links = context["compact"], LinkList()
    out = [
        *wrap(f"{context['title']} · 이번 주의 AI 논문 · {view.week} ({view.span})"),
        *wrap(view.overview),
        "=" * WIDTH,
        "",
    ]
    if view.empty:
        out += ["발행할 논문이 없습니다.", *wrap(view.empty_reason), ""]
    site = context["report_url"]
    if compact:
        where = f"전체 주간 보고서 {links.ref(site)}" if site else "주간 보고서와 피드"
        out += [*wrap(f"메일이 너무 길어 일부를 뺐습니다. 전체 내용은 {where}에 있습니다."), ""]
    if view.gaps:
        out += heading("📅 빠진 날")
        for line in view.gaps:
            out += wrap(line, first="- ", indent="  ")
        out.append("")
    if view.top:
        out += heading("🏆 이번 주의 주요 논문")
        out += [*wrap(view.ranking), ""]
        for number, paper in enumerate(view.top, 1):
            mark = f"{number}. "
            hang = " " * len(mark)
            out += wrap(f"{paper.title} {links.ref(paper.url)}", first=mark, indent=hang)
            meta = [f"{paper.emoji} {paper.category}".strip(), paper.day]
            if paper.upvotes is not None:
                meta.append(f"🤗 {paper.upvotes}")
            out += wrap(" · ".join(meta), indent=hang)
            if paper.summary and compact < 2:
                out += wrap(paper.summary, indent=hang)
            elif paper.note:
                out += wrap(paper.note, indent=hang)
            if paper.why:
                out += wrap(paper.why, indent=hang)
            out.append("")
    for section in view.sections:
        out += ["", *heading(f"{section.emoji} {section.name} · {section.total}편", "=")]
        out += [*wrap(f"일별 논문 수: {section.per_day}"), ""]
        if section.report_note:
            out += wrap(section.report_note)
        if section.report_text:
            out += ["", *markdown_text(section.report_text)]
        out += ["", *wrap(section.sources_line), ""]
        if not compact:
            for paper in section.papers:
                out += wrap(
                    f"{paper.title} {links.ref(paper.url)} · {paper.day}", first="* ", indent="  "
                )
            out.append("")
    out += ["", *heading("📋 이 주의 현황")]
    for line in view.status_lines:
        out += wrap(line, first="- ", indent="  ")
    out += [
        "",
        *wrap(
            f"주간 보고서는 로컬 모델({context['model']})이 분야별 일일 보고서를 종합해 썼습니다."
        ),
    ]
    if site:
        out += wrap(f"전체 주간 보고서: {links.ref(site)}")
    if context["unsubscribe"]:
        out += wrap(f"수신 거부: {links.ref(context['unsubscribe'])}")
    if links.urls:
        out += ["", *heading("링크"), *links.lines()]
    return "\n".join(out).rstrip() + "\n"


def build_week_message(
    weekly: WeeklyDigest,
    config: Config,
    recipient: str,
    chart_png: bytes | None,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """The week as one recipient's message, ready to send or save as .eml."""
    envelope = Envelope.for_recipient(config, recipient, with_chart=chart_png is not None)
    for compact in range(WEEK_COMPACT_LEVELS):
        text, html = render_week_email(
            weekly,
            config,
            chart_src=envelope.chart_src,
            compact=compact,
            unsubscribe=envelope.unsubscribe,
        )
        cte, size = transfer_encoded(html)  # what Gmail counts: the part as sent
        if size <= HTML_LIMIT_BYTES:
            break
    return envelope.message(
        config,
        subject=week_subject(weekly, config),
        name=str(weekly.week),
        text=text,
        html=html,
        html_cte=cte,
        chart_png=chart_png,
        chart_file=week_chart_file_name(weekly.week),
        now=now,
    )


async def send_week(
    store: Store,
    config: Config,
    weekly: WeeklyDigest,
    *,
    recipients: Sequence[str] | None = None,
    force: bool = False,
    password: str | None = None,
    tls_context: ssl.SSLContext | None = None,
    now: datetime | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> DeliveryReport:
    """Send the week to each recipient who has not had it (all, with `force`), once each.

    The ledger and its claims are the day's (`send_messages`), under the channel
    `email-weekly` dated on the week's Monday. An empty week is sent only with
    `email.send_empty`.
    """
    if weekly.is_empty and not config.email.send_empty:
        report = DeliveryReport(day=weekly.week.monday)
        report.note = (
            f"{weekly.week}: nothing to publish ({weekly.empty_reason}); no email sent because "
            "email.send_empty is false"
        )
        return report
    chart: list[bytes | None] = []

    def compose(recipient: str) -> EmailMessage:
        if not chart:
            chart.append(render_week_chart_png(weekly) if not weekly.is_empty else None)
        return build_week_message(weekly, config, recipient, chart[0], now=now)

    return await send_messages(
        store,
        config,
        weekly.week.monday,
        compose,
        channel=WEEKLY_EMAIL_CHANNEL,
        recipients=recipients,
        force=force,
        password=password,
        tls_context=tls_context,
        on_progress=on_progress,
    )


__all__ = [
    "WeekView",
    "build_week_message",
    "build_weekly_feed",
    "publish_week_report",
    "publish_weekly_feed",
    "render_week_email",
    "render_week_page",
    "render_week_report",
    "send_week",
    "week_html",
    "week_report_paths",
    "week_view",
]
