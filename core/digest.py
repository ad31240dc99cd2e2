"""The day's digest: which papers are selected, in which category, with which summaries.

This is the read model every output shares (the Markdown report, the feeds, the email and
the TUI): one call, `build_digest`, gathers a day's papers with their classification, their
summary state and their category's report, so no front end assembles it differently. What
is current is decided here once (`summary_states`, `report_state`), for what is shown and
for what `dailyai summarize` plans to write; `category_trend` counts days as the day view
does.

Selection: a weekday brings hundreds of arXiv papers and a laptop model writes one summary
every 10–30 s, so the digest holds the day's top `digest.size` papers — those listed on
Hugging Face Daily Papers first (by upvotes), then arXiv papers matching the user's interest
keywords and authors, then the rest in the order their source listed them. When the reader
has an interest profile (and `digest.personal` is on), the papers are ranked instead by the
blended score of `core.rank` (relevance to the profile plus those signals), the signals'
order breaking ties. Every ranked paper carries a Korean line saying why it is where it is,
and a starred paper that changed that day (`core.follow`) carries what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from core.config import CategoryConfig, Config
from core.follow import FollowUpdate, followed_updates
from core.models import Paper, SummaryStatus
from core.prompts import REPORT_PROMPT_VERSION, SUMMARY_PROMPT_VERSION, abstract_hash, text_hash
from core.quality import faithful_sentences
from core.rank import Ranker, RankingInfo, RankText, make_ranker
from core.store import (
    Classification,
    DayPaper,
    ReaderState,
    Run,
    Store,
    StoredReport,
    StoredSummary,
)


@dataclass
class SummaryState:
    """A paper's Korean summary as the digest shows it.

    `status` is "ok" (text is a summary that passed the Korean gate), "failed" (reason says
    why; text is empty — the English abstract is never shown in its place), "stale" (made
    for an older prompt or abstract, text still shown) or "pending" (not made yet).
    `summary_states` decides it.
    """

    status: str
    text: str = ""
    reason: str = ""
    flags: list[str] = field(default_factory=list)
    model: str | None = None
    created_at: str = ""
    """When the summary (or its failure) was stored, ISO 8601 UTC; empty when pending."""
    attempts: int = 0


@dataclass
class ReportChanges:
    """How a stale report's inputs differ from its category now (for the reader's note)."""

    older_prompt: bool = False
    added: int = 0
    """Papers in the category now that the report was not written with."""
    removed: int = 0
    """Papers the report was written with that are no longer in the category."""
    resummarized: int = 0
    """Papers of both whose summary changed since (or is to be written again)."""


@dataclass
class ReportState:
    """A category's Korean synthesis report for the day, with the same statuses.

    "ok" and "failed" only when the report was written from exactly the category's papers
    and their summaries as they are now (`report_state` decides); else "stale" (the old text
    is still shown, `changes` says what differs) or "pending".
    """

    status: str
    text: str = ""
    reason: str = ""
    flags: list[str] = field(default_factory=list)
    """What a reader should check (numbers not in the abstracts, papers left out to fit)."""
    paper_ids: list[str] = field(default_factory=list)
    """The papers the model was given."""
    created_at: str = ""
    changes: ReportChanges | None = None


@dataclass
class DigestPaper:
    """A paper in the day's digest (or one of the day's other papers)."""

    entry: DayPaper
    classification: Classification | None
    summary: SummaryState
    selected: bool
    rank: int
    """Position in the day's ranking (0 = first)."""
    rank_reason: str = ""
    starred: bool = False
    """The reader likes it (a star, or a seed of the interest profile)."""
    read: bool = False
    disliked: bool = False
    """The reader marked it "not interested"."""
    score: float = 0.0
    """The blended score it was ranked by (the signals' score without a profile)."""
    why: str = ""
    """Why it is here, in one Korean line built from the evidence (untrusted titles inside:
    escape it like any other text)."""
    eligible: bool = False
    """Ranked for the digest (not seen before, not just a new version)."""
    update: FollowUpdate | None = None
    """What changed that day, for a starred paper with a new version or an acceptance."""

    @property
    def paper(self):
        return self.entry.paper

    @property
    def category(self) -> str | None:
        return self.classification.category if self.classification else None


@dataclass
class CategorySection:
    """One category of the day: its selected papers and its synthesis report."""

    category: CategoryConfig
    papers: list[DigestPaper]
    report: ReportState
    inputs: list[ReportInput] = field(default_factory=list)
    """What the category's report is to be written from now (its papers and summaries)."""


