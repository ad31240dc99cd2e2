"""The fetch step: every source fetched, parsed and merged into the store, with a ledger.

Sources are fetched concurrently through one shared `Fetcher` (arXiv's hosts one at a time,
3 seconds apart). One failing source never sinks the others, whatever goes wrong: it is
recorded as failed with its one-line cause, and the rest are stored. A source is skipped as
unchanged only when the same bytes were parsed before by the same kind and parser version
and stored this day's papers. Papers without arXiv categories (from Hugging Face, say) are
then enriched through the arXiv API, in batches; a failed look-up is retried on later
fetches, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from core.config import Config
from core.errors import ConfigError, SourceError
from core.fetch import Fetched, Fetcher, Validators
from core.i18n import _
from core.ids import parse_arxiv_id
from core.models import FetchSummary, Listed, SourceKind, SourceResult, SourceStatus
from core.runs import fetch_lines, recorded_run
from core.sanitize import one_line
from core.sources import (
    AUTO,
    ParsedSource,
    arxiv_api,
    detect_kind,
    kind_names,
    kind_of,
    parse_source,
)
from core.sources.base import Paging
from core.sources.feed import FEED
from core.store import HttpCacheEntry, Store

log = logging.getLogger("dailyai.fetch")
# Tracebacks go to a run's log file when one is attached, never raw onto the terminal.
log.addHandler(logging.NullHandler())

ENRICH_MAX_ATTEMPTS = 5
"""How many times a paper's arXiv categories are asked for before it is given up on."""
ENRICH_RETRY_LIMIT = 200
"""At most this many papers from earlier fetches are retried per fetch (4 API requests)."""


@dataclass
class SourceSpec:
    """A source to fetch now: from the config, or given on the command line."""

    name: str
    url: str
    kind: SourceKind | None = None
    """None means: detect the kind from the content."""


@dataclass
class FetchProgress:
    """A progress report from the fetch step, for a progress bar or the TUI."""

    source: str
    stage: str  # fetching, parsing, storing, done, failed, enriching
    message: str = ""


ProgressCallback = Callable[[FetchProgress], None]


def parse_kind(kind: str | None) -> SourceKind | None:
    """A kind's name checked against the registry; `auto` (or nothing) means detect it."""
    if kind in (None, "", AUTO):
        return None
    if kind not in kind_names():
        names = ", ".join([AUTO, *kind_names()])
        raise ConfigError(
            _("source kind {kind!r} is not known — use one of {names}").format(
                kind=kind, names=names
            )
        )
    return SourceKind(kind)


def source_specs(
    config: Config, requested: list[tuple[str, str | None]] | None = None
) -> list[SourceSpec]:
    """The sources to fetch: the given names or URLs, else every enabled configured source."""
    if not requested:
        specs = [
            SourceSpec(source.name, source.resolved_url(), parse_kind(source.kind))
            for source in config.sources
            if source.enabled
        ]
        if not specs:
            raise ConfigError(
                _("no sources are configured — add a [[sources]] table to config.toml")
            )
        return specs
    specs = []
    for name_or_url, kind in requested:
        configured = config.source(name_or_url)
        if configured is not None:
            specs.append(
                SourceSpec(
                    configured.name, configured.resolved_url(), parse_kind(kind or configured.kind)
                )
            )
        elif found := parse_arxiv_id(name_or_url):
            # A bare arXiv id: look the paper up through the arXiv API.
            url = arxiv_api.lookup_url(config.fetch.arxiv_api_url, [found[0]])
            specs.append(SourceSpec(f"arxiv:{found[0]}", url, arxiv_api.ARXIV_API))
        elif "://" in name_or_url:
            specs.append(SourceSpec(_name_for_url(name_or_url), name_or_url, parse_kind(kind)))
        elif Path(name_or_url).expanduser().is_file():
            url = Path(name_or_url).expanduser().resolve().as_uri()
            specs.append(SourceSpec(_name_for_url(url), url, parse_kind(kind)))
        else:
            known = ", ".join(source.name for source in config.sources) or _("none")
            raise ConfigError(
                _(
                    "--source {name_or_url!r} is neither a configured source ({known}), a URL, an "
                    "arXiv id nor an existing file"
                ).format(name_or_url=name_or_url, known=known)
            )
    return specs


