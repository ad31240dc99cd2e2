"""The weekly digest: each category's week synthesised from its days' reports.

A week is an ISO week (`2026-W19`, Monday to Sunday). Its digest is read from the seven
days' digests (`core.digest.build_digest`), so the week never disagrees with the days:

- Each category's week is one model request over that week's *daily category reports* —
  never the papers again. The inputs are the days' reports that are current (a pending,
  failed or stale day report is left out, and the week says which days and why), each
  without its sentences holding numbers not in that day's abstracts. The answer passes the
  same Korean gate as a daily report (`core.quality.check_report`), its numbers checked
  against the abstracts of the week's papers and the week's own counts and dates; an answer
  that fails is stored as failed with the reason, never faked.
- Whether a weekly report is current is decided exactly as for a day's report
  (`core.digest.report_state`, under WEEKLY_PROMPT_VERSION, the days' reports as inputs):
  a day's report written again makes the week stale, and the next run writes it again.
- The week's top papers are ranked over every paper the days selected, by the public signals,
  or by the reader's interest profile when there is one (`core.rank`).
- A day without papers, or with reports missing, is named with why (weekend, never fetched,
  every source failed, a category report pending or failed).

`dailyai run` publishes the week on the configured weekday (`[weekly]`); `dailyai report`,
`email` and `rss --week` publish any week.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.announcements import FIRST_DAY, TODAY_ENV, current_day
from core.config import CategoryConfig, Config, ranged
from core.digest import (
    Digest,
    DigestPaper,
    ReportInput,
    ReportState,
    build_digest,
    rank_day,
    rank_text,
    report_inputs_hash,
    report_state,
)
from core.errors import ConfigError, ModelError
from core.i18n import _, status_name
from core.llm import ModelClient, PromptTooLongError, make_client
from core.progress import StepProgress
from core.prompts import WEEKLY_PROMPT_VERSION, short_name, weekly_messages
from core.quality import (
    GateResult,
    check_report,
    invented_numbers,
    numbers_in,
    split_sentences,
)
from core.rank import RankingInfo, make_ranker
from core.sanitize import one_line
from core.store import Store, StoredReport, model_work_claim
from core.summarize import HostTrail, clean_report, prompt_cut

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""How `[weekly] weekday` names the days (Monday first, as ISO weeks count)."""
KOREAN_WEEKDAYS = "월화수목금토일"
ProgressCallback = Callable[[Any], None]


# --- the configuration ------------------------------------------------------------------------


@dataclass
class WeeklyOptions:
    """The keys of `[weekly]` (their defaults and documentation: core/default_config.toml)."""

    enabled: bool
    weekday: str
    top_papers: int = ranged(1, 100)
    feed_weeks: int = ranged(1, 520)


def weekly_options(config: Config) -> WeeklyOptions:
    """`[weekly]` of the config, its weekday checked (a ConfigError names the line)."""
    options = config.section("weekly", WeeklyOptions)
    weekday = options.weekday.strip().lower()[:3]
    if weekday not in WEEKDAYS:
        raise config.key_error(
            ["weekly", "weekday"],
            _("{value!r} is not a weekday — use one of {days}").format(
                value=one_line(options.weekday, limit=40), days=", ".join(WEEKDAYS)
            ),
        )
    options.weekday = weekday
    return options


# --- ISO weeks ------------------------------------------------------------------------------

_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


