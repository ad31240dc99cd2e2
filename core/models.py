"""The records that flow through the pipeline: papers, their listings, and run results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class RunStatus(StrEnum):
    """How a run (or one of its steps, or a channel's delivery) stands. Stored and printed as
    its value, so the ledger's rows and JSON are plain strings."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    """Some part failed (a source, a recipient, a summary left pending)."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Another run was doing the work, or the step's channel is off."""
    INTERRUPTED = "interrupted"
    """Stopped (Ctrl-C, Stop in the TUI, a kill) before it finished."""


class SourceStatus(StrEnum):
    """What fetching one source gave."""

    OK = "ok"
    EMPTY = "empty"
    UNCHANGED = "unchanged"
    FAILED = "failed"


class SummaryStatus(StrEnum):
    """A paper's summary or a category's report, as stored and as the digest shows it."""

    OK = "ok"
    """Passed the Korean quality gate."""
    FAILED = "failed"
    STALE = "stale"
    """Made for an older prompt or input; its text is still shown."""
    PENDING = "pending"
    """Not made yet."""


class DeliveryStatus(StrEnum):
    """One recipient's (an address, a chat URL) delivery of a day, in the delivery ledger."""

    SENT = "sent"
    FAILED = "failed"


EXIT_CODES = {
    RunStatus.OK: 0,
    RunStatus.PARTIAL: 3,
    RunStatus.FAILED: 1,
    RunStatus.SKIPPED: 0,
    RunStatus.INTERRUPTED: 130,
}
"""Exit codes of the commands (and statuses of runs): partial means some part failed;
skipped, that another run was doing the work; interrupted, that the run was stopped (Ctrl-C,
a kill) before it finished — 130 as for any program stopped by Ctrl-C."""


class SourceKind(str):
    """The name of a kind of paper source, as a source's `kind` key says it ("hf-daily").

    Which kinds exist is not listed here: each is a module of `core/sources/`, found by the
    registry there (`core.sources.kind_names()`), which also checks a name is one of them.
    """

    __slots__ = ()


LINK_LABELS = {
    "abs": "arXiv",
    "pdf": "PDF",
    "hf": "Hugging Face",
    "link": "Link",
    "github": "GitHub",
    "project": "Project",
}
"""How a paper's link (by its key in `Paper.links`) is labelled wherever it is shown."""


@dataclass
class Paper:
    """One paper: as one source described it while fetching, or as stored after merging."""

    id: str
    title: str
    abstract: str = ""
    arxiv_id: str | None = None
    version: int | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    published: str | None = None
    updated: str | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    hf_upvotes: int | None = None
    hf_comments: int | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    hf_summary: str | None = None
    text_rank: int = 0
    # Set on stored papers only.
    sources: list[str] = field(default_factory=list)
    days: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The link to open for this paper: its arXiv page, else the first link known."""
        for key in ("abs", "hf", "link", "pdf"):
            if key in self.links:
                return self.links[key]
        return next(iter(self.links.values()), "")

    def labelled_links(self) -> list[tuple[str, str]]:
        """Every link known for the paper with its label (arXiv, PDF, GitHub…), as shown."""
        links = [(LINK_LABELS.get(key, key), url) for key, url in self.links.items() if url]
        known = {url for _, url in links}
        if self.github_repo and self.github_repo not in known:
            links.append(("GitHub", self.github_repo))
        if self.project_page and self.project_page not in known:
            links.append(("Project", self.project_page))
        return links


@dataclass
class Listed:
    """A paper as one source listed it on one day."""

    paper: Paper
    day: date
    announce_type: str | None = None


@dataclass
class SourceResult:
    """What fetching one source produced: its papers, or why there are none."""

    name: str
    kind: SourceKind
    url: str
    status: SourceStatus
    listed: list[Listed] = field(default_factory=list)
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    duration_ms: int = 0
    feed_day: date | None = None
    skip_days: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == SourceStatus.FAILED


@dataclass
class FetchSummary:
    """The outcome of one fetch over several sources, as recorded in the run ledger."""

    run_id: int
    day: date
    results: list[SourceResult]
    empty_reason: str = ""

    @property
    def status(self) -> RunStatus:
        """ok when no source failed, partial when some failed, failed when all did."""
        failed = sum(1 for result in self.results if result.failed)
        if not failed:
            return RunStatus.OK
        return RunStatus.FAILED if failed == len(self.results) else RunStatus.PARTIAL

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def stored(self) -> int:
        return sum(len(result.listed) for result in self.results)
