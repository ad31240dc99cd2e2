"""The day view: categories with their share of the day, the papers of one, and one paper.

Everything slow happens in workers: reading a day from SQLite in thread workers; checking
the model server, running the pipeline, writing a summary and sending email in async
workers on the app's loop, with the services' model client and fetcher (core's async steps
write the store in worker threads). Each posts a past-tense message (`tui.messages`) that a
handler here turns into screen updates, so the UI never waits on the store, the network or
the model.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import date
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.widgets import Footer, OptionList, Static
from textual.worker import Worker, get_current_worker

from core.channels.wording import interface_text
from core.digest import Digest, DigestPaper, build_digest
from core.errors import DailyAIError
from core.i18n import N_, _, local_time, ngettext, status_name, step_name, weekday
from core.services import Services
from tui import bindings
from tui.dialogs import CategoryDialog, ConfirmDialog, DateDialog, MessageDialog
from tui.messages import (
    DayLoaded,
    DayShown,
    EmailSent,
    GroupShown,
    OllamaChecked,
    PaperChanged,
    PipelineFinished,
    PipelineProgressed,
    SummaryFinished,
    SummaryStreamed,
)
from tui.model import ALL, FOR_YOU, OTHERS, Filters, Group, day_groups
from tui.screens.base import AppScreen
from tui.text import safe_line
from tui.widgets.category_list import CategoryList
from tui.widgets.day_chart import DayChart
from tui.widgets.day_header import DayHeader
from tui.widgets.day_stats import DayStats
from tui.widgets.paper_detail import PaperDetail
from tui.widgets.paper_table import PaperTable
from tui.widgets.run_progress import RunProgress

SAVE_FAILED = {
    "reader_state": N_("Could not save the reader state"),
    "feedback": N_("Could not save the feedback"),
    "category": N_("Could not save the category"),
}
"""The title of a notification that a change was not saved, by what was changed."""
PAPER_ACTIONS = (
    "toggle_star",
    "toggle_not_interested",
    "toggle_read",
    "open_link",
    "copy_link",
    "set_category",
    "resummarize",
)
"""Actions on the highlighted paper (greyed out while none is)."""
CACHE_DAYS = 9
"""Digests kept in memory, so going back and forth between days is instant."""
RUN_STEPS = ("fetch", "classify", "summarize")
"""What "run today's pipeline" does from the TUI (publishing stays with `dailyai run`)."""


def welcome_text(run_key: str) -> Text:
    """What the app says when the store holds no papers at all."""
    commands = [
        ("dailyai fetch", _("fetch today's papers from the configured sources")),
        ("dailyai demo", _("try the app offline on the shipped sample days")),
        (
            _("{key} (here)").format(key=run_key),
            _("fetch, classify and summarize today's papers now"),
        ),
    ]
    width = max(cell_len(command) for command, _what in commands) + 3
    lines = "\n".join(
        f"  • {command}{' ' * (width - cell_len(command))}{what}" for command, what in commands
    )
    welcome = _(
        "No papers are stored yet. To get some:\n\n{commands}\n\n"
        "Papers appear here as soon as a run has stored them.\n"
        "Sources, the Ollama model and the keys of this app are set in config.toml "
        "(see README.md).\n"
    )
    return Text(welcome.format(commands=lines))


class MainScreen(AppScreen[None]):
    """Browse one day: categories, their papers, and the selected paper."""

    BINDINGS = bindings.MAIN
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-medium"), (160, "-wide")]
    """Below 120 columns the sidebar is narrow; below 160 the paper stacks under the list,
    so titles get the whole width; from 160 the list and the paper sit side by side."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, DayHeader, RunProgress"

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.config = services.config
        self.days: list[tuple[str, int]] = []
        """Stored days with papers, newest first, with their number of papers."""
        self.digest: Digest | None = None
        self.groups: list[Group] = []
        self.filters = Filters()
        self.cache: OrderedDict[str, Digest] = OrderedDict()
        self.wanted_day: str | None = None
        self.streams: dict[str, str] = {}
        """Summaries being generated now: paper id → the text so far."""
        self.pipeline: Worker[None] | None = None
        """The run going on now (an async worker on the app's loop), if any."""
        self.warned_days: set[str] = set()
        self.emojis = {c.name: c.emoji for c in self.config.taxonomy.categories}
        self._group_shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield DayHeader(id="header")
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield CategoryList(id="categories")
                yield DayChart(id="day-chart")
                yield DayStats(id="day-stats")
            with Container(id="content"):
                with Vertical(id="papers-pane"):
                    yield Static(id="papers-header")
                    yield PaperTable(id="papers")
                yield PaperDetail(id="detail")
        yield Static(id="welcome")
        yield RunProgress(id="run-progress")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RunProgress).display = False
        self.query_one("#welcome").display = False
        self.query_one("#categories").border_title = _("Categories")
        self.query_one("#day-chart").border_title = _("Digest by category")
        self.query_one("#papers-pane").border_title = _("Papers")
        self.query_one("#detail").border_title = _("Paper")
        self.query_one("#papers").focus()
        self.load_day(None)
        self._check_ollama()

    def worker_failed(self, worker: Worker) -> None:
        """Leave no progress bar or "generating…" behind a worker that crashed."""
        if worker.group == "pipeline" and self.pipeline is not None:
            self.pipeline = None
            self.query_one(RunProgress).stop()
            self._refresh_footer()
        if worker.group == "summary" and self.streams:
            self.streams.clear()
            self.query_one(PaperTable).generating = set()
            self._show_group()

    # --- loading and showing a day ------------------------------------------------------

    def load_day(self, day: str | None, *, paper_id: str | None = None) -> None:
        """Show `day` (None: the newest day with papers), from memory or from the store."""
        self.wanted_day = day
        if day is not None and day in self.cache:
            self.cache.move_to_end(day)
            self._show(self.cache[day], self.days, paper_id)
            return
        self._read_day(day, paper_id)

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _read_day(self, day: str | None, paper_id: str | None) -> None:
        """Read a day's digest (and the stored days) in a thread."""
        store = self.services.store
        days = store.days()
        if day is None:
            if not days:
                self.post_message(DayLoaded(None, days))
                return
            day = days[0][0]
        digest = build_digest(store, self.config, date.fromisoformat(day))
        if not get_current_worker().is_cancelled:
            self.post_message(DayLoaded(digest, days, paper_id))

    @work(thread=True, group="prefetch", exit_on_error=False)
    def _prefetch(self, days: list[str]) -> None:
        """Read the days next to the one shown, so moving to them is instant."""
        for day in days:
            digest = build_digest(self.services.store, self.config, date.fromisoformat(day))
            self.post_message(DayLoaded(digest, [], prefetched=True))

    def on_day_loaded(self, message: DayLoaded) -> None:
        if message.digest is None:
            self._show_welcome()
            return
        day = message.digest.day.isoformat()
        self.cache[day] = message.digest
        self.cache.move_to_end(day)
        while len(self.cache) > CACHE_DAYS:
            self.cache.popitem(last=False)
        if message.prefetched:
            return
        if message.days:
            self.days = message.days
        if self.wanted_day in (None, day):
            self._show(message.digest, self.days, message.paper_id)

    def _show_welcome(self) -> None:
        self.days = []
        self.digest = None
        self.query_one("#body").display = False
        welcome = self.query_one("#welcome", Static)
        welcome.update(welcome_text(self.app.key_display("run_pipeline")))
        welcome.display = True
        self.query_one(DayHeader).day = None
        self._refresh_footer()
        self.call_after_refresh(self.post_message, DayShown(date.min))

    def _show(self, digest: Digest, days: list[tuple[str, int]], paper_id: str | None) -> None:
        """Put a day's digest on screen, keeping the category and paper where possible."""
        self.query_one("#welcome").display = False
        self.query_one("#body").display = True
        previous_group = self.current_group.key if self.current_group else ALL
        self.digest = digest
        self.groups = day_groups(digest, self.config)
        day = digest.day.isoformat()
        header = self.query_one(DayHeader)
        header.day = digest.day
        stored = [d for d, _ in days]
        header.position = (stored.index(day) + 1 if day in stored else 0, len(stored))
        header.counts = (len(digest.selected), digest.total)
        header.run = digest.last_run
        group = previous_group
        if paper_id is not None and not self._group_has(previous_group, paper_id):
            group = self._group_of(paper_id) or previous_group
            if self.filters.unread_only or self.filters.starred_only:
                self.filters = Filters()
        categories = self.query_one(CategoryList)
        categories.show_groups(self.groups, group)
        # The sidebar is as wide as its names need (with a short bar), not a fixed width.
        self.query_one("#sidebar").styles.max_width = categories.wanted_width()
        self.query_one(DayChart).plot(self.groups)
        self.query_one(DayStats).show(digest)
        self._show_group(keep=paper_id)
        if paper_id is not None:
            self.query_one(PaperTable).focus()
        self._warn_failed_sources(digest)
        self._refresh_footer()
        self.call_after_refresh(self.post_message, DayShown(digest.day))
        # Read the neighbours once this day is painted, not while it is being painted.
        self.call_after_refresh(
            self._prefetch, [d for d in self._neighbours(day) if d not in self.cache]
        )

    def _group_has(self, key: str, paper_id: str) -> bool:
        group = next((g for g in self.groups if g.key == key), None)
        return group is not None and any(p.paper.id == paper_id for p in group.papers)

    def _group_of(self, paper_id: str) -> str | None:
        for group in self.groups:
            if group.key != ALL and any(p.paper.id == paper_id for p in group.papers):
                return group.key
        return None

    def _neighbours(self, day: str) -> list[str]:
        stored = [d for d, _ in self.days]
        if day not in stored:
            return []
        index = stored.index(day)
        return [stored[i] for i in (index + 1, index - 1) if 0 <= i < len(stored)]

    def _warn_failed_sources(self, digest: Digest) -> None:
        """Say which sources failed in the last run of the day the app opens on, and why."""
        day = digest.day.isoformat()
        run = digest.last_run
        if run is None or self.warned_days:
            return  # once, for the day the app opens on; the header marks the others
        self.warned_days.add(day)
        failed = [s for s in run.steps if s.status == "failed"]
        if failed:
            lines = "\n".join(f"{s.target}: {interface_text(s.reason)}" for s in failed)
            more = _("Press {key} for the whole run.").format(key=self.app.key_display("run_log"))
            self.app.notify(
                f"{lines}\n{more}",
                title=ngettext(
                    "{count} source failed on {day}", "{count} sources failed on {day}", len(failed)
                ).format(count=len(failed), day=day),
                severity="warning",
                markup=False,
                timeout=8,
            )

    @property
    def current_group(self) -> Group | None:
        return self.query_one(CategoryList).selected_group

    @property
    def current_paper(self) -> DigestPaper | None:
        return self.query_one(PaperTable).selected_paper

    def _show_group(self, keep: str | None = None) -> None:
        """Show the highlighted group's papers (filtered), keeping `keep` highlighted."""
        table = self.query_one(PaperTable)
        group = self.current_group
        shown = (
            id(self.digest),
            group.key if group else None,
            self.filters.unread_only,
            self.filters.starred_only,
            tuple(self.streams),
        )
        if shown == self._group_shown and keep is None:
            return  # highlighting the same group again (the list was rebuilt)
        self._group_shown = shown
        if keep is None and table.selected_paper is not None:
            keep = table.selected_paper.paper.id
        papers = self.filters.apply(group.papers) if group else []
        table.show_papers(
            papers,
            emojis=self.emojis,
            show_category=group is not None and group.key in (FOR_YOU, ALL, OTHERS),
            generating=set(self.streams),
            keep=keep,
            show_why=group is not None and group.key == FOR_YOU,
        )
        title = Text(_("Papers"))
        if group is not None:
            title = safe_line(group.label)
            title.append(f" · {len(papers)}")
            if described := self.filters.describe():
                title.append(f" ({described})")
            if group.key == FOR_YOU and self.digest is not None:
                # Which similarity method ranked the day, and why the lexical one stands in.
                by = _("by {method}").format(method=self.digest.ranking.describe())
                title.append_text(safe_line(f" · {by}"))
        self.query_one("#papers-pane").border_title = title  # Text: never read as markup
        self._show_detail()
        if group is not None:
            self.call_after_refresh(self.post_message, GroupShown(group.key))

    def _show_detail(self) -> None:
        paper = self.current_paper
        empty = self._empty_text()
        self.query_one(PaperDetail).show(
            paper,
            self.config,
            streaming=self.streams.get(paper.paper.id) if paper else None,
            empty=empty,
            keys=self.app.binding_keys(),
        )
        self._refresh_footer()

    def _empty_text(self) -> str:
        digest = self.digest
        if digest is None:
            return ""
        if digest.total == 0:
            return _(
                "No papers for {day} {weekday}: {reason}.\n\n{previous} and {next} go to the "
                "days that have papers; {run} fetches today's."
            ).format(
                day=digest.day,
                weekday=weekday(digest.day),
                reason=interface_text(digest.empty_reason),
                previous=self.app.key_display("previous_day"),
                next=self.app.key_display("next_day"),
                run=self.app.key_display("run_pipeline"),
            )
        if digest.is_empty:
            return _("The digest of {day} is empty: {reason}.").format(
                day=digest.day, reason=interface_text(digest.empty_reason)
            )
        if self.filters.describe():
            return _(
                "No {filters} papers here. Press {unread} or {starred} again to show all."
            ).format(
                filters=self.filters.describe(),
                unread=self.app.key_display("filter_unread"),
                starred=self.app.key_display("filter_starred"),
            )
        return ""

    @on(OptionList.OptionHighlighted, "#categories")
    def _category_highlighted(self) -> None:
        self._show_group()

    @on(PaperTable.ColumnsChanged)
    def _columns_changed(self, message: PaperTable.ColumnsChanged) -> None:
        self.query_one("#papers-header", Static).update(message.header)

    @on(OptionList.OptionHighlighted, "#papers")
    def _paper_highlighted(self) -> None:
        self._show_detail()

    @on(OptionList.OptionSelected, "#papers")
    def _paper_selected(self) -> None:
        """Enter on a paper: read it in the detail pane (and count it as read)."""
        paper = self.current_paper
        if paper is None:
            return
        self.query_one(PaperDetail).focus()
        if not paper.read:
            self._set_reader_state(paper, read=True)

    @on(OptionList.OptionSelected, "#categories")
    def _category_selected(self) -> None:
        self.query_one(PaperTable).focus()

    # --- the actions --------------------------------------------------------------------

    def _refresh_footer(self) -> None:
        """Ask the footer to check the bindings again, only when their answers can differ.

        Refreshing the footer rebuilds its keys, which costs more than moving the cursor,
        so it happens when the inputs of `check_action` change, not on every highlight.
        """
        group = self.current_group
        state = (
            self.digest is not None,
            self.pipeline is not None,
            self.current_paper is not None,
            group is not None and group.is_category,
            self._step_day(+1) is not None,
            self._step_day(-1) is not None,
        )
        if state != getattr(self, "_footer_state", None):
            self._footer_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot run now; grey out what needs a paper or a category."""
        running = self.pipeline is not None
        if action == "stop_run":
            return running
        if action == "run_pipeline":
            return not running
        if self.digest is None and action not in (
            "search",
            "jump_to_date",
            "trends",
            "profile",
            "quit",
            "reload",
            "preview",
        ):
            return None
        if action in PAPER_ACTIONS:
            return True if self.current_paper is not None else None
        if action == "category_report":
            group = self.current_group
            return True if group is not None and group.is_category else None
        if action == "previous_day":
            return True if self._step_day(+1) else None
        if action == "next_day":
            return True if self._step_day(-1) else None
        return True

    def on_key(self, event: events.Key) -> None:
        """A key whose action cannot run now (dimmed or hidden in the footer) says why,
        instead of doing nothing."""
        for binding in bindings.MAIN:
            keys = self.app.keymap.get(binding.id or "", binding.key)  # type: ignore[attr-defined]
            if event.key not in {key.strip() for key in keys.split(",")}:
                continue
            if not self.check_action(binding.action, ()) and (why := self.why_not(binding.action)):
                event.stop()
                self.app.notify(why, severity="warning", markup=False)
            return

    def why_not(self, action: str) -> str:
        """Why `action` cannot run now, in a line that says what to do instead."""
        key = self.app.key_display  # type: ignore[attr-defined]
        if action == "stop_run":
            return _("No run is going — {key} starts one.").format(key=key("run_pipeline"))
        if action == "run_pipeline":
            return _("A run is going already — {key} stops it.").format(key=key("stop_run"))
        if self.digest is None:
            return _(
                "No papers are stored yet — {key} runs today's pipeline, or try `dailyai demo`."
            ).format(key=key("run_pipeline"))
        if action == "category_report":
            return _(
                "Only a category has a report — highlight one under Categories, then press {key}."
            ).format(key=key("category_report"))
        if action == "previous_day":
            return _("This is the oldest stored day.")
        if action == "next_day":
            return _("This is the newest stored day.")
        if action in PAPER_ACTIONS:
            return _("No paper is highlighted — pick one in the list first.")
        return ""

    def _step_day(self, step: int) -> str | None:
        """The stored day `step` places older (+1) or newer (-1) than the one shown."""
        if self.digest is None or not self.days:
            return None
        current = self.digest.day.isoformat()
        stored = [d for d, _ in self.days]
        if current in stored:
            index = stored.index(current) + step
            return stored[index] if 0 <= index < len(stored) else None
        # A day without papers (reached by date): the nearest stored day in that direction.
        if step > 0:
            return next((d for d in stored if d < current), None)
        return next((d for d in reversed(stored) if d > current), None)

    def action_previous_day(self) -> None:
        if day := self._step_day(+1):
            self.load_day(day)

    def action_next_day(self) -> None:
        if day := self._step_day(-1):
            self.load_day(day)

    def action_jump_to_date(self) -> None:
        current = self.digest.day if self.digest else None

        def chosen(day: date | None) -> None:
            if day is not None:
                self.load_day(day.isoformat())

        self.app.push_screen(DateDialog(self.days, current), chosen)

    def action_search(self) -> None:
        from tui.screens.search import SearchScreen

        screen = SearchScreen(self.services)

        def chosen(result: tuple[str, str] | None) -> None:
            if screen.changed:
                self.cache.clear()  # stars given there rank every day again
            if result is not None:
                paper_id, day = result
                self.load_day(day, paper_id=paper_id)
            elif screen.changed:
                self.action_reload()

        self.app.push_screen(screen, chosen)

    def action_category_report(self) -> None:
        from tui.screens.report import CategoryReportScreen

        group = self.current_group
        if self.digest is None or group is None or not group.is_category:
            return
        categories = [g for g in self.groups if g.is_category]
        self.app.push_screen(
            CategoryReportScreen(self.config, self.digest.day, categories, categories.index(group))
        )

    def action_trends(self) -> None:
        from tui.screens.trends import TrendsScreen

        end = self.digest.day if self.digest else self.app.today()
        self.app.push_screen(TrendsScreen(self.services, end))

    def action_toggle_maximize(self) -> None:
        """Give the focused pane (categories, papers or paper) the whole screen, or put it back."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        pane = focused
        if focused is not None and focused.id == "papers":
            pane = self.query_one("#papers-pane")  # with its column titles and border
        if pane is None or pane.id not in ("categories", "papers-pane", "detail"):
            self.app.notify(
                _("Nothing to enlarge here — move to a pane with Tab first."), severity="warning"
            )
            return
        self.maximized = pane
        self.app.notify(
            _("{key} or Esc puts it back.").format(key=self.app.key_display("enlarge")),
            timeout=3,
        )

    def action_reload(self) -> None:
        """Read the day again from the store (after `dailyai run` wrote to it elsewhere)."""
        self.cache.clear()
        self.load_day(self.digest.day.isoformat() if self.digest else None)

    def action_toggle_star(self) -> None:
        if paper := self.current_paper:
            self._set_feedback(paper, None if paper.starred else "like")

    def action_toggle_not_interested(self) -> None:
        if paper := self.current_paper:
            self._set_feedback(paper, None if paper.disliked else "dislike")

    def action_profile(self) -> None:
        from tui.screens.profile import ProfileScreen

        def closed(changed: bool | None) -> None:
            if changed:
                self.action_reload()

        self.app.push_screen(ProfileScreen(self.services), closed)

    def action_toggle_read(self) -> None:
        if paper := self.current_paper:
            self._set_reader_state(paper, read=not paper.read)

    def action_filter_unread(self) -> None:
        self.filters.unread_only = not self.filters.unread_only
        self._show_group()

    def action_filter_starred(self) -> None:
        self.filters.starred_only = not self.filters.starred_only
        self._show_group()

    def action_open_link(self) -> None:
        paper = self.current_paper
        if paper is None:
            return
        url = paper.paper.url
        if not url.startswith(("https://", "http://")):
            self.app.notify(_("This paper has no web link to open."), severity="warning")
            return
        self.app.open_url(url)
        self.app.notify(url, title=_("Opened in your browser"), markup=False)
        if not paper.read:
            self._set_reader_state(paper, read=True)

    def action_copy_link(self) -> None:
        paper = self.current_paper
        if paper is None:
            return
        url = paper.paper.url
        if not url:
            self.app.notify(_("This paper has no link to copy."), severity="warning")
            return
        self.app.copy_to_clipboard(url)
        self.app.notify(url, title=_("Link copied"), markup=False)

    def action_set_category(self) -> None:
        paper = self.current_paper
        if paper is None:
            return

        def chosen(category: str | None) -> None:
            if category is not None and category != paper.category:
                self._set_category(paper.paper.id, category)

        self.app.push_screen(CategoryDialog(self.config, paper.category), chosen)

    def action_resummarize(self) -> None:
        paper = self.current_paper
        if paper is None:
            return
        if self.streams:
            self.app.notify(
                _("One summary is being written already — this one can start when it ends."),
                severity="warning",
            )
            return
        self.streams[paper.paper.id] = ""
        self.query_one(PaperTable).generating = set(self.streams)
        self.query_one(PaperTable).refresh_paper(paper.paper.id)
        self._show_detail()
        self._summarize(paper.paper.id)

    def action_run_pipeline(self) -> None:
        if self.pipeline is not None:
            self.app.notify(_("The pipeline is running already."), severity="warning")
            return
        self.query_one(RunProgress).start(RUN_STEPS)
        self.pipeline = self._run_pipeline()
        self._refresh_footer()

    def action_stop_run(self) -> None:
        if self.pipeline is not None:
            self.pipeline.cancel()
            self.app.notify(_("Stopping the run… what is done is kept."))

    def action_run_log(self) -> None:
        if self.digest is None:
            return
        self.app.push_screen(
            MessageDialog(
                _("Last run of {day}").format(day=self.digest.day),
                run_log(self.digest, self.config.general.timezone),
            )
        )

    def action_preview(self) -> None:
        from tui.screens.preview import PreviewScreen

        if self.digest is None:
            self.app.notify(_("No day to preview yet."), severity="warning")
            return
        self.app.push_screen(PreviewScreen(self.services, self.digest))

    def action_send_test_email(self) -> None:
        if self.digest is None:
            return
        self.app.confirm_send_email(self.digest.day)

    def action_quit(self) -> None:
        """Quit; while a run is going, ask first (what it did so far is kept either way)."""
        if self.pipeline is None:
            self.app.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.exit()

        self.app.push_screen(
            ConfirmDialog(
                _("A run is in progress"),
                Text(
                    _(
                        "Quit and stop it? What it has stored so far is kept; the next run goes "
                        "on from there."
                    )
                ),
                confirm=_("Quit"),
            ),
            answered,
        )

    # --- reader state, feedback and category ---------------------------------------------

    def _set_reader_state(self, paper: DigestPaper, *, read: bool) -> None:
        """Change read/unread on screen at once, and save it in a thread."""
        paper.read = read
        self._forget_other_days()
        self.query_one(DayStats).show(self.digest)
        self.query_one(PaperTable).refresh_paper(paper.paper.id)
        self._show_detail()
        self._save_reader_state(paper.paper.id, read)

    @work(thread=True, group="save", exit_on_error=False)
    def _save_reader_state(self, paper_id: str, read: bool) -> None:
        try:
            self.services.store.set_read(paper_id, read)
        except DailyAIError as error:
            self.post_message(PaperChanged(paper_id, "reader_state", str(error)))

    def _set_feedback(self, paper: DigestPaper, stance: str | None) -> None:
        """Like ("like"), not-want ("dislike") or undo (None) on screen at once; saved in a
        thread, after which the day is ranked again with the changed profile."""
        paper.starred = stance == "like"
        paper.disliked = stance == "dislike"
        self._forget_other_days()
        self.query_one(DayStats).show(self.digest)
        self.query_one(PaperTable).refresh_paper(paper.paper.id)
        self._show_detail()
        self._save_feedback(paper.paper.id, stance)

    @work(thread=True, group="save", exit_on_error=False)
    def _save_feedback(self, paper_id: str, stance: str | None) -> None:
        from core.profile import set_feedback

        try:
            set_feedback(self.services.store, self.config, paper_id, stance, source="tui")
        except DailyAIError as error:
            self.post_message(PaperChanged(paper_id, "feedback", str(error)))
            return
        self.post_message(PaperChanged(paper_id, "feedback"))

    @work(thread=True, group="save", exit_on_error=False)
    def _set_category(self, paper_id: str, category: str) -> None:
        from core.classify import set_user_category

        try:
            set_user_category(self.services.store, self.config, paper_id, category)
        except DailyAIError as error:
            self.post_message(PaperChanged(paper_id, "category", str(error)))
            return
        self.post_message(PaperChanged(paper_id, "category"))

    def on_paper_changed(self, message: PaperChanged) -> None:
        if message.error:
            self.app.notify(
                message.error,
                title=_(SAVE_FAILED.get(message.what, N_("Could not save the change"))),
                severity="error",
                markup=False,
            )
            self.action_reload()
            return
        if message.what == "category":
            self.app.notify(_("Category saved; it stays when papers are classified again."))
        if message.what in ("category", "feedback"):
            self.cache.clear()
            if self.digest is not None:
                self.load_day(self.digest.day.isoformat(), paper_id=message.paper_id)

    def _forget_other_days(self) -> None:
        """Drop cached days other than the one shown (a paper can be on several days)."""
        if self.digest is None:
            return
        current = self.digest.day.isoformat()
        for day in list(self.cache):
            if day != current:
                del self.cache[day]

    # --- summaries ----------------------------------------------------------------------

    @work(group="summary", exit_on_error=False)
    async def _summarize(self, paper_id: str) -> None:
        """Write one paper's summary with the model, streaming the text as it comes."""
        streamed: list[str] = []

        def on_token(token: str) -> None:
            streamed.append(token)
            self.post_message(SummaryStreamed(paper_id, "".join(streamed)))

        from core.summarize import summarize_paper

        try:
            await summarize_paper(
                self.services.store,
                self.config,
                paper_id,
                client=self.services.llm,
                force=True,
                on_token=on_token,
            )
        except DailyAIError as error:
            self.post_message(SummaryFinished(paper_id, str(error)))
            return
        self.post_message(SummaryFinished(paper_id))

    def on_summary_streamed(self, message: SummaryStreamed) -> None:
        if message.paper_id not in self.streams:
            return
        self.streams[message.paper_id] = message.text
        paper = self.current_paper
        if paper is not None and paper.paper.id == message.paper_id:
            self._show_detail()

    def on_summary_finished(self, message: SummaryFinished) -> None:
        self.streams.pop(message.paper_id, None)
        self.query_one(PaperTable).generating = set(self.streams)
        if message.error:
            self.app.notify(
                message.error,
                title=_("No summary written"),
                severity="error",
                markup=False,
                timeout=10,
            )
        else:
            self.app.notify(_("Summary written."))
        self.cache.clear()
        if self.digest is not None:
            self.load_day(self.digest.day.isoformat(), paper_id=message.paper_id)

    # --- Ollama and the pipeline --------------------------------------------------------

    @work(group="ollama", exit_on_error=False)
    async def _check_ollama(self) -> None:
        from core.llm import check_model_server

        try:
            # Making the client imports the backend's HTTP stack (about 0.3 s): in a thread,
            # so the first paint does not wait for it.
            client = await asyncio.to_thread(lambda: self.services.llm)
            ok, detail, speed = await check_model_server(self.config, client=client)
        except DailyAIError as error:
            self.post_message(OllamaChecked(False, str(error)))
            return
        self.post_message(OllamaChecked(ok, detail, speed))

    def on_ollama_checked(self, message: OllamaChecked) -> None:
        header = self.query_one(DayHeader)
        header.ollama = (message.ok, message.detail, message.tokens_per_second)
        header.tooltip = Text(f"Ollama: {message.detail}")

    @work(exclusive=True, group="pipeline", exit_on_error=False)
    async def _run_pipeline(self) -> None:
        """Run today's fetch → classify → summarize on the app's loop (the steps write the
        store in worker threads, so the screen keeps answering); Stop cancels it."""
        from core.pipeline import run_pipeline

        day = self.app.today()
        try:
            result = await run_pipeline(
                self.services,
                day,
                steps=RUN_STEPS,
                today=day,
                on_progress=lambda event: self.post_message(PipelineProgressed(event)),
            )
        except DailyAIError as error:
            self.post_message(PipelineFinished(day, error=str(error)))
            return
        except asyncio.CancelledError:
            self.post_message(PipelineFinished(day, cancelled=True))
            raise
        self.post_message(PipelineFinished(day, result=result))

    def on_pipeline_progressed(self, message: PipelineProgressed) -> None:
        progress = message.progress
        panel = self.query_one(RunProgress)
        step_changed = getattr(panel, "last_step", None) not in (None, progress.step)
        panel.last_step = progress.step
        panel.advance(progress)
        if step_changed:
            # A step finished: show what it stored without waiting for the whole run.
            self.cache.clear()
            if self.digest is not None:
                self.load_day(self.digest.day.isoformat())

    def on_pipeline_finished(self, message: PipelineFinished) -> None:
        self.pipeline = None
        panel = self.query_one(RunProgress)
        panel.stop()
        panel.last_step = None
        self._refresh_footer()
        day = message.day.isoformat()
        if message.cancelled:
            self.app.notify(
                _("The run for {day} was stopped; what it stored is kept.").format(day=day),
                severity="warning",
            )
        elif message.error:
            self.app.notify(
                message.error,
                title=_("The run for {day} failed").format(day=day),
                severity="error",
                markup=False,
                timeout=12,
            )
        else:
            text, title = describe_run(message.result)
            severity = "information" if message.result.status == "ok" else "warning"
            self.app.notify(text, title=title, severity=severity, markup=False, timeout=10)
        self.cache.clear()
        showing_newest = self.digest is None or (
            bool(self.days) and self.digest.day.isoformat() == self.days[0][0]
        )
        self.load_day(None if showing_newest else self.digest.day.isoformat())

    # --- email --------------------------------------------------------------------------

    @work(group="email", exclusive=True, exit_on_error=False)
    async def send_email(self, day: date) -> None:
        """Send the day's digest to the configured recipients now."""
        from core.channels.mail import send_digest

        try:
            outcome = await send_digest(self.services.store, self.config, day, force=True)
        except DailyAIError as error:
            self.post_message(EmailSent(day, error=str(error)))
            return
        if outcome.failed:
            self.post_message(EmailSent(day, error=describe_delivery(outcome)))
            return
        self.post_message(EmailSent(day, summary=describe_delivery(outcome)))

    def on_email_sent(self, message: EmailSent) -> None:
        if message.error:
            self.app.push_screen(
                MessageDialog(
                    _("The email for {day} was not sent").format(day=message.day),
                    Text(message.error),
                    severity="error",
                )
            )
        else:
            self.app.notify(message.summary, title=_("Email sent"), markup=False)


