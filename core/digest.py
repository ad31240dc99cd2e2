"""The day's digest: which papers are selected, in which category, with which summaries.

This is the read model every output shares (the Markdown report, the feeds, the email and
the TUI): one call, `build_digest`, gathers a day's papers with their classification, their
summary state and their category's report, so no front end assembles it differently.

Selection: a weekday brings hundreds of arXiv papers and a laptop model writes one summary
every 10–30 s, so the digest holds the day's top `digest.size` papers — those listed on
Hugging Face Daily Papers first (by upvotes), then arXiv papers matching the user's interest
keywords and authors, then the rest in the order their source listed them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from core.config import CategoryConfig, Config
from core.prompts import REPORT_PROMPT_VERSION, SUMMARY_PROMPT_VERSION, abstract_hash
from core.store import DayPaper, Run, Store


@dataclass
class Classification:
    """The category a paper is in, how sure, and who decided (llm, rules or user)."""

    category: str
    confidence: float
    method: str
    taxonomy_version: str
    model: str | None = None


@dataclass
class SummaryState:
    """A paper's Korean summary as the digest shows it.

    `status` is "ok" (text is a summary that passed the Korean gate), "failed" (reason says
    why; text is empty — the English abstract is never shown in its place), "stale" (made
    for an older prompt or abstract, text still shown) or "pending" (not made yet).
    """

    status: str
    text: str = ""
    reason: str = ""
    flags: list[str] = field(default_factory=list)
    model: str | None = None
    created_at: str = ""
    """When the summary (or its failure) was stored, ISO 8601 UTC; empty when pending."""


@dataclass
class ReportState:
    """A category's Korean synthesis report for the day, with the same statuses."""

    status: str
    text: str = ""
    reason: str = ""
    paper_ids: list[str] = field(default_factory=list)
    created_at: str = ""


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
    read: bool = False

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

    @property
    def is_empty(self) -> bool:
        return not self.selected

    @property
    def total(self) -> int:
        return len(self.selected) + len(self.others)


_WORD = re.compile(r"\w[\w\-]*", re.UNICODE)


def interest_score(entry: DayPaper, config: Config) -> int:
    """How many of the user's interest keywords and authors a paper matches."""
    text = f"{entry.paper.title}\n{entry.paper.abstract}".lower()
    score = sum(1 for keyword in config.digest.interest_keywords if keyword.lower() in text)
    authors = {author.lower() for author in entry.paper.authors}
    score += 2 * sum(1 for author in config.digest.interest_authors if author.lower() in authors)
    return score


def rank_day(entries: list[DayPaper], config: Config) -> list[tuple[DayPaper, str]]:
    """The day's digest-eligible papers, best first, each with why it ranks there."""
    eligible = [
        entry
        for entry in entries
        if not entry.seen and _announced(entry, config.fetch.announce_types)
    ]

    def key(item: tuple[int, DayPaper]) -> tuple[int, int, int, int]:
        position, entry = item
        on_hf = entry.paper.hf_upvotes is not None
        return (
            0 if on_hf else 1,
            -(entry.paper.hf_upvotes or 0),
            -interest_score(entry, config),
            position,
        )

    ranked = sorted(enumerate(eligible), key=key)
    result = []
    for _, entry in ranked:
        if entry.paper.hf_upvotes is not None:
            reason = f"Hugging Face Daily Papers, {entry.paper.hf_upvotes} upvotes"
        elif (score := interest_score(entry, config)) > 0:
            reason = f"matches {score} of your interests"
        else:
            reason = "listed by " + ", ".join(entry.sources)
        result.append((entry, reason))
    return result


def _announced(entry: DayPaper, types: list[str]) -> bool:
    """Listings without an announce type (HF, feeds) count; arXiv ones only if allowed."""
    if not entry.announce_types:
        return True
    return any(announce in types for announce in entry.announce_types)


