"""The daily pipeline: fetch → classify → summarize → the day's digest → each output channel.

The one place that chains the steps; `dailyai run`, `dailyai demo`, the TUI and the tests
all call `run_pipeline` (and `publish_week` for a week: on `[weekly] weekday` the run's last
step, `weekly`, publishes the week). After the model steps, the day's digest is built once and each
output channel (`core.channels`: report → feeds → email → notify, in their `order`) is a
step of its own; a channel that is off is a skipped step saying why. Steps return what they
did; the pipeline records each in the run ledger (through `core.runs`, its one writer) with
its status, counts and duration, and a failing step never hides the
others: sources that fail leave the rest to make the digest, a model that is down leaves
summaries pending for the next run, a mail server or chat service that is down leaves its
messages for the next run (the delivery ledger sends each once). The run fails when a
channel that is `essential` (the report, the feeds) fails: nothing was published.
Everything a step makes is committed as it is made, so a killed run loses nothing and the
next run does only what is missing. Progress leaves as `StepProgress` events.

One run at a time does a day's model work: classify and summarize hold the day's
`model-work` claim in the store. A second run of the same day meanwhile (a second
`dailyai run`, the TUI, `dailyai summarize`) skips those steps and says who holds them; it
still publishes what the store has, and leaves the messages (email, chat) to the holder when
the holder will send them, so nobody gets a digest with summaries missing. A run stopped by
Ctrl-C or a cancel is recorded as interrupted at once; one killed outright is marked
interrupted by the next process that opens the store (see `Store.mark_interrupted_runs`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from core.channels import Channel, DeliverOptions, channel_names, channels
from core.digest import Digest, build_digest
from core.errors import DailyAIError
from core.ingest import FetchProgress, SourceSpec, fetch_sources
from core.killpoints import summary_token_hook
from core.models import EXIT_CODES, FetchSummary, RunStatus
from core.progress import StepProgress
from core.runs import RecordedRun, StepOutcome, fetch_lines
from core.services import Services
from core.store import Claim, Store, model_work_claim

WEEKLY_STEP = "weekly"
"""The last step of a run: the week's digest, on `[weekly] weekday` (core.weekly)."""
WEEK_PARTS = ("report", "feeds", "email")
"""What publishing a week does, each as the day's channel of the same name does for a day."""
MODEL_STEPS = ("classify", "summarize")
"""The steps that hold the day's model work: one run at a time does them."""
DIGEST_STEPS = ("fetch", *MODEL_STEPS)
"""The steps that make the day's digest; each output channel's step follows them."""
log = logging.getLogger("dailyai.pipeline")


def all_steps() -> tuple[str, ...]:
    """Every step of a run in order: the digest's, one per output channel, then the week's."""
    return (*DIGEST_STEPS, *channel_names(), WEEKLY_STEP)


@dataclass
class PipelineResult:
    """What a pipeline run did, step by step."""

    day: date
    run_id: int
    steps: list[StepOutcome] = field(default_factory=list)
    fetch: FetchSummary | None = None
    empty_reason: str = ""
    log_path: Path | None = None
    published: list[Path] = field(default_factory=list)

    def outcome(self, step: str) -> StepOutcome | None:
        return next((outcome for outcome in self.steps if outcome.step == step), None)

    @property
    def status(self) -> RunStatus:
        """ok, partial (some step failed or was degraded) or failed (nothing to publish)."""
        statuses = {outcome.step: outcome.status for outcome in self.steps}
        fetch_failed = statuses.get("fetch") == RunStatus.FAILED
        publish_failed = any(o.essential and o.status == RunStatus.FAILED for o in self.steps)
        if publish_failed or (fetch_failed and self.empty_reason):
            return RunStatus.FAILED
        if any(status in (RunStatus.FAILED, RunStatus.PARTIAL) for status in statuses.values()):
            return RunStatus.PARTIAL
        return RunStatus.OK

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


ProgressCallback = Callable[[StepProgress], None]


