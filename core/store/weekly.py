"""Weekly reports: each category's week, synthesised from its days' category reports."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from core.store.database import Database, utc_now
from core.store.records import StoredReport


class WeeklyReports(Database):
    """What the model wrote for a category's week (or why it failed), by cache key."""

    def save_weekly_report(
        self,
        week: str,
        category: str,
        *,
        model: str,
        prompt_version: str,
        inputs_hash: str,
        status: str,
        text: str = "",
        reason: str = "",
        flags: Sequence[str] = (),
        days: Sequence[str] = (),
        inputs: Sequence[tuple[str, str]] = (),
        attempts: int = 1,
    ) -> None:
        """Store a category's weekly report for `week` ("2026-W19"), or why it failed.

        `days` are the days whose reports the model was given; `inputs` is (day, state of
        its report) for every day the category had papers, so a reader can tell what changed.
        """
        with self._transaction() as db:
            db.execute(
                "INSERT INTO weekly_reports (week, category, model, prompt_version, inputs_hash,"
                " status, text, reason, flags, days, inputs, attempts, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (week, category, model, prompt_version, inputs_hash) DO UPDATE SET"
                " status = excluded.status, text = excluded.text, reason = excluded.reason,"
                " flags = excluded.flags, days = excluded.days, inputs = excluded.inputs,"
                " attempts = excluded.attempts, created_at = excluded.created_at",
                (
                    week,
                    category,
                    model,
                    prompt_version,
                    inputs_hash,
                    status,
                    text if status == "ok" else "",
                    reason,
                    json.dumps(list(flags), ensure_ascii=False),
                    json.dumps(list(days)),
                    json.dumps([list(item) for item in inputs]),
                    attempts,
                    utc_now(),
                ),
            )

    def weekly_reports(self, week: str, model: str) -> list[StoredReport]:
        """Every weekly report of `week` by `model`, oldest first.

        Each is a StoredReport whose `day` holds the week and `paper_ids` the days it was
        written from (the same decision of what is current serves both kinds of report).
        """
        rows = self._query(
            "SELECT * FROM weekly_reports WHERE week = ? AND model = ? ORDER BY created_at, rowid",
            (week, model),
        )
        return [_weekly_from_row(row) for row in rows]

    def weekly_report_weeks(self, *, limit: int) -> list[str]:
        """The newest `limit` weeks that have a weekly report stored, newest first."""
        rows = self._query(
            "SELECT DISTINCT week FROM weekly_reports ORDER BY week DESC LIMIT ?", (limit,)
        )
        return [row["week"] for row in rows]


def _weekly_from_row(row: sqlite3.Row) -> StoredReport:
    return StoredReport(
        day=row["week"],
        category=row["category"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        inputs_hash=row["inputs_hash"],
        status=row["status"],
        text=row["text"],
        reason=row["reason"],
        flags=json.loads(row["flags"]),
        paper_ids=json.loads(row["days"]),
        inputs=[(day, state) for day, state in json.loads(row["inputs"])],
        attempts=row["attempts"],
        created_at=row["created_at"],
    )