@dataclass
class Digest:
    """Everything published for one day."""

    day: date
    sections: list[CategorySection]
    """Categories with selected papers, in taxonomy order; unclassified papers last."""
    selected: list[DigestPaper]
    others: list[DigestPaper]
    """The day's papers outside the selection (browsable, summarized on demand)."""
    unclassified: list[DigestPaper]
    """Selected papers that have no category yet."""
    last_run: Run | None
    empty_reason: str = ""
    taxonomy: list[CategoryConfig] = field(default_factory=list)
    """Every category of the config in order (outputs keep a category's colour by it)."""
    ranking: RankingInfo = field(default_factory=lambda: RankingInfo(False))
    """How the day was ranked: by the interest profile (which method) or by the signals."""
    followed: list[FollowUpdate] = field(default_factory=list)
    """Starred papers that got a new version or an acceptance on this day."""

    @property
    def is_empty(self) -> bool:
        return not self.selected

    @property
    def for_you(self) -> list[DigestPaper]:
        """The day's rankable papers, best first ("For you"), each with its why line."""
        return sorted(
            (p for p in (*self.selected, *self.others) if p.eligible), key=lambda p: p.rank
        )

    @property
    def total(self) -> int:
        return len(self.selected) + len(self.others)


@dataclass
class RankedEntry:
    """A digest-eligible paper in the day's ranking."""

    entry: DayPaper
    reason: str
    """Why it ranks there, in English (the signals' reason, as the first release said it)."""
    score: float = 0.0
    why: str = ""
    disliked: bool = False


def rank_text(entry: DayPaper, category: str | None = None) -> RankText:
    """A listed paper as the ranking sees it."""
    paper = entry.paper
    return RankText(
        key=paper.id,
        title=paper.title,
        abstract=paper.abstract,
        authors=tuple(paper.authors),
        hf_upvotes=paper.hf_upvotes,
        has_code=bool(paper.github_repo),
        category=category,
        sources=tuple(entry.sources),
    )


def eligible_entries(entries: list[DayPaper], config: Config) -> list[DayPaper]:
    """The papers of a day that the digest ranks: not seen before, announced as new."""
    return [
        entry
        for entry in entries
        if not entry.seen and _announced(entry, config.fetch.announce_types)
    ]


def rank_day(
    entries: list[DayPaper],
    config: Config,
    ranker: Ranker | None = None,
    categories: Mapping[str, str] | None = None,
) -> list[RankedEntry]:
    """The day's digest-eligible papers, best first, each with why it ranks there.

    Without a ranker that knows the reader's profile, the order is the signals': Hugging
    Face papers by upvotes, then interest matches, then the source's order. With one, the
    blended score decides, that order breaking ties, and papers the reader marked not
    interesting go last.
    """
    eligible = eligible_entries(entries, config)
    ranker = ranker or Ranker(config)
    categories = categories or {}
    scored = ranker.score([rank_text(e, categories.get(e.paper.id)) for e in eligible])

    def signals_key(position: int) -> tuple[int, int, int, int]:
        entry = eligible[position]
        on_hf = entry.paper.hf_upvotes is not None
        return (
            0 if on_hf else 1,
            -(entry.paper.hf_upvotes or 0),
            -scored[position].interests,
            position,
        )

    def key(position: int) -> tuple[object, ...]:
        if not ranker.personal:
            return signals_key(position)
        return (scored[position].disliked, -scored[position].score, *signals_key(position))

    result = []
    for position in sorted(range(len(eligible)), key=key):
        entry = eligible[position]
        if entry.paper.hf_upvotes is not None:
            reason = f"Hugging Face Daily Papers, {entry.paper.hf_upvotes} upvotes"
        elif (score := scored[position].interests) > 0:
            reason = f"matches {score} of your interests"
        else:
            reason = "listed by " + ", ".join(entry.sources)
        if ranker.personal:
            reason = f"{reason}; score {scored[position].score:.3f} with your interest profile"
        found = scored[position]
        result.append(RankedEntry(entry, reason, found.score, found.why, found.disliked))
    return result


def _announced(entry: DayPaper, types: list[str]) -> bool:
    """Listings without an announce type (HF, feeds) count; arXiv ones only if allowed."""
    if not entry.announce_types:
        return True
    return any(announce in types for announce in entry.announce_types)