def _name_for_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return parts.path.rsplit("/", 1)[-1] or url
    return (parts.netloc + parts.path).rstrip("/")


async def fetch_sources(
    store: Store,
    config: Config,
    day: date,
    *,
    specs: list[SourceSpec] | None = None,
    fetcher: Fetcher | None = None,
    on_progress: ProgressCallback | None = None,
    refresh: bool = False,
    enrich: bool | None = None,
    today: date | None = None,
) -> FetchSummary:
    """The fetch step: the sources for `day` fetched into the store, and how each did.

    `refresh` ignores what was fetched before (no conditional GET, no skipping of unchanged
    content). Nothing is written to the run ledger: the caller records the summary (see
    `fetch_day`, and the daily pipeline).
    """
    specs = specs if specs is not None else source_specs(config)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(config.fetch)
    report = on_progress or (lambda event: None)
    try:
        results = await asyncio.gather(
            *(
                _fetch_source(store, config, fetcher, spec, day, refresh, report, today)
                for spec in specs
            )
        )
        results = list(results)
        # When every source failed (offline, most likely) the arXiv API would fail too, and
        # count against each paper's bounded look-ups for nothing.
        reachable = not results or any(not result.failed for result in results)
        if reachable and (enrich if enrich is not None else config.fetch.enrich_with_arxiv_api):
            enrichment = await _enrich(store, config, fetcher, results, report, day, refresh)
            if enrichment is not None:
                results.append(enrichment)
    finally:
        if own_fetcher:
            await fetcher.aclose()
    summary = FetchSummary(run_id=0, day=day, results=results)
    if not await asyncio.to_thread(store.day_listed, day):
        summary.empty_reason = why_empty(results)
    return summary


async def fetch_day(
    store: Store,
    config: Config,
    day: date,
    *,
    specs: list[SourceSpec] | None = None,
    fetcher: Fetcher | None = None,
    on_progress: ProgressCallback | None = None,
    refresh: bool = False,
    enrich: bool | None = None,
    today: date | None = None,
) -> FetchSummary:
    """`dailyai fetch`: the fetch step as a run of its own in the run ledger, one line per
    source (see `fetch_sources` for the options)."""
    specs = specs if specs is not None else source_specs(config)
    async with recorded_run(store, "fetch", day) as run:
        async with run.step("fetch") as outcome:
            summary = await fetch_sources(
                store,
                config,
                day,
                specs=specs,
                fetcher=fetcher,
                on_progress=on_progress,
                refresh=refresh,
                enrich=enrich,
                today=today,
            )
            outcome.lines = fetch_lines(summary)
        summary.run_id = run.id
        await run.finish(summary.status, summary.empty_reason)
    return summary


async def _fetch_source(
    store: Store,
    config: Config,
    fetcher: Fetcher,
    spec: SourceSpec,
    day: date,
    refresh: bool,
    report: ProgressCallback,
    today: date | None,
) -> SourceResult:
    started = time.perf_counter()
    # Until its content is read, a source of no given kind is reported as a generic feed.
    result = SourceResult(
        name=spec.name, kind=spec.kind or FEED, url=spec.url, status=SourceStatus.OK
    )
    try:
        report(FetchProgress(spec.name, "fetching", spec.url))
        pages = await _download(store, config, fetcher, spec, day, refresh)
        if isinstance(pages, _Unchanged):
            result.status = SourceStatus.UNCHANGED
            result.reason = "no change since the last fetch"
            result.kind = pages.kind
            report(FetchProgress(spec.name, "done", result.reason))
            return result
        kind = spec.kind or detect_kind(pages[0].body, pages[0].content_type, spec.name)
        result.kind = kind
        reader = kind_of(kind)
        size = sum(len(p.body) for p in pages)
        report(FetchProgress(spec.name, "parsing", _("{size:,} bytes").format(size=size)))
        parsed = await asyncio.to_thread(_parse_pages, kind, pages, day, spec.name)
        result.feed_day, result.skip_days = parsed.feed_day, parsed.skip_days
        result.warnings.extend(parsed.warnings)
        result.listed = parsed.listed
        result.warnings.extend(reader.day_warnings(parsed, day))
        count = len(parsed.listed)
        report(FetchProgress(spec.name, "storing", _("{count} papers").format(count=count)))
        counts = await asyncio.to_thread(store.merge_listed, parsed.listed, spec.name)
        result.new, result.updated = counts.new, counts.updated
        if counts.duplicates:
            result.warnings.append(f"{counts.duplicates} duplicate entries merged")
        for page in pages:
            await asyncio.to_thread(
                store.http_cache_put,
                page.url,
                etag=page.etag,
                last_modified=page.last_modified,
                body_sha256=page.sha256,
                kind=str(kind),
                parser_version=reader.parser_version,
                entries=parsed.entries,
                listed=len(parsed.listed),
            )
        if not parsed.listed:
            result.status = SourceStatus.EMPTY
            result.reason = reader.empty_reason(parsed.feed_day or day, parsed.skip_days, today)
        elif result.warnings:
            result.reason = "; ".join(result.warnings)
        report(FetchProgress(spec.name, "done", _("{count} papers").format(count=count)))
    except SourceError as error:
        _fail(result, str(error), report)
    except Exception as error:  # a surprise in one source must not sink the others
        log.error("source %s: unexpected error", spec.name, exc_info=True)
        _fail(result, unexpected_error(spec.name, error), report)
    finally:
        result.duration_ms = int((time.perf_counter() - started) * 1000)
    return result


