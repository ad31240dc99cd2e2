"""The app's messages: what a worker found or did, posted from its thread in the past tense.

Workers never touch widgets; they post one of these (thread-safe) and a handler on the UI
thread updates the screen. Progress and streamed text coalesce (`can_replace`), so a fast
producer never floods the queue: only the newest state is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from textual.message import Message

from core.digest import Digest
from core.store import ProfileEntry, SearchHit


@dataclass
class DayLoaded(Message):
    """A day's digest was read from the store (and the list of stored days with it)."""

    digest: Digest | None
    """None when the store holds no papers at all."""
    days: list[tuple[str, int]]
    paper_id: str | None = None
    """A paper to select once the day is shown (from a search result)."""
    prefetched: bool = False
    """Read ahead for a later day switch, not to be shown now."""


@dataclass
class DayShown(Message):
    """A day is on screen (posted after the screen was painted)."""

    day: date


@dataclass
class GroupShown(Message):
    """A category's papers are on screen (posted after the screen was painted)."""

    key: str


@dataclass
class SearchFinished(Message):
    """A full-text search returned its results."""

    query: str
    hits: list[SearchHit]
    stances: dict[str, str] = field(default_factory=dict)
    """"like" or "dislike" for the results the interest profile holds."""


@dataclass
class KoreanIndexProgressed(Message):
    """The Korean text stored since the last search is being analysed: `done` of `total`."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, KoreanIndexProgressed)


@dataclass
class KoreanIndexed(Message):
    """The Korean text waiting for search was analysed (or the analyser failed: `error`)."""

    count: int
    error: str = ""


@dataclass
class SearchShown(Message):
    """Search results are on screen (posted after the screen was painted)."""

    query: str


@dataclass
class TrendsLoaded(Message):
    """Category counts per day were read for the trends screen."""

    days: list[str]
    counts: dict[str, dict[str, int]]
    previous: dict[str, int]
    """Per category, the papers of the window of the same length just before `days`."""
    scope: str = "digest"
    """Which papers were counted (core.digest.TREND_SCOPES)."""
    window: int = 0
    """How many days the counts cover (the screen ignores an answer for an older choice)."""


@dataclass
class OllamaChecked(Message):
    """Whether the Ollama server answers, and how fast the model writes."""

    ok: bool
    detail: str
    tokens_per_second: float | None = None


@dataclass
class PipelineProgressed(Message):
    """The background run moved on (a `core.pipeline.StepProgress`)."""

    progress: Any

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PipelineProgressed)


@dataclass
class PipelineFinished(Message):
    """The background run ended: with its result, or with the error that stopped it."""

    day: date
    result: Any = None
    error: str = ""
    cancelled: bool = False


@dataclass
class SummaryStreamed(Message):
    """More of a paper's summary arrived from the model (the whole text so far)."""

    paper_id: str
    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SummaryStreamed) and message.paper_id == self.paper_id


@dataclass
class SummaryFinished(Message):
    """A paper's summary was written (or failed); the day is read again to show it."""

    paper_id: str
    error: str = ""


@dataclass
class PaperChanged(Message):
    """A paper's reader state or category was saved (or saving it failed)."""

    paper_id: str
    what: str
    error: str = ""


@dataclass
class PreviewRendered(Message):
    """The day's email (text and HTML) and RSS item were rendered for the preview."""

    day: date
    text: str
    html: str
    rss: str
    notes: list[str] = field(default_factory=list)


@dataclass
class EmailSent(Message):
    """The test email went out (`summary`), or did not (`error`)."""

    day: date
    summary: str = ""
    error: str = ""


@dataclass
class ProfileLoaded(Message):
    """The interest profile's entries were read (for the profile screen)."""

    entries: list[ProfileEntry]
