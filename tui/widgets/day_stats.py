"""The day in numbers, under the category panel: summaries, reports, reading progress."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from core.channels.render import report_counts
from core.digest import Digest
from core.i18n import _


class DayStats(Static):
    """How far the day's digest got (summaries and reports) and how far you read it."""

    def show(self, digest: Digest | None) -> None:
        """Count what `digest` holds; nothing when there is no day."""
        if digest is None or digest.total == 0:
            self.update("")
            self.display = False
            return
        self.display = True
        selected = digest.selected
        states = [paper.summary.status for paper in selected]
        text = Text()
        labels = [_("Summaries"), _("Reports"), _("Reading")]
        width = max(cell_len(label) for label in labels) + 1
        text.append(pad(labels[0], width), style="bold")
        text.append(f"{states.count('ok')}✓", style="green")
        if stale := states.count("stale"):
            text.append(f" {stale}~", style="yellow")
        text.append(f" {states.count('failed')}✗", style="red")
        text.append(f" {states.count('pending')}·", style="dim")
        text.append("  " + _("of {total}").format(total=len(selected)) + "\n", style="dim")
        # Only a report written from the category's papers and summaries of now counts.
        reports = report_counts(digest)
        text.append(pad(labels[1], width), style="bold")
        text.append(
            _("{written}/{total} written").format(written=reports["ok"], total=len(digest.sections))
        )
        if reports["stale"]:
            text.append(f" {reports['stale']}~", style="yellow")
        if reports["failed"]:
            text.append(f" {reports['failed']}✗", style="red")
        text.append("\n")
        day_papers = [*selected, *digest.others]
        unread = sum(1 for paper in day_papers if not paper.read)
        starred = sum(1 for paper in day_papers if paper.starred)
        text.append(pad(labels[2], width), style="bold")
        text.append(_("{count} unread").format(count=unread), style="cyan" if unread else "dim")
        text.append(f" · {starred} ★", style="yellow" if starred else "dim")
        self.update(text)


def pad(label: str, width: int) -> str:
    """`label` followed by spaces to `width` terminal cells (Hangul takes two)."""
    return label + " " * max(1, width - cell_len(label))
