"""Classifications: the category each paper is in, and who decided it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from core.store.database import Database, utc_now
from core.store.records import Classification


class Classifications(Database):
    """Each paper's category; a user's choice is never overwritten by llm or rules."""

    def set_classification(
        self,
        paper_id: str,
        *,
        category: str,
        confidence: float,
        method: str,
        taxonomy_version: str,
        model: str | None = None,
    ) -> bool:
        """Store a paper's category. A user's choice is never overwritten by llm or rules.

        Returns False when the paper keeps a user's category instead.
        """
        with self._transaction() as db:
            row = db.execute(
                "SELECT method FROM classifications WHERE paper_id = ?", (paper_id,)
            ).fetchone()
            if row is not None and row["method"] == "user" and method != "user":
                return False
            db.execute(
                "INSERT INTO classifications"
                " (paper_id, category, confidence, method, taxonomy_version, model, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (paper_id) DO UPDATE SET"
                " category = excluded.category, confidence = excluded.confidence,"
                " method = excluded.method, taxonomy_version = excluded.taxonomy_version,"
                " model = excluded.model, updated_at = excluded.updated_at",
                (paper_id, category, confidence, method, taxonomy_version, model, utc_now()),
            )
        return True

    def clear_classification(self, paper_id: str) -> None:
        """Forget a paper's category (e.g. to undo a user's correction)."""
        with self._transaction() as db:
            db.execute("DELETE FROM classifications WHERE paper_id = ?", (paper_id,))

    def unclassified(self, ids: Iterable[str], taxonomy_version: str) -> list[str]:
        """Papers among `ids` with no category, or one from an older taxonomy (not a user's)."""
        ids = list(ids)
        rows = self._query_ids(
            "SELECT paper_id FROM classifications WHERE paper_id IN ({ids})"
            " AND (method = 'user' OR taxonomy_version = ?)",
            ids,
            after=[taxonomy_version],
        )
        done = {row["paper_id"] for row in rows}
        return [paper_id for paper_id in ids if paper_id not in done]

    def classifications(self, ids: Iterable[str]) -> dict[str, Classification]:
        """The stored classification of each paper among `ids` that has one."""
        rows = self._query_ids("SELECT * FROM classifications WHERE paper_id IN ({ids})", ids)
        return {row["paper_id"]: _classification_from_row(row) for row in rows}


def _classification_from_row(row: sqlite3.Row) -> Classification:
    return Classification(
        category=row["category"],
        confidence=row["confidence"],
        method=row["method"],
        taxonomy_version=row["taxonomy_version"],
        model=row["model"],
    )
