"""What every screen of the app shares: unexpected worker failures end in one place."""

from __future__ import annotations

from typing import Any, TypeVar

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui import bindings

ResultType = TypeVar("ResultType")


class AppScreen(Screen[ResultType]):
    """A screen whose workers' unexpected failures become a dialog, never a crash, and whose
    keys are named in the interface language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bindings.localize(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)
            self.app.report_worker_error(event.worker)  # type: ignore[attr-defined]

    def worker_failed(self, worker: Worker) -> None:
        """Undo what a failed worker left half done (a progress bar, a spinner)."""