async def run_pipeline(
    services: Services,
    day: date,
    *,
    steps: tuple[str, ...] | None = None,
    specs: list[SourceSpec] | None = None,
    on_progress: ProgressCallback | None = None,
    client: Any = None,
    today: date | None = None,
    out_dir: Path | None = None,
    enrich: bool | None = None,
    force: bool = False,
) -> PipelineResult:
    """Run the requested steps for `day` in order (all, by default), recording each in the
    run ledger.

    `client` is the model client to use (by default the services' one; tests hand in one
    pointed at the stand-in); the HTTP fetcher and the clock are the services' too;
    `specs` replaces the configured sources (e.g. `--source` on the command line);
    `force` sends again to recipients who already got the day (email, chat). A channel's
    config section that cannot be used (a token written inline) is a ConfigError before the
    run starts.
    """
    store, config = services.store, services.config
    steps = all_steps() if steps is None else steps
    for name in steps:
        if name in channels():
            channels()[name].options(config)
    report = on_progress or (lambda event: None)
    config.dirs.logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    log_path = config.dirs.logs / f"run-{day.isoformat()}-{stamp}.log"
    run = await RecordedRun.start(store, "run", day, log_path=str(log_path), plan=steps)
    result = PipelineResult(day=day, run_id=run.id, log_path=log_path)
    handler = _attach_log(log_path)
    log.info("run %s for %s: steps %s", run.id, day, ", ".join(steps))
    last_model_step = next((step for step in reversed(MODEL_STEPS) if step in steps), None)
    client = client if client is not None else services.llm
    context = _Context(
        report, client, today, out_dir, enrich, force, specs, run, last_model_step, tuple(steps)
    )
    try:
        for step in all_steps():
            if step in steps:
                outcome = await _run_step(step, services, day, result, context)
                result.steps.append(outcome)
                log.info("%s: %s %s %s", step, outcome.status, outcome.reason, outcome.counts)
                report(StepProgress(step, f"{outcome.status} {outcome.reason}".strip(), 1, 1))
        if not result.empty_reason:
            result.empty_reason = (await context.digest_of(services, day)).empty_reason
        await run.finish(result.status, result.empty_reason)
        log.info("run %s finished: %s %s", run.id, result.status, result.empty_reason)
    except BaseException as error:
        log.info("run %s stopped: %r", run.id, error)
        await run.stop(error)
        raise
    finally:
        _detach_log(handler)
    return result


def hold_model_work(store: Store, day: date, run_id: int) -> str:
    """Claim the day's model work (classify, summarize) for a run: "" when it holds it now,
    else why this run skips it — who holds it, and who publishes the results."""
    other = store.claim(model_work_claim(day), _holder(run_id), run_id=run_id)
    if other is None:
        return ""
    if any(channel.essential and channel.name in other.run_plan for channel in channels().values()):
        after = "it publishes the results when it is done"
    else:
        after = "run `dailyai run` or `dailyai report` when it is done to publish the results"
    return f"{other.describe()} is classifying and summarizing {day}; {after}"


def _holder(run_id: int) -> str:
    return f"run:{run_id}"


async def _run_step(
    step: str, services: Services, day: date, result: PipelineResult, context: _Context
) -> StepOutcome:
    """Run one step and record it; a failure becomes its outcome, so it never hides the
    other steps."""
    channel = channels().get(step)
    run_id = result.run_id
    try:
        async with context.run.step(step) as outcome:
            outcome.essential = channel is not None and channel.essential
            try:
                busy = ""
                if step in MODEL_STEPS:
                    busy = await asyncio.to_thread(hold_model_work, services.store, day, run_id)
                if busy:
                    outcome.status, outcome.reason = RunStatus.SKIPPED, busy
                elif channel is not None:
                    await _deliver(channel, services, day, result, context, outcome)
                else:
                    await _STEPS[step](services, day, result, context, outcome)
            finally:
                if step == context.last_model_step:  # the model work is done: others may
                    await asyncio.to_thread(services.store.release_claims, _holder(run_id))
    except DailyAIError:
        pass  # recorded as the step's failure
    except Exception:  # a bug in one step must not hide the others
        log.exception("step %s crashed", step)
    return outcome


@dataclass
class _Context:
    report: ProgressCallback
    client: Any
    today: date | None
    out_dir: Path | None
    enrich: bool | None
    force: bool
    specs: list[SourceSpec] | None
    run: RecordedRun
    last_model_step: str | None
    """The model step after which the day's model work is done (its claim released)."""
    steps: tuple[str, ...] = ()
    """The run's steps (the classify step leaves papers to a summarize step that follows)."""
    digest: Digest | None = None

    async def digest_of(self, services: Services, day: date) -> Digest:
        """The day's digest, built once the model steps are done and shared by the channels
        (in a worker thread: it reads much of the day from the store)."""
        if self.digest is None:
            self.digest = await asyncio.to_thread(
                build_digest, services.store, services.config, day
            )
        return self.digest


StepRunner = Callable[[Services, date, PipelineResult, _Context, StepOutcome], Awaitable[None]]


