"""`dailyai doctor`: is everything the daily run needs in place?

Each check says what it looked at and, when it fails, what to do.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.config import Config, load_config
from core.errors import DailyAIError
from core.fetch import Fetcher
from core.ingest import ENRICH_MAX_ATTEMPTS, source_specs, unexpected_error
from core.sources import detect_kind, kind_of, parse_source
from core.store import Store


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


async def run_checks(config_path: Path | str | None = None) -> list[Check]:
    """Every check, in order; later checks are skipped when the config cannot be read."""
    try:
        config = load_config(config_path)
    except DailyAIError as error:
        return [Check("config", False, str(error))]
    checks = [
        Check(
            "config",
            True,
            f"{config.path} (over the defaults)"
            if config.path
            else f"defaults only (no file at {config.dirs.config_file})",
        )
    ]
    checks.append(check_store(config))
    checks.append(check_enrichment(config))
    checks.extend(await check_sources(config))
    checks.extend(await check_model(config))
    checks.append(await asyncio.to_thread(check_ranking, config))
    return checks


def check_store(config: Config) -> Check:
    path = config.dirs.database
    try:
        with Store(path) as store:
            result = store.integrity_check()
            papers = store.count_papers()
            days = store.days()
    except DailyAIError as error:
        return Check("store", False, str(error))
    if result != "ok":
        return Check(
            "store",
            False,
            f"{path}: integrity check failed ({result}) — restore a backup or move it away",
        )
    latest = f", latest day {days[0][0]}" if days else ""
    return Check("store", True, f"{path}: {papers} papers on {len(days)} days{latest}")


def check_enrichment(config: Config, store: Store | None = None) -> Check:
    """How many papers lack their arXiv categories, and whether fetches still ask for them."""
    name = "arXiv categories"
    try:
        if store is None:
            with Store(config.dirs.database) as opened:
                total, missing, given_up = opened.enrichment_backlog(ENRICH_MAX_ATTEMPTS)
        else:
            total, missing, given_up = store.enrichment_backlog(ENRICH_MAX_ATTEMPTS)
    except DailyAIError as error:
        return Check(name, False, str(error))
    if not missing:
        return Check(name, True, f"every one of the {total} papers with an arXiv id has them")
    detail = f"{missing} of {total} papers with an arXiv id lack their arXiv categories"
    if not config.fetch.enrich_with_arxiv_api:
        return Check(name, True, f"{detail} (fetch.enrich_with_arxiv_api is off)")
    if given_up:
        return Check(
            name,
            False,
            f"{detail}: {given_up} given up after {ENRICH_MAX_ATTEMPTS} attempts — "
            "`dailyai fetch --refresh` asks the arXiv API again",
        )
    return Check(name, True, f"{detail}; the next fetch asks the arXiv API again")


def check_ranking(config: Config, store: Store | None = None) -> Check:
    """How the digest is ranked for the reader: by signals, or by the profile with which
    method, and whether the embedding model answers (else the lexical method stands in)."""
    name = "ranking"
    if not config.digest.personal:
        return Check(name, True, "public signals only (digest.personal = false)")
    try:
        if store is None:
            with Store(config.dirs.database) as opened:
                entries = opened.profile_entries()
        else:
            entries = store.profile_entries()
    except DailyAIError as error:
        return Check(name, False, str(error))
    if not entries:
        return Check(
            name,
            True,
            "public signals only: the interest profile is empty — star papers in the TUI or "
            "`dailyai profile import FILE`",
        )
    likes = sum(1 for entry in entries if entry.stance == "like")
    held = f"{likes} liked, {len(entries) - likes} not interested"
    if config.rank.method == "lexical":
        return Check(name, True, f"lexical (BM25) over your profile ({held})")
    from core.embeddings import EmbeddingUnavailable, OllamaEmbedder

    embedder = OllamaEmbedder(config)
    try:
        embedder.embed(["dailyai doctor"])
    except EmbeddingUnavailable as error:
        return Check(
            name,
            False,
            f"the lexical method stands in for embeddings: {error} (or set rank.method = "
            '"lexical")',
        )
    finally:
        embedder.close()
    return Check(
        name, True, f"embeddings with {config.rank.embedding_model} at {embedder.host} ({held})"
    )


async def check_model(config: Config) -> list[Check]:
    """Ollama answers, the model is pulled, how fast it writes, and what the digest will take."""
    from core.llm import make_client

    client = make_client(config)
    model = config.ollama.model
    try:
        try:
            status = await client.status()
        except DailyAIError as error:
            return [Check("ollama", False, str(error))]
        checks = [Check("ollama", True, f"Ollama {status.version} answers at {status.host}")]
        if not status.model_pulled:
            pulled = ", ".join(status.models) or "none"
            checks.append(
                Check(
                    "model",
                    False,
                    f"'{model}' is not pulled — run `ollama pull {model}` (pulled: {pulled})",
                )
            )
            return checks
        context = ""
        if status.context_length and config.ollama.num_ctx > status.context_length:
            context = (
                f"; ollama.num_ctx {config.ollama.num_ctx} is more than its context of "
                f"{status.context_length} — lower it"
            )
        checks.append(Check("model", not context, f"'{model}' is pulled{context}"))
        try:
            speed = (await client.measure_speed()).tokens_per_second
        except DailyAIError as error:
            checks.append(Check("model speed", False, str(error)))
            return checks
        checks.append(Check("model speed", True, _speed_detail(config, speed)))
        return checks
    finally:
        await client.aclose()


def _speed_detail(config: Config, speed: float | None) -> str:
    """The measured speed and the run time it means for the latest day's digest."""
    from core.summarize import estimate_seconds, plan_day, seconds_per_summary

    detail = f"{speed:.1f} tokens/s" if speed else "speed not reported"
    try:
        with Store(config.dirs.database) as store:
            days = store.days()
            if not days:
                return detail
            plan = plan_day(store, config, days[0][0])
            per_summary = seconds_per_summary(store, config, speed)
    except DailyAIError:
        return detail
    if plan.empty:
        return f"{detail}; the digest of {days[0][0]} is fully summarized"
    seconds = estimate_seconds(plan, per_summary, config.ollama.parallel)
    if seconds is None:
        return detail
    return (
        f"{detail}; the digest of {days[0][0]} needs {len(plan.summaries)} summaries and "
        f"{len(plan.reports)} reports: about {max(1, round(seconds / 60))} min"
    )


