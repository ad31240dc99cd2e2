"""Killed processes and concurrent readers: the store stays consistent and never locks out.

Kills land at named points of a run (`DAILYAI_TEST_KILL_AT`, see core/killpoints.py): the
process SIGKILLs itself there, so every kill really interrupts the work it names.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from core.config import load_config
from core.digest import build_digest
from core.owners import STALE_AFTER
from core.prompts import SUMMARY_SYSTEM
from core.store import Store
from core.store.migrations import MIGRATIONS
from tests.conftest import fixture_path
from tests.raw_sql import run_sql

BIG_FEED = fixture_path("arxiv_rss_all_archives_2024-11-28_aioarxiv.xml")
HF = fixture_path("hf_daily_papers_date_2026-05-08_llm-paper-radar.json")
DAY = date(2024, 11, 28)
BIG_FEED_PAPERS, HF_PAPERS = 1504, 37


def start_fetch(
    home: Path, *sources: Path, refresh: bool = False, kill_at: str = ""
) -> subprocess.Popen:
    args = [sys.executable, "-m", "cli", "fetch", "--date", "2024-11-28", "--no-enrich"]
    for source in sources:
        args += ["--source", source.as_uri()]
    if refresh:
        args.append("--refresh")
    env = {**os.environ, "DAILYAI_HOME": str(home)}
    env.pop("DAILYAI_TEST_KILL_AT", None)
    if kill_at:
        env["DAILYAI_TEST_KILL_AT"] = kill_at
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def raw_count(database: Path, sql: str) -> int:
    """A count read without opening a Store (which would settle dead runs first)."""
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchone()[0]


def assert_consistent(database: Path) -> None:
    """The store is whole, searchable, and (no dailyai running now) no run is left running."""
    with Store(database) as store:  # opening it settles the runs whose process is gone
        papers = store.count_papers()
    assert run_sql(database, "PRAGMA integrity_check")[0][0] == "ok"
    run_sql(database, "INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")
    indexed = raw_count(database, "SELECT count(*) FROM papers_fts")
    assert papers == indexed, "every stored paper is searchable, and only those"
    orphans = raw_count(
        database, "SELECT count(*) FROM listings WHERE paper_id NOT IN (SELECT id FROM papers)"
    )
    assert orphans == 0
    running = raw_count(database, "SELECT count(*) FROM runs WHERE status = 'running'")
    assert running == 0, "a run whose process is gone is marked interrupted"
    assert raw_count(database, "SELECT count(*) FROM claims") == 0


@pytest.mark.parametrize("point", ["papers-stored:1", "ledger-write:1"])
def test_a_fetch_killed_mid_work_is_marked_interrupted_and_the_next_one_redoes_nothing(
    tmp_path, point
):
    home = tmp_path / "home"
    database = home / "data" / "dailyai.sqlite3"
    killed = start_fetch(home, BIG_FEED, HF, kill_at=point)
    _, stderr = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, stderr.decode()
    # Nothing could record the end of the run: it is left "running" ...
    assert raw_count(database, "SELECT count(*) FROM runs WHERE status = 'running'") == 1
    stored = raw_count(database, "SELECT count(*) FROM papers")
    steps = raw_count(database, "SELECT count(*) FROM run_steps")
    assert steps == 0  # (the ledger line being written when killed was rolled back whole)
    if point.startswith("papers-stored"):
        assert stored in (BIG_FEED_PAPERS, HF_PAPERS)  # one source stored, the other not yet
    else:
        assert stored == BIG_FEED_PAPERS + HF_PAPERS  # every paper stored, the ledger not
    # ... until the store is opened (by the next run, or the TUI): then it is interrupted.
    with Store(database) as store:
        (run,) = store.runs()
        assert run.status == "interrupted" and run.finished_at is not None
        assert f"pid {killed.pid}" in run.note and "ended before the run finished" in run.note
    assert_consistent(database)

    finished = start_fetch(home, BIG_FEED, HF)
    _, stderr = finished.communicate(timeout=120)
    assert finished.returncode == 0, stderr.decode()
    assert_consistent(database)
    with Store(database) as store:
        assert store.count_papers() == BIG_FEED_PAPERS + HF_PAPERS
        latest, interrupted = store.runs()
        assert latest.status == "ok" and interrupted.status == "interrupted"
        # Only the papers the killed fetch had not stored are new now.
        new = sum(step.counts["new"] for step in latest.steps)
        assert new == BIG_FEED_PAPERS + HF_PAPERS - stored


def test_readers_never_see_database_is_locked_while_a_run_writes(tmp_path):
    home = tmp_path / "home"
    database = home / "data" / "dailyai.sqlite3"
    first = start_fetch(home, HF)
    assert first.wait(timeout=120) == 0
    config = load_config()
    errors: list[BaseException] = []
    reads = 0
    stop = threading.Event()

    def read_continuously() -> None:
        nonlocal reads
        with Store(database) as reader:
            while not stop.is_set():
                try:
                    for day, _ in reader.days():
                        build_digest(reader, config, date.fromisoformat(day))
                    reader.search("language model")
                    reads += 1
                except BaseException as error:
                    errors.append(error)
                    return

    thread = threading.Thread(target=read_continuously)
    thread.start()
    try:
        for refresh in (False, True, True):
            writer = start_fetch(home, BIG_FEED, refresh=refresh)
            _, stderr = writer.communicate(timeout=120)
            assert writer.returncode == 0, stderr.decode()
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert reads > 0


def test_a_run_killed_mid_summary_loses_only_that_summary_and_the_next_run_does_the_rest(
    tmp_path, ollama_standin
):
    """Kill `dailyai run` as the third summary streams from the model (two are stored)."""
    home = tmp_path / "home"
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[ollama]\nhost = "{ollama_standin.url}"\nretries = 0\nparallel = 1\n\n'
        '[classify]\nmethod = "llm"\n\n[digest]\nsize = 20\n\n'
        "[fetch]\nenrich_with_arxiv_api = false\n\n"
        f'[[sources]]\nname = "hf"\nkind = "hf-daily"\nurl = "{HF.as_uri()}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "DAILYAI_HOME": str(home), "DAILYAI_CONFIG": str(config_file)}
    command = [sys.executable, "-m", "cli", "run", "--date", "2026-05-08"]
    database = home / "data" / "dailyai.sqlite3"
    killed = subprocess.run(
        command,
        env={**env, "DAILYAI_TEST_KILL_AT": "summary-token:3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    ok_summaries = "SELECT count(*) FROM summaries WHERE status = 'ok'"
    assert raw_count(database, ok_summaries) == 2  # the third was streaming: lost, not half-kept
    assert raw_count(database, "SELECT count(*) FROM runs WHERE status = 'running'") == 1
    assert_consistent(database)  # opening the store marked the run interrupted

    ollama_standin.reset_counters()
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_consistent(database)
    with Store(database) as store:
        assert raw_count(database, ok_summaries) == 20
        latest, interrupted = store.runs(kinds=("run",))
        assert latest.status == "ok" and interrupted.status == "interrupted"
        assert "ended before the run finished" in interrupted.note
    summary_requests = [r for r in ollama_standin.model_requests if SUMMARY_SYSTEM in r.text]
    assert len(summary_requests) == 20 - 2  # nothing already made was made again


def test_which_unfinished_runs_count_as_interrupted(tmp_path):
    """A process on this host is asked; one elsewhere (or from an older version) is judged
    by its heartbeat; a pid now used by another process is not the run's process."""
    path = tmp_path / "store.sqlite3"
    cases = ("alive", "pid reused", "elsewhere, recent", "elsewhere, stale", "older version")
    long_ago = (datetime.now(UTC) - STALE_AFTER - timedelta(minutes=1)).isoformat()
    runner = Store(path)
    ids = {case: runner.start_run("fetch", DAY) for case in cases}
    run_sql(
        path,
        "UPDATE runs SET process_started = 'another process' WHERE id = ?",
        (ids["pid reused"],),
    )
    run_sql(
        path,
        "UPDATE runs SET host = 'another-host', pid = 1 WHERE id IN (?, ?)",
        (ids["elsewhere, recent"], ids["elsewhere, stale"]),
    )
    run_sql(
        path, "UPDATE runs SET heartbeat_at = ? WHERE id = ?", (long_ago, ids["elsewhere, stale"])
    )
    run_sql(
        path,
        "UPDATE runs SET host = NULL, pid = NULL, process_started = NULL,"
        " heartbeat_at = NULL, started_at = ? WHERE id = ?",
        (long_ago, ids["older version"]),
    )
    with Store(path) as viewer:  # the TUI, or the next run, opens the store
        status = {run.id: run.status for run in viewer.runs()}
        assert {case: status[ids[case]] for case in cases} == {
            "alive": "running",
            "pid reused": "interrupted",
            "elsewhere, recent": "running",
            "elsewhere, stale": "interrupted",
            "older version": "interrupted",
        }
    runner.close()  # e.g. Ctrl-C in `dailyai fetch`: its unfinished run is interrupted now
    with Store(path) as viewer:
        (alive,) = [run for run in viewer.runs() if run.id == ids["alive"]]
        assert alive.status == "interrupted" and alive.finished_at is not None
        assert "stopped before the run finished" in alive.note


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_holder_killed_but_not_yet_reaped_holds_nothing(tmp_path):
    """A zombie (dead, its parent has not waited for it yet) still answers os.kill."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, left unreaped
        with Store(tmp_path / "store.sqlite3") as store:
            assert store.claim(f"model-work:{DAY}", "run:zombie") is None
            with closing(sqlite3.connect(store.path, isolation_level=None)) as db:
                db.execute("UPDATE claims SET pid = ?, process_started = ''", (child.pid,))
            assert store.claim(f"model-work:{DAY}", "run:next") is None  # taken over
    finally:
        child.wait()


def test_a_store_from_before_run_owners_is_upgraded_and_its_stuck_run_settled(tmp_path):
    """m007_claims_and_run_owners on a store whose run was killed under an older version."""
    path = tmp_path / "old.sqlite3"
    names = [name for name, _ in MIGRATIONS]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.execute("BEGIN")
    for name, migrate in MIGRATIONS[: names.index("m007_claims_and_run_owners")]:
        migrate(db)
        db.execute("INSERT INTO _migrations VALUES (?, 'then')", (name,))
    long_ago = (datetime.now(UTC) - STALE_AFTER - timedelta(hours=1)).isoformat()
    db.execute(
        "INSERT INTO runs (kind, day, started_at, status) VALUES ('run', '2024-11-28', ?, 'running')",
        (long_ago,),
    )
    db.execute(
        "INSERT INTO deliveries (day, recipient, status, attempted_at)"
        " VALUES ('2024-11-28', 'alice@example.com', 'sent', ?)",
        (long_ago,),
    )
    db.execute("COMMIT")
    db.close()
    with Store(path) as store:
        assert "m007_claims_and_run_owners" in store.applied_migrations
        (run,) = store.runs()
        assert run.status == "interrupted" and "an older dailyai" in run.note
        assert store.delivered(date(2024, 11, 28), "alice@example.com")
        claims = store.claim_deliveries(
            date(2024, 11, 28), ["alice@example.com", "bob@x.org"], "me"
        )
        assert claims.already_sent == ["alice@example.com"] and claims.claimed == ["bob@x.org"]
