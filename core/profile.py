"""The reader's interest profile: seeds imported from files, stars and "not interested".

`import_profile` reads a BibTeX export (Zotero, Mendeley, Google Scholar), CSL-JSON, a JSON
list of `{"title", "abstract"?, "url"?}` (the `classify --titles` format) or a text file of
arXiv ids and URLs (looked up through the arXiv API in batches, paced by the shared
fetcher). A file that cannot be read as a whole is refused with one line naming the line or
entry at fault, and nothing is stored; entries without a title are skipped and counted.
BibTeX is read with bibtexparser (v2): it names each block it cannot parse by its line,
decodes LaTeX accents and drops protective braces, which a small parser of our own would
have to get right for every exporter.

`set_feedback` is the one way to like, not-want or forget a paper (the TUI's `s` and `x`,
`dailyai profile like|dislike|forget`); `describe_profile` is what `dailyai profile show`
prints; `rank_titles` ranks papers that are not stored (`dailyai rank --titles`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.classify import RuleClassifier
from core.config import Config, read_text_file
from core.digest import eligible_entries, rank_text
from core.errors import ConfigError, DailyAIError
from core.fetch import Fetcher
from core.i18n import N_, _
from core.ids import canonical_id, parse_arxiv_id
from core.llm import ModelClient
from core.rank import EmbedOutcome, RankingInfo, RankText, Scored, embed_for_ranking, make_ranker
from core.sanitize import clean_text, one_line
from core.sources import arxiv_api
from core.store import ProfileEntry, Store

MAX_PROFILE_FILE_BYTES = 50_000_000
"""A profile file larger than this is refused (a 10,000-paper library is a few MB)."""


class ProfileError(DailyAIError):
    """A profile file or a feedback request that cannot be used."""


@dataclass
class Seed:
    """One paper read from a profile file."""

    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    url: str = ""
    arxiv_id: str | None = None


@dataclass
class ParsedFile:
    """What a profile file holds: its papers, what was skipped, and ids to look up."""

    format: str
    seeds: list[Seed] = field(default_factory=list)
    untitled: int = 0
    """Entries without a title (skipped)."""
    arxiv_ids: list[str] = field(default_factory=list)
    """arXiv ids whose papers are to be looked up (the text format)."""


@dataclass
class ImportResult:
    """What `import_profile` did."""

    format: str
    added: int = 0
    already: int = 0
    """Entries the profile held already (kept as they were)."""
    untitled: int = 0
    not_found: int = 0
    """arXiv ids the arXiv API did not know."""
    embedding: EmbedOutcome | None = None


# --- reading files -----------------------------------------------------------------------


def parse_profile_file(text: str, what: str, *, suffix: str = "") -> ParsedFile:
    """The papers of a profile file's text; `what` names the file in errors."""
    head = text.lstrip()[:1]
    if suffix.lower() in (".bib", ".bibtex") or head == "@":
        return parse_bibtex(text, what)
    if suffix.lower() == ".json" or head in ("[", "{"):
        return parse_json_papers(text, what)
    return parse_arxiv_list(text, what)


def parse_bibtex(text: str, what: str) -> ParsedFile:
    """Papers of a BibTeX file; a block that is not valid BibTeX refuses the file."""
    import bibtexparser
    from bibtexparser import middlewares
    from bibtexparser.model import DuplicateBlockKeyBlock

    def parse(source: str) -> Any:
        return bibtexparser.parse_string(
            source,
            append_middleware=[
                middlewares.LatexDecodingMiddleware(),
                middlewares.SeparateCoAuthors(),
                middlewares.SplitNameParts(),
                middlewares.MergeNameParts(style="first"),
            ],
        )

    library = parse(text)
    entries = list(library.entries)
    failed = []
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            entries.extend(parse(block.raw).entries)  # the same key twice: both are papers
        else:
            failed.append(block)
    if failed:
        first = failed[0]
        error = first.error
        reason = one_line(str(getattr(error, "abort_reason", "") or error or ""), limit=160)
        more = _(" (and {count} more)").format(count=len(failed) - 1) if len(failed) > 1 else ""
        raise ProfileError(
            _("{what}: line {line}: not valid BibTeX{more}").format(
                what=what, line=first.start_line + 1, more=more
            )
            + (f": {reason}" if reason else "")
            + _(" — fix or remove that entry and import again (nothing was imported)")
        )
    if not entries and "@" not in text:
        raise ProfileError(
            _("{what}: no BibTeX entries found — is this a .bib export?").format(what=what)
        )
    parsed = ParsedFile("BibTeX")
    for entry in entries:
        fields = {key.lower(): value for key, value in entry.fields_dict.items()}

        def value(name: str, fields: dict[str, Any] = fields) -> str:
            found = fields.get(name)
            return found.value if found is not None and isinstance(found.value, str) else ""

        title = one_line(value("title"))
        if not title:
            parsed.untitled += 1
            continue
        author_field = fields.get("author")
        authors = author_field.value if author_field is not None else []
        if isinstance(authors, str):
            authors = [authors]
        url = value("url")
        arxiv = _arxiv_of(value("eprint"), url, value("doi"), value("arxivid"), value("journal"))
        parsed.seeds.append(
            Seed(
                title=title,
                abstract=clean_text(value("abstract")),
                authors=[one_line(str(name), limit=200) for name in authors if str(name).strip()],
                url=url,
                arxiv_id=arxiv,
            )
        )
    return parsed


