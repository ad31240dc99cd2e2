"""What fetching remembers between runs: each URL's validators and parse (for conditional
GETs), and how often each paper's arXiv categories were asked for (bounded retries)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from core.store.database import Database, day_text, utc_now
from core.store.records import HttpCacheEntry


class HttpCache(Database):
    """The conditional-GET cache and the arXiv enrichment attempts."""

    def http_cache_get(self, url: str) -> HttpCacheEntry | None:
        """What the last successful fetch of `url` saw: validators, body hash, and its parse."""
        rows = self._query("SELECT * FROM http_cache WHERE url = ?", (url,))
        if not rows:
            return None
        row = rows[0]
        return HttpCacheEntry(
            url=row["url"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            body_sha256=row["body_sha256"],
            kind=row["kind"],
            parser_version=row["parser_version"],
            entries=row["entries"],
            listed=row["listed"],
            checked_at=row["checked_at"],
        )

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
        with self._transaction() as db:
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

    def papers_without_categories(
        self,
        ids: Iterable[str] = (),
        *,
        days: tuple[date, date] | None = None,
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
        rows = self._query_ids(
            f"SELECT id, arxiv_id FROM papers AS p WHERE id IN ({{ids}}) AND {condition}",
            ids,
            after=bound,
        )
        order = {paper_id: position for position, paper_id in enumerate(ids)}
        found = [row["arxiv_id"] for row in sorted(rows, key=lambda row: order[row["id"]])]
        if days is not None:
            earlier = self._query(
                f"SELECT p.arxiv_id FROM papers AS p JOIN (SELECT paper_id, max(day) AS day"
                f" FROM listings WHERE day BETWEEN ? AND ? GROUP BY paper_id) AS l"
                f" ON l.paper_id = p.id WHERE {condition} ORDER BY l.day DESC, p.id LIMIT ?",
                [day_text(days[0]), day_text(days[1]), *bound, -1 if limit is None else limit],
            )
            seen = set(found)
            found += [row["arxiv_id"] for row in earlier if row["arxiv_id"] not in seen]
        return found

    def record_enrichment_attempt(self, arxiv_ids: Iterable[str], error: str = "") -> None:
        """Count one more look-up of these papers' arXiv categories (and why it failed)."""
        now = utc_now()
        with self._transaction() as db:
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
        row = self._query(
            "SELECT count(*) AS total,"
            " coalesce(sum(p.categories = '[]'), 0) AS missing,"
            " coalesce(sum(p.categories = '[]' AND coalesce(e.attempts, 0) >= ?), 0) AS given_up"
            " FROM papers AS p LEFT JOIN enrichment_attempts AS e ON e.paper_id = p.id"
            " WHERE p.arxiv_id IS NOT NULL",
            (max_attempts,),
        )[0]
        return row["total"], row["missing"], row["given_up"]
