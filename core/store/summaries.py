"""Summaries and category reports: what the model wrote (or why it failed), by cache key."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from core.store.database import Database, day_text, utc_now
from core.store.records import StoredReport, StoredSummary
from core.store.search_index import index_summary


class Summaries(Database):
    """Each paper's Korean summaries, and each day's category synthesis reports."""

    def save_summary(
        self,
        paper_id: str,
        *,
        model: str,
        prompt_version: str,
        abstract_hash: str,
        status: str,
        text: str = "",
        reason: str = "",
        flags: Sequence[str] = (),
        attempts: int = 1,
        prompt_tokens: int | None = None,
        output_tokens: int | None = None,
        duration_ms: int | None = None,
    ) -> None:
        """Store one paper's summary (or its failure) under its cache key, in one commit.

        A summary that passed the gate also becomes searchable.
        """
        with self._transaction() as db:
            db.execute(
                "INSERT INTO summaries (paper_id, model, prompt_version, abstract_hash, status,"
                " text, reason, flags, attempts, prompt_tokens, output_tokens, duration_ms,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (paper_id, model, prompt_version, abstract_hash) DO UPDATE SET"
                " status = excluded.status, text = excluded.text, reason = excluded.reason,"
                " flags = excluded.flags, attempts = excluded.attempts,"
                " prompt_tokens = excluded.prompt_tokens, output_tokens = excluded.output_tokens,"
                " duration_ms = excluded.duration_ms, created_at = excluded.created_at",
                (
                    paper_id,
                    model,
                    prompt_version,
                    abstract_hash,
                    status,
                    text if status == "ok" else "",
                    reason,
                    json.dumps(list(flags), ensure_ascii=False),
                    attempts,
                    prompt_tokens,
                    output_tokens,
                    duration_ms,
                    utc_now(),
                ),
            )
            if status == "ok":
                index_summary(db, paper_id, text)

    def get_summary(
        self, paper_id: str, *, model: str, prompt_version: str, abstract_hash: str
    ) -> StoredSummary | None:
        """The stored summary under exactly this cache key, if any."""
        rows = self._query(
            "SELECT * FROM summaries WHERE paper_id = ? AND model = ? AND prompt_version = ?"
            " AND abstract_hash = ?",
            (paper_id, model, prompt_version, abstract_hash),
        )
        return _summary_from_row(rows[0]) if rows else None

    def stored_summaries(self, ids: Iterable[str], model: str) -> list[StoredSummary]:
        """Every summary stored for the papers `ids` by `model`, oldest first."""
        rows = self._query_ids(
            "SELECT * FROM summaries WHERE model = ? AND paper_id IN ({ids})"
            " ORDER BY created_at, rowid",
            ids,
            before=[model],
        )
        return [_summary_from_row(row) for row in rows]

    def summary_timings(self, model: str, *, limit: int = 50) -> list[tuple[int, int | None]]:
        """(duration_ms, output_tokens) of the model's most recent summaries that passed."""
        rows = self._query(
            "SELECT duration_ms, output_tokens FROM summaries WHERE model = ? AND status = 'ok'"
            " AND duration_ms IS NOT NULL ORDER BY created_at DESC LIMIT ?",
            (model, limit),
        )
        return [(row["duration_ms"], row["output_tokens"]) for row in rows]

    def save_category_report(
        self,
        day: date,
        category: str,
        *,
        model: str,
        prompt_version: str,
        inputs_hash: str,
        status: str,
        text: str = "",
        reason: str = "",
        flags: Sequence[str] = (),
        paper_ids: Sequence[str] = (),
        inputs: Sequence[tuple[str, str]] = (),
        attempts: int = 1,
    ) -> None:
        """Store a category's synthesis report for a day (or why it failed).

        `paper_ids` are the papers the model was given; `inputs` is (paper id, state of its
        summary) for every paper of the category when the report was written, so a later
        reader can tell what changed since.
        """
        with self._transaction() as db:
            save_report_row(
                db,
                DAILY_REPORTS,
                day_text(day),
                category,
                model=model,
                prompt_version=prompt_version,
                inputs_hash=inputs_hash,
                status=status,
                text=text,
                reason=reason,
                flags=flags,
                sources=paper_ids,
                inputs=inputs,
                attempts=attempts,
            )

    def category_reports(self, day: date, model: str) -> list[StoredReport]:
        """Every report stored for `day` by `model`, oldest first."""
        rows = self._query(
            "SELECT * FROM category_reports WHERE day = ? AND model = ? ORDER BY created_at, rowid",
            (day_text(day), model),
        )
        return [report_from_row(row, DAILY_REPORTS) for row in rows]


def _summary_from_row(row: sqlite3.Row) -> StoredSummary:
    return StoredSummary(
        paper_id=row["paper_id"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        abstract_hash=row["abstract_hash"],
        status=row["status"],
        text=row["text"],
        reason=row["reason"],
        flags=json.loads(row["flags"]),
        attempts=row["attempts"],
        prompt_tokens=row["prompt_tokens"],
        output_tokens=row["output_tokens"],
        duration_ms=row["duration_ms"],
        created_at=row["created_at"],
    )


@dataclass(frozen=True)
class ReportTable:
    """Where one kind of synthesis report is kept: a category's day (written from its
    papers' summaries) or its week (from its days' reports); the rows are alike otherwise."""

    name: str
    period: str
    """The column naming the day or the week."""
    sources: str
    """The column listing what the model was given (paper ids, or days)."""


DAILY_REPORTS = ReportTable("category_reports", "day", "paper_ids")
WEEKLY_REPORTS = ReportTable("weekly_reports", "week", "days")


def save_report_row(
    db: sqlite3.Connection,
    table: ReportTable,
    period: str,
    category: str,
    *,
    model: str,
    prompt_version: str,
    inputs_hash: str,
    status: str,
    text: str,
    reason: str,
    flags: Sequence[str],
    sources: Sequence[str],
    inputs: Sequence[tuple[str, str]],
    attempts: int,
) -> None:
    """Insert or replace one report under its cache key in `table`."""
    db.execute(
        f"INSERT INTO {table.name} ({table.period}, category, model, prompt_version,"
        f" inputs_hash, status, text, reason, flags, {table.sources}, inputs, attempts,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" ON CONFLICT ({table.period}, category, model, prompt_version, inputs_hash)"
        " DO UPDATE SET status = excluded.status, text = excluded.text,"
        " reason = excluded.reason, flags = excluded.flags,"
        f" {table.sources} = excluded.{table.sources}, inputs = excluded.inputs,"
        " attempts = excluded.attempts, created_at = excluded.created_at",
        (
            period,
            category,
            model,
            prompt_version,
            inputs_hash,
            status,
            text if status == "ok" else "",
            reason,
            json.dumps(list(flags), ensure_ascii=False),
            json.dumps(list(sources)),
            json.dumps([list(item) for item in inputs]),
            attempts,
            utc_now(),
        ),
    )


def report_from_row(row: sqlite3.Row, table: ReportTable) -> StoredReport:
    """A stored report of `table` as a record (`day` holds the day or the week, and
    `paper_ids` what it was written from)."""
    return StoredReport(
        day=row[table.period],
        category=row["category"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        inputs_hash=row["inputs_hash"],
        status=row["status"],
        text=row["text"],
        reason=row["reason"],
        flags=json.loads(row["flags"]),
        paper_ids=json.loads(row[table.sources]),
        inputs=[(source, state) for source, state in json.loads(row["inputs"])],
        attempts=row["attempts"],
        created_at=row["created_at"],
    )