def build_digest(store: Store, config: Config, day: date) -> Digest:
    """The digest of `day` from whatever the store holds now."""
    selection = _select_day(store, config, day)
    entries, ranked, selected_ids = selection.entries, selection.ranked, selection.selected_ids
    ids = [entry.paper.id for entry in entries]
    classifications = selection.classifications
    summaries = summary_states(store, config.llm.model, [entry.paper for entry in entries])
    reader = store.reader_states(ids)
    stances = store.profile_stances(ids)
    updates = followed_updates(store, day)
    order = {item.entry.paper.id: (index, item) for index, item in enumerate(ranked)}
    papers = []
    for entry in entries:
        index, item = order.get(entry.paper.id, (len(order) + len(papers), None))
        state = reader.get(entry.paper.id) or ReaderState(entry.paper.id)
        papers.append(
            DigestPaper(
                entry=entry,
                classification=classifications.get(entry.paper.id),
                summary=summaries[entry.paper.id],
                selected=entry.paper.id in selected_ids,
                rank=index,
                rank_reason=item.reason if item else _why_not(entry, config),
                starred=state.starred,
                read=state.read,
                disliked=stances.get(entry.paper.id) == "dislike",
                score=item.score if item else 0.0,
                why=item.why if item else "",
                eligible=item is not None,
                update=updates.get(entry.paper.id),
            )
        )
    papers.sort(key=lambda p: p.rank)
    selected = [p for p in papers if p.selected]
    others = [p for p in papers if not p.selected]
    reports = _reports_by_category(store.category_reports(day, config.llm.model))
    sections = []
    for category in config.taxonomy.categories:
        members = [p for p in selected if p.category == category.name]
        if members:
            inputs = report_inputs(
                [m.paper for m in members], {m.paper.id: m.summary for m in members}
            )
            report = report_state(reports.get(category.name, []), category.name, inputs)
            sections.append(CategorySection(category, members, report, inputs))
    # A category that left the taxonomy (renamed in config.toml) counts as no category, so
    # its papers are shown as unclassified rather than in no section at all.
    names = {category.name for category in config.taxonomy.categories}
    unclassified = [p for p in selected if p.category not in names]
    # The newest run that fetched this day: it holds each source's status (a standalone
    # `dailyai summarize` is a run too, but says nothing about the sources).
    runs = store.runs(day=day, kinds=("run", "fetch"), limit=1)
    digest = Digest(
        day=day,
        sections=sections,
        selected=selected,
        others=others,
        unclassified=unclassified,
        last_run=runs[0] if runs else None,
        taxonomy=list(config.taxonomy.categories),
        ranking=selection.ranking,
        followed=sorted(updates.values(), key=lambda update: update.paper_id),
    )
    if digest.is_empty:
        digest.empty_reason = _empty_reason(digest, entries)
    return digest


@dataclass
class _Selection:
    entries: list[DayPaper]
    """Every paper listed on the day."""
    ranked: list[RankedEntry]
    selected_ids: set[str]
    classifications: dict[str, Classification]
    ranking: RankingInfo


def _select_day(store: Store, config: Config, day: date) -> _Selection:
    """The papers listed on `day`, the ranked eligible ones, and the ids of the selection."""
    entries = store.day_papers(
        day,
        seen_window_days=config.fetch.seen_window_days,
        announce_types=config.fetch.announce_types,
    )
    classifications = store.classifications([entry.paper.id for entry in entries])
    categories = {paper_id: c.category for paper_id, c in classifications.items()}
    eligible = eligible_entries(entries, config)
    candidates = [rank_text(entry, categories.get(entry.paper.id)) for entry in eligible]
    ranker = make_ranker(store, config, day, candidates)
    ranked = rank_day(entries, config, ranker, categories)
    selected = {item.entry.paper.id for item in ranked[: config.digest.size]}
    return _Selection(entries, ranked, selected, classifications, ranker.info)


def _why_not(entry: DayPaper, config: Config) -> str:
    if entry.seen:
        return f"seen on an earlier day (within {config.fetch.seen_window_days} days)"
    if not _announced(entry, config.fetch.announce_types):
        return f"arXiv {'/'.join(entry.announce_types)} announcement, not new"
    return f"beyond the day's top {config.digest.size}"


def _empty_reason(digest: Digest, entries: list[DayPaper]) -> str:
    if entries:
        return "every paper listed this day was seen before or is only a new version"
    if digest.last_run is not None:
        if digest.last_run.note:
            return digest.last_run.note
        failed = [s for s in digest.last_run.steps if s.status == "failed"]
        if failed:
            return "; ".join(f"{s.target}: {s.reason}" for s in failed)
    return "nothing fetched for this day yet — run `dailyai fetch`"