def parse_json_papers(text: str, what: str) -> ParsedFile:
    """Papers of CSL-JSON or of a JSON list of {"title", "abstract"?, "url"?}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProfileError(
            _(
                "{what}: not valid JSON at line {lineno} column {colno} ({msg}) — fix the file"
            ).format(what=what, lineno=error.lineno, colno=error.colno, msg=error.msg)
        ) from None
    except RecursionError:
        raise ProfileError(
            _("{what}: JSON nested too deeply — give a list of papers").format(what=what)
        ) from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]  # CSL-JSON wrapped by some exporters
    if not isinstance(data, list):
        raise ProfileError(
            _(
                '{what}: expected a JSON list of papers (CSL-JSON, or objects with a "title")'
            ).format(what=what)
        )
    csl = any(isinstance(item, dict) and ("type" in item or "issued" in item) for item in data)
    parsed = ParsedFile("CSL-JSON" if csl else _("JSON list of titles"))
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ProfileError(
                _(
                    "{what}: entry {number} is {value}, not an object with a title — fix or remove it"
                ).format(what=what, number=number, value=_json_type(item))
            )
        title = item.get("title")
        if title is None or (isinstance(title, str) and not title.strip()):
            parsed.untitled += 1
            continue
        if not isinstance(title, str):
            raise ProfileError(
                _('{what}: entry {number}: "title" is {value}, not text — fix it').format(
                    what=what, number=number, value=_json_type(title)
                )
            )
        for name in ("abstract", "url", "URL", "DOI"):
            if item.get(name) is not None and not isinstance(item[name], str):
                raise ProfileError(
                    _('{what}: entry {number}: "{name}" is {value}, not text — fix it').format(
                        what=what, number=number, name=name, value=_json_type(item[name])
                    )
                )
        url = item.get("url") or item.get("URL") or ""
        parsed.seeds.append(
            Seed(
                title=one_line(title),
                abstract=clean_text(item.get("abstract") or ""),
                authors=_json_authors(item.get("author") or item.get("authors")),
                url=url,
                arxiv_id=_arxiv_of(url, item.get("DOI") or "", item.get("number") or ""),
            )
        )
    return parsed


_COMMENT = re.compile(r"^\s*(#.*)?$")


def parse_arxiv_list(text: str, what: str) -> ParsedFile:
    """arXiv ids (or abs/pdf/Hugging Face URLs) one per line; blank lines and # comments
    are skipped; any other line refuses the file."""
    parsed = ParsedFile(_("arXiv ids"))
    for number, line in enumerate(text.splitlines(), start=1):
        if _COMMENT.match(line):
            continue
        found = parse_arxiv_id(line.strip())
        if found is None:
            raise ProfileError(
                _(
                    "{what}: line {number}: {line!r} is not an arXiv id or an arXiv/Hugging Face URL "
                    "— give one per line (# starts a comment)"
                ).format(what=what, number=number, line=one_line(line, limit=80))
            )
        if found[0] not in parsed.arxiv_ids:
            parsed.arxiv_ids.append(found[0])
    if not parsed.arxiv_ids:
        raise ProfileError(
            _(
                "{what}: no papers found — give BibTeX, CSL-JSON, a JSON list of titles, or arXiv"
                " ids one per line"
            ).format(what=what)
        )
    return parsed


_DOI_ARXIV = re.compile(r"10\.48550/arxiv\.(\S+)", re.IGNORECASE)


def _arxiv_of(*candidates: str) -> str | None:
    """The arXiv id among an eprint, a URL, a DOI (10.48550/arXiv.…), or none."""
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        doi = _DOI_ARXIV.search(candidate)
        found = parse_arxiv_id(doi.group(1) if doi else candidate.strip())
        if found:
            return found[0]
    return None


def _json_authors(value: Any) -> list[str]:
    """Author names from CSL-JSON ({"family", "given"} or {"literal"}) or plain strings."""
    if not isinstance(value, list):
        return [one_line(value, limit=200)] if isinstance(value, str) and value.strip() else []
    names = []
    for author in value:
        if isinstance(author, str):
            name = author
        elif isinstance(author, dict):
            name = author.get("literal") or " ".join(
                str(part) for part in (author.get("given"), author.get("family")) if part
            )
        else:
            continue
        if isinstance(name, str) and name.strip():
            names.append(one_line(name, limit=200))
    return names


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return "text"


# --- importing -----------------------------------------------------------------------------


def seed_entry(seed: Seed, *, source: str, rules: RuleClassifier) -> ProfileEntry:
    """A seed as a profile entry: keyed by its paper id (arXiv id, else its link) when it
    has one, else by its title."""
    if seed.arxiv_id or seed.url:
        paper_id: str | None = canonical_id(seed.arxiv_id, seed.url)
        key = paper_id
    else:
        paper_id = None
        normal = " ".join(seed.title.lower().split())
        key = "title:" + hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]
    return ProfileEntry(
        key=key,
        stance="like",
        origin="import",
        title=seed.title,
        source=source,
        paper_id=paper_id,
        abstract=seed.abstract,
        authors=list(seed.authors),
        url=seed.url or (f"https://arxiv.org/abs/{seed.arxiv_id}" if seed.arxiv_id else ""),
        category=rules.classify(seed.title, seed.abstract).category,
    )


async def import_profile(
    store: Store,
    config: Config,
    path: Path,
    *,
    fetcher: Fetcher | None = None,
    embed: bool = True,
    client: ModelClient | None = None,
) -> ImportResult:
    """Read a profile file and store its papers as seeds of the profile (see the module
    docstring). With `embed`, their vectors are fetched too (best effort, through `client`)."""
    what = _("profile file {path}").format(path=path)
    try:
        text = read_text_file(path, what, max_bytes=MAX_PROFILE_FILE_BYTES)
    except ConfigError as error:
        raise ProfileError(str(error)) from None
    parsed = parse_profile_file(text, what, suffix=path.suffix)
    result = ImportResult(parsed.format, untitled=parsed.untitled)
    seeds = list(parsed.seeds)
    if parsed.arxiv_ids:
        found = await lookup_arxiv(config, parsed.arxiv_ids, fetcher=fetcher)
        result.not_found = len(parsed.arxiv_ids) - len(found)
        seeds.extend(found)
    rules = RuleClassifier(config.taxonomy)
    entries = [seed_entry(seed, source=path.name, rules=rules) for seed in seeds]
    result.added, result.already = await asyncio.to_thread(store.add_profile_entries, entries)
    if embed and entries:
        result.embedding = await embed_for_ranking(
            store, config, [], day=date.today(), client=client
        )
    return result


async def lookup_arxiv(
    config: Config, arxiv_ids: Sequence[str], *, fetcher: Fetcher | None = None
) -> list[Seed]:
    """The papers of `arxiv_ids` from the arXiv API, `fetch.arxiv_api_batch` ids a request,
    paced as arXiv asks (one request every `fetch.arxiv_min_interval_seconds`)."""
    own = fetcher is None
    fetcher = fetcher or Fetcher(config.fetch)
    batch = max(1, config.fetch.arxiv_api_batch)
    seeds: list[Seed] = []
    try:
        for start in range(0, len(arxiv_ids), batch):
            ids = list(arxiv_ids[start : start + batch])
            url = arxiv_api.lookup_url(config.fetch.arxiv_api_url, ids)
            fetched = await fetcher.get(url, label="arxiv-api")
            parsed = arxiv_api.parse(
                fetched.body, day=date.today(), label="arxiv-api", source="arxiv-api"
            )
            for item in parsed.listed:
                paper = item.paper
                seeds.append(
                    Seed(
                        title=paper.title,
                        abstract=paper.abstract,
                        authors=list(paper.authors),
                        url=paper.url,
                        arxiv_id=paper.arxiv_id,
                    )
                )
    finally:
        if own:
            await fetcher.aclose()
    return seeds


# --- feedback ------------------------------------------------------------------------------


def paper_id_of(text: str) -> str:
    """A paper id as the user may give it: the id, an arXiv id with a version, or a URL."""
    found = parse_arxiv_id(text.strip())
    return found[0] if found else text.strip()


def set_feedback(
    store: Store, config: Config, paper_id: str, stance: str | None, *, source: str
) -> ProfileEntry | None:
    """Like (`stance` "like"), not-want ("dislike") or forget (None) a stored paper.

    Returns the entry the profile now holds for it (None after forgetting).
    """
    paper_id = paper_id_of(paper_id)
    if stance is None:
        store.forget_profile_entry(paper_id)
        return None
    paper = store.get_paper(paper_id)
    if paper is None:
        raise ProfileError(
            _(
                "no stored paper '{paper_id}' — `dailyai search` finds stored papers' ids; "
                "`dailyai profile import` takes papers that are not stored"
            ).format(paper_id=one_line(paper_id, limit=80))
        )
    classification = store.classifications([paper.id]).get(paper.id)
    category = (
        classification.category
        if classification
        else RuleClassifier(config.taxonomy).classify(paper.title, paper.abstract).category
    )
    entry = ProfileEntry(
        key=paper.id,
        stance=stance,
        origin="feedback",
        title=paper.title,
        source=source,
        paper_id=paper.id,
        abstract=paper.abstract,
        authors=list(paper.authors),
        url=paper.url,
        category=category,
        version=paper.version,
        comment=paper.comment,
    )
    store.set_feedback(entry)
    return store.profile_entry(paper.id)


def forget(store: Store, key: str) -> bool:
    """Take an entry out of the profile by its key or paper id (or an arXiv URL)."""
    return store.forget_profile_entry(paper_id_of(key))


# --- what the profile holds ----------------------------------------------------------------


@dataclass
class ProfileGroup:
    """Entries of one kind: seeds of one file, stars, or "not interested"."""

    label: str
    entries: list[ProfileEntry]

    @property
    def first_added(self) -> str:
        return min(entry.added_at for entry in self.entries)[:10]

    @property
    def last_added(self) -> str:
        return max(entry.added_at for entry in self.entries)[:10]


def profile_groups(entries: Sequence[ProfileEntry]) -> list[ProfileGroup]:
    """The profile by source: each imported file's seeds, the likes, the dislikes."""
    # Keyed by (place, label): seeds first, then likes, then dislikes, whatever the language.
    groups: dict[tuple[int, str], list[ProfileEntry]] = {}
    for entry in entries:
        if entry.stance == "dislike":
            key = (2, N_("not interested"))
        elif entry.origin == "import":
            key = (0, _("seeds from {file}").format(file=entry.source))
        else:
            key = (1, N_("liked (starred)"))
        groups.setdefault(key, []).append(entry)
    return [ProfileGroup(label, groups[(place, label)]) for place, label in sorted(groups)]


