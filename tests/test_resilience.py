"""Killed processes and concurrent readers: the store stays consistent and never locks out."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

from core.config import load_config
from core.digest import build_digest
from core.store import Store
from tests.conftest import fixture_path

BIG_FEED = fixture_path("arxiv_rss_all_archives_2024-11-28_aioarxiv.xml")
HF = fixture_path("hf_daily_papers_date_2026-05-08_llm-paper-radar.json")
DAY = date(2024, 11, 28)


def start_fetch(home: Path, *sources: Path, refresh: bool = False) -> subprocess.Popen:
    args = [sys.executable, "-m", "core.cli", "fetch", "--date", "2024-11-28", "--no-enrich"]
    for source in sources:
        args += ["--source", source.as_uri()]
    if refresh:
        args.append("--refresh")
    env = {**os.environ, "DAILYAI_HOME": str(home)}
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def assert_consistent(database: Path) -> None:
    with Store(database) as store:
        assert store.query("PRAGMA integrity_check")[0][0] == "ok"
        store.query("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")
        papers = store.count_papers()
        indexed = store.query("SELECT count(*) FROM papers_fts")[0][0]
        assert papers == indexed, "every stored paper is searchable, and only those"
        orphans = store.query(
            "SELECT count(*) FROM listings WHERE paper_id NOT IN (SELECT id FROM papers)"
        )[0][0]
        assert orphans == 0
        unfinished = store.query("SELECT count(*) FROM runs WHERE finished_at IS NULL")[0][0]
        assert unfinished >= 0


def test_sigkill_at_random_points_leaves_a_consistent_store(tmp_path):
    home = tmp_path / "home"
    database = home / "data" / "dailyai.sqlite3"
    rng = random.Random(20261124)
    for attempt in range(8):
        process = start_fetch(home, BIG_FEED, HF, refresh=attempt % 2 == 1)
        time.sleep(rng.uniform(0.2, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if database.exists():
            assert_consistent(database)
    finished = start_fetch(home, BIG_FEED, HF)
    _, stderr = finished.communicate(timeout=120)
    assert finished.returncode == 0, stderr.decode()
    assert_consistent(database)
    with Store(database) as store:
        assert store.count_papers() == 1504 + 37
        assert store.runs(limit=1)[0].status == "ok"


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
                        build_digest(reader, config, day)
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


def test_sigkill_during_full_runs_then_a_run_completes_without_redoing_work(
    tmp_path, ollama_standin
):
    """Kill `dailyai run` (fetch, classify, summarize with the model, publish) at random points."""
    home = tmp_path / "home"
    ollama_standin.token_delay = 0.002  # summaries take a moment, so kills land mid-summarize
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[ollama]\nhost = "{ollama_standin.url}"\nretries = 0\n\n'
        '[classify]\nmethod = "llm"\n\n[digest]\nsize = 20\n\n'
        "[fetch]\nenrich_with_arxiv_api = false\n\n"
        f'[[sources]]\nname = "hf"\nkind = "hf-daily"\nurl = "{HF.as_uri()}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "DAILYAI_HOME": str(home), "DAILYAI_CONFIG": str(config_file)}
    command = [sys.executable, "-m", "core.cli", "run", "--date", "2026-05-08"]
    database = home / "data" / "dailyai.sqlite3"
    rng = random.Random(6)
    progress = []
    for attempt in range(5):
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if attempt % 2:
            time.sleep(rng.uniform(0.3, 2.0))  # anywhere: start-up, fetch, classify, summarize
        else:
            # Mid-generation: once the model has been asked a few more times.
            target = ollama_standin.request_count + rng.randint(2, 6)
            deadline = time.monotonic() + 60
            while ollama_standin.request_count < target and process.poll() is None:
                assert time.monotonic() < deadline, "the run never reached the model"
                time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if database.exists():
            assert_consistent(database)
            with Store(database) as store:
                progress.append(
                    store.query("SELECT count(*) FROM summaries WHERE status = 'ok'")[0][0]
                )
    made_before = progress[-1]
    assert progress == sorted(progress), "summaries made before a kill are kept"
    assert any(0 < made < 20 for made in progress), "some kill landed while summaries were made"
    ollama_standin.reset_counters()
    ollama_standin.token_delay = 0.0
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_consistent(database)
    with Store(database) as store:
        made = store.query("SELECT count(*) FROM summaries WHERE status = 'ok'")[0][0]
        assert made == 20
        assert store.runs(limit=1)[0].status == "ok"
    summary_requests = [r for r in ollama_standin.model_requests if "요약하는 연구원" in r.text]
    assert len(summary_requests) == 20 - made_before  # nothing already made was made again