# --- trends -------------------------------------------------------------------------------

TREND_SCOPES = ("digest", "listed")
"""What a trend counts each day: the digest selection, or every paper listed that day."""


def category_trend(
    store: Store,
    config: Config,
    first_day: date,
    last_day: date,
    *,
    scope: str = "digest",
) -> dict[str, dict[str, int]]:
    """Per stored day from `first_day` to `last_day`: the papers of each category.

    The papers are counted as the day view counts them: with scope "digest", the day's
    digest selection (its categories, its chart, its report and email); with "listed",
    every paper listed that day (the digest and the rest of the day). Papers without a
    category, or in one no longer in the taxonomy, count under "" (not classified yet).
    """
    if scope not in TREND_SCOPES:
        raise ValueError(f"unknown trend scope {scope!r}; one of {', '.join(TREND_SCOPES)}")
    names = {category.name for category in config.taxonomy.categories}
    if scope == "listed":
        # Every paper listed that day is what day_papers returns too; SQL counts it at once.
        by_day = store.category_counts(first_day, last_day)
    else:
        by_day = {}
        first, last = first_day.isoformat(), last_day.isoformat()
        for day, _ in store.days():
            if not first <= day <= last:
                continue
            selection = _select_day(store, config, date.fromisoformat(day))
            selected_ids, classifications = selection.selected_ids, selection.classifications
            counts: dict[str, int] = {}
            for paper_id in selected_ids:
                classification = classifications.get(paper_id)
                category = classification.category if classification else ""
                counts[category] = counts.get(category, 0) + 1
            by_day[day] = counts
    found: dict[str, dict[str, int]] = {}
    for day, counts in by_day.items():
        folded: dict[str, int] = {}
        for category, count in counts.items():
            key = category if category in names else ""
            folded[key] = folded.get(key, 0) + count
        if folded:
            found[day] = folded
    return found


# --- what is current: the one decision, for planning work and for showing it -------------


@dataclass(frozen=True)
class SummaryKey:
    """What a summary is stored under; it is current only under the paper's key of now."""

    model: str
    prompt_version: str
    abstract_hash: str

    @classmethod
    def of(cls, paper: Paper, model: str) -> SummaryKey:
        return cls(model, SUMMARY_PROMPT_VERSION, abstract_hash(paper.title, paper.abstract))

    def matches(self, summary: StoredSummary) -> bool:
        return (summary.model, summary.prompt_version, summary.abstract_hash) == (
            self.model,
            self.prompt_version,
            self.abstract_hash,
        )


def summary_states(store: Store, model: str, papers: Iterable[Paper]) -> dict[str, SummaryState]:
    """Each paper's summary by `model`, as current (ok or failed), stale or pending.

    A summary is current only when stored under the paper's key now (model, prompt
    version, hash of title and abstract). Without one, the newest summary by the model is
    shown as stale (if it passed the gate) and the paper counts as pending (if it failed).
    `dailyai summarize` plans its work from this too: every status but ok is work to do.
    """
    papers = {paper.id: paper for paper in papers}
    by_paper: dict[str, list[StoredSummary]] = {}
    for summary in store.stored_summaries(list(papers), model):
        by_paper.setdefault(summary.paper_id, []).append(summary)
    found = {}
    for paper_id, paper in papers.items():
        stored = by_paper.get(paper_id, [])
        key = SummaryKey.of(paper, model)
        current = [summary for summary in stored if key.matches(summary)]
        if current:
            summary, status = current[-1], current[-1].status
        elif stored:
            summary = stored[-1]
            status = (
                SummaryStatus.STALE if summary.status == SummaryStatus.OK else SummaryStatus.PENDING
            )
        else:
            found[paper_id] = SummaryState(SummaryStatus.PENDING)
            continue
        found[paper_id] = SummaryState(
            status=status,
            text=summary.text if summary.status == SummaryStatus.OK else "",
            reason=summary.reason,
            flags=list(summary.flags),
            model=summary.model,
            created_at=summary.created_at,
            attempts=summary.attempts,
        )
    return found


@dataclass(frozen=True)
class ReportInput:
    """One paper of a category as its report is written from it."""

    paper_id: str
    title: str
    abstract: str
    summary_status: str
    """The paper's SummaryState status: only an ok summary goes into the report."""
    summary: str = ""
    """What the report's model is given: the summary without its sentences that hold
    numbers not in the abstract."""
    left_out: tuple[str, ...] = ()
    """The numbers whose sentences were left out."""

    @property
    def usable(self) -> bool:
        return self.summary_status == SummaryStatus.OK

    @property
    def state(self) -> str:
        """The summary's state as a report records it ("ok:<hash>", "failed", …)."""
        if not self.usable:
            return self.summary_status
        return "ok:" + text_hash(self.summary, *self.left_out)


