"""SQL on a store's database file itself, for set-up or checks no store method fits.

The store speaks in records and keeps its SQL to itself; a test that must write a row an old
version wrote, or count what no user-facing call counts, opens the file as any other
SQLite client would (the store's WAL lets it read and write alongside an open Store).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any


def run_sql(database: Path, statement: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    """Run one statement on the file `database` (committed at once) and return its rows."""
    with closing(sqlite3.connect(database, isolation_level=None)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(statement, params).fetchall()


def count(database: Path, statement: str, params: Sequence[Any] = ()) -> int:
    """The single number a `SELECT count(*) …` statement gives."""
    return run_sql(database, statement, params)[0][0]