async def check_sources(config: Config) -> list[Check]:
    """Fetch each enabled source once (no retries) and check its content is readable."""
    fetch_config = dataclasses.replace(config.fetch, retries=0)
    checks = []
    async with Fetcher(fetch_config) as fetcher:
        for spec in source_specs(config):
            url = kind_of(spec.kind).probe_url(spec.url) if spec.kind else spec.url
            try:
                fetched = await fetcher.get(url, label=spec.name)
                kind = detect_kind(fetched.body, fetched.content_type, spec.name)
                # Parsed too: a format the parser cannot read is found now, not on a run.
                parsed = parse_source(
                    spec.kind or kind,
                    fetched.body,
                    day=date.today(),
                    label=spec.name,
                    source=spec.name,
                )
            except DailyAIError as error:
                checks.append(Check(f"source {spec.name}", False, str(error)))
                continue
            except Exception as error:  # one source's surprise must not end the check-up
                checks.append(
                    Check(f"source {spec.name}", False, unexpected_error(spec.name, error))
                )
                continue
            expected = f" (configured as {spec.kind})" if spec.kind and spec.kind != kind else ""
            checks.append(
                Check(
                    f"source {spec.name}",
                    not expected,
                    f"{spec.url} answers with {kind}{expected}: "
                    f"{len(parsed.listed)} papers readable",
                )
            )
    return checks


__all__ = ["Check", "run_checks"]
