"""The run ledger: every run, its steps, and the process that runs it.

A run records its process (host, pid, start time) and a heartbeat, so a run whose process
died is marked interrupted by whoever opens the store next instead of staying "running".
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import suppress
from datetime import date
from pathlib import Path

from core.killpoints import kill_point
from core.owners import HEARTBEAT_SECONDS, is_alive
from core.store.database import Database, day_text, placeholders, utc_now
from core.store.records import ModelWork, Run, RunStep


class Ledger(Database):
    """Recording runs and their steps, and settling runs whose process is gone."""

    def __init__(self, path: Path | str) -> None:
        self._own_runs: set[int] = set()
        """Runs started through this store and not finished yet (kept alive by a heartbeat)."""
        self._heartbeat: threading.Thread | None = None
        self._closing = threading.Event()
        super().__init__(path)
        # Whoever opens the store (the next run, the TUI) settles runs whose process died;
        # a read-only store cannot be written, and is read all the same.
        with suppress(sqlite3.OperationalError):
            self.mark_interrupted_runs()

    def close(self) -> None:
        """Close the store; a run it started and never finished is marked interrupted."""
        self._closing.set()
        with self._lock:
            if self._own_runs:
                with suppress(sqlite3.Error), self._transaction() as db:
                    ids = list(self._own_runs)
                    marks = placeholders(len(ids))
                    db.execute(
                        "UPDATE runs SET status = 'interrupted', finished_at = ?, note = ?"
                        f" WHERE id IN ({marks}) AND status = 'running'",
                        [utc_now(), "interrupted: dailyai stopped before the run finished", *ids],
                    )
                    db.execute(f"DELETE FROM claims WHERE run_id IN ({marks})", ids)
            super().close()

    def start_run(
        self,
        kind: str,
        day: date,
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
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (kind, day, started_at, log_path, host, pid, process_started,"
                " heartbeat_at, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    day_text(day),
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
        with self._transaction() as db:
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
        with self._transaction() as db:
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
        rows = self._query(
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
        claims = self._query(
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
        with self._transaction() as db:
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
            marks = placeholders(len(ids))
            now = utc_now()
            with self._transaction() as db:
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
        self, *, day: date | None = None, kinds: Sequence[str] = (), limit: int = 20
    ) -> list[Run]:
        """The most recent runs (of one day, or of any; of some kinds, or all), newest first."""
        conditions, params = [], []
        if day is not None:
            conditions.append("day = ?")
            params.append(day_text(day))
        if kinds:
            conditions.append(f"kind IN ({placeholders(len(kinds))})")
            params.extend(kinds)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._query(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", [*params, limit])
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
                for step in self._query(
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

    # --- model hosts: which host wrote what in a run -------------------------------------

    def record_model_work(self, run_id: int, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Add (host, work, outcome, detail) rows to a run's ledger of model work.

        `work` is "summary:<paper id>" or "report:<category>"; `outcome` is "wrote" (the
        detail is the stored status) or "failed" (the host failed; the detail says why).
        """
        now = utc_now()
        with self._transaction() as db:
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
        rows = self._query(
            "SELECT run_id, host, work, outcome, detail, recorded_at FROM model_work"
            " WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
        return [ModelWork(*row) for row in rows]
