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
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from core.errors import StoreError
from core.killpoints import kill_point
from core.migrations import apply_migrations
from core.models import Listed, Paper, SourceKind
from core.owners import HEARTBEAT_SECONDS, ProcessId, is_alive

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
    pid: int | None = None
    """The process that ran it (None for runs recorded before processes were)."""
    host: str | None = None
    plan: tuple[str, ...] = ()
    """The steps the run set out to do (for a daily run)."""


@dataclass
class Claim:
    """Work that one holder does at a time, as held in the store: who holds it, since when."""

    name: str
    holder: str
    run_id: int | None
    pid: int
    host: str
    claimed_at: str
    run_kind: str | None = None
    run_started_at: str | None = None
    run_plan: tuple[str, ...] = ()

    def describe(self) -> str:
        """Who holds it, for a user: "another dailyai run (pid 4242, started 14:05)"."""
        what = f"dailyai {self.run_kind}" if self.run_kind else "dailyai"
        since = local_clock(self.run_started_at or self.claimed_at)
        where = "" if self.host == ProcessId.current().host else f" on {self.host}"
        return f"another {what} (pid {self.pid}{where}, started {since})"


@dataclass
class DeliveryClaims:
    """What claiming a day's recipients gave: whom to send to now, and whom not, and why."""

    claimed: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    held: dict[str, Claim] = field(default_factory=dict)
    """Recipients another live sender is sending to now."""


def model_work_claim(day: date | str) -> str:
    """The claim on a day's model work (classify and summarize): one run at a time."""
    return f"model-work:{day}"


def mail_claim(day: date | str, address: str) -> str:
    """The claim on sending a day's digest to one address."""
    return f"mail:{day}:{address.lower()}"


def local_clock(stamp: str) -> str:
    """A stored UTC time as this machine's local HH:MM (with the date when not today)."""
    when = datetime.fromisoformat(stamp).astimezone()
    if when.date() == datetime.now().astimezone().date():
        return when.strftime("%H:%M")
    return when.strftime("%Y-%m-%d %H:%M")