def weeks_in_year(year: int) -> int:
    """How many ISO weeks `year` has (52 or 53): the week of 28 December is its last."""
    return date(year, 12, 28).isocalendar().week


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO week: Monday to Sunday, named `2026-W19`."""

    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The week `day` falls in."""
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    @classmethod
    def parse(cls, text: str, *, today: date | None = None) -> IsoWeek:
        """A `--week` value: YYYY-Www, "this" or "last"; a ConfigError says what is wrong.

        The week must have begun (by `today`, US Eastern as for `--date`) and end after
        arXiv began.
        """
        today = today or current_day()
        this = cls.of(today)
        lowered = text.strip().lower()
        if lowered == "this":
            return this
        if lowered == "last":
            return this.previous()
        shown = one_line(text, limit=40)
        match = _WEEK.match(text.strip())
        if match is None:
            raise ConfigError(
                _(
                    "--week {shown!r}: not an ISO week — use YYYY-Www (e.g. {this}), this or last"
                ).format(shown=shown, this=this)
            )
        year, number = int(match.group(1)), int(match.group(2))
        if year < FIRST_DAY.year or year > 9998:
            raise ConfigError(
                _(
                    "--week {shown}: {year} is out of range — use a week from {first_week} to {this}"
                ).format(shown=shown, year=year, first_week=cls.of(FIRST_DAY), this=this)
            )
        last = weeks_in_year(year)
        if not 1 <= number <= last:
            raise ConfigError(
                _(
                    "--week {shown}: {year} has {last} ISO weeks — use {year}-W01 to {year}-W{last}"
                ).format(shown=shown, year=year, last=last)
            )
        week = cls(year, number)
        if week.monday > today + timedelta(days=1):
            raise ConfigError(
                _("--week {week}: has not begun (this week is {this}) — no papers yet").format(
                    week=week, this=this
                )
            )
        if week.sunday < FIRST_DAY:
            raise ConfigError(
                _(
                    "--week {week}: is before arXiv began ({first_day:%Y-%m}) — no papers then"
                ).format(week=week, first_day=FIRST_DAY)
            )
        return week

    @classmethod
    def named(cls, name: str) -> IsoWeek:
        """The week a stored name (`2026-W19`) stands for (no bounds: it was checked)."""
        year, _dash, number = name.partition("-W")
        return cls(int(year), int(number))

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def days(self) -> list[date]:
        """Monday to Sunday."""
        return [self.monday + timedelta(days=offset) for offset in range(7)]

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(days=7))

    def span(self) -> str:
        """`2026-05-04~05-10`: the week's dates, for titles (ASCII, so a mail subject folds
        it without losing a space)."""
        return f"{self.monday.isoformat()}~{self.sunday:%m-%d}"

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def day_label(day: date) -> str:
    """`2026-05-04 (월)`."""
    return f"{day.isoformat()} ({KOREAN_WEEKDAYS[day.weekday()]})"


def local_today(config: Config) -> date:
    """Today where the reader lives (general.timezone); `$DAILYAI_TODAY` fixes it, as it
    fixes `current_day`, so a replayed day decides the weekday too."""
    if os.environ.get(TODAY_ENV, "").strip():
        return current_day()
    return datetime.now(ZoneInfo(config.general.timezone)).date()


def week_due(config: Config, run_day: date, local_day: date) -> IsoWeek | None:
    """The week a daily run publishes, or None when `local_day` is not `[weekly] weekday`.

    `local_day` is the date where the reader lives (the config's time zone): the run on that
    weekday publishes the latest week whose announcement days (Monday to Friday) are all in
    by `run_day` — the week of `run_day` from its Friday on, else the week before.
    """
    options = weekly_options(config)
    if not options.enabled or WEEKDAYS[local_day.weekday()] != options.weekday:
        return None
    week = IsoWeek.of(run_day)
    return week if run_day.weekday() >= 4 else week.previous()


# --- the week's read model ------------------------------------------------------------------


@dataclass
class WeekDay:
    """One day of the week as the weekly digest reports it."""

    day: date
    digest: Digest | None
    """None for a day that has not come yet."""
    status: str
    """ok (every category report current), partial (some are not, or papers lack a
    category), empty (nothing to publish: weekend, holiday), missing (never fetched),
    failed (its fetch failed), future."""
    note: str = ""
    """Why, in Korean (empty when ok), as the published week says it."""
    reason: str = ""
    """Why, in English as the ledger's reasons are (empty when ok): the CLI and the TUI show
    it through `core.channels.wording.interface_text`, whose rules say it in Korean."""

    @property
    def papers(self) -> int:
        return len(self.digest.selected) if self.digest is not None else 0


