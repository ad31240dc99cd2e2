"""Full-text search over every stored day; Enter on a result shows it in its day, `s` stars
it and `x` marks it not interesting, wherever it is."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from core.errors import DailyAIError
from core.models import Paper
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
        self.papers: list[Paper] = []
        self.stances: dict[str, str] = {}
        self.width = 40
        self.changed = False
        """A result was liked or not-wanted (the day view then reads its day again)."""

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
            ids = [paper.id for paper in papers]
            days = self.services.store.paper_days(ids)
            stances = self.services.store.profile_stances(ids)
        except DailyAIError as error:
            self.app.notify(str(error), severity="error", markup=False)
            return
        if not get_current_worker().is_cancelled:
            self.post_message(SearchFinished(query, papers, days, stances))

    def on_search_finished(self, message: SearchFinished) -> None:
        if message.query != self.query_one("#search-input", Input).value:
            return  # typed on since; a newer search is coming
        results = self.query_one("#search-results", OptionList)
        width = max(results.scrollable_content_region.width, 40)
        self.width = width
        self.results = []
        self.papers = list(message.papers)
        self.stances = dict(message.stances)
        options = []
        for paper in message.papers:
            day = (message.days.get(paper.id) or [""])[-1]
            self.results.append((paper.id, day))
            options.append(Option(self._row(paper, day), id=str(len(options))))
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

    def _row(self, paper: Paper, day: str) -> Text:
        """A result: its star (or not-interested) mark, its newest day, its title."""
        stance = self.stances.get(paper.id)
        mark = {"like": ("★", "bold yellow"), "dislike": ("⊘", "dim red")}.get(stance, (" ", ""))
        row = Text(" ", no_wrap=True, end="")
        row.append(mark[0], style=mark[1])
        row.append(" ")
        row.append(fit(Text(day, style="dim"), 10))
        row.append(" ")
        row.append_text(fit(safe_line(paper.title), self.width - 10 - 5))
        return row

    def action_toggle_star(self) -> None:
        self._feedback("like")

    def action_toggle_not_interested(self) -> None:
        self._feedback("dislike")

    def _feedback(self, stance: str) -> None:
        """Like or not-want the highlighted result (again: undo), shown at once, saved in a
        thread."""
        results = self.query_one("#search-results", OptionList)
        index = results.highlighted
        if index is None or not 0 <= index < len(self.papers):
            return
        paper = self.papers[index]
        wanted = None if self.stances.get(paper.id) == stance else stance
        if wanted is None:
            self.stances.pop(paper.id, None)
        else:
            self.stances[paper.id] = wanted
        results.replace_option_prompt_at_index(index, self._row(paper, self.results[index][1]))
        self.changed = True
        self._save_feedback(paper.id, wanted)

    @work(thread=True, group="save", exit_on_error=False)
    def _save_feedback(self, paper_id: str, stance: str | None) -> None:
        from core.profile import set_feedback

        try:
            set_feedback(self.services.store, self.services.config, paper_id, stance, source="tui")
        except DailyAIError as error:
            self.app.notify(str(error), title="Not saved", severity="error", markup=False)

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if 0 <= index < len(self.results):
            paper_id, day = self.results[index]
            if day:
                self.dismiss((paper_id, day))

    def action_back(self) -> None:
        self.dismiss(None)