def report_inputs(
    papers: Sequence[Paper], summaries: Mapping[str, SummaryState]
) -> list[ReportInput]:
    """A category's papers (in digest order) as its report is written from them."""
    inputs = []
    for paper in papers:
        state = summaries.get(paper.id) or SummaryState(SummaryStatus.PENDING)
        if state.status == SummaryStatus.OK and state.text.strip():
            text, left_out = faithful_sentences(state.text, f"{paper.title}\n{paper.abstract}")
            inputs.append(
                ReportInput(paper.id, paper.title, paper.abstract, "ok", text, tuple(left_out))
            )
        else:
            status = SummaryStatus.FAILED if state.status == SummaryStatus.OK else state.status
            inputs.append(ReportInput(paper.id, paper.title, paper.abstract, status))
    return inputs


def report_inputs_hash(category: str, inputs: Sequence[ReportInput]) -> str:
    """What a category's report depends on: every paper of the category and its summary.

    A paper without a usable summary counts by its state, so a paper joining the category
    (even before its summary is written) or a summary changing makes the report stale.
    For a category whose summaries are all clean this is the hash the first release
    stored, so those reports stay current.
    """
    parts = []
    for item in inputs:
        if not item.usable:
            parts.append(f"{item.paper_id}\x1e{item.title}\x1e\x00{item.summary_status}")
        elif item.left_out:
            left_out = ",".join(item.left_out)
            parts.append(f"{item.paper_id}\x1e{item.title}\x1e{item.summary}\x1e-{left_out}")
        else:
            parts.append(f"{item.paper_id}\x1e{item.title}\x1e{item.summary}")
    return text_hash(category, *parts)


def report_state(
    reports: Sequence[StoredReport],
    category: str,
    inputs: Sequence[ReportInput],
    *,
    prompt_version: str = REPORT_PROMPT_VERSION,
) -> ReportState:
    """A category's report as current (ok or failed), stale or pending: the one decision.

    `reports` are the category's stored reports of the day by the configured model, oldest
    first. A report is current only when written with the report prompt of now from
    exactly `inputs` (the category's papers and summaries as they are now). Without one,
    the newest report is shown as stale with what changed since (if it was written) and the
    category counts as pending (if it failed). `dailyai summarize` writes again every
    report that is not ok. A weekly report (core.weekly) is decided the same way, under its
    own `prompt_version`, from the days' reports as its inputs.
    """
    wanted = report_inputs_hash(category, inputs)
    current = [
        report
        for report in reports
        if report.prompt_version == prompt_version and report.inputs_hash == wanted
    ]
    if current:
        report, status, changes = current[-1], current[-1].status, None
    elif reports:
        report = reports[-1]
        status = SummaryStatus.STALE if report.status == SummaryStatus.OK else SummaryStatus.PENDING
        changes = _report_changes(report, inputs, prompt_version)
    else:
        return ReportState(SummaryStatus.PENDING)
    return ReportState(
        status=status,
        text=report.text if report.status == SummaryStatus.OK else "",
        reason=report.reason if report.status != SummaryStatus.OK else "",
        flags=list(report.flags),
        paper_ids=list(report.paper_ids),
        created_at=report.created_at,
        changes=changes,
    )


def _report_changes(
    report: StoredReport, inputs: Sequence[ReportInput], prompt_version: str
) -> ReportChanges:
    """What differs between the inputs a report was written from and `inputs`."""
    # A report written before inputs were recorded knows only the papers it was given.
    then: dict[str, str | None] = (
        dict(report.inputs) if report.inputs else dict.fromkeys(report.paper_ids)
    )
    now = {item.paper_id: item.state for item in inputs}
    both = then.keys() & now.keys()
    return ReportChanges(
        older_prompt=report.prompt_version != prompt_version,
        added=len(now.keys() - then.keys()),
        removed=len(then.keys() - now.keys()),
        resummarized=sum(
            1 for paper_id in both if then[paper_id] is not None and then[paper_id] != now[paper_id]
        ),
    )


def _reports_by_category(reports: Iterable[StoredReport]) -> dict[str, list[StoredReport]]:
    found: dict[str, list[StoredReport]] = {}
    for report in reports:
        found.setdefault(report.category, []).append(report)
    return found
