"""What every screen of the app shares: unexpected worker failures end in one place."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import Screen
from textual.worker import Worker, WorkerState

ResultType = TypeVar("ResultType")


class AppScreen(Screen[ResultType]):
    """A screen whose workers' unexpected failures become a dialog, never a crash."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)
            self.app.report_worker_error(event.worker)  # type: ignore[attr-defined]

    def worker_failed(self, worker: Worker) -> None:
        """Undo what a failed worker left half done (a progress bar, a spinner)."""
