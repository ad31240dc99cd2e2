"""Reader state: the papers the user starred and read."""

from __future__ import annotations

from collections.abc import Iterable

from core.store.database import Database, utc_now
from core.store.records import ReaderState


class Reader(Database):
    """What the reader did with each paper (starred, read)."""

    def set_starred(self, paper_id: str, starred: bool) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO reader_state (paper_id, starred) VALUES (?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET starred = excluded.starred",
                (paper_id, int(starred)),
            )

    def set_read(self, paper_id: str, read: bool = True) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO reader_state (paper_id, read_at) VALUES (?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET read_at = excluded.read_at",
                (paper_id, utc_now() if read else None),
            )

    def reader_states(self, ids: Iterable[str]) -> dict[str, ReaderState]:
        """The reader state of each paper among `ids` that has one (never starred nor read: none)."""
        rows = self._query_ids("SELECT * FROM reader_state WHERE paper_id IN ({ids})", ids)
        return {
            row["paper_id"]: ReaderState(row["paper_id"], bool(row["starred"]), row["read_at"])
            for row in rows
        }
