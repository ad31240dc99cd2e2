"""What storing a paper or a summary writes to the search index (core.store.search reads it).

The index is the FTS5 table `papers_fts`: one row per paper (rowid = the paper's rowid) with
its title, abstract and current Korean summary as words, and in `korean` the morphemes of
its Korean text. Morphemes take a model to find (core.korean), so storing never waits for
it: a paper whose Korean text is new or changed goes into `search_backlog`, which
`Store.update_korean_index` works off. Title and abstract changes reach the index through
triggers (migrations m001 and m010, which test for Hangul with GLOB '*[가-힣]*', as
core.korean.has_hangul does).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from core.store.database import ID_CHUNK, placeholders


def index_new_papers(db: sqlite3.Connection, after_rowid: int, korean: Sequence[str]) -> None:
    """Index the papers stored after `after_rowid` (inside the caller's transaction).

    Their words are searchable at once; `korean`, the ids of those with Korean text in
    their title or abstract, wait in the backlog for their morphemes.
    """
    db.execute(
        "INSERT INTO papers_fts (rowid, title, abstract, summary, korean)"
        " SELECT rowid, title, abstract, '', '' FROM papers WHERE rowid > ?",
        (after_rowid,),
    )
    for start in range(0, len(korean), ID_CHUNK):
        chunk = korean[start : start + ID_CHUNK]
        db.execute(
            "INSERT OR IGNORE INTO search_backlog (paper_rowid)"
            f" SELECT rowid FROM papers WHERE id IN ({placeholders(len(chunk))})",
            chunk,
        )


def index_summary(db: sqlite3.Connection, paper_id: str, text: str) -> None:
    """Make `text` the paper's searchable summary (inside the caller's transaction)."""
    db.execute(
        "UPDATE papers_fts SET summary = ? WHERE rowid = (SELECT rowid FROM papers WHERE id = ?)",
        (text, paper_id),
    )
    db.execute(
        "INSERT OR IGNORE INTO search_backlog (paper_rowid) SELECT rowid FROM papers WHERE id = ?",
        (paper_id,),
    )
