"""Full-text search over every stored day; Enter opens the highlighted result in its day.

Each result is two lines: its day and title, then the part of its Korean summary (or
abstract) that matched, the matches highlighted. ↑/↓ move through the results while the
cursor stays in the query, so one Enter opens a result. Tab moves to the results, where `s`
stars (likes) the highlighted one and `x` marks it not interesting, wherever it is.

Korean text stored since the last search is analysed when the screen opens (in a thread,
by a child process: core.korean), so Korean words are then found inside compounds too;
until it is done they are found at the start of words, and the results are read again.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from core.errors import DailyAIError
from core.i18n import _, ngettext
from core.korean import has_hangul
from core.services import Services
from core.store import SearchHit, Snippet
from tui import bindings
from tui.messages import KoreanIndexed, KoreanIndexProgressed, SearchFinished, SearchShown
from tui.screens.base import AppScreen
from tui.text import fit, safe_line

RESULTS = 100
DAY_WIDTH = 10
MATCH_STYLE = "bold yellow"


class SearchScreen(AppScreen[tuple[str, str] | None]):
    """Dismissed with (paper id, day) of the chosen result, or None."""

    BINDINGS = bindings.SEARCH

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.results: list[tuple[str, str]] = []
        self.hits: list[SearchHit] = []
        self.stances: dict[str, str] = {}
        """"like" or "dislike" for the results the interest profile holds."""
        self.width = 40
        self.changed = False
        """A result was liked or not-wanted (the day view then reads its day again)."""
        self.indexing: tuple[int, int] | None = None
        """(done, total) while Korean text is being analysed for search."""
        self.hint = Text(
            _(
                "학습 finds 강화학습을 · ↑↓ choose · Enter opens · Tab, then s star / x not "
                "interested"
            ),
            style="dim",
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Input(
                placeholder=_("Search titles, abstracts and Korean summaries of every day…"),
                id="search-input",
            )
            yield Label("", id="search-status")
            yield OptionList(id="search-results")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()
        self.query_one("#search-status", Label).update(self.hint)
        self._index_korean()

    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#search-input")
    def _open_highlighted(self) -> None:
        self._open(self.query_one("#search-results", OptionList).highlighted)

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option_index)

    def _open(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.results):
            paper_id, day = self.results[index]
            if day:
                self.dismiss((paper_id, day))

    def action_next_result(self) -> None:
        self.query_one("#search-results", OptionList).action_cursor_down()

    def action_previous_result(self) -> None:
        self.query_one("#search-results", OptionList).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, query: str) -> None:
        try:
            hits = self.services.store.search(query, limit=RESULTS) if query.strip() else []
            stances = self.services.store.profile_stances([hit.paper.id for hit in hits])
        except DailyAIError as error:
            self.app.notify(str(error), severity="error", markup=False)
            return
        if not get_current_worker().is_cancelled:
            self.post_message(SearchFinished(query, hits, stances))

    @work(thread=True, exclusive=True, group="korean-index", exit_on_error=False)
    def _index_korean(self) -> None:
        store = self.services.store
        waiting = store.korean_backlog()
        if not waiting:
            return
        worker = get_current_worker()
        self.post_message(KoreanIndexProgressed(0, waiting))
        try:
            count = store.update_korean_index(
                on_progress=lambda done, total: self.post_message(
                    KoreanIndexProgressed(done, total)
                ),
                should_stop=lambda: worker.is_cancelled,
            )
        except DailyAIError as error:
            self.post_message(KoreanIndexed(0, str(error)))
            return
        self.post_message(KoreanIndexed(count))

    def on_korean_index_progressed(self, message: KoreanIndexProgressed) -> None:
        self.indexing = (message.done, message.total)
        self._show_status()

    def on_korean_indexed(self, message: KoreanIndexed) -> None:
        self.indexing = None
        if message.error:
            title = _("Korean words match at their start only")
            self.app.notify(message.error, title=title, markup=False, severity="warning")
        query = self.query_one("#search-input", Input).value
        if has_hangul(query):
            self._search(query)  # now also inside compounds
        self._show_status()

    def on_search_finished(self, message: SearchFinished) -> None:
        if message.query != self.query_one("#search-input", Input).value:
            return  # typed on since; a newer search is coming
        results = self.query_one("#search-results", OptionList)
        self.width = max(results.scrollable_content_region.width, 40)
        self.hits = list(message.hits)
        self.stances = dict(message.stances)
        self.results = [(hit.paper.id, hit.days[-1] if hit.days else "") for hit in message.hits]
        results.set_options(
            Option(result_row(hit, self.width, self.stances.get(hit.paper.id)), id=str(index))
            for index, hit in enumerate(message.hits)
        )
        if message.hits:
            results.highlighted = 0
        self._show_status(message.query, len(message.hits))
        self.call_after_refresh(self.post_message, SearchShown(message.query))

    def action_toggle_star(self) -> None:
        self._feedback("like")

    def action_toggle_not_interested(self) -> None:
        self._feedback("dislike")

    def _feedback(self, stance: str) -> None:
        """Like or not-want the highlighted result (again: undo), shown at once, saved in a
        thread."""
        results = self.query_one("#search-results", OptionList)
        index = results.highlighted
        if index is None or not 0 <= index < len(self.hits):
            self.app.notify(
                _("No result is highlighted — type a query, or Tab to the results."), markup=False
            )
            return
        hit = self.hits[index]
        wanted = None if self.stances.get(hit.paper.id) == stance else stance
        if wanted is None:
            self.stances.pop(hit.paper.id, None)
        else:
            self.stances[hit.paper.id] = wanted
        results.replace_option_prompt_at_index(index, result_row(hit, self.width, wanted))
        self.changed = True
        self._save_feedback(hit.paper.id, wanted)

    @work(thread=True, group="save", exit_on_error=False)
    def _save_feedback(self, paper_id: str, stance: str | None) -> None:
        from core.profile import set_feedback

        try:
            set_feedback(self.services.store, self.services.config, paper_id, stance, source="tui")
        except DailyAIError as error:
            self.app.notify(str(error), title=_("Not saved"), severity="error", markup=False)

    def _show_status(self, query: str | None = None, found: int | None = None) -> None:
        if query is None:
            query = self.query_one("#search-input", Input).value
            found = len(self.results)
        status = Text()
        if self.indexing is not None:
            done, total = self.indexing
            status.append(
                _("Analysing Korean text {done}/{total}…").format(done=done, total=total) + " ",
                style="italic",
            )
        if not query.strip():
            status.append_text(self.hint)
        elif not found:
            status.append(
                _("No stored paper matches {query!r}.").format(query=query), style="yellow"
            )
        else:
            more = " " + _("(the best shown)") if found == RESULTS else ""
            status.append(
                ngettext(
                    "{count} paper matches{more}.", "{count} papers match{more}.", found
                ).format(count=found, more=more)
                + " "
                + _("Enter opens the highlighted one.")
            )
        self.query_one("#search-status", Label).update(status)


STANCE_MARKS = {"like": ("★", "bold yellow"), "dislike": ("⊘", "dim red")}


def result_row(hit: SearchHit, width: int, stance: str | None = None) -> Text:
    """A result as two lines `width` cells wide: its star (or not-interested) mark, day and
    title, then where it matched."""
    text_width = width - DAY_WIDTH - 4
    day = hit.days[-1] if hit.days else ""
    mark, style = STANCE_MARKS.get(stance or "", (" ", ""))
    row = Text(" ", no_wrap=True, end="")
    row.append(mark, style=style)
    row.append(" ")
    row.append_text(fit(Text(day, style="dim"), DAY_WIDTH))
    row.append(" ")
    row.append_text(fit(marked(hit.title, "bold"), text_width))
    row.append("\n" + " " * (DAY_WIDTH + 4))
    snippet = marked(hit.snippet, "") if hit.snippet else Text("")
    row.append_text(fit(snippet, text_width))
    return row


def marked(snippet: Snippet, style: str) -> Text:
    """A title or snippet as one literal line, its matches highlighted."""
    text = safe_line(snippet.text, style)
    for start, end in snippet.highlights:
        text.stylize(MATCH_STYLE, start, end)
    return text
