"""The daily pipeline: fetch → classify → summarize → the day's digest → each output channel.

The one place that chains the steps; `dailyai run`, `dailyai demo`, the TUI and the tests
all call `run_pipeline`. After the model steps, the day's digest is built once and each
output channel (`core.channels`: report → feeds → email → notify, in their `order`) is a
step of its own; a channel that is off is a skipped step saying why. Each step is recorded
in the run ledger with its status, counts and duration, and a failing step never hides the
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
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from core.channels import Channel, DeliverOptions, channel_names, channels
from core.digest import Digest, build_digest
from core.errors import DailyAIError
from core.ingest import FetchProgress, SourceSpec, fetch_day
from core.killpoints import summary_token_hook
from core.models import EXIT_CODES, FetchSummary
from core.progress import StepProgress
from core.services import Services
from core.store import Claim, RunStep, Store, model_work_claim

MODEL_STEPS = ("classify", "summarize")
"""The steps that hold the day's model work: one run at a time does them."""
DIGEST_STEPS = ("fetch", *MODEL_STEPS)
"""The steps that make the day's digest; each output channel's step follows them."""
log = logging.getLogger("dailyai.pipeline")


def all_steps() -> tuple[str, ...]:
    """Every step of a run in order: the digest's, then one per output channel."""
    return (*DIGEST_STEPS, *channel_names())


@dataclass
class StepOutcome:
    """How one step of a run ended."""

    step: str
    status: str  # ok, partial, failed, skipped
    reason: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    duration_ms: int = 0
    essential: bool = False
    """A channel whose failure means nothing was published (see `Channel.essential`)."""


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
    def status(self) -> str:
        """ok, partial (some step failed or was degraded) or failed (nothing to publish)."""
        statuses = {outcome.step: outcome.status for outcome in self.steps}
        fetch_failed = statuses.get("fetch") == "failed"
        publish_failed = any(o.essential and o.status == "failed" for o in self.steps)
        if publish_failed or (fetch_failed and self.empty_reason):
            return "failed"
        if any(status in ("failed", "partial") for status in statuses.values()):
            return "partial"
        return "ok"

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

    `client` is the Ollama client to use (tests hand in one pointed at the stand-in);
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
    run_id = store.start_run("run", day, log_path=str(log_path), plan=steps)
    result = PipelineResult(day=day, run_id=run_id, log_path=log_path)
    handler = _attach_log(log_path)
    log.info("run %s for %s: steps %s", run_id, day, ", ".join(steps))
    context = _Context(report, client, today, out_dir, enrich, force, specs, steps)
    last_model_step = next((step for step in reversed(MODEL_STEPS) if step in steps), None)
    try:
        for step in all_steps():
            if step not in steps:
                continue
            started = time.perf_counter()
            busy = hold_model_work(store, day, run_id) if step in MODEL_STEPS else ""
            if busy:
                outcome = StepOutcome(step, "skipped", busy)
            else:
                outcome = await _run_step(step, services, day, result, context)
            if step == last_model_step:
                store.release_claims(_holder(run_id))  # the model work is done: others may
            outcome.duration_ms = int((time.perf_counter() - started) * 1000)
            result.steps.append(outcome)
            # Steps that record themselves (fetch: one line per source) are not recorded twice.
            if not store.step_recorded(run_id, step):
                store.record_step(
                    run_id,
                    RunStep(
                        step,
                        "",
                        outcome.status,
                        outcome.reason,
                        outcome.counts,
                        outcome.duration_ms,
                    ),
                )
            log.info("%s: %s %s %s", step, outcome.status, outcome.reason, outcome.counts)
            report(StepProgress(step, f"{outcome.status} {outcome.reason}".strip(), 1, 1))
        if not result.empty_reason:
            result.empty_reason = context.digest_of(services, day).empty_reason
        store.finish_run(run_id, result.status, result.empty_reason)
        log.info("run %s finished: %s %s", run_id, result.status, result.empty_reason)
    except BaseException as error:
        log.info("run %s stopped: %r", run_id, error)
        record_stop(store, run_id, error)
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


def record_stop(store: Store, run_id: int, error: BaseException) -> None:
    """Record the end of a run an exception stopped: interrupted by Ctrl-C or a cancel (the
    TUI's Stop), failed for anything else."""
    if isinstance(error, KeyboardInterrupt | asyncio.CancelledError):
        store.finish_run(
            run_id,
            "interrupted",
            "interrupted: stopped (Ctrl-C, or Stop in the TUI) before the run finished; what it "
            "stored is kept and the next run does the rest",
        )
    else:
        store.finish_run(run_id, "failed", str(error) or type(error).__name__)