@dataclass
class WeekPaper:
    """A paper of the week, with the day that selected it."""

    day: date
    item: DigestPaper
    why: str = ""
    """Why it ranks among the week's top papers (Korean, from the profile; may be empty)."""

    @property
    def paper(self):
        return self.item.paper


@dataclass
class WeekSection:
    """One category's week: its papers by day, its days' reports and its weekly report."""

    category: CategoryConfig
    counts: list[int]
    """Its papers on each day, Monday to Sunday."""
    papers: list[WeekPaper]
    inputs: list[ReportInput]
    """One per day the category had papers: that day's report as the week is written from
    it (`paper_id` holds the day, `summary` the report, `summary_status` its status)."""
    titles: dict[str, list[str]]
    """The category's paper titles of each day (by ISO date), as the prompt names them."""
    report: ReportState

    @property
    def missing(self) -> list[ReportInput]:
        """The days whose report the week could not be written from."""
        return [item for item in self.inputs if not item.usable]


@dataclass
class WeeklyDigest:
    """Everything published for one week."""

    week: IsoWeek
    days: list[WeekDay]
    sections: list[WeekSection]
    """Categories with papers this week, in taxonomy order."""
    top: list[WeekPaper]
    """The week's best papers (signals, or the reader's profile), best first."""
    ranking: RankingInfo
    taxonomy: list[CategoryConfig]
    unclassified: list[int] = field(default_factory=lambda: [0] * 7)
    """Selected papers without a category, per day."""

    @property
    def total(self) -> int:
        return sum(day.papers for day in self.days)

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def gaps(self) -> list[WeekDay]:
        """The days that are not complete, each with why."""
        return [day for day in self.days if day.status != "ok"]

    @property
    def empty_reason(self) -> str:
        """Why the week has nothing to publish (Korean), or ""."""
        if not self.is_empty:
            return ""
        return "이 주에 발행된 논문이 없습니다: " + "; ".join(
            f"{day_label(day.day)} {day.note}" for day in self.days if day.note
        )


def build_weekly(
    store: Store, config: Config, week: IsoWeek, *, today: date | None = None
) -> WeeklyDigest:
    """The weekly digest of `week` from whatever the store holds now."""
    today = today or current_day()
    days = []
    for day in week.days:
        if day > today:
            days.append(WeekDay(day, None, "future", "아직 오지 않은 날입니다", "not come yet"))
            continue
        digest = build_digest(store, config, day)
        days.append(WeekDay(day, digest, *_day_status(digest)))
    stored = _by_category(store.weekly_reports(str(week), config.llm.model))
    names = {category.name for category in config.taxonomy.categories}
    sections = []
    for category in config.taxonomy.categories:
        counts, papers, inputs, titles = [0] * 7, [], [], {}
        for index, week_day in enumerate(days):
            digest = week_day.digest
            of_day = digest.sections if digest is not None else []
            section = next((s for s in of_day if s.category.name == category.name), None)
            if section is None:
                continue
            counts[index] = len(section.papers)
            papers += [WeekPaper(week_day.day, item) for item in section.papers]
            inputs.append(day_report_input(week_day.day, section.papers, section.report))
            titles[week_day.day.isoformat()] = [item.paper.title for item in section.papers]
        if not papers:
            continue
        report = report_state(
            stored.get(category.name, []),
            category.name,
            inputs,
            prompt_version=WEEKLY_PROMPT_VERSION,
        )
        sections.append(WeekSection(category, counts, papers, inputs, titles, report))
    unclassified = [
        sum(1 for item in day.digest.selected if item.category not in names) if day.digest else 0
        for day in days
    ]
    top, ranking = _top_papers(store, config, week, days, weekly_options(config).top_papers)
    return WeeklyDigest(
        week=week,
        days=days,
        sections=sections,
        top=top,
        ranking=ranking,
        taxonomy=list(config.taxonomy.categories),
        unclassified=unclassified,
    )


