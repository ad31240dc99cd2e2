"""The records the store returns: what it holds, as dataclasses (never database rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.i18n import _
from core.models import Paper
from core.owners import ProcessId


@dataclass
class MergeCounts:
    """How one batch of listed papers changed the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    listings: int = 0
    duplicates: int = 0


@dataclass
class DayPaper:
    """A paper as listed on one day, with what decides whether it enters the digest."""

    paper: Paper
    day: str
    sources: list[str]
    announce_types: list[str]
    seen: bool
    """Listed on an earlier day within the seen-window, so not new today."""

    @property
    def digest_eligible(self) -> bool:
        return not self.seen


@dataclass
class Snippet:
    """One field of a paper as a search shows it: its text on one line, the spans to highlight."""

    field: str
    """"title", "abstract" or "summary" (the Korean summary)."""
    text: str
    """The field's text, cleaned of control characters; for an abstract or a summary the
    part around the first match, with "…" where it was cut."""
    highlights: list[tuple[int, int]] = field(default_factory=list)
    """(start, end) of each match in `text`, in order and not overlapping."""


@dataclass
class SearchHit:
    """A paper a search found: where it matched, and the days it was listed on."""

    paper: Paper
    days: list[str]
    """Oldest first; a search result opens on the last one."""
    title: Snippet
    snippet: Snippet | None
    """The matching part of the summary or abstract (the start of one when only the title
    matched); None for a paper with neither."""


@dataclass
class Classification:
    """The category a paper is in, how sure, and who decided (llm, rules or user)."""

    category: str
    confidence: float
    method: str
    taxonomy_version: str
    model: str | None = None


@dataclass
class StoredSummary:
    """One paper's Korean summary (or why it failed) as stored under its cache key."""

    paper_id: str
    model: str
    prompt_version: str
    abstract_hash: str
    status: str
    """"ok" (text passed the Korean gate) or "failed" (text is empty, reason says why)."""
    text: str = ""
    reason: str = ""
    flags: list[str] = field(default_factory=list)
    attempts: int = 1
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    duration_ms: int | None = None
    created_at: str = ""


@dataclass
class StoredReport:
    """A category's synthesis report for a day (or why it failed), as stored."""

    day: str
    category: str
    model: str
    prompt_version: str
    inputs_hash: str
    status: str
    text: str = ""
    reason: str = ""
    flags: list[str] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)
    """The papers the model was given."""
    inputs: list[tuple[str, str]] = field(default_factory=list)
    """(paper id, state of its summary) for every paper of the category when it was written;
    empty for reports written before inputs were recorded."""
    attempts: int = 1
    created_at: str = ""


@dataclass
class ReaderState:
    """What the reader did with a paper: starred it, read it (and when)."""

    paper_id: str
    starred: bool = False
    read_at: str | None = None

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass
class Delivery:
    """The day sent to (or failed for) one recipient of a channel."""

    day: str
    recipient: str
    """An email address (lower case), or a chat URL as configured."""
    status: str
    """"sent" or "failed"."""
    message_id: str | None
    error: str
    attempted_at: str
    channel: str = "email"


@dataclass
class HttpCacheEntry:
    """What the last successful fetch of a URL saw: validators, body hash, and its parse."""

    url: str
    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    kind: str | None
    """The source kind that parsed the body (None when cached before parses were recorded)."""
    parser_version: int | None
    entries: int | None
    listed: int | None
    checked_at: str


@dataclass
class RunStep:
    """One line of the run ledger: a step (or one source of the fetch step) and its outcome."""

    step: str
    target: str
    status: str
    reason: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    duration_ms: int = 0


@dataclass
class Run:
    """One recorded run (a fetch, or a whole daily run) with its steps."""

    id: int
    kind: str
    day: str
    started_at: str
    finished_at: str | None
    status: str
    note: str
    log_path: str | None
    steps: list[RunStep]
    pid: int | None = None
    """The process that ran it (None for runs recorded before processes were)."""
    host: str | None = None
    plan: tuple[str, ...] = ()
    """The steps the run set out to do (for a daily run)."""


@dataclass
class Claim:
    """Work that one holder does at a time, as held in the store: who holds it, since when."""

    name: str
    holder: str
    run_id: int | None
    pid: int
    host: str
    claimed_at: str
    run_kind: str | None = None
    run_started_at: str | None = None
    run_plan: tuple[str, ...] = ()

    def describe(self) -> str:
        """Who holds it, for a user: "another dailyai run (pid 4242, started 14:05)"."""
        what = f"dailyai {self.run_kind}" if self.run_kind else "dailyai"
        since = local_clock(self.run_started_at or self.claimed_at)
        if self.host == ProcessId.current().host:
            return _("another {what} (pid {pid}, started {since})").format(
                what=what, pid=self.pid, since=since
            )
        return _("another {what} (pid {pid} on {host}, started {since})").format(
            what=what, pid=self.pid, host=self.host, since=since
        )


@dataclass
class DeliveryClaims:
    """What claiming a day's recipients gave: whom to send to now, and whom not, and why."""

    claimed: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    held: dict[str, Claim] = field(default_factory=dict)
    """Recipients another live sender is sending to now."""


def local_clock(stamp: str) -> str:
    """A stored UTC time as this machine's local HH:MM (with the date when not today)."""
    when = datetime.fromisoformat(stamp).astimezone()
    if when.date() == datetime.now().astimezone().date():
        return when.strftime("%H:%M")
    return when.strftime("%Y-%m-%d %H:%M")


@dataclass
class ModelWork:
    """One line of a run's ledger of model work: which host wrote what, or failed it."""

    run_id: int
    host: str
    work: str
    """"summary:<paper id>" or "report:<category>"."""
    outcome: str
    """wrote (the detail is the stored status) or failed (the detail says why)."""
    detail: str
    recorded_at: str


@dataclass
class ProfileEntry:
    """One paper of the reader's interest profile: liked (a seed or a star) or not wanted."""

    key: str
    """The paper's id (arXiv id or link id) when known, else "title:<hash>" of its title."""
    stance: str
    """"like" or "dislike" (not interested)."""
    origin: str
    """"import" (a seed from a file) or "feedback" (a star or "not interested")."""
    title: str
    source: str = ""
    """The file a seed came from, or where the feedback was given ("tui", "cli", "star")."""
    paper_id: str | None = None
    """The stored (or storable) paper it is, when it has an id."""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    url: str = ""
    category: str | None = None
    """The taxonomy category the rules gave it when it was added (used when the store has
    no classification of the paper)."""
    version: int | None = None
    """The paper's arXiv version when it was added (a later one is news to follow)."""
    comment: str | None = None
    """The paper's arXiv comment when it was added."""
    added_at: str = ""


@dataclass
class PaperRevision:
    """A stored paper changed by a later listing: a new version, comment or abstract."""

    paper_id: str
    day: str
    """The day of the listing that brought the change."""
    old_version: int | None
    new_version: int | None
    old_comment: str | None
    new_comment: str | None
    old_title: str
    new_title: str
    old_abstract: str
    new_abstract: str
    recorded_at: str
