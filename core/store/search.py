"""Full-text search over every stored paper: the index, the query, and where each hit matched.

The index is an FTS5 table, `papers_fts`, with one row per paper: its title, abstract and
current Korean summary as words (each query word matches as a prefix: `reinforce` finds
`Reinforcement`, `강화학습` finds `강화학습을`), and in a fourth column, `korean`, the
morphemes of its Korean text as Kiwi found them (core.korean), so a Korean word matches
inside compounds and past particles (`학습` finds `강화학습을`, `모델` finds `언어모델의`).

Analysing text takes a model in a child process, so it is not done while papers or
summaries are stored: storing puts the paper in `search_backlog`, and
`update_korean_index` analyses the backlog in one batch (the CLI before a Korean search,
the TUI when its search screen opens). Until then the paper is found by its words.

A query is never analysed: each Korean query word is split into morphemes the index holds
(`강화학습을` → `강화 학습`, the particle left off), which needs no model.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.korean import HANGUL_SYLLABLES, PARTICLES_AND_ENDINGS, analyse, has_hangul
from core.sanitize import one_line
from core.store.database import ID_CHUNK
from core.store.papers import Papers, paper_from_row
from core.store.records import SearchHit, Snippet

BM25_WEIGHTS = "10.0, 2.0, 3.0, 3.0"
"""How much a match counts in the title, abstract, summary and Korean morphemes."""

SNIPPET_CHARS = 200
"""Most characters of an abstract or summary a hit carries (front ends cut it to fit)."""
SNIPPET_LEAD = 12
"""Characters kept before the first match, so it reads in context."""

_WRITE_EVERY = 200  # analysed texts stored per transaction while the backlog is worked off
_MAX_KOREAN_WORD = 24  # longer query words are split by their first syllables only
_HANGUL_WORD = re.compile(rf"[\W_]*([{HANGUL_SYLLABLES}]+)[\W_]*")
_WORD_CHARS = re.compile(r"[^\W_]+")


class Search(Papers):
    """Searching the stored papers, and keeping the Korean part of the index up to date."""

    _korean_lock = threading.Lock()
    """One analysis of the backlog at a time in this process; a second waits, then finds
    the work done."""

    def search(self, query: str, *, limit: int = 50) -> list[SearchHit]:
        """Papers whose title, abstract or summary match every word of `query`, best first.

        Each word matches as a prefix; a Korean word also matches through its morphemes,
        inside compounds and past particles. Quotes, NUL and FTS syntax in `query` are
        taken literally, never as syntax.
        """
        words = query_words(query)
        if not words:
            return []
        pieces = {word: self._korean_pieces(word) for word in words}
        match = " AND ".join(_word_match(word, *pieces[word]) for word in words)
        rows = self._query(
            "SELECT p.*, papers_fts.summary AS indexed_summary FROM papers_fts"
            " JOIN papers AS p ON p.rowid = papers_fts.rowid"
            f" WHERE papers_fts MATCH ? ORDER BY bm25(papers_fts, {BM25_WEIGHTS}) LIMIT ?",
            (match, limit),
        )
        days = self.paper_days([row["id"] for row in rows])
        finder = Highlighter(words, [piece for found, _ in pieces.values() for piece in found])
        hits = []
        for row in rows:
            paper = paper_from_row(row)
            hits.append(
                SearchHit(
                    paper=paper,
                    days=days.get(paper.id, []),
                    title=finder.snippet("title", paper.title, whole=True),
                    snippet=finder.best_snippet(
                        [("summary", row["indexed_summary"]), ("abstract", paper.abstract)]
                    ),
                )
            )
        return hits

    def korean_backlog(self) -> int:
        """How many papers' Korean text waits to be analysed for search."""
        return self._query("SELECT count(*) FROM search_backlog")[0][0]

    def update_korean_index(
        self,
        *,
        on_progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Analyse the Korean text of every paper in the backlog; how many were indexed.

        Kiwi runs once for the whole backlog (core.korean.analyse). Results are stored as
        they come, so a stop (`should_stop()`) or a failure keeps what was done; a paper
        whose text changed meanwhile stays in the backlog. `on_progress(done, total)`
        follows the analysis. Raises KoreanAnalyserError when Kiwi cannot run.
        """
        with self._korean_lock:
            rowids = [row[0] for row in self._query("SELECT paper_rowid FROM search_backlog")]
            pending: dict[int, str] = {}
            without_korean: list[int] = []
            for start in range(0, len(rowids), ID_CHUNK):  # only the Korean text is kept
                for row in self._query_ids(
                    "SELECT rowid, title, abstract, summary FROM papers_fts WHERE rowid IN ({ids})",
                    rowids[start : start + ID_CHUNK],
                ):
                    text = _korean_text(row["title"], row["abstract"], row["summary"])
                    if text:
                        pending[row["rowid"]] = text
                    else:
                        without_korean.append(row["rowid"])
            # Gone papers and papers with no Korean text (any more) need no analysis.
            gone = set(rowids) - set(pending) - set(without_korean)
            self._store_morphemes([(rowid, "", []) for rowid in without_korean], gone)
            order = list(pending)
            done: list[tuple[int, str, list[str]]] = []
            stored = 0

            def store_result(index: int, morphemes: list[str]) -> None:
                nonlocal stored
                rowid = order[index]
                done.append((rowid, pending[rowid], morphemes))
                if len(done) >= _WRITE_EVERY:
                    stored += self._store_morphemes(done)
                    done.clear()
                if on_progress is not None:
                    on_progress(index + 1, len(order))

            try:
                analyse(
                    [pending[rowid] for rowid in order],
                    on_result=store_result,
                    should_stop=should_stop,
                )
            finally:
                stored += self._store_morphemes(done)
            return stored

    def _store_morphemes(
        self, results: Sequence[tuple[int, str, list[str]]], gone: set[int] | None = None
    ) -> int:
        """Store analysed papers' morphemes, each only if its Korean text is still the one
        analysed; they leave the backlog (with `gone`, rows without a paper any more)."""
        if not results and not gone:
            return 0
        stored = 0
        with self._transaction() as db:
            for rowid in gone or ():
                db.execute("DELETE FROM search_backlog WHERE paper_rowid = ?", (rowid,))
            for rowid, text, morphemes in results:
                row = db.execute(
                    "SELECT title, abstract, summary, korean FROM papers_fts WHERE rowid = ?",
                    (rowid,),
                ).fetchone()
                if row is None or _korean_text(row[0], row[1], row[2]) != text:
                    continue
                korean = " ".join(morphemes)
                if row[3] != korean:
                    db.execute("UPDATE papers_fts SET korean = ? WHERE rowid = ?", (korean, rowid))
                db.execute("DELETE FROM search_backlog WHERE paper_rowid = ?", (rowid,))
                stored += 1
        return stored

    def _korean_pieces(self, word: str) -> tuple[list[str], str]:
        """A Korean query word split into morphemes the index holds (see `split_korean`)."""
        found = _HANGUL_WORD.fullmatch(word)
        if not found:
            return [], ""
        word = found.group(1)[:_MAX_KOREAN_WORD]
        parts = {word[i:j] for i in range(len(word)) for j in range(i + 1, len(word) + 1)}
        known = {
            row[0]
            for row in self._query_ids(
                "SELECT term FROM papers_fts_terms WHERE col = 'korean' AND term IN ({ids})",
                sorted(parts),
            )
        }
        return split_korean(word, known)


def split_korean(word: str, known: set[str]) -> tuple[list[str], str]:
    """(morphemes, unfinished tail) of a Korean word, split into `known` morphemes.

    The fewest morphemes that make up the whole word (`강화학습` → 강화, 학습), or the word
    without a particle or ending (`언어모델의` → 언어, 모델; `제안하는` → 제안) when that
    takes fewer; otherwise the morphemes its start is made of and the rest as a tail still
    being typed (`강화학` → 강화 + 학…, so it must go on with a morpheme starting 학).
    """
    whole = _fewest(word, known)
    candidates = [whole] if whole else []
    for ending in PARTICLES_AND_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending):
            stem = _fewest(word[: -len(ending)], known)
            if stem and (not candidates or len(stem) < len(candidates[0])):
                candidates.insert(0, stem)
    if candidates:
        return candidates[0], ""
    best = _covering(word, known)
    covered = max(end for end, pieces in enumerate(best) if pieces is not None)
    if covered == 0:
        return [], ""
    return best[covered] or [], word[covered:]


def _covering(word: str, known: set[str]) -> list[list[str] | None]:
    """For each length n, the fewest known morphemes that make up word[:n] (None: none do)."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for start in range(len(word)):
        covered = best[start]
        if covered is None:
            continue
        for end in range(start + 1, len(word) + 1):
            if word[start:end] in known:
                candidate = [*covered, word[start:end]]
                if best[end] is None or len(candidate) < len(best[end] or ()):
                    best[end] = candidate
    return best


def _fewest(word: str, known: set[str]) -> list[str] | None:
    return _covering(word, known)[len(word)]


def query_words(query: str) -> list[str]:
    """The words of a query, with what would be FTS syntax made harmless.

    Double quotes (the only character with meaning inside an FTS string) become spaces;
    a NUL would end the FTS query string early (sqlite: "unterminated string").
    """
    return query.replace('"', " ").replace("\x00", " ").split()


def _word_match(word: str, pieces: list[str], tail: str) -> str:
    """The FTS expression of one query word: its prefix in any column, or its Korean
    morphemes next to each other in the `korean` column (the last one as a prefix)."""
    prefix = f'"{word}"*'
    terms = [*pieces, tail] if tail else pieces
    if not terms or terms == [word]:
        return prefix  # a word that is one morpheme already matches it as a prefix
    return f'({prefix} OR korean : "{" ".join(terms)}"*)'


def _korean_text(title: str | None, abstract: str | None, summary: str | None) -> str:
    """The parts of a paper's indexed text that are Korean, for the analyser."""
    return "\n".join(part for part in (title, abstract, summary) if part and has_hangul(part))


@dataclass
class Highlighter:
    """Finds where a query matched in a text, as the index would: each word as the start of
    a word (Latin words to their end, so `reinforce` marks `Reinforcement`), and each
    Korean morpheme anywhere inside a word (`학습` in `강화학습을`)."""

    words: list[str]
    morphemes: list[str]

    def __post_init__(self) -> None:
        alternatives = []
        for word in self.words:
            for token in _WORD_CHARS.findall(word):
                tail = "" if has_hangul(token) else r"[^\W_]*"
                alternatives.append(rf"(?<![^\W_]){re.escape(token)}{tail}")
        alternatives += [re.escape(morpheme) for morpheme in self.morphemes]
        # Longest first, so a whole word wins over a morpheme inside it.
        alternatives.sort(key=len, reverse=True)
        self._pattern = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the query matched in `text`, in order, not overlapping."""
        if self._pattern is None:
            return []
        return [
            match.span() for match in self._pattern.finditer(text) if match.end() > match.start()
        ]

    def snippet(self, field: str, text: str | None, *, whole: bool = False) -> Snippet:
        """`text` on one line with its matches; cut around the first match unless `whole`."""
        line = one_line(text, limit=len(text or "") + 1)
        spans = self.spans(line)
        if whole:
            return Snippet(field, line, spans)
        return _excerpt(field, line, spans)

    def best_snippet(self, fields: Sequence[tuple[str, str | None]]) -> Snippet | None:
        """The first field that matched, cut around its match; else the first with text."""
        first = None
        for field, text in fields:
            if text:
                snippet = self.snippet(field, text)
                if snippet.highlights:
                    return snippet
                first = first or snippet
        return first


def _excerpt(field: str, line: str, spans: list[tuple[int, int]]) -> Snippet:
    """About SNIPPET_CHARS of `line` from a little before its first match, at word bounds."""
    start = 0
    if spans and spans[0][0] > SNIPPET_LEAD:
        start = spans[0][0] - SNIPPET_LEAD
        space = line.find(" ", start, spans[0][0])
        start = space + 1 if space >= 0 else start
    end = min(len(line), start + SNIPPET_CHARS)
    if end < len(line):
        space = line.rfind(" ", start + SNIPPET_CHARS // 2, end)
        end = space if space > 0 else end
    before = "…" if start > 0 else ""
    after = "…" if end < len(line) else ""
    shift = len(before) - start
    kept = [
        (max(begin, start) + shift, min(finish, end) + shift)
        for begin, finish in spans
        if begin < end and finish > start
    ]
    return Snippet(field, before + line[start:end] + after, kept)