def describe_run(result: Any) -> tuple[str, str]:
    """(message, title) of a finished `core.pipeline.run_pipeline` for a notification."""
    lines = [
        " · ".join(f"{step_name(o.step)} {status_name(o.status)}" for o in result.steps)
        or _("nothing to do")
    ]
    lines += [
        f"{step_name(o.step)}: {interface_text(o.reason)}"
        for o in result.steps
        if o.reason and o.status != "ok"
    ]
    if result.empty_reason:
        lines.append(
            _("nothing to publish: {reason}").format(reason=interface_text(result.empty_reason))
        )
    title = _("Run for {day} finished: {status}").format(
        day=result.day, status=status_name(result.status)
    )
    return "\n".join(lines), title


def describe_delivery(report: Any) -> str:
    """A line about what `core.channels.mail.send_digest` did (a DeliveryReport)."""
    parts = []
    if report.sent:
        parts.append(_("sent to {whom}").format(whom=", ".join(report.sent)))
    if report.skipped:
        parts.append(_("already sent to {whom}").format(whom=", ".join(report.skipped)))
    parts += [f"{who}: {why}" for who, why in report.held.items()]
    if report.failed:
        parts.append("; ".join(f"{who}: {why}" for who, why in report.failed.items()))
    if report.note:
        parts.append(report.note)
    return "; ".join(parts) or _("nothing to send")