def _holder(run_id: int) -> str:
    return f"run:{run_id}"


async def _run_step(
    step: str, services: Services, day: date, result: PipelineResult, context: _Context
) -> StepOutcome:
    """Run one step; a failure becomes its outcome, so it never hides the other steps."""
    channel = channels().get(step)
    essential = channel is not None and channel.essential
    try:
        if channel is not None:
            return await _deliver(channel, services, day, result, context)
        return await _STEPS[step](services, day, result, context)
    except DailyAIError as error:
        return StepOutcome(step, "failed", str(error), essential=essential)
    except Exception as error:  # a bug in one step must not hide the others
        log.exception("step %s crashed", step)
        reason = f"internal error: {type(error).__name__}: {error}"
        return StepOutcome(step, "failed", reason, essential=essential)


@dataclass
class _Context:
    report: ProgressCallback
    client: Any
    today: date | None
    out_dir: Path | None
    enrich: bool | None
    force: bool
    specs: list[SourceSpec] | None
    steps: tuple[str, ...] = ()
    digest: Digest | None = None

    def digest_of(self, services: Services, day: date) -> Digest:
        """The day's digest, built once the model steps are done and shared by the channels."""
        if self.digest is None:
            self.digest = build_digest(services.store, services.config, day)
        return self.digest


StepRunner = Callable[[Services, date, PipelineResult, _Context], Awaitable[StepOutcome]]


async def _fetch(
    services: Services, day: date, result: PipelineResult, context: _Context
) -> StepOutcome:
    def on_fetch(event: FetchProgress) -> None:
        context.report(
            StepProgress("fetch", f"{event.source}: {event.stage} {event.message}".strip())
        )

    summary = await fetch_day(
        services.store,
        services.config,
        day,
        specs=context.specs,
        on_progress=on_fetch,
        enrich=context.enrich,
        today=context.today,
        run_id=result.run_id,
    )
    result.fetch = summary
    result.empty_reason = summary.empty_reason
    failed = [r for r in summary.results if r.failed]
    status = summary.status
    reason = "; ".join(r.reason for r in failed) or summary.empty_reason
    return StepOutcome(
        "fetch", status, reason, {"papers": summary.stored, "failed_sources": len(failed)}
    )


async def _classify(
    services: Services, day: date, result: PipelineResult, context: _Context
) -> StepOutcome:
    from core.classify import classify_day

    stats = await classify_day(
        services.store,
        services.config,
        day,
        method=services.config.classify.method,
        client=context.client,
        on_progress=context.report,
        run_id=result.run_id,
        # The summarize step then classifies the digest's papers with their summaries.
        summaries_follow="summarize" in context.steps,
    )
    return StepOutcome("classify", stats.status, stats.fallback_reason, stats.as_counts())


async def _summarize(
    services: Services, day: date, result: PipelineResult, context: _Context
) -> StepOutcome:
    from core.summarize import summarize_day

    stats = await summarize_day(
        services.store,
        services.config,
        day,
        client=context.client,
        on_progress=context.report,
        run_id=result.run_id,
        on_token=summary_token_hook(),
    )
    return StepOutcome("summarize", stats.status, stats.stopped_reason, stats.as_counts())


async def _deliver(
    channel: Channel, services: Services, day: date, result: PipelineResult, context: _Context
) -> StepOutcome:
    """An output channel's step: publish or send the day's digest through it."""
    config = services.config
    if not channel.enabled(config):
        return StepOutcome(channel.name, "skipped", channel.off_reason(config))
    if channel.delivers:
        summarizing = services.store.claim_holder(model_work_claim(day))
        if summarizing is not None and _delivers_later(summarizing, channel, result.run_id):
            return StepOutcome(
                channel.name,
                "skipped",
                f"{summarizing.describe()} is still summarizing {day} and {channel.what} when "
                "it is done (not from here, so nobody gets the digest with summaries missing)",
            )
    options = DeliverOptions(out_dir=context.out_dir, force=context.force)
    delivered = await channel.deliver(services, context.digest_of(services, day), options)
    result.published.extend(delivered.paths)
    return StepOutcome(
        channel.name,
        delivered.status,
        delivered.reason,
        delivered.counts,
        essential=channel.essential,
    )


def _delivers_later(holder: Claim, channel: Channel, run_id: int) -> bool:
    """Whether the holder of the day's model work is another run that delivers `channel`."""
    return holder.run_id != run_id and channel.name in holder.run_plan


_STEPS: dict[str, StepRunner] = {
    "fetch": _fetch,
    "classify": _classify,
    "summarize": _summarize,
}
"""The steps that make the digest; the channels' steps follow (see `_deliver`)."""


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