def day_report_input(day: date, papers: Sequence[DigestPaper], report: ReportState) -> ReportInput:
    """A day's category report as the week is written from it.

    Only a current report that passed the gate is usable, without its sentences whose
    numbers are not in that day's abstracts (as a day's report leaves out such sentences of
    its summaries).
    """
    source = "\n".join(
        [str(len(papers)), *(f"{p.paper.title}\n{p.paper.abstract}" for p in papers)]
    )
    key, label = day.isoformat(), day_label(day)
    if report.status == "ok" and report.text.strip():
        text, left_out = faithful_report(report.text, source)
        if text.strip():
            return ReportInput(key, label, source, "ok", text, tuple(left_out))
        return ReportInput(key, label, source, "failed")
    status = "failed" if report.status == "ok" else report.status
    return ReportInput(key, label, source, status)


def faithful_report(text: str, source: str) -> tuple[str, list[str]]:
    """A report (Markdown) without its sentences that hold numbers not in `source`.

    Line by line, so headings and list items keep their shape; (text, the numbers).
    """
    invented = invented_numbers(text, source)
    if not invented:
        return text, []
    lines = []
    for line in text.split("\n"):
        if not any(number in invented for number in numbers_in(line)):
            lines.append(line)
            continue
        kept = [
            sentence
            for sentence in split_sentences(line)
            if not any(number in invented for number in numbers_in(sentence))
        ]
        if kept and not re.fullmatch(r"[-*#\s]*", " ".join(kept)):
            lines.append(" ".join(kept))
    return "\n".join(lines), invented


def _day_status(digest: Digest) -> tuple[str, str, str]:
    """(status, why in Korean for the published week, why in English for the ledger's
    wording rules); the two say the same thing."""
    day = digest.day
    if digest.is_empty:
        if day.weekday() >= 5:
            return (
                "empty",
                "주말 — arXiv는 토·일요일에 새 논문을 발표하지 않습니다",
                "weekend — arXiv announces nothing on Saturdays and Sundays",
            )
        if digest.last_run is None:
            command = f"dailyai run --date {day.isoformat()}"
            return "missing", f"수집하지 않은 날입니다 ({command})", f"not fetched ({command})"
        failed = [s for s in digest.last_run.steps if s.step == "fetch" and s.status == "failed"]
        status = "failed" if failed else "empty"
        reason = one_line(digest.empty_reason, limit=300)
        return (
            status,
            f"발행할 논문이 없습니다: {reason or '수집된 논문이 없습니다'}",
            f"nothing to publish: {reason or 'no papers fetched'}",
        )
    notes, reasons = [], []
    for section in digest.sections:
        report = section.report
        if report.status == "ok" and report.text.strip():
            continue
        status = report.status if report.status in ("pending", "stale") else "failed"
        what = {"pending": "대기 중", "stale": "오래됨", "failed": "실패"}[status]
        why = ""
        if report.status == "failed" and report.reason:
            why = f": {one_line(report.reason, limit=120)}"
        name = one_line(section.category.name, limit=60)
        notes.append(f"{name} ({what}{why})")
        reasons.append(f"{name} ({status}{why})")
    parts, english = [], []
    if notes:
        parts.append("분야별 일일 보고서가 없는 분야: " + ", ".join(notes))
        english.append("no current daily report in: " + ", ".join(reasons))
    if digest.unclassified:
        count, command = len(digest.unclassified), f"dailyai classify --date {day}"
        parts.append(f"분야가 정해지지 않은 논문 {count}편 ({command})")
        english.append(f"{count} papers without a category ({command})")
    return ("partial", "; ".join(parts), "; ".join(english)) if parts else ("ok", "", "")