async def _fetch(
    services: Services, day: date, result: PipelineResult, context: _Context, outcome: StepOutcome
) -> None:
    def on_fetch(event: FetchProgress) -> None:
        context.report(
            StepProgress("fetch", f"{event.source}: {event.stage} {event.message}".strip())
        )

    summary = await fetch_sources(
        services.store,
        services.config,
        day,
        specs=context.specs,
        fetcher=services.fetcher(),
        on_progress=on_fetch,
        enrich=context.enrich,
        today=context.today,
    )
    summary.run_id = result.run_id
    result.fetch = summary
    result.empty_reason = summary.empty_reason
    failed = [r for r in summary.results if r.failed]
    outcome.status = summary.status
    outcome.reason = "; ".join(r.reason for r in failed) or summary.empty_reason
    outcome.counts = {"papers": summary.stored, "failed_sources": len(failed)}
    outcome.lines = fetch_lines(summary)


async def _classify(
    services: Services, day: date, result: PipelineResult, context: _Context, outcome: StepOutcome
) -> None:
    from core.classify import ClassifyStats, classify_day

    await classify_day(
        services.store,
        services.config,
        day,
        method=services.config.classify.method,
        client=context.client,
        on_progress=context.report,
        stats=outcome.counting(ClassifyStats()),
        # The summarize step then classifies the digest's papers with their summaries.
        summaries_follow="summarize" in context.steps,
    )


async def _summarize(
    services: Services, day: date, result: PipelineResult, context: _Context, outcome: StepOutcome
) -> None:
    from core.summarize import SummarizeStats, summarize_day

    await summarize_day(
        services.store,
        services.config,
        day,
        client=context.client,
        on_progress=context.report,
        on_model_work=context.run.record_model_work,
        on_token=summary_token_hook(),
        clock=services.clock.monotonic,
        stats=outcome.counting(SummarizeStats()),
    )


async def _deliver(
    channel: Channel,
    services: Services,
    day: date,
    result: PipelineResult,
    context: _Context,
    outcome: StepOutcome,
) -> None:
    """An output channel's step: publish or send the day's digest through it."""
    config = services.config
    if not channel.enabled(config):
        outcome.status, outcome.reason = RunStatus.SKIPPED, channel.off_reason(config)
        return
    if channel.delivers:
        summarizing = await asyncio.to_thread(services.store.claim_holder, model_work_claim(day))
        if summarizing is not None and _delivers_later(summarizing, channel, result.run_id):
            outcome.status = RunStatus.SKIPPED
            outcome.reason = (
                f"{summarizing.describe()} is still summarizing {day} and {channel.what} when "
                "it is done (not from here, so nobody gets the digest with summaries missing)"
            )
            return
    options = DeliverOptions(out_dir=context.out_dir, force=context.force)
    delivered = await channel.deliver(services, await context.digest_of(services, day), options)
    result.published.extend(delivered.paths)
    outcome.status, outcome.reason, outcome.counts = (
        delivered.status,
        delivered.reason,
        delivered.counts,
    )


def _delivers_later(holder: Claim, channel: Channel, run_id: int) -> bool:
    """Whether the holder of the day's model work is another run that delivers `channel`."""
    return holder.run_id != run_id and channel.name in holder.run_plan


async def _weekly(
    services: Services, day: date, result: PipelineResult, context: _Context, outcome: StepOutcome
) -> None:
    """On `[weekly] weekday`, the week's digest, through the parts whose daily channel runs."""
    from core.weekly import local_today, week_due, weekly_options

    config = services.config
    week = week_due(config, day, local_today(config))
    if week is None:
        options = weekly_options(config)
        outcome.status = "skipped"
        outcome.reason = (
            "weekly.enabled = false"
            if not options.enabled
            else f"the week is published on {options.weekday} (weekly.weekday); "
            "`dailyai report --week YYYY-Www` publishes any week"
        )
        return
    parts = tuple(part for part in WEEK_PARTS if part in context.steps)
    published = await publish_week(
        services,
        week,
        parts=parts,
        client=context.client,
        today=context.today,
        out_dir=context.out_dir,
        force=context.force,
        on_progress=context.report,
        send_incomplete=False,
    )
    result.published.extend(published.paths)
    outcome.target = str(week)
    outcome.status, outcome.reason = published.status, published.reason
    outcome.counts = published.counts


