"""The SQLite store: papers and their listings, what the model made of them, the run ledger.

The store is the only package that writes SQL, and it speaks in records: every method
returns dataclasses (`core.store.records`) or plain values, never database rows. `Store` is
the one class callers use; each of its parts keeps one concern (papers, search, classifications,
summaries, weekly reports, reader state, the interest profile, deliveries and their claims, the
HTTP cache, the run ledger) over the connection they share. It runs in WAL mode with a busy timeout, so the TUI can read
while `dailyai run` writes, and every write happens in one explicit transaction, so a killed
process leaves either all or none of a step's changes.
"""

from __future__ import annotations

from core.store.claims import (
    EMAIL_CHANNEL,
    WEEKLY_EMAIL_CHANNEL,
    delivery_claim,
    model_work_claim,
)
from core.store.classifications import Classifications
from core.store.deliveries import Deliveries
from core.store.http_cache import HttpCache
from core.store.ledger import Ledger
from core.store.papers import Papers, merge_paper
from core.store.profile import Profile
from core.store.reader import Reader
from core.store.records import (
    Claim,
    Classification,
    DayPaper,
    Delivery,
    DeliveryClaims,
    HttpCacheEntry,
    MergeCounts,
    ModelWork,
    PaperRevision,
    ProfileEntry,
    ReaderState,
    Run,
    RunStep,
    SearchHit,
    Snippet,
    StoredReport,
    StoredSummary,
)
from core.store.search import Search
from core.store.summaries import Summaries
from core.store.weekly import WeeklyReports


class Store(
    Search,
    Papers,
    Classifications,
    Summaries,
    WeeklyReports,
    Reader,
    Profile,
    Deliveries,
    HttpCache,
    Ledger,
):
    """The app's SQLite database. Safe to share between threads (calls are serialised)."""


__all__ = [
    "EMAIL_CHANNEL",
    "WEEKLY_EMAIL_CHANNEL",
    "Claim",
    "Classification",
    "DayPaper",
    "Delivery",
    "DeliveryClaims",
    "HttpCacheEntry",
    "MergeCounts",
    "ModelWork",
    "PaperRevision",
    "ProfileEntry",
    "ReaderState",
    "Run",
    "RunStep",
    "SearchHit",
    "Snippet",
    "Store",
    "StoredReport",
    "StoredSummary",
    "delivery_claim",
    "merge_paper",
    "model_work_claim",
]