def build_digest(store: Store, config: Config, day: date | str) -> Digest:
    """The digest of `day` from whatever the store holds now."""
    day = date.fromisoformat(str(day))
    entries = store.day_papers(
        day,
        seen_window_days=config.fetch.seen_window_days,
        announce_types=config.fetch.announce_types,
    )
    ranked = rank_day(entries, config)
    selected_ids = {entry.paper.id for entry, _ in ranked[: config.digest.size]}
    ids = [entry.paper.id for entry in entries]
    classifications = _classifications(store, ids)
    summaries = _summaries(store, ids, config.ollama.model, {e.paper.id: e for e in entries})
    reader = _reader_state(store, ids)
    order = {entry.paper.id: (index, reason) for index, (entry, reason) in enumerate(ranked)}
    papers = []
    for entry in entries:
        index, reason = order.get(
            entry.paper.id, (len(order) + len(papers), _why_not(entry, config))
        )
        starred, read = reader.get(entry.paper.id, (False, False))
        papers.append(
            DigestPaper(
                entry=entry,
                classification=classifications.get(entry.paper.id),
                summary=summaries.get(entry.paper.id, SummaryState("pending")),
                selected=entry.paper.id in selected_ids,
                rank=index,
                rank_reason=reason,
                starred=starred,
                read=read,
            )
        )
    papers.sort(key=lambda p: p.rank)
    selected = [p for p in papers if p.selected]
    others = [p for p in papers if not p.selected]
    reports = _reports(store, day, config.ollama.model)
    sections = []
    for category in config.taxonomy.categories:
        members = [p for p in selected if p.category == category.name]
        if members:
            sections.append(
                CategorySection(
                    category, members, reports.get(category.name, ReportState("pending"))
                )
            )
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
    )
    if digest.is_empty:
        digest.empty_reason = _empty_reason(digest, entries)
    return digest


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


def _classifications(store: Store, ids: list[str]) -> dict[str, Classification]:
    return {
        paper_id: Classification(
            category=row["category"],
            confidence=row["confidence"],
            method=row["method"],
            taxonomy_version=row["taxonomy_version"],
            model=row["model"],
        )
        for paper_id, row in store.classifications(ids).items()
    }


def _summaries(
    store: Store, ids: list[str], model: str, entries: dict[str, DayPaper]
) -> dict[str, SummaryState]:
    """Each paper's newest summary by the configured model, marked stale when outdated."""
    found: dict[str, SummaryState] = {}
    rows = store.query_ids(
        "SELECT * FROM summaries WHERE model = ? AND paper_id IN ({ids}) ORDER BY created_at",
        ids,
        before=[model],
    )
    for row in rows:  # later rows (newer) overwrite earlier ones
        paper = entries[row["paper_id"]].paper
        current = row["prompt_version"] == SUMMARY_PROMPT_VERSION and row[
            "abstract_hash"
        ] == abstract_hash(paper.title, paper.abstract)
        status = row["status"] if current else ("stale" if row["status"] == "ok" else "pending")
        found[row["paper_id"]] = SummaryState(
            status=status,
            text=row["text"] if row["status"] == "ok" else "",
            reason=row["reason"],
            flags=json.loads(row["flags"]),
            model=row["model"],
            created_at=row["created_at"],
        )
    return found


def _reports(store: Store, day: date, model: str) -> dict[str, ReportState]:
    found: dict[str, ReportState] = {}
    rows = store.query(
        "SELECT * FROM category_reports WHERE day = ? AND model = ? ORDER BY created_at",
        (day.isoformat(), model),
    )
    for row in rows:
        status = row["status"] if row["prompt_version"] == REPORT_PROMPT_VERSION else "stale"
        found[row["category"]] = ReportState(
            status=status,
            text=row["text"] if row["status"] == "ok" else "",
            reason=row["reason"],
            paper_ids=json.loads(row["paper_ids"]),
            created_at=row["created_at"],
        )
    return found


def _reader_state(store: Store, ids: list[str]) -> dict[str, tuple[bool, bool]]:
    rows = store.query_ids("SELECT * FROM reader_state WHERE paper_id IN ({ids})", ids)
    return {row["paper_id"]: (bool(row["starred"]), row["read_at"] is not None) for row in rows}