def _by_category(reports: Sequence[StoredReport]) -> dict[str, list[StoredReport]]:
    found: dict[str, list[StoredReport]] = {}
    for report in reports:
        found.setdefault(report.category, []).append(report)
    return found


def _top_papers(
    store: Store, config: Config, week: IsoWeek, days: Sequence[WeekDay], limit: int
) -> tuple[list[WeekPaper], RankingInfo]:
    """The week's best `limit` papers among every day's selection, and how they were ranked."""
    chosen: dict[str, WeekPaper] = {}
    for week_day in days:
        for item in week_day.digest.selected if week_day.digest else ():
            chosen.setdefault(item.paper.id, WeekPaper(week_day.day, item))
    if not chosen:
        return [], RankingInfo(False)
    entries = [paper.item.entry for paper in chosen.values()]
    categories = {
        paper_id: paper.item.category for paper_id, paper in chosen.items() if paper.item.category
    }
    candidates = [rank_text(entry, categories.get(entry.paper.id)) for entry in entries]
    last = max(paper.day for paper in chosen.values())
    ranker = make_ranker(store, config, last, candidates)
    ranked = rank_day(entries, config, ranker, categories)
    top = []
    for item in ranked[:limit]:
        paper = chosen[item.entry.paper.id]
        top.append(WeekPaper(paper.day, paper.item, item.why))
    return top, ranker.info


# --- writing the weekly reports ------------------------------------------------------------


@dataclass
class WeekStats:
    """What one synthesis of a week did (for the run ledger and the command's summary)."""

    week: str
    written: int = 0
    failed: int = 0
    cached: int = 0
    pending: int = 0
    """Categories left without a current weekly report (the model stopped, or is busy)."""
    requests: int = 0
    stopped_reason: str = ""

    @property
    def status(self) -> str:
        if self.stopped_reason and not self.written:
            return "failed"
        if self.stopped_reason or self.failed or self.pending:
            return "partial"
        return "ok"

    def as_counts(self) -> dict[str, int]:
        return {
            "written": self.written,
            "failed": self.failed,
            "cached": self.cached,
            "pending": self.pending,
            "requests": self.requests,
        }


async def synthesize_week(
    store: Store,
    config: Config,
    week: IsoWeek,
    *,
    client: ModelClient | None = None,
    force: bool = False,
    today: date | None = None,
    on_progress: ProgressCallback | None = None,
) -> WeekStats:
    """Write each category's weekly report that is not current (all, with `force`).

    One request per category (retried by the gate as a day's report is); up to
    `llm.parallel` at once. With nothing changed no request is sent. When no model host
    answers, the run stops, keeps what was written, and says why in `stopped_reason` (the
    rest stays pending). One process at a time writes a week (the week's model-work claim).
    """
    report = on_progress or (lambda event: None)
    weekly = await asyncio.to_thread(build_weekly, store, config, week, today=today)
    todo = [s for s in weekly.sections if force or s.report.status != "ok"]
    stats = WeekStats(str(week), cached=len(weekly.sections) - len(todo))
    if not todo:
        current = _("{week}: every weekly report is current").format(week=week)
        report(StepProgress("weekly", current, 0, 0))
        return stats
    holder = f"weekly:{uuid.uuid4().hex}"
    other = await asyncio.to_thread(store.claim, model_work_claim(str(week)), holder)
    if other is not None:
        stats.pending = len(todo)
        stats.stopped_reason = f"{other.describe()} is writing the weekly reports of {week}"
        return stats
    own = client is None
    client = client or make_client(config)
    requests_before = client.requests
    try:
        await client.ensure_ready()
        slots = asyncio.Semaphore(max(1, client.parallel))
        done = 0

        async def write(section: WeekSection) -> None:
            nonlocal done
            async with slots:
                if stats.stopped_reason:
                    return
                name = section.category.name
                try:
                    status, _trail = await _write_week_report(store, config, client, week, section)
                except PromptTooLongError as error:
                    await asyncio.to_thread(_save_failure, store, config, week, section, str(error))
                    status = "failed"
                except ModelError as error:
                    stats.stopped_reason = str(error)
                    return
                if status == "ok":
                    stats.written += 1
                else:
                    stats.failed += 1
                done += 1
                said = _("{week} {category}: {status}").format(
                    week=week, category=name, status=status_name(status)
                )
                report(StepProgress("weekly", said, done, len(todo)))

        await asyncio.gather(*(write(section) for section in todo))
    except ModelError as error:
        stats.stopped_reason = str(error)
    finally:
        stats.requests = client.requests - requests_before
        await asyncio.to_thread(store.release_claims, holder)
        if own:
            await client.aclose()
    stats.pending = len(todo) - stats.written - stats.failed
    return stats


