"""The run ledger's one writer: a run started, each step's lines, and how the run ended.

Steps (fetch, classify, summarize, the output channels) return what they did and never write
the ledger. The pipeline and the single commands (`dailyai fetch`, `classify`, `summarize`)
record through a `RecordedRun`: `run.step(name)` times a step and writes its line when the
step ends — with the counts of the stats it was `counting`, or failed with the error's one
line when it raised — so every line is written once, in one way, whoever ran the step.

Its writes are awaited and run in a worker thread (`asyncio.to_thread`), as every store write
of the async steps is: a write waits on the disk and on other processes' transactions, and
the event loop must not, or the TUI's screen, a model's stream and an SMTP session stall.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

from core.errors import DailyAIError
from core.models import FetchSummary, RunStatus, SourceStatus
from core.sanitize import one_line
from core.store import RunStep, Store


class StepStats(Protocol):
    """What a step that counts its work fills in as it goes: the ledger line's parts."""

    @property
    def target(self) -> str:
        """What the step worked on (a day, a category, "papers")."""
        ...

    @property
    def status(self) -> RunStatus:
        """ok, partial or failed."""
        ...

    @property
    def reason(self) -> str:
        """Why it is not simply ok ("" when it is)."""
        ...

    def as_counts(self) -> dict[str, Any]:
        """The counts the ledger keeps."""
        ...


Stats = TypeVar("Stats", bound=StepStats)


@dataclass
class StepOutcome(RunStep):
    """How one step of a run ended: its line in the run ledger, and whether it publishes."""

    essential: bool = False
    """A channel whose failure means nothing was published (see `Channel.essential`)."""
    lines: list[RunStep] = field(default_factory=list)
    """The ledger lines that stand for the step when it has several (fetch: one per source)."""
    stats: StepStats | None = field(default=None, repr=False, compare=False)
    """What the step counts into; read when it ends, whether it succeeded or not."""

    def counting(self, stats: Stats) -> Stats:
        """Take `stats` as what this step counts into, and hand it back to give the step."""
        self.stats = stats
        return stats


def failure_reason(error: BaseException) -> str:
    """The ledger's one line for a step that raised."""
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return "cancelled"
    if isinstance(error, DailyAIError):
        return one_line(str(error), limit=2000)
    if isinstance(error, Exception):
        return one_line(f"internal error: {type(error).__name__}: {error}", limit=2000)
    return one_line(str(error))


def fetch_lines(summary: FetchSummary) -> list[RunStep]:
    """The fetch step's ledger lines: one per source (and one for the arXiv API look-up)."""
    return [
        RunStep(
            step="fetch",
            target=result.name,
            status=result.status,
            reason=result.reason
            if result.status != SourceStatus.OK
            else "; ".join(result.warnings),
            counts={
                "listed": len(result.listed),
                "new": result.new,
                "updated": result.updated,
                "url": result.url,
                "kind": str(result.kind),
            },
            duration_ms=result.duration_ms,
        )
        for result in summary.results
    ]


class RecordedRun:
    """One run in the ledger and the only writer of its rows."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.id = run_id

    @classmethod
    async def start(
        cls,
        store: Store,
        kind: str,
        day: date,
        *,
        log_path: str | None = None,
        plan: Sequence[str] = (),
    ) -> RecordedRun:
        """Record a run of `kind` for `day` as started; `plan` is the steps it sets out to do."""
        return cls(store, await asyncio.to_thread(store.start_run, kind, day, log_path, plan=plan))

    @asynccontextmanager
    async def step(self, name: str, target: str = "") -> AsyncIterator[StepOutcome]:
        """Time the block as step `name` and write its lines when it ends.

        The block fills the outcome it is given (its status, reason, counts, `lines`) or
        hands the step the stats it counts into (`outcome.counting(stats)`); when the block
        raises, the step is recorded as failed with the error's line, and the error goes on.
        """
        outcome = StepOutcome(name, target, RunStatus.OK)
        started = time.perf_counter()
        try:
            yield outcome
        except BaseException as error:
            outcome.status, outcome.reason = RunStatus.FAILED, failure_reason(error)
            outcome.lines = []
            raise
        else:
            if outcome.stats is not None:
                outcome.status, outcome.reason = outcome.stats.status, outcome.stats.reason
        finally:
            if outcome.stats is not None:
                outcome.target = outcome.stats.target or outcome.target
                outcome.counts = outcome.stats.as_counts()
            outcome.duration_ms = int((time.perf_counter() - started) * 1000)
            await asyncio.to_thread(self._record_lines, outcome.lines or [outcome])

    def _record_lines(self, lines: Sequence[RunStep]) -> None:
        for line in lines:
            self.store.record_step(self.id, _line(line))

    def record_model_work(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Note which model host wrote (or failed) what in this run (a blocking write: the
        summarize step calls it in a worker thread)."""
        self.store.record_model_work(self.id, rows)

    async def finish(self, status: RunStatus, note: str = "") -> None:
        """Record how the run ended."""
        await asyncio.to_thread(self.store.finish_run, self.id, status, note)

    async def stop(self, error: BaseException) -> None:
        """Record the end of a run an exception stopped: interrupted by Ctrl-C or a cancel
        (the TUI's Stop), failed for anything else."""
        if isinstance(error, KeyboardInterrupt | asyncio.CancelledError):
            await self.finish(
                RunStatus.INTERRUPTED,
                "interrupted: stopped (Ctrl-C, or Stop in the TUI) before the run finished; what "
                "it stored is kept and the next run does the rest",
            )
        else:
            await self.finish(RunStatus.FAILED, str(error) or type(error).__name__)


@asynccontextmanager
async def recorded_run(
    store: Store, kind: str, day: date, *, log_path: str | None = None
) -> AsyncIterator[RecordedRun]:
    """A run of its own for a single command; the block calls `finish`, and a block that
    raises records the run as interrupted or failed (see `RecordedRun.stop`)."""
    run = await RecordedRun.start(store, kind, day, log_path=log_path)
    try:
        yield run
    except BaseException as error:
        await run.stop(error)
        raise


def _line(step: RunStep) -> RunStep:
    """The plain ledger line of a step (an outcome's extras are not stored)."""
    return RunStep(step.step, step.target, step.status, step.reason, step.counts, step.duration_ms)


__all__ = [
    "RecordedRun",
    "StepOutcome",
    "StepStats",
    "failure_reason",
    "fetch_lines",
    "recorded_run",
]
