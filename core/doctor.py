"""`dailyai doctor`: is everything the daily run needs in place?

Each check says what it looked at and, when it fails, what to do.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from core.config import Config, load_config
from core.errors import DailyAIError
from core.fetch import Fetcher
from core.i18n import _, ngettext
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
        return [Check(_("config"), False, str(error))]
    checks = [
        Check(
            _("config"),
            True,
            _("{path} (over the defaults)").format(path=config.path)
            if config.path
            else _("defaults only (no file at {path})").format(path=config.dirs.config_file),
        )
    ]
    checks.extend(Check(_("deprecated"), True, note) for note in config.deprecations)
    checks.append(check_store(config))
    checks.append(check_enrichment(config))
    checks.extend(await check_sources(config))
    checks.extend(await check_model(config))
    checks.extend(check_channels(config))
    checks.append(check_weekly(config))
    checks.append(await asyncio.to_thread(check_ranking, config))
    return checks


def check_channels(config: Config) -> list[Check]:
    """Each output channel: off (and how to turn it on), on, or on but missing something."""
    from core.channels import channels

    checks = []
    for channel in channels().values():
        name = _("channel {name}").format(name=channel.name)
        try:
            if not channel.enabled(config):
                checks.append(Check(name, True, channel.off_reason(config)))
                continue
            missing = channel.needs(config)
        except DailyAIError as error:
            checks.append(Check(name, False, str(error)))
            continue
        if missing:
            checks.append(
                Check(name, False, _("on, but needs {what}").format(what="; ".join(missing)))
            )
        else:
            checks.append(Check(name, True, _("on: {what}").format(what=_(channel.what))))
    return checks


def check_weekly(config: Config) -> Check:
    """The weekly digest: whether `dailyai run` publishes it, and on which day."""
    from core.weekly import weekly_options

    try:
        options = weekly_options(config)
    except DailyAIError as error:
        return Check("weekly", False, str(error))
    if not options.enabled:
        return Check(
            "weekly",
            True,
            "off (weekly.enabled = false): `dailyai report|rss|email --week` still publish a week",
        )
    return Check(
        "weekly",
        True,
        f"on: dailyai run publishes the week on {options.weekday} "
        f"({config.general.timezone}) — report, web page, feed and email as the run's parts",
    )


def check_store(config: Config) -> Check:
    path = config.dirs.database
    try:
        with Store(path) as store:
            result = store.integrity_check()
            papers = store.count_papers()
            days = store.days()
    except DailyAIError as error:
        return Check(_("store"), False, str(error))
    if result != "ok":
        return Check(
            _("store"),
            False,
            _(
                "{path}: integrity check failed ({result}) — restore a backup or move it away"
            ).format(path=path, result=result),
        )
    latest = _(", latest day {day}").format(day=days[0][0]) if days else ""
    return Check(
        _("store"),
        True,
        _("{path}: {papers} papers on {count} days{latest}").format(
            path=path, papers=papers, count=len(days), latest=latest
        ),
    )


def check_enrichment(config: Config, store: Store | None = None) -> Check:
    """How many papers lack their arXiv categories, and whether fetches still ask for them."""
    name = _("arXiv categories")
    try:
        if store is None:
            with Store(config.dirs.database) as opened:
                total, missing, given_up = opened.enrichment_backlog(ENRICH_MAX_ATTEMPTS)
        else:
            total, missing, given_up = store.enrichment_backlog(ENRICH_MAX_ATTEMPTS)
    except DailyAIError as error:
        return Check(name, False, str(error))
    if not missing:
        return Check(
            name,
            True,
            _("every one of the {total} papers with an arXiv id has them").format(total=total),
        )
    detail = _("{missing} of {total} papers with an arXiv id lack their arXiv categories").format(
        missing=missing, total=total
    )
    if not config.fetch.enrich_with_arxiv_api:
        return Check(
            name, True, _("{detail} (fetch.enrich_with_arxiv_api is off)").format(detail=detail)
        )
    if given_up:
        return Check(
            name,
            False,
            _(
                "{detail}: {given_up} given up after {attempts} attempts — `dailyai "
                "fetch --refresh` asks the arXiv API again"
            ).format(detail=detail, given_up=given_up, attempts=ENRICH_MAX_ATTEMPTS),
        )
    return Check(
        name, True, _("{detail}; the next fetch asks the arXiv API again").format(detail=detail)
    )


def check_ranking(config: Config, store: Store | None = None) -> Check:
    """How the digest is ranked for the reader: by signals, or by the profile with which
    method, and whether the embedding model answers (else the lexical method stands in)."""
    name = _("ranking")
    if not config.digest.personal:
        return Check(name, True, _("public signals only (digest.personal = false)"))
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
            _(
                "public signals only: the interest profile is empty — star papers in the TUI or "
                "`dailyai profile import FILE`"
            ),
        )
    likes = sum(1 for entry in entries if entry.stance == "like")
    held = _("{likes} liked, {dislikes} not interested").format(
        likes=likes, dislikes=len(entries) - likes
    )
    if config.rank.method == "lexical":
        return Check(name, True, _("lexical (BM25) over your profile ({held})").format(held=held))
    from core.embeddings import Embedder, EmbeddingUnavailable
    from core.llm import make_client

    async def probe() -> str:
        async with make_client(config) as client:
            embedder = Embedder(config, client)
            await embedder.embed(["dailyai doctor"])
            return embedder.host

    try:
        # A blocking check like the others here (`run_checks` runs it in a thread).
        host = asyncio.run(probe())
    except EmbeddingUnavailable as error:
        return Check(
            name,
            False,
            _(
                "the lexical method stands in for embeddings: {error} (or set rank.method = "
                '"lexical")'
            ).format(error=error),
        )
    return Check(
        name,
        True,
        _("embeddings with {embedding_model} at {host} ({held})").format(
            embedding_model=config.rank.embedding_model, host=host, held=held
        ),
    )


async def check_model(config: Config) -> list[Check]:
    """Every model host answers and has the model, how fast each writes, and what the
    digest will take with all of them.

    One host gives the lines "model server", "model" and "model speed"; several give a
    line per host ("host <url>": reachable, model there, tokens/s) and "model speed" for
    them together.
    """
    from core.llm import ServerStatus, make_client, server_name

    llm = config.llm
    client = make_client(config)
    try:
        answers = await client.statuses()
        if len(client.hosts) == 1:
            return await _check_one_host(config, client, answers[0][1])
        checks = []
        speeds: list[tuple[int, float]] = []
        for host, answer in answers:
            name = _("host {url}").format(url=host.url)
            if not isinstance(answer, ServerStatus):
                checks.append(Check(name, False, str(answer)))
                continue
            if not answer.model_pulled:
                served = ", ".join(answer.models) or "none"
                checks.append(
                    Check(
                        name,
                        False,
                        _("{value} (there: {served})").format(
                            value=host.backend.not_served(), served=served
                        ),
                    )
                )
                continue
            detail = _("{server} answers, '{model}' is there").format(
                server=server_name(llm, answer), model=llm.model
            )
            try:
                speed = (await client.measure_speed(host)).tokens_per_second
            except DailyAIError as error:
                checks.append(
                    Check(
                        name,
                        False,
                        _("{detail}, but it failed to answer: {error}").format(
                            detail=detail, error=error
                        ),
                    )
                )
                continue
            if speed:
                speeds.append((host.slots, speed))
            context = _context_problem(llm.num_ctx, answer.context_length)
            checks.append(
                Check(
                    name,
                    not context,
                    detail
                    + ngettext(", {count} slot", ", {count} slots", host.slots).format(
                        count=host.slots
                    )
                    + (_(", {speed:.1f} tokens/s").format(speed=speed) if speed else "")
                    + context,
                )
            )
        if not speeds:
            checks.append(Check(_("model speed"), False, _("no host answered with the model")))
            return checks
        fastest = max(speed for _, speed in speeds)
        # The digest's pace: every slot of every answering host, each at its own speed.
        slots = sum(count * speed / fastest for count, speed in speeds)
        detail = _speed_detail(config, fastest, slots)
        answering = _("{count} of {hosts} hosts answer").format(
            count=len(speeds), hosts=len(client.hosts)
        )
        checks.append(
            Check(
                _("model speed"),
                True,
                _("{answering}; fastest {detail}").format(answering=answering, detail=detail),
            )
        )
        return checks
    finally:
        await client.aclose()


async def _check_one_host(config: Config, client: Any, answer: Any) -> list[Check]:
    """The checks of a single model host: the server, the model, its speed."""
    from core.llm import ServerStatus, server_name

    llm = config.llm
    if not isinstance(answer, ServerStatus):
        return [Check(_("model server"), False, str(answer))]
    host = client.hosts[0]
    checks = [
        Check(
            _("model server"),
            True,
            _("{server} answers at {host}").format(
                server=server_name(llm, answer), host=answer.host
            ),
        )
    ]
    if not answer.model_pulled:
        there = ", ".join(answer.models) or _("none")
        listed = (
            _("{problem} (pulled: {models})")
            if llm.backend == "ollama"
            else _("{problem} (served: {models})")
        )
        checks.append(
            Check(_("model"), False, listed.format(problem=host.backend.not_served(), models=there))
        )
        return checks
    context = _context_problem(llm.num_ctx, answer.context_length)
    present = _("'{model}' is pulled") if llm.backend == "ollama" else _("'{model}' is served")
    checks.append(Check(_("model"), not context, present.format(model=llm.model) + context))
    try:
        speed = (await client.measure_speed(host)).tokens_per_second
    except DailyAIError as error:
        checks.append(Check(_("model speed"), False, str(error)))
        return checks
    checks.append(Check(_("model speed"), True, _speed_detail(config, speed, host.slots)))
    return checks


def _context_problem(num_ctx: int, context_length: int | None) -> str:
    if context_length and num_ctx > context_length:
        return _("; llm.num_ctx {num_ctx} is more than its context of {context} — lower it").format(
            num_ctx=num_ctx, context=context_length
        )
    return ""


def _speed_detail(config: Config, speed: float | None, slots: float) -> str:
    """The measured speed and the run time it means for the latest day's digest, with
    `slots` requests at that speed at once."""
    from core.summarize import estimate_seconds, plan_day, seconds_per_summary

    detail = _("{speed:.1f} tokens/s").format(speed=speed) if speed else _("speed not reported")
    try:
        with Store(config.dirs.database) as store:
            days = store.days()
            if not days:
                return detail
            plan = plan_day(store, config, date.fromisoformat(days[0][0]))
            per_summary = seconds_per_summary(store, config, speed)
    except DailyAIError:
        return detail
    if plan.empty:
        return _("{detail}; the digest of {day} is fully summarized").format(
            detail=detail, day=days[0][0]
        )
    seconds = estimate_seconds(plan, per_summary, slots)
    if seconds is None:
        return detail
    return _(
        "{detail}; the digest of {day} needs {summaries} summaries and {reports} reports: about "
        "{minutes} min"
    ).format(
        detail=detail,
        day=days[0][0],
        summaries=len(plan.summaries),
        reports=len(plan.reports),
        minutes=max(1, round(seconds / 60)),
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
                checks.append(Check(_("source {name}").format(name=spec.name), False, str(error)))
                continue
            except Exception as error:  # one source's surprise must not end the check-up
                checks.append(
                    Check(
                        _("source {name}").format(name=spec.name),
                        False,
                        unexpected_error(spec.name, error),
                    )
                )
                continue
            expected = (
                _(" (configured as {kind})").format(kind=spec.kind)
                if spec.kind and spec.kind != kind
                else ""
            )
            checks.append(
                Check(
                    _("source {name}").format(name=spec.name),
                    not expected,
                    _("{url} answers with {kind}{expected}: {count} papers readable").format(
                        url=spec.url, kind=kind, expected=expected, count=len(parsed.listed)
                    ),
                )
            )
    return checks


__all__ = ["Check", "run_checks"]
