"""A category's Korean synthesis report for the day, rendered as Markdown, with its sources."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Label, Markdown, Static

from core.channels.wording import interface_text
from core.config import Config
from core.digest import ReportChanges
from core.i18n import N_, _, ngettext, weekday
from core.sanitize import clean_text
from tui import bindings
from tui.model import Group
from tui.screens.base import AppScreen
from tui.text import emoji_cell, safe, safe_line

STATE_NOTES = {
    "pending": N_(
        "No report for this category yet: `dailyai run` writes it after the day's summaries "
        "(it needs Ollama)."
    ),
}


def stale_note(changes: ReportChanges | None) -> str:
    """Why a report is out of date, in a line: what changed since it was written."""
    parts = []
    if changes is not None:
        if changes.added:
            parts.append(
                ngettext(
                    "{count} paper new in the category",
                    "{count} papers new in the category",
                    changes.added,
                ).format(count=changes.added)
            )
        if changes.removed:
            parts.append(
                ngettext(
                    "{count} paper moved out", "{count} papers moved out", changes.removed
                ).format(count=changes.removed)
            )
        if changes.resummarized:
            parts.append(
                ngettext(
                    "{count} paper with a changed summary",
                    "{count} papers with a changed summary",
                    changes.resummarized,
                ).format(count=changes.resummarized)
            )
        if changes.older_prompt:
            parts.append(_("an older prompt"))
    detail = f" ({', '.join(parts)})" if parts else ""
    return _(
        "Out of date: written from other papers or summaries than the category has now"
        "{detail}. The next `dailyai summarize` writes it again."
    ).format(detail=detail)


class CategoryReportScreen(AppScreen[None]):
    """The report of one category; [ and ] move to the other categories of the day."""

    BINDINGS = bindings.REPORT

    def __init__(self, config: Config, day: date, groups: list[Group], index: int) -> None:
        super().__init__()
        self.config = config
        self.day = day
        self.groups = groups
        self.index = index

    def compose(self) -> ComposeResult:
        yield Label(id="report-title")
        with VerticalScroll(id="report-scroll"):
            yield Static(id="report-state")
            yield Markdown(id="report-body", open_links=False)
            yield Static(id="report-sources")
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#report-scroll").focus()

    def _show(self) -> None:
        group = self.groups[self.index]
        report = group.report
        title = Text(" ")
        title.append(emoji_cell(group.emoji) + " ")
        title.append_text(safe_line(group.label, style="bold"))
        papers = ngettext("{count} paper", "{count} papers", len(group.papers)).format(
            count=len(group.papers)
        )
        title.append(f"  ·  {self.day} {weekday(self.day)}  ·  {papers}", style="dim")
        title.append(f"  ·  {self.index + 1}/{len(self.groups)}", style="dim")
        self.query_one("#report-title", Label).update(title)
        state = self.query_one("#report-state", Static)
        markdown = self.query_one("#report-body", Markdown)
        status = report.status if report else "pending"
        if status in ("ok", "stale") and report is not None:
            markdown.update(clean_text(report.text))
            markdown.display = True
        else:
            markdown.update("")
            markdown.display = False
        note: Text | None = None
        if status == "failed" and report is not None:
            note = Text(_("The report could not be written:") + " ", style="bold red")
            note.append_text(
                safe(interface_text(report.reason) or _("no reason recorded"), style="red")
            )
        elif status == "stale" and report is not None:
            note = Text(stale_note(report.changes), style="yellow")
        elif status == "ok" and report is not None and report.flags:
            note = Text(_("Check:") + " ", style="bold yellow")
            note.append_text(safe("; ".join(report.flags), style="yellow"))
        elif status in STATE_NOTES:
            note = Text(_(STATE_NOTES[status]), style="dim")
        state.update(note or "")
        state.display = note is not None
        # The papers of the category now; those the report was not written from are marked.
        covered = set(report.paper_ids) if report is not None and report.text else None
        sources = Text(_("Sources") + "\n", style="bold underline")
        for paper in group.papers:
            sources.append(" - ")
            sources.append_text(safe_line(paper.paper.title))
            if paper.paper.url:
                sources.append(" (")
                sources.append_text(safe_line(paper.paper.url, style="dim"))
                sources.append(")")
            if covered is not None and paper.paper.id not in covered:
                sources.append("  · " + _("not in this report"), style="yellow")
            sources.append("\n")
        self.query_one("#report-sources", Static).update(sources)
        self.query_one("#report-scroll", VerticalScroll).scroll_home(animate=False)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        """Open web links from the report; anything else (javascript:, file:) is ignored."""
        if event.href.startswith(("https://", "http://")):
            self.app.open_url(event.href)

    def action_previous_category(self) -> None:
        self.index = (self.index - 1) % len(self.groups)
        self._show()

    def action_next_category(self) -> None:
        self.index = (self.index + 1) % len(self.groups)
        self._show()

    def action_back(self) -> None:
        self.dismiss(None)
