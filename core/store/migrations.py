"""Named schema migrations for the SQLite store.

Each migration is a function registered under a name; the `_migrations` table records
which names have run, so a store is brought up to date by running the missing ones in
order. Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(function: Migration) -> Migration:
    """Register `function` as the next migration, named after the function."""
    MIGRATIONS.append((function.__name__, function))
    return function


@migration
def m001_papers_and_listings(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE papers (
            id TEXT PRIMARY KEY,
            arxiv_id TEXT,
            version INTEGER,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            categories TEXT NOT NULL DEFAULT '[]',
            primary_category TEXT,
            links TEXT NOT NULL DEFAULT '{}',
            published TEXT,
            updated TEXT,
            doi TEXT,
            journal_ref TEXT,
            comment TEXT,
            hf_upvotes INTEGER,
            hf_comments INTEGER,
            github_repo TEXT,
            github_stars INTEGER,
            project_page TEXT,
            ai_keywords TEXT NOT NULL DEFAULT '[]',
            hf_summary TEXT,
            text_rank INTEGER NOT NULL DEFAULT 0,
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE listings (
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            source TEXT NOT NULL,
            announce_type TEXT,
            position INTEGER NOT NULL DEFAULT 0,
            listed_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, day, source)
        );
        CREATE INDEX listings_by_day ON listings(day, source);
        -- New papers are indexed in bulk by Store.merge_listed (a per-row trigger costs 2-3x);
        -- updates and deletes keep the index in step through triggers.
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, abstract, summary, tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract ON papers BEGIN
            UPDATE papers_fts SET title = new.title, abstract = new.abstract
            WHERE rowid = new.rowid;
        END;
        CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
            DELETE FROM papers_fts WHERE rowid = old.rowid;
        END;
        """,
    )


@migration
def m002_run_ledger(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            day TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            note TEXT NOT NULL DEFAULT '',
            log_path TEXT
        );
        CREATE TABLE run_steps (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            counts TEXT NOT NULL DEFAULT '{}',
            duration_ms INTEGER NOT NULL DEFAULT 0,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX run_steps_by_run ON run_steps(run_id);
        CREATE INDEX runs_by_day ON runs(day, id);
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            body_sha256 TEXT,
            checked_at TEXT NOT NULL
        );
        """,
    )


@migration
def m003_categories_and_summaries(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE classifications (
            paper_id TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
            category TEXT NOT NULL,
            confidence REAL NOT NULL,
            method TEXT NOT NULL CHECK (method IN ('llm', 'rules', 'user')),
            taxonomy_version TEXT NOT NULL,
            model TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX classifications_by_category ON classifications(category);
        CREATE TABLE summaries (
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            abstract_hash TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            text TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            flags TEXT NOT NULL DEFAULT '[]',
            attempts INTEGER NOT NULL DEFAULT 1,
            prompt_tokens INTEGER,
            output_tokens INTEGER,
            duration_ms INTEGER,
            created_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, model, prompt_version, abstract_hash)
        );
        CREATE TABLE category_reports (
            day TEXT NOT NULL,
            category TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            inputs_hash TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            text TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            paper_ids TEXT NOT NULL DEFAULT '[]',
            attempts INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            PRIMARY KEY (day, category, model, prompt_version, inputs_hash)
        );
        """,
    )


