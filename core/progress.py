"""Progress as it leaves core: what a step is doing, how far it is, and how long is left.

Steps report `StepProgress` events to a plain callback; the CLI turns them into a progress
bar, the TUI into messages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StepProgress:
    """Where the pipeline is: the step, how far, and (for the model steps) an ETA."""

    step: str
    message: str = ""
    done: int = 0
    total: int = 0
    eta_seconds: float | None = None


def format_duration(seconds: float | None, unknown: str = "unknown") -> str:
    """A short duration for an ETA or a run time: 45s, 3m 10s, 1h 05m."""
    if seconds is None:
        return unknown
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