def _key(config: Config, week: IsoWeek, section: WeekSection) -> dict[str, Any]:
    name = section.category.name
    return {
        "model": config.llm.model,
        "prompt_version": WEEKLY_PROMPT_VERSION,
        "inputs_hash": report_inputs_hash(name, section.inputs),
        "inputs": [(item.paper_id, item.state) for item in section.inputs],
    }


def _save_failure(
    store: Store, config: Config, week: IsoWeek, section: WeekSection, reason: str
) -> None:
    store.save_weekly_report(
        str(week),
        section.category.name,
        **_key(config, week, section),
        status="failed",
        reason=reason,
        attempts=0,
    )


# The ways a day's report is shortened to fit num_ctx, from whole to least.
_SHORTER = (
    None,
    ("주요 주제 및 경향", "결론"),
    ("결론",),
)


def report_sections(text: str, keep: Sequence[str]) -> str:
    """Only the `####` sections of a report whose titles are in `keep` (for a short prompt);
    the whole text when it has none of them."""
    parts = re.split(r"(?m)^(?=#{1,6}\s)", text)
    kept = [
        part.strip()
        for part in parts
        if (heading := re.match(r"#{1,6}\s*(.*)", part)) and heading.group(1).strip() in keep
    ]
    return "\n\n".join(kept) if kept else text


def _fit_week(
    client: ModelClient,
    category: str,
    week: IsoWeek,
    usable: Sequence[ReportInput],
    titles: dict[str, list[str]],
    glossary: dict[str, str],
    retry: list[tuple[str, str]],
    scale: float,
) -> tuple[list[dict[str, str]], list[ReportInput], list[str]]:
    """Messages for a weekly report that fit num_ctx; (messages, days sent, flags).

    A long week is shortened step by step: each day's report cut to its trends and its
    conclusion, then to its conclusion alone, then the oldest days left out.
    """
    room = (client.config.num_ctx - client.config.num_predict) * scale
    for days in range(len(usable), 0, -1):
        sent = list(usable[len(usable) - days :])
        for level, keep in enumerate(_SHORTER):
            triples = [
                (
                    item.title,
                    titles.get(item.paper_id, []),
                    item.summary if keep is None else report_sections(item.summary, keep),
                )
                for item in sent
            ]
            messages = weekly_messages(
                category, str(week), triples, glossary=glossary, retry_problems=retry
            )
            if client.prompt_size(messages) <= room:
                flags = []
                if level:
                    flags.append("built from shortened daily reports to fit num_ctx")
                if days < len(usable):
                    flags.append(f"{len(usable) - days} earlier days left out to fit num_ctx")
                return messages, sent, flags
    raise PromptTooLongError(
        _(
            "even one day's report does not fit llm.num_ctx = {num_ctx} for a weekly report —"
            " raise num_ctx"
        ).format(num_ctx=client.config.num_ctx)
    )


