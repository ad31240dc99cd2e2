"""Claims: work one holder does at a time (a day's model work, sending to one recipient).

A claim records the process that holds it; a claim whose holder died is taken over.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from core.owners import is_alive
from core.store.database import Database, day_text, utc_now
from core.store.records import Claim

_CLAIM_QUERY = (
    "SELECT c.*, r.kind AS run_kind, r.started_at AS run_started_at, r.plan AS run_plan"
    " FROM claims AS c LEFT JOIN runs AS r ON r.id = c.run_id WHERE c.name = ?"
)


def model_work_claim(work: date | str) -> str:
    """The claim on a day's model work (classify and summarize), or a week's (`2026-W38`,
    its weekly reports): one run at a time."""
    return f"model-work:{work}"


EMAIL_CHANNEL = "email"
"""The channel whose recipients are email addresses (the delivery ledger's first user)."""
WEEKLY_EMAIL_CHANNEL = "email-weekly"
"""The weekly digest's email: its ledger rows are dated on the week's Monday."""


def recipient_key(channel: str, recipient: str) -> str:
    """How the delivery ledger names a recipient: an email address without case (mail
    systems ignore it), any other recipient (a chat URL) exactly as given."""
    return recipient.lower() if channel in (EMAIL_CHANNEL, WEEKLY_EMAIL_CHANNEL) else recipient


def delivery_claim(channel: str, day: date, recipient: str) -> str:
    """The claim on sending a day to one recipient of a channel (`email:<day>:<address>`)."""
    return f"{channel}:{day_text(day)}:{recipient_key(channel, recipient)}"


class Claims(Database):
    """Taking, reading and releasing claims."""

    def claim(self, name: str, holder: str, *, run_id: int | None = None) -> Claim | None:
        """Take the claim `name` for `holder` (and its run), or say who else holds it.

        Returns None when `holder` now holds it; the live holder's Claim otherwise. A claim
        whose holder died is taken over.
        """
        with self._transaction() as db:
            return self._take_claim(db, name, holder, run_id)

    def claim_holder(self, name: str) -> Claim | None:
        """Who holds the claim `name` now (a holder that died holds nothing)."""
        rows = self._query(_CLAIM_QUERY, (name,))
        if not rows or not _claim_alive(rows[0]):
            return None
        return _claim_from_row(rows[0])

    def release_claims(self, holder: str) -> None:
        """Give up every claim `holder` still holds (its work ended, whichever way)."""
        with self._transaction() as db:
            db.execute("DELETE FROM claims WHERE holder = ?", (holder,))

    def touch_claims(self, holder: str) -> None:
        """Refresh the heartbeat of `holder`'s claims (it is still at work)."""
        with self._transaction() as db:
            db.execute("UPDATE claims SET heartbeat_at = ? WHERE holder = ?", (utc_now(), holder))

    def _take_claim(
        self, db: sqlite3.Connection, name: str, holder: str, run_id: int | None
    ) -> Claim | None:
        """Take `name` inside the caller's transaction (see `claim`)."""
        row = db.execute(_CLAIM_QUERY, (name,)).fetchone()
        if row is not None:
            if row["holder"] == holder:
                return None
            if _claim_alive(row):
                return _claim_from_row(row)
            db.execute("DELETE FROM claims WHERE name = ?", (name,))
        process, now = self._process, utc_now()
        db.execute(
            "INSERT INTO claims (name, holder, run_id, host, pid, process_started, claimed_at,"
            " heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, holder, run_id, process.host, process.pid, process.started, now, now),
        )
        return None


def _claim_alive(row: sqlite3.Row) -> bool:
    return is_alive(row["host"], row["pid"], row["process_started"], row["heartbeat_at"])


def _claim_from_row(row: sqlite3.Row) -> Claim:
    return Claim(
        name=row["name"],
        holder=row["holder"],
        run_id=row["run_id"],
        pid=row["pid"],
        host=row["host"],
        claimed_at=row["claimed_at"],
        run_kind=row["run_kind"],
        run_started_at=row["run_started_at"],
        run_plan=tuple((row["run_plan"] or "").split()),
    )
