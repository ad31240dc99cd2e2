"""Reader state: the papers the user read, and which of them they starred (liked)."""

from __future__ import annotations

from collections.abc import Iterable

from core.store.database import Database, utc_now
from core.store.records import ReaderState


class Reader(Database):
    """What the reader did with each paper (read it; a star is a like in the profile)."""

    def set_read(self, paper_id: str, read: bool = True) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO reader_state (paper_id, read_at) VALUES (?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET read_at = excluded.read_at",
                (paper_id, utc_now() if read else None),
            )

    def reader_states(self, ids: Iterable[str]) -> dict[str, ReaderState]:
        """The reader state of each paper among `ids` that has one (never starred nor read: none).

        A paper is starred when the interest profile likes it (`Store.set_feedback`).
        """
        ids = list(ids)
        states = {
            row["paper_id"]: ReaderState(row["paper_id"], False, row["read_at"])
            for row in self._query_ids("SELECT * FROM reader_state WHERE paper_id IN ({ids})", ids)
        }
        liked = self._query_ids(
            "SELECT paper_id FROM profile_entries WHERE stance = 'like' AND paper_id IN ({ids})",
            ids,
        )
        for row in liked:
            states.setdefault(row["paper_id"], ReaderState(row["paper_id"])).starred = True
        return states
