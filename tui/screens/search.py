"""Full-text search over every stored day; Enter on a result shows it in its day."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from core.errors import DailyAIError
from core.services import Services
from tui import bindings
from tui.messages import SearchFinished, SearchShown
from tui.screens.base import AppScreen
from tui.text import fit, plural, safe_line

RESULTS = 100


class SearchScreen(AppScreen[tuple[str, str] | None]):
    """Dismissed with (paper id, day) of the chosen result, or None."""

    BINDINGS = bindings.SEARCH

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.results: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Input(
                placeholder="Search titles, abstracts and Korean summaries of every day…",
                id="search-input",
            )
            yield Label("", id="search-status")
            yield OptionList(id="search-results")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()
        self.query_one("#search-status", Label).update(
            Text(
                "Each word matches as a prefix (강화학습 finds 강화학습을). Enter opens a result.",
                style="dim",
            )
        )

    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#search-input")
    def _to_results(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if results.option_count:
            results.focus()

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, query: str) -> None:
        try:
            papers = self.services.store.search(query, limit=RESULTS) if query.strip() else []
            days = self.services.store.paper_days([paper.id for paper in papers])
        except DailyAIError as error:
            self.app.notify(str(error), severity="error", markup=False)
            return
        if not get_current_worker().is_cancelled:
            self.post_message(SearchFinished(query, papers, days))

    def on_search_finished(self, message: SearchFinished) -> None:
        if message.query != self.query_one("#search-input", Input).value:
            return  # typed on since; a newer search is coming
        results = self.query_one("#search-results", OptionList)
        width = max(results.scrollable_content_region.width, 40)
        title_width = width - 10 - 3
        self.results = []
        options = []
        for paper in message.papers:
            day = (message.days.get(paper.id) or [""])[-1]
            self.results.append((paper.id, day))
            row = Text(" ", no_wrap=True, end="")
            row.append(fit(Text(day, style="dim"), 10))
            row.append(" ")
            row.append_text(fit(safe_line(paper.title), title_width))
            options.append(Option(row, id=str(len(options))))
        results.set_options(options)
        if options:
            results.highlighted = 0
        status = self.query_one("#search-status", Label)
        if not message.query.strip():
            status.update(Text("Type to search.", style="dim"))
        elif not message.papers:
            status.update(Text(f"No stored paper matches {message.query!r}.", style="yellow"))
        else:
            more = " (the best shown)" if len(message.papers) == RESULTS else ""
            status.update(Text(f"{plural(len(message.papers), 'paper')} match{more}."))
        self.call_after_refresh(self.post_message, SearchShown(message.query))

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if 0 <= index < len(self.results):
            paper_id, day = self.results[index]
            if day:
                self.dismiss((paper_id, day))

    def action_back(self) -> None:
        self.dismiss(None)
