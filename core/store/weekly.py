"""Weekly reports: each category's week, synthesised from its days' category reports."""

from __future__ import annotations

from collections.abc import Sequence

from core.store.database import Database
from core.store.records import StoredReport
from core.store.summaries import WEEKLY_REPORTS, report_from_row, save_report_row


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
            save_report_row(
                db,
                WEEKLY_REPORTS,
                week,
                category,
                model=model,
                prompt_version=prompt_version,
                inputs_hash=inputs_hash,
                status=status,
                text=text,
                reason=reason,
                flags=flags,
                sources=days,
                inputs=inputs,
                attempts=attempts,
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
        return [report_from_row(row, WEEKLY_REPORTS) for row in rows]

    def weekly_report_weeks(self, *, limit: int) -> list[str]:
        """The newest `limit` weeks that have a weekly report stored, newest first."""
        rows = self._query(
            "SELECT DISTINCT week FROM weekly_reports ORDER BY week DESC LIMIT ?", (limit,)
        )
        return [row["week"] for row in rows]
