"""Papers and their listings: one record per paper, and the days each was listed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from core.killpoints import kill_point
from core.korean import has_hangul
from core.models import Listed, Paper
from core.store.database import ID_CHUNK, Database, day_text, placeholders, utc_now
from core.store.records import DayPaper, MergeCounts
from core.store.search_index import index_new_papers

_JSON_LIST_FIELDS = ("authors", "categories", "ai_keywords")
_PAPER_COLUMNS = (
    "id", "arxiv_id", "version", "title", "abstract", "authors", "categories",
    "primary_category", "links", "published", "updated", "doi", "journal_ref", "comment",
    "hf_upvotes", "hf_comments", "github_repo", "github_stars", "project_page",
    "ai_keywords", "hf_summary", "text_rank",
)  # fmt: skip


class Papers(Database):
    """Storing what sources list (merged, one record per paper) and reading it back."""

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
        with self._transaction() as db:
            existing = self._load_papers(db, list(batch))
            inserts, updates, revisions = [], [], []
            days = {paper_id: day for paper_id, day in sorted(listings)}  # the latest day
            for paper_id, incoming in batch.items():
                stored = existing.get(paper_id)
                if stored is None:
                    inserts.append((*_paper_row(incoming), now, now))
                    continue
                merged = merge_paper(stored, incoming)
                if _paper_row(merged) != _paper_row(stored):
                    updates.append((*_paper_row(merged)[1:], now, paper_id))
                    if _revised(stored, merged):
                        revisions.append(_revision_row(stored, merged, days[paper_id], now))
                else:
                    counts.unchanged += 1
            columns = ", ".join(_PAPER_COLUMNS)
            marks = placeholders(len(_PAPER_COLUMNS) + 2)
            last_rowid = db.execute("SELECT coalesce(max(rowid), 0) FROM papers").fetchone()[0]
            db.executemany(
                f"INSERT INTO papers ({columns}, first_seen_at, updated_at) VALUES ({marks})",
                inserts,
            )
            index_new_papers(db, last_rowid, korean=[row[0] for row in inserts if _has_korean(row)])
            assignments = ", ".join(f"{column} = ?" for column in _PAPER_COLUMNS[1:])
            db.executemany(f"UPDATE papers SET {assignments}, updated_at = ? WHERE id = ?", updates)
            if revisions:
                db.executemany(_INSERT_REVISION, revisions)
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

    def update_papers(self, papers: Iterable[Paper], *, day: date | None = None) -> int:
        """Merge extra metadata (e.g. arXiv categories) into papers already stored.

        With `day` (the day being fetched), a new version, comment or abstract found this way
        is recorded as a revision of that day, as one brought by a listing is.
        """
        papers = list(papers)
        with self._transaction() as db:
            existing = self._load_papers(db, [paper.id for paper in papers])
            updates, revisions = [], []
            for paper in papers:
                stored = existing.get(paper.id)
                if stored is None:
                    continue
                merged = merge_paper(stored, paper)
                if _paper_row(merged) != _paper_row(stored):
                    updates.append((*_paper_row(merged)[1:], utc_now(), paper.id))
                    if day is not None and _revised(stored, merged):
                        revisions.append(_revision_row(stored, merged, day_text(day), utc_now()))
            assignments = ", ".join(f"{column} = ?" for column in _PAPER_COLUMNS[1:])
            db.executemany(f"UPDATE papers SET {assignments}, updated_at = ? WHERE id = ?", updates)
            if revisions:
                db.executemany(_INSERT_REVISION, revisions)
        return len(updates)

    def _load_papers(self, db: sqlite3.Connection, ids: list[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        for start in range(0, len(ids), ID_CHUNK):  # inside the caller's transaction
            chunk = ids[start : start + ID_CHUNK]
            marks = placeholders(len(chunk))
            for row in db.execute(f"SELECT * FROM papers WHERE id IN ({marks})", chunk):
                found[row["id"]] = paper_from_row(row)
        return found

    def get_paper(self, paper_id: str) -> Paper | None:
        """One stored paper with the sources and days that listed it."""
        rows = self._query("SELECT * FROM papers WHERE id = ?", (paper_id,))
        if not rows:
            return None
        paper = paper_from_row(rows[0])
        listing_rows = self._query(
            "SELECT DISTINCT day, source FROM listings WHERE paper_id = ? ORDER BY day", (paper_id,)
        )
        paper.days = sorted({row["day"] for row in listing_rows})
        paper.sources = sorted({row["source"] for row in listing_rows})
        return paper

    def source_listed_on(self, source: str, day: date) -> bool:
        """True when `source` has listed some paper on `day`."""
        rows = self._query(
            "SELECT 1 FROM listings WHERE day = ? AND source = ? LIMIT 1", (day_text(day), source)
        )
        return bool(rows)

    def day_listed(self, day: date) -> bool:
        """True when some source has listed a paper on `day`."""
        return bool(self._query("SELECT 1 FROM listings WHERE day = ? LIMIT 1", (day_text(day),)))

    def first_listed_at(self, day: date) -> str | None:
        """When a paper was first listed for `day` (as stored, UTC), None for a day without."""
        rows = self._query("SELECT min(listed_at) FROM listings WHERE day = ?", (day_text(day),))
        return rows[0][0] if rows else None

    def day_papers(
        self, day: date, *, seen_window_days: int = 7, announce_types: Sequence[str] = ()
    ) -> list[DayPaper]:
        """Every paper listed on `day`, with its sources and whether it was seen before.

        A paper counts as seen when it was listed on one of the `seen_window_days` days
        before `day`; with `announce_types` (e.g. new, cross) only earlier arXiv listings of
        those types count (listings without a type — HF, other feeds — always count), so a
        paper that was only re-announced as a new version is not "seen".
        """
        window_start = day_text(day - timedelta(days=seen_window_days))
        types = list(announce_types)
        type_filter = (
            f"(earlier.announce_type IS NULL OR earlier.announce_type IN ({placeholders(len(types))}))"
            if types
            else "1"
        )
        rows = self._query(
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
            [day_text(day), day_text(day), window_start, *types],
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
            for row in self._query(
                "SELECT day, count(DISTINCT paper_id) AS n FROM listings GROUP BY day ORDER BY day DESC"
            )
        ]

    def paper_days(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """The days each of `ids` was listed on, oldest first (e.g. for search results)."""
        found: dict[str, list[str]] = {}
        rows = self._query_ids(
            "SELECT DISTINCT paper_id, day FROM listings WHERE paper_id IN ({ids}) ORDER BY day",
            ids,
        )
        for row in rows:
            found.setdefault(row["paper_id"], []).append(row["day"])
        return found

    def category_counts(self, first_day: date, last_day: date) -> dict[str, dict[str, int]]:
        """Per day from `first_day` to `last_day`: how many listed papers each category has.

        Papers without a category are counted under "" (for the TUI's trends chart).
        """
        found: dict[str, dict[str, int]] = {}
        for row in self._query(
            "SELECT l.day, coalesce(c.category, '') AS category, count(DISTINCT l.paper_id) AS n"
            " FROM listings AS l LEFT JOIN classifications AS c ON c.paper_id = l.paper_id"
            " WHERE l.day BETWEEN ? AND ? GROUP BY l.day, category",
            (day_text(first_day), day_text(last_day)),
        ):
            found.setdefault(row["day"], {})[row["category"]] = row["n"]
        return found

    def count_papers(self) -> int:
        return self._query("SELECT count(*) FROM papers")[0][0]

    def export_rows(self, day: date | None = None) -> Iterator[dict[str, Any]]:
        """Every stored field of the papers (of one day, or all), with sources and days."""
        if day is None:
            rows = self._query("SELECT * FROM papers ORDER BY id")
        else:
            rows = self._query(
                "SELECT p.* FROM papers AS p WHERE p.id IN"
                " (SELECT paper_id FROM listings WHERE day = ?) ORDER BY p.id",
                (day_text(day),),
            )
        listing_rows = self._query("SELECT paper_id, day, source, announce_type FROM listings")
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


_INSERT_REVISION = (
    "INSERT INTO paper_revisions (paper_id, day, old_version, new_version, old_comment,"
    " new_comment, old_title, new_title, old_abstract, new_abstract, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _revised(stored: Paper, merged: Paper) -> bool:
    """Whether a merge brought a new version of the paper or a new comment (where arXiv
    authors announce an acceptance). Text that only moved to a more authoritative source's
    wording is not a revision."""
    return (merged.version or 0) > (stored.version or 0) or bool(
        merged.comment and merged.comment != stored.comment
    )


def _revision_row(stored: Paper, merged: Paper, day: str, now: str) -> tuple[Any, ...]:
    return (
        stored.id,
        day,
        stored.version,
        merged.version,
        stored.comment,
        merged.comment,
        stored.title,
        merged.title,
        stored.abstract,
        merged.abstract,
        now,
    )


_TITLE, _ABSTRACT = _PAPER_COLUMNS.index("title"), _PAPER_COLUMNS.index("abstract")


def _has_korean(row: tuple[Any, ...]) -> bool:
    return has_hangul(row[_TITLE]) or has_hangul(row[_ABSTRACT])


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