@migration
def m004_reader_state_and_deliveries(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE reader_state (
            paper_id TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
            starred INTEGER NOT NULL DEFAULT 0,
            read_at TEXT
        );
        CREATE TABLE deliveries (
            day TEXT NOT NULL,
            recipient TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
            message_id TEXT,
            error TEXT NOT NULL DEFAULT '',
            attempted_at TEXT NOT NULL,
            PRIMARY KEY (day, recipient)
        );
        """,
    )


@migration
def m005_report_inputs(db: sqlite3.Connection) -> None:
    """What a category report was written from, and its gate flags apart from failures.

    Until now an ok report kept its flags in `reason`; they move to `flags`.
    """
    _execute_script(
        db,
        """
        ALTER TABLE category_reports ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE category_reports ADD COLUMN inputs TEXT NOT NULL DEFAULT '[]';
        """,
    )
    rows = db.execute(
        "SELECT rowid, reason FROM category_reports WHERE status = 'ok' AND reason != ''"
    ).fetchall()
    for rowid, reason in rows:
        db.execute(
            "UPDATE category_reports SET flags = ?, reason = '' WHERE rowid = ?",
            (json.dumps(reason.split("; "), ensure_ascii=False), rowid),
        )


@migration
def m006_fetch_state(db: sqlite3.Connection) -> None:
    # What parsed a cached body, so "unchanged" is only said for the same parse; and how
    # often each paper's arXiv categories were asked for, so failed look-ups are retried
    # a bounded number of times.
    _execute_script(
        db,
        """
        ALTER TABLE http_cache ADD COLUMN kind TEXT;
        ALTER TABLE http_cache ADD COLUMN parser_version INTEGER;
        ALTER TABLE http_cache ADD COLUMN entries INTEGER;
        ALTER TABLE http_cache ADD COLUMN listed INTEGER;
        CREATE TABLE enrichment_attempts (
            paper_id TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            attempted_at TEXT NOT NULL
        );
        """,
    )


@migration
def m007_claims_and_run_owners(db: sqlite3.Connection) -> None:
    # A run records the process that runs it (host, pid, OS start time, heartbeat), so a run
    # whose process died is marked interrupted instead of staying "running"; `plan` is the
    # steps it set out to do. A claim is work one holder does at a time: a day's model work
    # (`model-work:<day>`), or sending a day's digest to one recipient
    # (`mail:<day>:<recipient>`). It is deleted when the work ends; a claim whose holder died
    # is taken over.
    _execute_script(
        db,
        """
        ALTER TABLE runs ADD COLUMN host TEXT;
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        ALTER TABLE runs ADD COLUMN process_started TEXT;
        ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
        ALTER TABLE runs ADD COLUMN plan TEXT NOT NULL DEFAULT '';
        CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
        CREATE TABLE claims (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            process_started TEXT NOT NULL DEFAULT '',
            claimed_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL
        );
        CREATE INDEX claims_by_holder ON claims(holder);
        """,
    )


@migration
def m008_model_hosts(db: sqlite3.Connection) -> None:
    # Which model host wrote each summary and report of a run, and each time a host failed
    # a request whose work then moved to another host: `work` is "summary:<paper id>" or
    # "report:<category>", `outcome` is wrote (detail: the stored status) or failed
    # (detail: why).
    _execute_script(
        db,
        """
        CREATE TABLE model_work (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            host TEXT NOT NULL,
            work TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('wrote', 'failed')),
            detail TEXT NOT NULL DEFAULT '',
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX model_work_by_run ON model_work(run_id);
        """,
    )


@migration
def m009_channel_deliveries(db: sqlite3.Connection) -> None:
    # The delivery ledger serves every channel that sends the day to recipients (email
    # addresses, chat URLs), not only the email: each row is one (channel, day, recipient).
    # The email's rows are kept, as the email channel's.
    _execute_script(
        db,
        """
        CREATE TABLE channel_deliveries (
            channel TEXT NOT NULL,
            day TEXT NOT NULL,
            recipient TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
            message_id TEXT,
            error TEXT NOT NULL DEFAULT '',
            attempted_at TEXT NOT NULL,
            PRIMARY KEY (channel, day, recipient)
        );
        INSERT INTO channel_deliveries
            (channel, day, recipient, status, message_id, error, attempted_at)
            SELECT 'email', day, recipient, status, message_id, error, attempted_at
            FROM deliveries;
        DROP TABLE deliveries;
        ALTER TABLE channel_deliveries RENAME TO deliveries;
        """,
    )


@migration
def m010_interest_profile(db: sqlite3.Connection) -> None:
    # The reader's interest profile ("For you"): papers they like (imported seeds, stars) and
    # papers they marked not interesting, each with the text it is compared by. A star is a
    # like from now on: starred papers move into the profile and reader_state.starred is no
    # longer read. An entry keeps the version and comment its paper had when it was added, so
    # a later version or acceptance is news. Embedding vectors are cached per (paper or profile entry, model, hash of
    # the text embedded), so a rerun embeds only what is new. A paper's revisions (a new
    # arXiv version, a changed comment or abstract) are kept with the day they were listed,
    # so a starred paper's new version or acceptance is flagged on the day it came.
    _execute_script(
        db,
        """
        CREATE TABLE profile_entries (
            key TEXT PRIMARY KEY,
            stance TEXT NOT NULL CHECK (stance IN ('like', 'dislike')),
            origin TEXT NOT NULL CHECK (origin IN ('import', 'feedback')),
            source TEXT NOT NULL DEFAULT '',
            paper_id TEXT,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            url TEXT NOT NULL DEFAULT '',
            category TEXT,
            version INTEGER,
            comment TEXT,
            added_at TEXT NOT NULL
        );
        CREATE INDEX profile_by_paper ON profile_entries(paper_id);
        CREATE TABLE embeddings (
            item TEXT NOT NULL,
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            vector BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (item, model, text_hash)
        );
        CREATE TABLE paper_revisions (
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            old_version INTEGER,
            new_version INTEGER,
            old_comment TEXT,
            new_comment TEXT,
            old_title TEXT NOT NULL,
            new_title TEXT NOT NULL,
            old_abstract TEXT NOT NULL,
            new_abstract TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX revisions_by_day ON paper_revisions(day);
        CREATE INDEX revisions_by_paper ON paper_revisions(paper_id);
        INSERT INTO profile_entries
            (key, stance, origin, source, paper_id, title, abstract, authors, url, version,
             comment, added_at)
        SELECT p.id, 'like', 'feedback', 'star', p.id, p.title, p.abstract, p.authors,
               coalesce(json_extract(p.links, '$.abs'), json_extract(p.links, '$.hf'),
                        json_extract(p.links, '$.link'), ''),
               p.version, p.comment, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
        FROM reader_state AS r JOIN papers AS p ON p.id = r.paper_id
        WHERE r.starred = 1;
        """,
    )


@migration
def m011_korean_search(db: sqlite3.Connection) -> None:
    # The search index gains a column, `korean`, for the morphemes of each paper's Korean
    # text (core.store.search), and FTS5 cannot add a column: the index is built anew.
    # Titles and abstracts come from `papers`, each summary from the old index (the one a
    # search finds today). Finding morphemes takes a model, too slow for a migration that
    # every command runs on opening the store: papers with Korean text go into
    # `search_backlog`, analysed on the next Korean search (Store.update_korean_index).
    _execute_script(
        db,
        """
        DROP TRIGGER papers_fts_update;
        DROP TRIGGER papers_fts_delete;
        ALTER TABLE papers_fts RENAME TO papers_fts_before_m010;
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, abstract, summary, korean, tokenize = 'unicode61 remove_diacritics 2'
        );
        INSERT INTO papers_fts (rowid, title, abstract, summary, korean)
            SELECT p.rowid, p.title, p.abstract, coalesce(old.summary, ''), ''
            FROM papers AS p LEFT JOIN papers_fts_before_m010 AS old ON old.rowid = p.rowid;
        DROP TABLE papers_fts_before_m010;
        -- Every term of the index with its column: Korean query words are split into the
        -- morphemes listed here.
        CREATE VIRTUAL TABLE papers_fts_terms USING fts5vocab(papers_fts, col);
        CREATE TABLE search_backlog (paper_rowid INTEGER PRIMARY KEY);
        INSERT INTO search_backlog (paper_rowid)
            SELECT rowid FROM papers_fts WHERE summary GLOB '*[가-힣]*'
            OR title GLOB '*[가-힣]*' OR abstract GLOB '*[가-힣]*';
        CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract ON papers BEGIN
            UPDATE papers_fts SET title = new.title, abstract = new.abstract
            WHERE rowid = new.rowid;
            INSERT OR IGNORE INTO search_backlog (paper_rowid) SELECT new.rowid
            WHERE new.title GLOB '*[가-힣]*' OR new.abstract GLOB '*[가-힣]*'
            OR old.title GLOB '*[가-힣]*' OR old.abstract GLOB '*[가-힣]*';
        END;
        CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
            DELETE FROM papers_fts WHERE rowid = old.rowid;
            DELETE FROM search_backlog WHERE paper_rowid = old.rowid;
        END;
        """,
    )


@migration
def m012_weekly_reports(db: sqlite3.Connection) -> None:
    # A category's week, synthesised from its days' category reports (core.weekly): cached
    # and judged current exactly as a day's report is, under (week, category, model, prompt
    # version, inputs hash). `days` are the days whose reports the model was given; `inputs`
    # is (day, state of its report) for every day of the week the category had papers.
    _execute_script(
        db,
        """
        CREATE TABLE weekly_reports (
            week TEXT NOT NULL,
            category TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            inputs_hash TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            text TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            flags TEXT NOT NULL DEFAULT '[]',
            days TEXT NOT NULL DEFAULT '[]',
            inputs TEXT NOT NULL DEFAULT '[]',
            attempts INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            PRIMARY KEY (week, category, model, prompt_version, inputs_hash)
        );
        """,
    )


def apply_migrations(db: sqlite3.Connection) -> list[str]:
    """Run every migration the store has not run yet, each in its own transaction.

    `db` must be in autocommit mode (`isolation_level=None`); each migration is applied
    whole or not at all, and a second process migrating at the same time waits for the
    write lock and then skips what the first one applied.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, function in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                db.execute("COMMIT")
                continue
            function(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def _execute_script(db: sqlite3.Connection, script: str) -> None:
    """Run a script's statements inside the open transaction.

    `executescript` would commit first, so the statements are split and run one by one,
    keeping trigger bodies (BEGIN … END;) whole.
    """
    for statement in _split_sql(script):
        db.execute(statement)


def _split_sql(script: str) -> list[str]:
    """Split a script into complete statements."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        if not line.strip():
            continue
        current.append(line)
        candidate = "\n".join(current)
        if line.rstrip().endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    if current and "\n".join(current).strip():
        statements.append("\n".join(current))
    return statements