# --- ranking papers that are not stored ------------------------------------------------------


@dataclass
class RankedTitle:
    """One entry of a --titles file, ranked."""

    title: str
    scored: Scored


async def rank_titles(
    store: Store,
    config: Config,
    entries: Sequence[dict[str, Any]],
    day: date,
    *,
    client: ModelClient | None = None,
) -> tuple[list[RankedTitle], RankingInfo]:
    """Rank papers given as {"title", "abstract"?, "url"?} against the profile, best first,
    storing nothing of them (their vectors, if fetched, are not kept)."""
    rules = RuleClassifier(config.taxonomy)
    items = []
    for index, entry in enumerate(entries):
        title = one_line(entry.get("title"))
        abstract = clean_text(entry.get("abstract") or "")
        items.append(
            RankText(
                key=f"titles:{index}",
                title=title,
                abstract=abstract,
                category=rules.classify(title, abstract).category,
            )
        )
    outcome = await embed_for_ranking(
        store,
        config,
        items,
        day=day,
        keep=lambda key: not key.startswith("titles:"),
        client=client,
    )
    ranker = make_ranker(
        store, config, day, items, vectors=outcome.vectors, fallback_note=outcome.error
    )
    scored = ranker.score(items)
    order = sorted(
        range(len(items)),
        key=lambda i: (
            (scored[i].disliked, -scored[i].score, i) if ranker.personal else (-scored[i].score, i)
        ),
    )
    return [RankedTitle(items[i].title, scored[i]) for i in order], ranker.info


async def embed_day(
    store: Store, config: Config, day: date, *, client: ModelClient | None = None
) -> EmbedOutcome:
    """Fetch the vectors a day's ranking lacks (its rankable papers and the profile)."""
    entries = await asyncio.to_thread(
        store.day_papers,
        day,
        seen_window_days=config.fetch.seen_window_days,
        announce_types=config.fetch.announce_types,
    )
    candidates = [rank_text(entry) for entry in eligible_entries(entries, config)]
    return await embed_for_ranking(store, config, candidates, day=day, client=client)


__all__ = [
    "ImportResult",
    "ParsedFile",
    "ProfileError",
    "ProfileGroup",
    "RankedTitle",
    "Seed",
    "embed_day",
    "forget",
    "import_profile",
    "lookup_arxiv",
    "parse_profile_file",
    "profile_groups",
    "rank_titles",
    "set_feedback",
]