def _fail(result: SourceResult, reason: str, report: ProgressCallback) -> None:
    result.status = SourceStatus.FAILED
    result.reason = reason
    result.listed = []
    report(FetchProgress(result.name, "failed", reason))


def unexpected_error(label: str, error: BaseException) -> str:
    """The one line for a failure nobody foresaw: what it was, and a request to report it."""
    detail = one_line(str(error), limit=200)
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return _("{label}: unexpected error ({what}) — please report it").format(label=label, what=what)


def why_empty(results: list[SourceResult]) -> str:
    """Why no source listed a paper for the day, naming each failed source once.

    Failed sources' causes are in their own results (and run steps); saying them again here
    would print every failure twice wherever both are shown.
    """
    parts = [f"{r.name}: {r.reason}" for r in results if r.reason and not r.failed]
    failed = [r.name for r in results if r.failed]
    if failed:
        every = len(failed) == len(results)
        parts.append(f"{'every source failed' if every else 'failed'}: {', '.join(failed)}")
    return "; ".join(parts) or "no source listed any paper for this day"


def _parse_pages(kind: str, pages: list[Fetched], day: date, label: str) -> ParsedSource:
    combined = ParsedSource()
    for page in pages:
        parsed = parse_source(kind, page.body, day=day, label=label, source=label)
        combined.listed.extend(parsed.listed)
        combined.warnings.extend(parsed.warnings)
        combined.feed_day = combined.feed_day or parsed.feed_day
        combined.skip_days = combined.skip_days or parsed.skip_days
    return combined


@dataclass
class _Unchanged:
    """The source sent what it sent last time, and that parse is stored: nothing to do."""

    kind: SourceKind


async def _download(
    store: Store, config: Config, fetcher: Fetcher, spec: SourceSpec, day: date, refresh: bool
) -> list[Fetched] | _Unchanged:
    """The response bodies of a source (its kind's pages for the day), or _Unchanged."""
    # Named after the one kind that paged when they were added; any paged kind reads them.
    paging = Paging(config.fetch.hf_page_size, config.fetch.hf_max_pages)
    reader = kind_of(spec.kind) if spec.kind else None  # a kind to detect is read whole
    urls = reader.page_urls(spec.url, day, paging) if reader else [spec.url]
    pages: list[Fetched] = []
    for index, url in enumerate(urls):
        first = not refresh and index == 0
        cached = await asyncio.to_thread(store.http_cache_get, url) if first else None
        # Validators are sent only when "not modified" would let the parse be skipped.
        reusable = cached is not None and await asyncio.to_thread(
            _same_parse, store, cached, spec, day
        )
        validators = Validators(cached.etag, cached.last_modified) if reusable else None
        fetched = await fetcher.get(url, validators=validators, label=spec.name)
        fetched.url = url  # the cache is keyed by the URL asked for, not where it redirected
        if reusable and (
            fetched.not_modified
            or (
                cached.body_sha256 == fetched.sha256
                and (spec.kind or detect_kind(fetched.body, fetched.content_type, spec.name))
                == cached.kind
            )
        ):
            return _Unchanged(SourceKind(cached.kind))
        if fetched.not_modified:
            raise SourceError(
                _(
                    "{name}: the server answered 304 Not Modified to a plain request — try again with"
                    " --refresh"
                ).format(name=spec.name)
            )
        pages.append(fetched)
        if reader is None or reader.is_last_page(fetched.body, paging):
            break
    return pages