def run_log(digest: Digest, zone: str = "UTC") -> Text:
    """The day's last run, step by step, with the reason of each problem; times are local
    to `zone` (the app passes the configured time zone)."""
    run = digest.last_run
    text = Text()
    if run is None:
        text.append(_("No run is recorded for {day}.").format(day=digest.day) + "\n", style="bold")
        text.append(
            _("`dailyai fetch` or `dailyai run` records one, and so does a run started here."),
            style="dim",
        )
        return text
    status = status_name(run.status) if run.status else _("unfinished")
    text.append(
        _("Run {id} ({kind}) · {status}").format(id=run.id, kind=run.kind, status=status) + "\n",
        style="bold",
    )
    text.append(
        _("started {time}").format(time=local_time(run.started_at, zone)) + f" ({zone})",
        style="dim",
    )
    if run.finished_at:
        finished = _("finished {time}").format(time=local_time(run.finished_at, zone))
        text.append(f" · {finished}", style="dim")
    text.append("\n")
    if run.note:
        text.append_text(Text(run.note, style="yellow"))
        text.append("\n")
    marks = {"ok": ("✓", "green"), "failed": ("✗", "bold red"), "empty": ("∅", "yellow")}
    for step in run.steps:
        mark, style = marks.get(step.status, ("·", "cyan"))
        text.append(f"\n{mark} ", style=style)
        text.append_text(safe_line(f"{step_name(step.step)}: {step.target}", style="bold"))
        text.append(f"  {status_name(step.status)}", style=style)
        if step.duration_ms:
            text.append(f"  {step.duration_ms / 1000:.1f}s", style="dim")
        if step.counts:
            counts = ", ".join(f"{k} {v}" for k, v in step.counts.items())
            text.append("  ")
            text.append_text(safe_line(f"({counts})", style="dim"))
        if step.reason:
            text.append("\n    ")
            text.append_text(
                safe_line(
                    interface_text(step.reason), style="red" if step.status == "failed" else ""
                )
            )
    if run.log_path:
        text.append("\n\n" + _("Log file:") + " ", style="dim")
        text.append_text(safe_line(run.log_path))
    return text
