"""The background run's progress: the step, a bar, and the time left."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from core.i18n import N_, _
from tui.text import duration, safe_line

STEP_NAMES = {
    "fetch": N_("Fetching"),
    "classify": N_("Classifying"),
    "summarize": N_("Summarizing"),
    "report": N_("Writing reports"),
    "feeds": N_("Writing feeds"),
    "email": N_("Sending email"),
}


class RunProgress(Horizontal):
    """Shown at the bottom while the pipeline runs; hidden otherwise."""

    def compose(self) -> ComposeResult:
        yield Label(id="run-step")
        yield ProgressBar(id="run-bar", show_eta=False)
        yield Label(id="run-eta")

    def start(self, steps: tuple[str, ...]) -> None:
        """Show the panel for a run of `steps`."""
        self.steps = steps
        self.query_one("#run-bar", ProgressBar).update(total=None, progress=0)
        self.query_one("#run-step", Label).update(Text(_("Starting the run…")))
        self.query_one("#run-eta", Label).update("")
        self.display = True

    def advance(self, progress: Any) -> None:
        """Show a `core.pipeline.StepProgress`."""
        steps = getattr(self, "steps", ())
        name = _(STEP_NAMES[progress.step]) if progress.step in STEP_NAMES else progress.step
        if progress.step in steps:
            name = f"{steps.index(progress.step) + 1}/{len(steps)} {name}"
        label = Text(name, style="bold")
        if progress.message:
            label.append("  ")
            label.append_text(safe_line(progress.message[:80], style="dim"))
        self.query_one("#run-step", Label).update(label)
        bar = self.query_one("#run-bar", ProgressBar)
        if progress.total:
            bar.update(total=progress.total, progress=progress.done)
        else:
            bar.update(total=None)
        eta = ""
        if progress.total:
            eta = f"{progress.done}/{progress.total}"
            if progress.eta_seconds is not None:
                eta += " · " + _("ETA {time}").format(time=duration(progress.eta_seconds))
        self.query_one("#run-eta", Label).update(Text(eta))

    def stop(self) -> None:
        """Hide the panel."""
        self.display = False
