"""The daily pipeline: fetch → classify → summarize → report → feeds → email.

The one place that chains the steps; the CLI (`dailyai run`), the TUI and the tests all call
`run_pipeline`. Progress leaves as `StepProgress` events through a plain callback.
(Issue 6 completes this module; today it runs the steps that exist.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from core.ingest import FetchProgress, fetch_day
from core.models import FetchSummary
from core.services import Services

ALL_STEPS = ("fetch", "classify", "summarize", "report", "feeds", "email")


@dataclass
class StepProgress:
    """Where the pipeline is: the step, how far, and (for the model steps) an ETA."""

    step: str
    message: str = ""
    done: int = 0
    total: int = 0
    eta_seconds: float | None = None


@dataclass
class PipelineResult:
    """What a pipeline run did, step by step."""

    day: date
    fetch: FetchSummary | None = None
    step_status: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


async def run_pipeline(
    services: Services,
    day: date,
    *,
    steps: tuple[str, ...] = ALL_STEPS,
    on_progress: Callable[[StepProgress], None] | None = None,
) -> PipelineResult:
    """Run the requested steps for `day` in order; a failing step never hides the others."""
    report = on_progress or (lambda event: None)
    result = PipelineResult(day=day)
    if "fetch" in steps:

        def on_fetch(event: FetchProgress) -> None:
            report(StepProgress("fetch", f"{event.source}: {event.stage} {event.message}".strip()))

        result.fetch = await fetch_day(services.store, services.config, day, on_progress=on_fetch)
        result.step_status["fetch"] = {0: "ok", 3: "partial", 1: "failed"}[result.fetch.exit_code]
    return result
