"""The interest profile: liked and not-wanted papers, cached embedding vectors, revisions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from core.store.database import Database, utc_now
from core.store.records import PaperRevision, ProfileEntry

STANCES = ("like", "dislike")


class Profile(Database):
    """What the reader told the app about their interests, and what ranking caches."""

    def add_profile_entries(self, entries: Iterable[ProfileEntry]) -> tuple[int, int]:
        """Store imported seeds in one commit: (added, already in the profile).

        An entry already in the profile (by key) is kept as it is, so importing a file again
        changes nothing and never overrides a "not interested".
        """
        entries = list(entries)
        now = utc_now()
        with self._transaction() as db:
            before = db.execute("SELECT count(*) FROM profile_entries").fetchone()[0]
            db.executemany(
                "INSERT INTO profile_entries (key, stance, origin, source, paper_id, title,"
                " abstract, authors, url, category, version, comment, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                [_entry_row(entry, entry.added_at or now) for entry in entries],
            )
            after = db.execute("SELECT count(*) FROM profile_entries").fetchone()[0]
        return after - before, len(entries) - (after - before)

    def set_feedback(self, entry: ProfileEntry) -> None:
        """Like or not-want a paper (replacing what the profile said of it before)."""
        if entry.stance not in STANCES:
            raise ValueError(f"stance must be one of {STANCES}, not {entry.stance!r}")
        with self._transaction() as db:
            db.execute(
                "INSERT INTO profile_entries (key, stance, origin, source, paper_id, title,"
                " abstract, authors, url, category, version, comment, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                " stance = excluded.stance, origin = excluded.origin, source = excluded.source,"
                " version = excluded.version, comment = excluded.comment,"
                " added_at = excluded.added_at",
                _entry_row(entry, entry.added_at or utc_now()),
            )

    def forget_profile_entry(self, key: str) -> bool:
        """Take a paper out of the profile (by entry key or paper id); False if it was not in."""
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM profile_entries WHERE key = ? OR paper_id = ?", (key, key)
            )
        return cursor.rowcount > 0

    def profile_entries(self) -> list[ProfileEntry]:
        """Every entry of the profile, oldest first."""
        rows = self._query("SELECT * FROM profile_entries ORDER BY added_at, rowid")
        return [_entry_from_row(row) for row in rows]

    def profile_entry(self, key: str) -> ProfileEntry | None:
        """The entry for a key or paper id, if the profile has one."""
        rows = self._query(
            "SELECT * FROM profile_entries WHERE key = ? OR paper_id = ? LIMIT 1", (key, key)
        )
        return _entry_from_row(rows[0]) if rows else None

    def profile_stances(self, paper_ids: Iterable[str]) -> dict[str, str]:
        """ "like" or "dislike" for each of `paper_ids` the profile holds."""
        rows = self._query_ids(
            "SELECT paper_id, stance FROM profile_entries WHERE paper_id IN ({ids})", paper_ids
        )
        return {row["paper_id"]: row["stance"] for row in rows}

    def profile_size(self) -> int:
        return self._query("SELECT count(*) FROM profile_entries")[0][0]

    # --- embedding vectors --------------------------------------------------------------

    def cached_vectors(
        self, model: str, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], bytes]:
        """The stored vectors by `model` for (item, text hash) pairs that have one."""
        wanted = set(keys)
        items = sorted({item for item, _ in wanted})
        rows = self._query_ids(
            "SELECT item, text_hash, vector FROM embeddings WHERE model = ? AND item IN ({ids})",
            items,
            before=[model],
        )
        return {
            (row["item"], row["text_hash"]): bytes(row["vector"])
            for row in rows
            if (row["item"], row["text_hash"]) in wanted
        }

    def save_vectors(self, model: str, vectors: Iterable[tuple[str, str, bytes]]) -> None:
        """Store (item, text hash, vector bytes) made by `model`, in one commit."""
        now = utc_now()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO embeddings (item, model, text_hash, vector, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (item, model, text_hash) DO UPDATE SET"
                " vector = excluded.vector, created_at = excluded.created_at",
                [(item, model, text_hash, vector, now) for item, text_hash, vector in vectors],
            )

    # --- revisions ----------------------------------------------------------------------

    def paper_revisions(self, paper_ids: Iterable[str]) -> list[PaperRevision]:
        """Every recorded revision of `paper_ids`, oldest first."""
        rows = self._query_ids(
            "SELECT * FROM paper_revisions WHERE paper_id IN ({ids}) ORDER BY recorded_at, rowid",
            paper_ids,
        )
        return [_revision_from_row(row) for row in rows]


def _entry_row(entry: ProfileEntry, added_at: str) -> tuple[object, ...]:
    return (
        entry.key,
        entry.stance,
        entry.origin,
        entry.source,
        entry.paper_id,
        entry.title,
        entry.abstract,
        json.dumps(list(entry.authors), ensure_ascii=False),
        entry.url,
        entry.category,
        entry.version,
        entry.comment,
        added_at,
    )


def _entry_from_row(row: sqlite3.Row) -> ProfileEntry:
    return ProfileEntry(
        key=row["key"],
        stance=row["stance"],
        origin=row["origin"],
        title=row["title"],
        source=row["source"],
        paper_id=row["paper_id"],
        abstract=row["abstract"],
        authors=json.loads(row["authors"]),
        url=row["url"],
        category=row["category"],
        version=row["version"],
        comment=row["comment"],
        added_at=row["added_at"],
    )


def _revision_from_row(row: sqlite3.Row) -> PaperRevision:
    return PaperRevision(
        paper_id=row["paper_id"],
        day=row["day"],
        old_version=row["old_version"],
        new_version=row["new_version"],
        old_comment=row["old_comment"],
        new_comment=row["new_comment"],
        old_title=row["old_title"],
        new_title=row["new_title"],
        old_abstract=row["old_abstract"],
        new_abstract=row["new_abstract"],
        recorded_at=row["recorded_at"],
    )