class Store:
    """The app's SQLite database. Safe to share between threads (calls are serialised)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._process = ProcessId.current()
        self._own_runs: set[int] = set()
        """Runs started through this store and not finished yet (kept alive by a heartbeat)."""
        self._heartbeat: threading.Thread | None = None
        self._closing = threading.Event()
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
        # Whoever opens the store (the next run, the TUI) settles runs whose process died;
        # a read-only store cannot be written, and is read all the same.
        with suppress(sqlite3.OperationalError):
            self.mark_interrupted_runs()

    def close(self) -> None:
        """Close the store; a run it started and never finished is marked interrupted."""
        self._closing.set()
        with self._lock:
            if self._own_runs:
                with suppress(sqlite3.Error), self.transaction() as db:
                    ids = list(self._own_runs)
                    marks = ", ".join("?" * len(ids))
                    db.execute(
                        "UPDATE runs SET status = 'interrupted', finished_at = ?, note = ?"
                        f" WHERE id IN ({marks}) AND status = 'running'",
                        [utc_now(), "interrupted: dailyai stopped before the run finished", *ids],
                    )
                    db.execute(f"DELETE FROM claims WHERE run_id IN ({marks})", ids)
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
        kill_point("papers-stored", len(batch))
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

    def papers_without_categories(
        self,
        ids: Iterable[str] = (),
        *,
        days: tuple[date | str, date | str] | None = None,
        max_attempts: int | None = None,
        limit: int | None = None,
    ) -> list[str]:
        """arXiv ids of papers whose arXiv categories are not known yet.

        The papers among `ids` come first (in their order), then those listed between the two
        `days` (newest day first, at most `limit` of them); with `max_attempts`, papers asked
        for that many times already are left out.
        """
        ids = list(dict.fromkeys(ids))
        condition = "arxiv_id IS NOT NULL AND categories = '[]'"
        attempts = "coalesce((SELECT attempts FROM enrichment_attempts WHERE paper_id = p.id), 0)"
        bound = [] if max_attempts is None else [max_attempts]
        if max_attempts is not None:
            condition += f" AND {attempts} < ?"
        rows = self.query_ids(
            f"SELECT id, arxiv_id FROM papers AS p WHERE id IN ({{ids}}) AND {condition}",
            ids,
            after=bound,
        )
        order = {paper_id: position for position, paper_id in enumerate(ids)}
        found = [row["arxiv_id"] for row in sorted(rows, key=lambda row: order[row["id"]])]
        if days is not None:
            earlier = self.query(
                f"SELECT p.arxiv_id FROM papers AS p JOIN (SELECT paper_id, max(day) AS day"
                f" FROM listings WHERE day BETWEEN ? AND ? GROUP BY paper_id) AS l"
                f" ON l.paper_id = p.id WHERE {condition} ORDER BY l.day DESC, p.id LIMIT ?",
                [str(days[0]), str(days[1]), *bound, -1 if limit is None else limit],
            )
            seen = set(found)
            found += [row["arxiv_id"] for row in earlier if row["arxiv_id"] not in seen]
        return found

    def record_enrichment_attempt(self, arxiv_ids: Iterable[str], error: str = "") -> None:
        """Count one more look-up of these papers' arXiv categories (and why it failed)."""
        now = utc_now()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO enrichment_attempts (paper_id, attempts, last_error, attempted_at)"
                " SELECT id, 1, ?, ? FROM papers WHERE arxiv_id = ?"
                " ON CONFLICT (paper_id) DO UPDATE SET attempts = attempts + 1,"
                " last_error = excluded.last_error, attempted_at = excluded.attempted_at",
                [(error, now, arxiv_id) for arxiv_id in arxiv_ids],
            )

    def enrichment_backlog(self, max_attempts: int) -> tuple[int, int, int]:
        """Papers with an arXiv id: how many, how many lack their arXiv categories, and how
        many of those were asked for `max_attempts` times already (given up)."""
        row = self.query(
            "SELECT count(*) AS total,"
            " coalesce(sum(p.categories = '[]'), 0) AS missing,"
            " coalesce(sum(p.categories = '[]' AND coalesce(e.attempts, 0) >= ?), 0) AS given_up"
            " FROM papers AS p LEFT JOIN enrichment_attempts AS e ON e.paper_id = p.id"
            " WHERE p.arxiv_id IS NOT NULL",
            (max_attempts,),
        )[0]
        return row["total"], row["missing"], row["given_up"]

    def source_listed_on(self, source: str, day: date | str) -> bool:
        """True when `source` has listed some paper on `day`."""
        rows = self.query(
            "SELECT 1 FROM listings WHERE day = ? AND source = ? LIMIT 1", (str(day), source)
        )
        return bool(rows)

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
        terms = [term for term in query.replace('"', " ").split() if term]
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
        """What the last successful fetch of `url` saw: validators, body hash, and its parse."""
        rows = self.query("SELECT * FROM http_cache WHERE url = ?", (url,))
        return rows[0] if rows else None

    def http_cache_put(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        body_sha256: str | None,
        kind: str | None = None,
        parser_version: int | None = None,
        entries: int | None = None,
        listed: int | None = None,
    ) -> None:
        """Remember a fetched body and how it was parsed (kind, parser version, item counts)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO http_cache (url, etag, last_modified, body_sha256, kind,"
                " parser_version, entries, listed, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256,"
                " kind = excluded.kind, parser_version = excluded.parser_version,"
                " entries = excluded.entries, listed = excluded.listed,"
                " checked_at = excluded.checked_at",
                (
                    url,
                    etag,
                    last_modified,
                    body_sha256,
                    kind,
                    parser_version,
                    entries,
                    listed,
                    utc_now(),
                ),
            )

    # --- run ledger ---------------------------------------------------------------------

    def start_run(
        self,
        kind: str,
        day: date | str,
        log_path: str | None = None,
        *,
        plan: Sequence[str] = (),
    ) -> int:
        """Record a run as started by this process; `plan` is the steps it sets out to do.

        Until it is finished a heartbeat keeps it alive; if the process dies first, the next
        store opened (by a run or the TUI) marks it interrupted.
        """
        self.mark_interrupted_runs()
        process, now = self._process, utc_now()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (kind, day, started_at, log_path, host, pid, process_started,"
                " heartbeat_at, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    str(day),
                    now,
                    log_path,
                    process.host,
                    process.pid,
                    process.started,
                    now,
                    " ".join(plan),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
        self._own_runs.add(run_id)
        self._start_heartbeat()
        return run_id

    def record_step(self, run_id: int, step: RunStep) -> None:
        with self.transaction() as db:
            now = utc_now()
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
                    now,
                ),
            )
            kill_point("ledger-write")
            db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (now, run_id))

    def finish_run(self, run_id: int, status: str, note: str = "") -> None:
        """Record how a run ended; the claims it held (its day's model work) are released."""
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, note = ? WHERE id = ?",
                (utc_now(), status, note, run_id),
            )
            db.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))
        self._own_runs.discard(run_id)

    def mark_interrupted_runs(self) -> list[int]:
        """Mark interrupted every run still "running" whose process is gone; release its claims.

        A process killed (SIGKILL, a crash, a power cut) cannot record its own end; this
        records it for it, with the last time it was seen alive, and drops the claims of
        dead holders so their work can be taken over. Returns the runs it marked.
        """
        rows = self.query(
            "SELECT r.id, r.host, r.pid, r.process_started, r.started_at,"
            " coalesce(r.heartbeat_at, r.started_at) AS seen,"
            " (SELECT max(recorded_at) FROM run_steps WHERE run_id = r.id) AS last_step"
            " FROM runs AS r WHERE r.status = 'running'"
        )
        dead = [
            row
            for row in rows
            if row["id"] not in self._own_runs
            and not is_alive(row["host"], row["pid"], row["process_started"], row["seen"])
        ]
        claims = self.query(
            "SELECT name, holder, host, pid, process_started, heartbeat_at FROM claims"
        )
        dead_claims = [
            (row["name"], row["holder"])
            for row in claims
            if not is_alive(row["host"], row["pid"], row["process_started"], row["heartbeat_at"])
        ]
        if not dead and not dead_claims:
            return []
        now = utc_now()
        marked = []
        with self.transaction() as db:
            for row in dead:
                last_seen = max(stamp for stamp in (row["seen"], row["last_step"]) if stamp)
                who = f"pid {row['pid']}" if row["pid"] else "an older dailyai"
                note = (
                    f"interrupted: its process ({who}) ended before the run finished — last "
                    f"seen {last_seen}, noticed {now}; what it stored is kept"
                )
                cursor = db.execute(
                    "UPDATE runs SET status = 'interrupted', finished_at = ?, note = ?"
                    " WHERE id = ? AND status = 'running'",
                    (last_seen, note, row["id"]),
                )
                if cursor.rowcount:
                    marked.append(row["id"])
            db.executemany("DELETE FROM claims WHERE name = ? AND holder = ?", dead_claims)
        return marked

    def heartbeat(self) -> None:
        """Tell other processes that this one's unfinished runs (and their claims) go on."""
        with self._lock:
            if not self._own_runs or self._closing.is_set():
                return
            ids = list(self._own_runs)
            marks = ", ".join("?" * len(ids))
            now = utc_now()
            with self.transaction() as db:
                db.execute(f"UPDATE runs SET heartbeat_at = ? WHERE id IN ({marks})", [now, *ids])
                db.execute(
                    f"UPDATE claims SET heartbeat_at = ? WHERE run_id IN ({marks})", [now, *ids]
                )

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None or not self._heartbeat.is_alive():
            self._heartbeat = threading.Thread(
                target=self._beat_until_closed, name="dailyai-heartbeat", daemon=True
            )
            self._heartbeat.start()

    def _beat_until_closed(self) -> None:
        while not self._closing.wait(HEARTBEAT_SECONDS):
            try:
                self.heartbeat()
            except sqlite3.ProgrammingError:
                return  # the store was closed
            except sqlite3.Error:
                continue  # busy: the next beat will do

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
                    pid=row["pid"],
                    host=row["host"],
                    plan=tuple(row["plan"].split()),
                )
            )
        return runs

    # --- claims: work one holder does at a time ------------------------------------------

    def claim(self, name: str, holder: str, *, run_id: int | None = None) -> Claim | None:
        """Take the claim `name` for `holder` (and its run), or say who else holds it.

        Returns None when `holder` now holds it; the live holder's Claim otherwise. A claim
        whose holder died is taken over.
        """
        with self.transaction() as db:
            return self._take_claim(db, name, holder, run_id)

    def claim_holder(self, name: str) -> Claim | None:
        """Who holds the claim `name` now (a holder that died holds nothing)."""
        rows = self.query(_CLAIM_QUERY, (name,))
        if not rows or not _claim_alive(rows[0]):
            return None
        return _claim_from_row(rows[0])

    def release_claims(self, holder: str) -> None:
        """Give up every claim `holder` still holds (its work ended, whichever way)."""
        with self.transaction() as db:
            db.execute("DELETE FROM claims WHERE holder = ?", (holder,))

    def touch_claims(self, holder: str) -> None:
        """Refresh the heartbeat of `holder`'s claims (it is still at work)."""
        with self.transaction() as db:
            db.execute("UPDATE claims SET heartbeat_at = ? WHERE holder = ?", (utc_now(), holder))

    def claim_deliveries(
        self, day: date | str, addresses: Sequence[str], holder: str, *, force: bool = False
    ) -> DeliveryClaims:
        """Claim, in one transaction, each address the day's digest is to be sent to now.

        An address that already got the day's digest is left out (unless `force`), and so is
        one another live sender holds: it is sending to it now, and never two at once.
        """
        result = DeliveryClaims()
        with self.transaction() as db:
            for address in addresses:
                if (
                    not force
                    and db.execute(
                        "SELECT 1 FROM deliveries WHERE day = ? AND recipient = ? AND status = 'sent'",
                        (str(day), address.lower()),
                    ).fetchone()
                ):
                    result.already_sent.append(address)
                    continue
                other = self._take_claim(db, mail_claim(day, address), holder, None)
                if other is None:
                    result.claimed.append(address)
                else:
                    result.held[address] = other
        return result

    def _take_claim(
        self, db: sqlite3.Connection, name: str, holder: str, run_id: int | None
    ) -> Claim | None:
        row = db.execute(_CLAIM_QUERY, (name,)).fetchone()
        if row is not None:
            if row["holder"] == holder:
                return None
            if _claim_alive(row):
                return _claim_from_row(row)
            db.execute("DELETE FROM claims WHERE name = ?", (name,))
        process, now = self._process, utc_now()
        db.execute(
            "INSERT INTO claims (name, holder, run_id, host, pid, process_started, claimed_at,"
            " heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, holder, run_id, process.host, process.pid, process.started, now, now),
        )
        return None

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
        with self.transaction() as db:
            db.execute(
                "INSERT INTO category_reports (day, category, model, prompt_version, inputs_hash,"
                " status, text, reason, flags, paper_ids, inputs, attempts, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (day, category, model, prompt_version, inputs_hash) DO UPDATE SET"
                " status = excluded.status, text = excluded.text, reason = excluded.reason,"
                " flags = excluded.flags, paper_ids = excluded.paper_ids,"
                " inputs = excluded.inputs, attempts = excluded.attempts,"
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
                    json.dumps(list(flags), ensure_ascii=False),
                    json.dumps(list(paper_ids)),
                    json.dumps([list(item) for item in inputs]),
                    attempts,
                    utc_now(),
                ),
            )

    def category_reports(self, day: date | str, model: str) -> list[sqlite3.Row]:
        """Every report stored for `day` by `model`, oldest first."""
        return self.query(
            "SELECT * FROM category_reports WHERE day = ? AND model = ? ORDER BY created_at, rowid",
            (str(day), model),
        )

    def summary_rows(self, ids: Iterable[str], model: str) -> list[sqlite3.Row]:
        """Every summary stored for the papers `ids` by `model`, oldest first."""
        return self.query_ids(
            "SELECT * FROM summaries WHERE model = ? AND paper_id IN ({ids})"
            " ORDER BY created_at, rowid",
            ids,
            before=[model],
        )

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
        holder: str | None = None,
    ) -> None:
        """Record that the day's digest was sent to (or refused for) one recipient.

        With `holder`, its claim on the recipient is released in the same transaction (a
        failed recipient is then retried by the next run).
        """
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (day, recipient, status, message_id, error, attempted_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, recipient) DO UPDATE SET"
                " status = excluded.status, message_id = excluded.message_id,"
                " error = excluded.error, attempted_at = excluded.attempted_at",
                (str(day), recipient.lower(), status, message_id, error, utc_now()),
            )
            if holder is not None:
                db.execute(
                    "DELETE FROM claims WHERE name = ? AND holder = ?",
                    (mail_claim(day, recipient), holder),
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

    # --- model hosts: which host wrote what in a run -------------------------------------

    def record_model_work(self, run_id: int, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Add (host, work, outcome, detail) rows to a run's ledger of model work.

        `work` is "summary:<paper id>" or "report:<category>"; `outcome` is "wrote" (the
        detail is the stored status) or "failed" (the host failed; the detail says why).
        """
        now = utc_now()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO model_work (run_id, host, work, outcome, detail, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (run_id, host, work, outcome, detail, now)
                    for host, work, outcome, detail in rows
                ],
            )

    def model_work(self, run_id: int) -> list[ModelWork]:
        """The run's ledger of model work, in the order it was recorded."""
        rows = self.query(
            "SELECT run_id, host, work, outcome, detail, recorded_at FROM model_work"
            " WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
        return [ModelWork(*row) for row in rows]


_CLAIM_QUERY = (
    "SELECT c.*, r.kind AS run_kind, r.started_at AS run_started_at, r.plan AS run_plan"
    " FROM claims AS c LEFT JOIN runs AS r ON r.id = c.run_id WHERE c.name = ?"
)


def _claim_alive(row: sqlite3.Row) -> bool:
    return is_alive(row["host"], row["pid"], row["process_started"], row["heartbeat_at"])


def _claim_from_row(row: sqlite3.Row) -> Claim:
    return Claim(
        name=row["name"],
        holder=row["holder"],
        run_id=row["run_id"],
        pid=row["pid"],
        host=row["host"],
        claimed_at=row["claimed_at"],
        run_kind=row["run_kind"],
        run_started_at=row["run_started_at"],
        run_plan=tuple((row["run_plan"] or "").split()),
    )


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


__all__ = [
    "Claim",
    "DayPaper",
    "DeliveryClaims",
    "MergeCounts",
    "Run",
    "RunStep",
    "SourceKind",
    "Store",
    "mail_claim",
    "merge_paper",
    "model_work_claim",
]


@dataclass
class ModelWork:
    """One line of a run's ledger of model work: which host wrote what, or failed it."""

    run_id: int
    host: str
    work: str
    """"summary:<paper id>" or "report:<category>"."""
    outcome: str
    """wrote (the detail is the stored status) or failed (the detail says why)."""
    detail: str
    recorded_at: str