def _same_parse(store: Store, cached: HttpCacheEntry, spec: SourceSpec, day: date) -> bool:
    """True when skipping a body seen before loses nothing: the same kind and parser read it
    and stored papers of this source for `day`."""
    kind = cached.kind
    if kind not in kind_names():
        return False  # cached before parses were recorded (NULL), or by a kind that is gone
    if spec.kind is not None and spec.kind != kind:
        return False
    if cached.parser_version != kind_of(kind).parser_version:
        return False
    if not cached.listed:
        return False  # nothing was stored from it: an empty feed is cheap to read again
    return store.source_listed_on(spec.name, day)


async def _enrich(
    store: Store,
    config: Config,
    fetcher: Fetcher,
    results: list[SourceResult],
    report: ProgressCallback,
    day: date,
    refresh: bool,
) -> SourceResult | None:
    """Look up, in batches through the arXiv API, the categories of papers that lack them.

    Papers listed in this fetch come first, then papers of the last days whose earlier
    look-ups failed (fewer than ENRICH_MAX_ATTEMPTS times, or any number with `refresh`).
    """
    listed_ids = [item.paper.id for result in results for item in result.listed]
    window = (day - timedelta(days=config.fetch.seen_window_days), day)
    missing = await asyncio.to_thread(
        store.papers_without_categories,
        listed_ids,
        days=window,
        max_attempts=None if refresh else ENRICH_MAX_ATTEMPTS,
        limit=ENRICH_RETRY_LIMIT,
    )
    if not missing:
        return None
    api = config.fetch.arxiv_api_url
    result = SourceResult(
        name="arxiv-api", kind=arxiv_api.ARXIV_API, url=api, status=SourceStatus.OK
    )
    started = time.perf_counter()
    batch = max(1, config.fetch.arxiv_api_batch)
    ids: list[str] = []
    try:
        for start in range(0, len(missing), batch):
            ids = missing[start : start + batch]
            report(
                FetchProgress(
                    "arxiv-api",
                    "enriching",
                    _("categories of {done}/{count} papers").format(
                        done=start + len(ids), count=len(missing)
                    ),
                )
            )
            url = arxiv_api.lookup_url(api, ids)
            fetched = await fetcher.get(url, label="arxiv-api")
            parsed = await asyncio.to_thread(
                arxiv_api.parse,
                fetched.body,
                day=date.today(),
                label="arxiv-api",
                source="arxiv-api",
            )
            papers = [item.paper for item in parsed.listed]
            result.updated += await asyncio.to_thread(store.update_papers, papers, day=day)
            found = {paper.id for paper in papers}
            await asyncio.to_thread(store.record_enrichment_attempt, ids)
            if len(found) < len(ids):
                result.warnings.append(f"{len(ids) - len(found)} ids not found by the arXiv API")
        result.reason = "; ".join(result.warnings)
        report(
            FetchProgress(
                "arxiv-api",
                "done",
                _("categories for {updated} papers").format(updated=result.updated),
            )
        )
    except Exception as error:  # of any kind: the papers are stored either way
        if isinstance(error, SourceError):
            message = str(error)
        else:
            log.error("arxiv-api: unexpected error", exc_info=True)
            message = unexpected_error("arxiv-api", error)
        await asyncio.to_thread(store.record_enrichment_attempt, ids, message)
        result.status = SourceStatus.FAILED
        result.reason = _(
            "{message} (papers are stored; their arXiv categories are missing and are asked "
            "for again on the next fetch)"
        ).format(message=message)
        report(FetchProgress("arxiv-api", "failed", message))
    result.duration_ms = int((time.perf_counter() - started) * 1000)
    return result


def listed_days(results: list[SourceResult]) -> set[date]:
    """Every day that some source listed papers on in this fetch."""
    return {item.day for result in results for item in result.listed}


__all__ = [
    "FetchProgress",
    "Listed",
    "SourceSpec",
    "fetch_day",
    "fetch_sources",
    "parse_kind",
    "source_specs",
]
