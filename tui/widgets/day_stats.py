"""The day in numbers, under the category panel: summaries, reports, reading progress."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from core.channels.render import report_counts
from core.digest import Digest


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
        text.append("Summaries ", style="bold")
        text.append(f"{states.count('ok')}✓", style="green")
        if stale := states.count("stale"):
            text.append(f" {stale}~", style="yellow")
        text.append(f" {states.count('failed')}✗", style="red")
        text.append(f" {states.count('pending')}·", style="dim")
        text.append(f"  of {len(selected)}\n", style="dim")
        # Only a report written from the category's papers and summaries of now counts.
        reports = report_counts(digest)
        text.append("Reports   ", style="bold")
        text.append(f"{reports['ok']}/{len(digest.sections)} written")
        if reports["stale"]:
            text.append(f" {reports['stale']}~", style="yellow")
        if reports["failed"]:
            text.append(f" {reports['failed']}✗", style="red")
        text.append("\n")
        day_papers = [*selected, *digest.others]
        unread = sum(1 for paper in day_papers if not paper.read)
        starred = sum(1 for paper in day_papers if paper.starred)
        text.append("Reading   ", style="bold")
        text.append(f"{unread} unread", style="cyan" if unread else "dim")
        text.append(f" · {starred} ★", style="yellow" if starred else "dim")
        self.update(text)
