"""The SQLite connection every part of the store shares: opening, transactions, reads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self

from core.errors import StoreError
from core.i18n import _
from core.owners import ProcessId
from core.store.migrations import apply_migrations

BUSY_TIMEOUT_MS = 10_000
ID_CHUNK = 500  # ids per statement, well below SQLite's limit on parameters


def utc_now() -> str:
    """The current time as stored: ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def day_text(day: date) -> str:
    """A day as the store keeps it in its `day` columns: ISO text (2026-05-08)."""
    return day.isoformat()


def placeholders(count: int) -> str:
    """`count` SQL parameter marks: "?, ?, ?"."""
    return ", ".join("?" * count)


class Database:
    """The open database, brought up to date. Safe to share between threads (calls are
    serialised); each part of the store builds on it."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._process = ProcessId.current()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(path),
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self.applied_migrations = apply_migrations(self._db)
        except sqlite3.DatabaseError as error:
            raise StoreError(
                _(
                    "store {path}: cannot open ({error}) — check the file is a dailyai database and "
                    "not in use by a crashed process, or move it away to start afresh"
                ).format(path=self.path, error=error)
            ) from error

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call `callback` with every SQL statement the store runs, on the thread that runs it
        (None stops it): how a test sees which thread writes."""
        with self._lock:
            self._db.set_trace_callback(callback)

    def integrity_check(self) -> str:
        """SQLite's quick check of the file: "ok", or what it found damaged."""
        return self._query("PRAGMA quick_check")[0][0]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole when the block ends, rolled back on error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _query_ids(
        self, sql: str, ids: Iterable[str], *, before: Sequence[Any] = (), after: Sequence[Any] = ()
    ) -> list[sqlite3.Row]:
        """Rows of a query over many ids: `{ids}` in `sql` becomes their placeholders.

        The ids go in chunks, below SQLite's limit on parameters; `before` and `after` are the
        query's other parameters, around the ids.
        """
        ids = list(ids)
        rows: list[sqlite3.Row] = []
        for start in range(0, len(ids), ID_CHUNK):
            chunk = ids[start : start + ID_CHUNK]
            rows.extend(
                self._query(sql.format(ids=placeholders(len(chunk))), [*before, *chunk, *after])
            )
        return rows
