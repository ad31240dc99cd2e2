"""The SQLite store: one record per paper, the days each was listed, and the run ledger.

The store is the only module that writes SQL. It runs in WAL mode with a busy timeout, so
the TUI can read while `dailyai run` writes, and every write happens in one explicit
transaction, so a killed process leaves either all or none of a step's changes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from core.errors import StoreError
from core.migrations import apply_migrations
from core.models import Listed, Paper, SourceKind

BUSY_TIMEOUT_MS = 10_000
_ID_CHUNK = 500  # ids per statement, well below SQLite's limit on parameters
_JSON_LIST_FIELDS = ("authors", "categories", "ai_keywords")
_PAPER_COLUMNS = (
    "id", "arxiv_id", "version", "title", "abstract", "authors", "categories",
    "primary_category", "links", "published", "updated", "doi", "journal_ref", "comment",
    "hf_upvotes", "hf_comments", "github_repo", "github_stars", "project_page",
    "ai_keywords", "hf_summary", "text_rank",
)  # fmt: skip


def utc_now() -> str:
    """The current time as stored: ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class MergeCounts:
    """How one batch of listed papers changed the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    listings: int = 0
    duplicates: int = 0


@dataclass
class DayPaper:
    """A paper as listed on one day, with what decides whether it enters the digest."""

    paper: Paper
    day: str
    sources: list[str]
    announce_types: list[str]
    seen: bool
    """Listed on an earlier day within the seen-window, so not new today."""

    @property
    def digest_eligible(self) -> bool:
        return not self.seen


@dataclass
class RunStep:
    """One line of the run ledger: a step (or one source of the fetch step) and its outcome."""

    step: str
    target: str
    status: str
    reason: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    duration_ms: int = 0


@dataclass
class Run:
    """One recorded run (a fetch, or a whole daily run) with its steps."""

    id: int
    kind: str
    day: str
    started_at: str
    finished_at: str | None
    status: str
    note: str
    log_path: str | None
    steps: list[RunStep]


class Store:
    """The app's SQLite database. Safe to share between threads (calls are serialised)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
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
                f"store {self.path}: cannot open ({error}) — check the file is a dailyai "
                "database and not in use by a crashed process, or move it away to start afresh"
            ) from error

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole when the block ends, rolled back on error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def query_ids(
        self, sql: str, ids: Iterable[str], *, before: Sequence[Any] = (), after: Sequence[Any] = ()
    ) -> list[sqlite3.Row]:
        """Rows of a query over many ids: `{ids}` in `sql` becomes their placeholders.

        The ids go in chunks, below SQLite's limit on parameters; `before` and `after` are the
        query's other parameters, around the ids.
        """
        ids = list(ids)
        rows: list[sqlite3.Row] = []
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows.extend(self.query(sql.format(ids=marks), [*before, *chunk, *after]))
        return rows

    # --- papers -------------------------------------------------------------------------

    def merge_listed(self, listed: Iterable[Listed], source: str) -> MergeCounts:
        """Store papers as one source listed them: one record per paper, one listing per day.

        A paper already stored is merged, never duplicated: a newer version or a more
        authoritative source replaces its text, and every source's signals are kept.
        """
        counts = MergeCounts()
        batch: dict[str, Paper] = {}
        listings: dict[tuple[str, str], tuple[str | None, int]] = {}
        for position, item in enumerate(listed):
            paper = item.paper
            if paper.id in batch:
                counts.duplicates += 1
                batch[paper.id] = merge_paper(batch[paper.id], paper)
            else:
                batch[paper.id] = paper
            key = (paper.id, item.day.isoformat())
            if key not in listings:
                listings[key] = (item.announce_type, position)
        now = utc_now()
        with self.transaction() as db:
            existing = self._load_papers(db, list(batch))
            inserts, updates = [], []
            for paper_id, incoming in batch.items():
                stored = existing.get(paper_id)
                if stored is None:
                    inserts.append((*_paper_row(incoming), now, now))
                    continue
                merged = merge_paper(stored, incoming)
                if _paper_row(merged) != _paper_row(stored):
                    updates.append((*_paper_row(merged)[1:], now, paper_id))
                else:
                    counts.unchanged += 1
            columns = ", ".join(_PAPER_COLUMNS)
            marks = ", ".join("?" * (len(_PAPER_COLUMNS) + 2))
            last_rowid = db.execute("SELECT coalesce(max(rowid), 0) FROM papers").fetchone()[0]
            db.executemany(
                f"INSERT INTO papers ({columns}, first_seen_at, updated_at) VALUES ({marks})",
                inserts,
            )
            db.execute(
                "INSERT INTO papers_fts (rowid, title, abstract, summary)"
                " SELECT rowid, title, abstract, '' FROM papers WHERE rowid > ?",
                (last_rowid,),
            )
            assignments = ", ".join(f"{column} = ?" for column in _PAPER_COLUMNS[1:])
            db.executemany(f"UPDATE papers SET {assignments}, updated_at = ? WHERE id = ?", updates)
            db.executemany(
                "INSERT INTO listings (paper_id, day, source, announce_type, position, listed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (paper_id, day, source) DO UPDATE SET"
                " announce_type = excluded.announce_type, position = excluded.position",
                [
                    (paper_id, day, source, announce, position, now)
                    for (paper_id, day), (announce, position) in listings.items()
                ],
            )
        counts.new = len(inserts)
        counts.updated = len(updates)
        counts.listings = len(listings)
        return counts

    def update_papers(self, papers: Iterable[Paper]) -> int:
        """Merge extra metadata (e.g. arXiv categories) into papers already stored."""
        papers = list(papers)
        with self.transaction() as db:
            existing = self._load_papers(db, [paper.id for paper in papers])
            updates = []
            for paper in papers:
                stored = existing.get(paper.id)
                if stored is None:
                    continue
                merged = merge_paper(stored, paper)
                if _paper_row(merged) != _paper_row(stored):
                    updates.append((*_paper_row(merged)[1:], utc_now(), paper.id))
            assignments = ", ".join(f"{column} = ?" for column in _PAPER_COLUMNS[1:])
            db.executemany(f"UPDATE papers SET {assignments}, updated_at = ? WHERE id = ?", updates)
        return len(updates)

    def _load_papers(self, db: sqlite3.Connection, ids: list[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        for start in range(0, len(ids), _ID_CHUNK):  # inside the caller's transaction
            chunk = ids[start : start + _ID_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in db.execute(f"SELECT * FROM papers WHERE id IN ({marks})", chunk):
                found[row["id"]] = paper_from_row(row)
        return found

    def get_paper(self, paper_id: str) -> Paper | None:
        """One stored paper with the sources and days that listed it."""
        rows = self.query("SELECT * FROM papers WHERE id = ?", (paper_id,))
        if not rows:
            return None
        paper = paper_from_row(rows[0])
        listing_rows = self.query(
            "SELECT DISTINCT day, source FROM listings WHERE paper_id = ? ORDER BY day", (paper_id,)
        )
        paper.days = sorted({row["day"] for row in listing_rows})
        paper.sources = sorted({row["source"] for row in listing_rows})
        return paper

    def papers_without_categories(self, ids: Iterable[str]) -> list[str]:
        """The arXiv ids among `ids` whose arXiv categories are not known yet."""
        rows = self.query_ids(
            "SELECT arxiv_id FROM papers WHERE id IN ({ids})"
            " AND arxiv_id IS NOT NULL AND categories = '[]'",
            ids,
        )
        return [row["arxiv_id"] for row in rows]

    def day_papers(
        self, day: date | str, *, seen_window_days: int = 7, announce_types: Sequence[str] = ()
    ) -> list[DayPaper]:
        """Every paper listed on `day`, with its sources and whether it was seen before.

        A paper counts as seen when it was listed on one of the `seen_window_days` days
        before `day`; with `announce_types` (e.g. new, cross) only earlier arXiv listings of
        those types count (listings without a type — HF, other feeds — always count), so a
        paper that was only re-announced as a new version is not "seen".
        """
        day = str(day)
        window_start = (date.fromisoformat(day) - timedelta(days=seen_window_days)).isoformat()
        types = list(announce_types)
        type_filter = (
            f"(earlier.announce_type IS NULL OR earlier.announce_type IN ({', '.join('?' * len(types))}))"
            if types
            else "1"
        )
        rows = self.query(
            f"""
            WITH today AS (
                SELECT paper_id, group_concat(source, '|') AS sources,
                       group_concat(coalesce(announce_type, ''), '|') AS announce_types,
                       min(position) AS position
                FROM listings WHERE day = ? GROUP BY paper_id
            )
            SELECT p.*, today.sources, today.announce_types,
                   EXISTS (
                       SELECT 1 FROM listings AS earlier
                       WHERE earlier.paper_id = today.paper_id
                         AND earlier.day < ? AND earlier.day >= ? AND {type_filter}
                   ) AS seen
            FROM today JOIN papers AS p ON p.id = today.paper_id
            ORDER BY coalesce(p.hf_upvotes, -1) DESC, today.position, p.id
            """,
            [day, day, window_start, *types],
        )
        result = []
        for row in rows:
            sources = sorted(set(row["sources"].split("|")))
            paper = paper_from_row(row)
            paper.sources = sources
            result.append(
                DayPaper(
                    paper=paper,
                    day=day,
                    sources=sources,
                    announce_types=sorted({t for t in row["announce_types"].split("|") if t}),
                    seen=bool(row["seen"]),
                )
            )
        return result

    def days(self) -> list[tuple[str, int]]:
        """Every day with listings, newest first, with its number of papers."""
        return [
            (row["day"], row["n"])
            for row in self.query(
                "SELECT day, count(DISTINCT paper_id) AS n FROM listings GROUP BY day ORDER BY day DESC"
            )
        ]

    def paper_days(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """The days each of `ids` was listed on, oldest first (e.g. for search results)."""
        found: dict[str, list[str]] = {}
        rows = self.query_ids(
            "SELECT DISTINCT paper_id, day FROM listings WHERE paper_id IN ({ids}) ORDER BY day",
            ids,
        )
        for row in rows:
            found.setdefault(row["paper_id"], []).append(row["day"])
        return found

    def category_counts(
        self, first_day: date | str, last_day: date | str
    ) -> dict[str, dict[str, int]]:
        """Per day from `first_day` to `last_day`: how many listed papers each category has.

        Papers without a category are counted under "" (for the TUI's trends chart).
        """
        found: dict[str, dict[str, int]] = {}
        for row in self.query(
            "SELECT l.day, coalesce(c.category, '') AS category, count(DISTINCT l.paper_id) AS n"
            " FROM listings AS l LEFT JOIN classifications AS c ON c.paper_id = l.paper_id"
            " WHERE l.day BETWEEN ? AND ? GROUP BY l.day, category",
            (str(first_day), str(last_day)),
        ):
            found.setdefault(row["day"], {})[row["category"]] = row["n"]
        return found

    def search(self, query: str, *, limit: int = 50) -> list[Paper]:
        """Papers whose title, abstract or summary match `query`, best match first.

        Each word is matched as a prefix, so Korean words match with their particles
        (`강화학습` finds `강화학습을`); quotes are treated literally, never as syntax.
        """
        # A NUL would end the FTS query string early (sqlite: "unterminated string").
        terms = [term for term in query.replace('"', " ").replace("\x00", " ").split() if term]
        if not terms:
            return []
        match = " ".join(f'"{term}"*' for term in terms)
        rows = self.query(
            """
            SELECT p.* FROM papers_fts JOIN papers AS p ON p.rowid = papers_fts.rowid
            WHERE papers_fts MATCH ? ORDER BY bm25(papers_fts, 10.0, 2.0, 3.0) LIMIT ?
            """,
            (match, limit),
        )
        return [paper_from_row(row) for row in rows]

    def count_papers(self) -> int:
        return self.query("SELECT count(*) FROM papers")[0][0]

    def export_rows(self, day: date | str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored field of the papers (of one day, or all), with sources and days."""
        if day is None:
            rows = self.query("SELECT * FROM papers ORDER BY id")
        else:
            rows = self.query(
                "SELECT p.* FROM papers AS p WHERE p.id IN"
                " (SELECT paper_id FROM listings WHERE day = ?) ORDER BY p.id",
                (str(day),),
            )
        listing_rows = self.query("SELECT paper_id, day, source, announce_type FROM listings")
        listings: dict[str, list[dict[str, Any]]] = {}
        for row in listing_rows:
            listings.setdefault(row["paper_id"], []).append(
                {"day": row["day"], "source": row["source"], "announce_type": row["announce_type"]}
            )
        for row in rows:
            record = dict(row)
            for key in (*_JSON_LIST_FIELDS, "links"):
                record[key] = json.loads(record[key])
            record["listings"] = sorted(
                listings.get(row["id"], []), key=lambda item: (item["day"], item["source"])
            )
            yield record

    # --- conditional GET state ----------------------------------------------------------

    def http_cache_get(self, url: str) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM http_cache WHERE url = ?", (url,))
        return rows[0] if rows else None

    def http_cache_put(
        self, url: str, *, etag: str | None, last_modified: str | None, body_sha256: str | None
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO http_cache (url, etag, last_modified, body_sha256, checked_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256,"
                " checked_at = excluded.checked_at",
                (url, etag, last_modified, body_sha256, utc_now()),
            )

    # --- run ledger ---------------------------------------------------------------------

    def start_run(self, kind: str, day: date | str, log_path: str | None = None) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (kind, day, started_at, log_path) VALUES (?, ?, ?, ?)",
                (kind, str(day), utc_now(), log_path),
            )
            return int(cursor.lastrowid or 0)

    def record_step(self, run_id: int, step: RunStep) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO run_steps"
                " (run_id, step, target, status, reason, counts, duration_ms, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    step.step,
                    step.target,
                    step.status,
                    step.reason,
                    json.dumps(step.counts, ensure_ascii=False),
                    step.duration_ms,
                    utc_now(),
                ),
            )

    def finish_run(self, run_id: int, status: str, note: str = "") -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, note = ? WHERE id = ?",
                (utc_now(), status, note, run_id),
            )

    def runs(
        self, *, day: date | str | None = None, kinds: Sequence[str] = (), limit: int = 20
    ) -> list[Run]:
        """The most recent runs (of one day, or of any; of some kinds, or all), newest first."""
        conditions, params = [], []
        if day is not None:
            conditions.append("day = ?")
            params.append(str(day))
        if kinds:
            conditions.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.query(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        runs = []
        for row in rows:
            steps = [
                RunStep(
                    step=step["step"],
                    target=step["target"],
                    status=step["status"],
                    reason=step["reason"],
                    counts=json.loads(step["counts"]),
                    duration_ms=step["duration_ms"],
                )
                for step in self.query(
                    "SELECT * FROM run_steps WHERE run_id = ? ORDER BY id", (row["id"],)
                )
            ]
            runs.append(
                Run(
                    id=row["id"],
                    kind=row["kind"],
                    day=row["day"],
                    started_at=row["started_at"],
                    finished_at=row["finished_at"],
                    status=row["status"],
                    note=row["note"],
                    log_path=row["log_path"],
                    steps=steps,
                )
            )
        return runs

    # --- classifications ----------------------------------------------------------------

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
        with self.transaction() as db:
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
        with self.transaction() as db:
            db.execute("DELETE FROM classifications WHERE paper_id = ?", (paper_id,))

    def unclassified(self, ids: Iterable[str], taxonomy_version: str) -> list[str]:
        """Papers among `ids` with no category, or one from an older taxonomy (not a user's)."""
        ids = list(ids)
        rows = self.query_ids(
            "SELECT paper_id FROM classifications WHERE paper_id IN ({ids})"
            " AND (method = 'user' OR taxonomy_version = ?)",
            ids,
            after=[taxonomy_version],
        )
        done = {row["paper_id"] for row in rows}
        return [paper_id for paper_id in ids if paper_id not in done]

    def classifications(self, ids: Iterable[str]) -> dict[str, sqlite3.Row]:
        """The stored classification of each paper among `ids` that has one."""
        rows = self.query_ids("SELECT * FROM classifications WHERE paper_id IN ({ids})", ids)
        return {row["paper_id"]: row for row in rows}

    # --- summaries and category reports -------------------------------------------------

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
        with self.transaction() as db:
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
                db.execute(
                    "UPDATE papers_fts SET summary = ?"
                    " WHERE rowid = (SELECT rowid FROM papers WHERE id = ?)",
                    (text, paper_id),
                )

    def get_summary(
        self, paper_id: str, *, model: str, prompt_version: str, abstract_hash: str
    ) -> sqlite3.Row | None:
        """The stored summary under exactly this cache key, if any."""
        rows = self.query(
            "SELECT * FROM summaries WHERE paper_id = ? AND model = ? AND prompt_version = ?"
            " AND abstract_hash = ?",
            (paper_id, model, prompt_version, abstract_hash),
        )
        return rows[0] if rows else None

    def summary_timings(self, model: str, *, limit: int = 50) -> list[tuple[int, int | None]]:
        """(duration_ms, output_tokens) of the model's most recent summaries that passed."""
        rows = self.query(
            "SELECT duration_ms, output_tokens FROM summaries WHERE model = ? AND status = 'ok'"
            " AND duration_ms IS NOT NULL ORDER BY created_at DESC LIMIT ?",
            (model, limit),
        )
        return [(row["duration_ms"], row["output_tokens"]) for row in rows]

    def save_category_report(
        self,
        day: date | str,
        category: str,
        *,
        model: str,
        prompt_version: str,
        inputs_hash: str,
        status: str,
        text: str = "",
        reason: str = "",
        paper_ids: Sequence[str] = (),
        attempts: int = 1,
    ) -> None:
        """Store a category's synthesis report for a day (or why it failed)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO category_reports (day, category, model, prompt_version, inputs_hash,"
                " status, text, reason, paper_ids, attempts, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (day, category, model, prompt_version, inputs_hash) DO UPDATE SET"
                " status = excluded.status, text = excluded.text, reason = excluded.reason,"
                " paper_ids = excluded.paper_ids, attempts = excluded.attempts,"
                " created_at = excluded.created_at",
                (
                    str(day),
                    category,
                    model,
                    prompt_version,
                    inputs_hash,
                    status,
                    text if status == "ok" else "",
                    reason,
                    json.dumps(list(paper_ids)),
                    attempts,
                    utc_now(),
                ),
            )

    def get_category_report(
        self, day: date | str, category: str, *, model: str, prompt_version: str, inputs_hash: str
    ) -> sqlite3.Row | None:
        rows = self.query(
            "SELECT * FROM category_reports WHERE day = ? AND category = ? AND model = ?"
            " AND prompt_version = ? AND inputs_hash = ?",
            (str(day), category, model, prompt_version, inputs_hash),
        )
        return rows[0] if rows else None

    # --- reader state and deliveries ----------------------------------------------------

    def set_starred(self, paper_id: str, starred: bool) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO reader_state (paper_id, starred) VALUES (?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET starred = excluded.starred",
                (paper_id, int(starred)),
            )

    def set_read(self, paper_id: str, read: bool = True) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO reader_state (paper_id, read_at) VALUES (?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET read_at = excluded.read_at",
                (paper_id, utc_now() if read else None),
            )

    def record_delivery(
        self,
        day: date | str,
        recipient: str,
        *,
        status: str,
        message_id: str | None = None,
        error: str = "",
    ) -> None:
        """Record that the day's digest was sent to (or refused for) one recipient."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (day, recipient, status, message_id, error, attempted_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, recipient) DO UPDATE SET"
                " status = excluded.status, message_id = excluded.message_id,"
                " error = excluded.error, attempted_at = excluded.attempted_at",
                (str(day), recipient.lower(), status, message_id, error, utc_now()),
            )

    def delivered(self, day: date | str, recipient: str) -> bool:
        """True when the day's digest was already sent to this recipient."""
        rows = self.query(
            "SELECT 1 FROM deliveries WHERE day = ? AND recipient = ? AND status = 'sent'",
            (str(day), recipient.lower()),
        )
        return bool(rows)

    def deliveries(self, day: date | str) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM deliveries WHERE day = ? ORDER BY recipient", (str(day),))


def merge_paper(stored: Paper, incoming: Paper) -> Paper:
    """One record from two descriptions of the same paper.

    The text (title, abstract, authors) comes from the newest version, and between equal
    versions from the most authoritative source; every source's signals and links are kept.
    """
    merged = Paper(**{name: getattr(stored, name) for name in _PAPER_COLUMNS})
    newer = incoming.version is not None and (
        stored.version is None or incoming.version > stored.version
    )
    older = (
        incoming.version is not None
        and stored.version is not None
        and incoming.version < stored.version
    )
    takes_text = newer or (not older and incoming.text_rank >= stored.text_rank)
    if takes_text:
        merged.title = incoming.title or stored.title
        merged.abstract = incoming.abstract or stored.abstract
        merged.authors = incoming.authors or stored.authors
        merged.text_rank = (
            max(incoming.text_rank, stored.text_rank) if not newer else incoming.text_rank
        )
        if incoming.updated:
            merged.updated = incoming.updated
        if incoming.comment:
            merged.comment = incoming.comment
    if incoming.version is not None and (
        stored.version is None or incoming.version > stored.version
    ):
        merged.version = incoming.version
    merged.arxiv_id = stored.arxiv_id or incoming.arxiv_id
    merged.categories = list(dict.fromkeys([*stored.categories, *incoming.categories]))
    if incoming.primary_category and (takes_text or not stored.primary_category):
        merged.primary_category = incoming.primary_category
    merged.links = (
        {**incoming.links, **stored.links} if not takes_text else {**stored.links, **incoming.links}
    )
    for name in ("published", "doi", "journal_ref"):
        if getattr(incoming, name) and (takes_text or not getattr(stored, name)):
            setattr(merged, name, getattr(incoming, name))
    # Hugging Face's signals change over the day: the latest reading wins.
    for name in (
        "hf_upvotes",
        "hf_comments",
        "github_repo",
        "github_stars",
        "project_page",
        "hf_summary",
    ):
        if getattr(incoming, name) is not None:
            setattr(merged, name, getattr(incoming, name))
    if incoming.ai_keywords:
        merged.ai_keywords = incoming.ai_keywords
    return merged


def _paper_row(paper: Paper) -> tuple[Any, ...]:
    values = []
    for column in _PAPER_COLUMNS:
        value = getattr(paper, column)
        if column in _JSON_LIST_FIELDS or column == "links":
            value = json.dumps(value, ensure_ascii=False)
        values.append(value)
    return tuple(values)


def paper_from_row(row: sqlite3.Row) -> Paper:
    """A Paper from a `papers` row (extra columns in the row are ignored)."""
    values = {column: row[column] for column in _PAPER_COLUMNS}
    for column in (*_JSON_LIST_FIELDS, "links"):
        values[column] = json.loads(values[column])
    return Paper(**values)


__all__ = ["DayPaper", "MergeCounts", "Run", "RunStep", "SourceKind", "Store", "merge_paper"]