async def _write_week_report(
    store: Store,
    config: Config,
    client: ModelClient,
    week: IsoWeek,
    section: WeekSection,
    *,
    on_token: Callable[[str], None] | None = None,
) -> tuple[str, HostTrail]:
    """Write (and store) a category's weekly report from its days' reports; its status."""
    name = section.category.name
    key = _key(config, week, section)
    usable = [item for item in section.inputs if item.usable]
    if not usable:
        reason = (
            "no day of this category has a current category report to build the week from "
            "(run dailyai summarize for its days)"
        )
        await asyncio.to_thread(
            store.save_weekly_report,
            str(week),
            name,
            **key,
            status="failed",
            reason=reason,
            attempts=0,
        )
        return "failed", HostTrail()
    glossary = config.summaries.glossary
    retry: list[tuple[str, str]] = []
    scale = 1.0
    trail = HostTrail()
    best: tuple[str, GateResult, list[str], list[str]] | None = None
    last_reason = ""
    attempt = 0
    for _attempt in range(max(1, config.summaries.max_attempts)):
        attempt += 1
        messages, sent, fit_flags = _fit_week(
            client, name, week, usable, section.titles, glossary, retry, scale
        )
        result = await client.chat(messages, on_token=on_token)
        trail.add(result)
        text = clean_report(result.text)
        titles = [title for item in sent for title in section.titles.get(item.paper_id, [])]
        gate = check_report(
            text,
            titles=titles,
            abstracts=[*(item.abstract for item in sent), _week_facts(week, section, sent)],
            paper_count=len(titles),
            paper_names=[short_name(title) for title in titles],
            min_hangul_ratio=config.summaries.min_hangul_ratio,
            glossary=glossary,
        )
        if result.truncated:
            scale *= 0.6
            gate.problems.append(prompt_cut(result))
        days = [item.paper_id for item in sent]
        if gate.ok and (best is None or len(gate.flags) < len(best[1].flags)):
            best = (text, gate, days, fit_flags + _input_flags(sent))
            trail.keep(result)
        if gate.clean:
            break
        last_reason = gate.reason or "; ".join(gate.flag_texts)
        retry = [
            (problem.code, problem.detail.split(": ", 1)[-1])
            for problem in (*gate.problems, *gate.flags)
        ]
    if best is None:
        await asyncio.to_thread(
            store.save_weekly_report,
            str(week),
            name,
            **key,
            status="failed",
            reason=last_reason,
            days=[item.paper_id for item in usable],
            attempts=attempt,
        )
        return "failed", trail
    text, gate, days, flags = best
    await asyncio.to_thread(
        store.save_weekly_report,
        str(week),
        name,
        **key,
        status="ok",
        text=text,
        flags=gate.flag_texts + flags,
        days=days,
        attempts=attempt,
    )
    return "ok", trail


def _week_facts(week: IsoWeek, section: WeekSection, sent: Sequence[ReportInput]) -> str:
    """The numbers a weekly report may state besides its papers': the week, its dates, the
    category's paper counts (each day's and the total) and how many days it was given."""
    counts = [str(count) for count in section.counts if count]
    return " ".join(
        [
            str(week),
            str(week.week),
            *(day.isoformat() for day in week.days),
            *counts,
            str(sum(section.counts)),
            str(len(sent)),
        ]
    )


def _input_flags(sent: Sequence[ReportInput]) -> list[str]:
    cut = [item.paper_id for item in sent if item.left_out]
    if not cut:
        return []
    return [
        "built without the sentences of the daily reports of "
        + ", ".join(cut)
        + " that hold numbers not in their abstracts"
    ]


__all__ = [
    "IsoWeek",
    "WeekDay",
    "WeekPaper",
    "WeekSection",
    "WeekStats",
    "WeeklyDigest",
    "WeeklyOptions",
    "build_weekly",
    "day_label",
    "faithful_report",
    "local_today",
    "synthesize_week",
    "week_due",
    "weekly_options",
]