@dataclass
class WeekResult:
    """What publishing a week did: its synthesis, then each part."""

    week: Any
    synthesis: Any
    """The core.weekly.WeekStats of the model work."""
    weekly: Any = None
    """The core.weekly.WeeklyDigest that was published."""
    paths: list[Path] = field(default_factory=list)
    parts: dict[str, StepOutcome] = field(default_factory=dict)
    delivery: Any = None
    """The email's DeliveryReport, when it was sent."""

    @property
    def status(self) -> str:
        """ok, partial (a weekly report failed or is pending, or a part failed) or failed
        (no part could be published)."""
        statuses = [outcome.status for outcome in self.parts.values()]
        if statuses and all(status == "failed" for status in statuses):
            return "failed"
        if self.synthesis.status != "ok" or any(s in ("failed", "partial") for s in statuses):
            return "partial"
        return "ok"

    @property
    def reason(self) -> str:
        reasons = [self.synthesis.stopped_reason] if self.synthesis.stopped_reason else []
        if self.synthesis.failed:
            reasons.append(f"{self.synthesis.failed} weekly reports failed the gate")
        reasons += [f"{name}: {o.reason}" for name, o in self.parts.items() if o.reason]
        return "; ".join(reasons)

    @property
    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {"week": str(self.week), **self.synthesis.as_counts()}
        if self.delivery is not None:
            counts.update({f"email_{k}": v for k, v in self.delivery.as_counts().items()})
        return counts


async def publish_week(
    services: Services,
    week: Any,
    *,
    parts: tuple[str, ...] = WEEK_PARTS,
    client: Any = None,
    today: date | None = None,
    out_dir: Path | None = None,
    force: bool = False,
    recipients: list[str] | None = None,
    on_progress: ProgressCallback | None = None,
    send_incomplete: bool = True,
) -> WeekResult:
    """Write the week's reports the model has not written yet, then publish it: the
    Markdown report and chart, the weekly feed, the email (each in `parts`).

    The email goes once per recipient and week (all again with `force`). With
    `send_incomplete` False (a run), it waits while the model could not write every
    weekly report, so nobody gets the week with reports missing that would come later.
    """
    from core.channels.week import publish_week_report, publish_weekly_feed, send_week
    from core.weekly import build_weekly, synthesize_week

    store, config = services.store, services.config
    client = client if client is not None else services.llm
    stats = await synthesize_week(
        store, config, week, client=client, today=today, on_progress=on_progress
    )
    # Building and writing the week reads every day of it: in a worker thread, as a day's
    # digest and its channels are.
    weekly = await asyncio.to_thread(build_weekly, store, config, week, today=today)
    result = WeekResult(week, stats, weekly)
    for part in parts:
        try:
            if part == "report":
                result.paths += await asyncio.to_thread(
                    publish_week_report, store, config, week, out_dir=out_dir, weekly=weekly
                )
                result.parts[part] = _part(part, "ok")
            elif part == "feeds":
                result.paths += await asyncio.to_thread(
                    publish_weekly_feed, store, config, out_dir, weeks=[weekly]
                )
                result.parts[part] = _part(part, "ok")
            elif part == "email":
                if not send_incomplete and not config.email.enabled:
                    result.parts[part] = _part(part, "skipped", "email.enabled = false")
                elif not send_incomplete and stats.stopped_reason:
                    result.parts[part] = _part(
                        part,
                        "skipped",
                        f"not sent while weekly reports are missing; `dailyai email --week {week}` "
                        "sends it when they are written",
                    )
                else:
                    result.delivery = await send_week(
                        store, config, weekly, recipients=recipients, force=force
                    )
                    failed = ", ".join(result.delivery.failed)
                    status = "partial" if failed else "ok"
                    reason = f"refused: {failed}" if failed else result.delivery.note
                    result.parts[part] = _part(part, status, reason)
        except DailyAIError as error:
            result.delivery = getattr(error, "report", None) or result.delivery
            result.parts[part] = _part(part, "failed", str(error))
    return result


def _part(part: str, status: str, reason: str = "") -> StepOutcome:
    """How one part of publishing a week ended (a line of the weekly step's reason)."""
    return StepOutcome(step=part, target="", status=status, reason=reason)


_STEPS: dict[str, StepRunner] = {
    "fetch": _fetch,
    "classify": _classify,
    "summarize": _summarize,
    WEEKLY_STEP: _weekly,
}
"""The steps that are not channels: the digest's (the channels' steps follow them, see
`_deliver`), and the week's last."""


def _attach_log(path: Path) -> logging.Handler:
    """One log file per run, receiving every `dailyai.*` logger's records."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("dailyai")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler


def _detach_log(handler: logging.Handler) -> None:
    logging.getLogger("dailyai").removeHandler(handler)
    handler.close()
