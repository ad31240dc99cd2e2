"""The Textual app: the day's papers by category, their Korean summaries, and the trends.

`DailyAIApp(services)` is what `dailyai` (on the user's store) and `dailyai demo` (on the
demo store) open. It never builds its own store or model client: it gets them from
`core.services`, so tests hand it a store on a temporary directory.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

from core.announcements import current_day
from core.i18n import _, set_language
from core.services import Services
from tui import bindings
from tui.dialogs import ConfirmDialog, MessageDialog
from tui.messages import DayShown
from tui.screens.main import MainScreen

IDLE_COLLECT_SECONDS = 1.0
"""Quiet time after a change on screen before garbage is collected."""
FULL_COLLECTION_EVERY = 200
"""Middle-generation collections between two automatic full ones (Python's default: 10)."""


class DailyAIApp(App[int]):
    """Browse the stored days: categories, papers, summaries, reports and trends."""

    CSS_PATH = "app.tcss"
    TITLE = "Daily AI Insights"
    BINDINGS = bindings.APP
    NOTIFICATION_TIMEOUT = 5

    def __init__(self, services: Services, *, today: Callable[[], date] = current_day) -> None:
        """Open the app over `services` (the CLI's `open_services()`, or a test's).

        Args:
            services: The config and store to browse.
            today: The day a pipeline run started here is for (tests pass a fixed one).
        """
        set_language(services.config.ui.language)
        super().__init__()
        bindings.localize(self)
        self.services = services
        self.today = today
        self.keymap, self.unknown_keymap_ids = bindings.normalize_keymap(services.config.tui.keymap)
        self._reported_clashes: set[str] = set()
        self._frozen = False
        self._idle_collect: Timer | None = None

    def get_default_screen(self) -> Screen:
        return MainScreen(self.services)

    def on_mount(self) -> None:
        theme = self.services.config.tui.theme
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(
                _(
                    "config.toml [tui] theme {theme!r} is not a Textual theme — using the "
                    "default (known: {known})"
                ).format(theme=theme, known=", ".join(sorted(self.available_themes))),
                severity="warning",
                markup=False,
            )
        self.set_keymap(self.keymap)
        if self.unknown_keymap_ids:
            self.notify(
                _(
                    "config.toml [tui.keymap]: {ids} is not a binding id — press {key} to see "
                    "the ids"
                ).format(ids=", ".join(self.unknown_keymap_ids), key=self.key_display("help")),
                severity="warning",
                markup=False,
                timeout=10,
            )

    def on_day_shown(self, message: DayShown) -> None:
        """Once the first day is on screen, keep what was built so far out of the collector.

        Textual's, Rich's and the first day's objects live as long as the app; without this,
        every full garbage collection rescans them all and a key press now and then takes
        100 ms longer (bench/bench_tui.py shows the spikes). Later full collections are
        left for the pauses between key presses (`_collect_when_idle`).
        """
        if not self._frozen:
            self._frozen = True
            gc.freeze()
            # Full collections (tens of ms over Textual's caches) then wait for a pause.
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
        self._collect_when_idle()

    def on_group_shown(self) -> None:
        self._collect_when_idle()

    def _collect_when_idle(self) -> None:
        """Collect garbage a moment after the last change on screen, not during the next one.

        A full collection runs when enough new objects have piled up; doing it while the
        user reads keeps it from landing in the middle of a key press.
        """
        if self._idle_collect is not None:
            self._idle_collect.stop()
        self._idle_collect = self.set_timer(IDLE_COLLECT_SECONDS, gc.collect)

    async def on_unmount(self) -> None:
        """Close the connections the model client and the fetcher opened on the app's loop
        (Textual has cancelled the jobs still waiting on them, so quitting is immediate)."""
        await self.services.aclose()

    async def action_quit(self) -> None:
        """Quit (Ctrl+Q); while a run is going, ask first — asked twice, quit anyway."""
        main = self.get_screen_stack_main()
        if main is None or main.pipeline is None or isinstance(self.screen, ConfirmDialog):
            self.exit()
            return
        main.action_quit()

    def action_help(self) -> None:
        """Show every binding (once; pressing help on the help screen does nothing)."""
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def binding_keys(self) -> dict[str, str]:
        """Each binding id's key as shown to the user, after the keymap."""
        keys = {}
        for scope in bindings.SCOPES:
            for binding in scope.bindings:
                if binding.id:
                    keys[binding.id] = self.key_display(binding.id)
        return keys

    def key_display(self, binding_id: str) -> str:
        """The key (or keys) that run a binding now, as the footer shows them."""
        binding = next(
            (b for scope in bindings.SCOPES for b in scope.bindings if b.id == binding_id), None
        )
        if binding is None:
            return "?"
        keys = self.keymap.get(binding_id, binding.key)
        return "/".join(
            self.get_key_display(Binding(key.strip(), binding.action))
            for key in keys.split(",")
            if key.strip()
        )

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node: object) -> None:
        """A remapped key that takes another binding's key: say which (once), don't guess."""
        names = ", ".join(sorted(binding.id or binding.action for binding in clashed_bindings))
        if names in self._reported_clashes:
            return
        self._reported_clashes.add(names)
        self.notify(
            _("config.toml [tui.keymap]: {names} now share a key — give each its own").format(
                names=names
            ),
            severity="warning",
            markup=False,
            timeout=10,
        )

    def confirm_send_email(self, day: date) -> None:
        """Ask, then send the day's digest email to the configured recipients."""
        email = self.services.config.email
        if not email.to or not email.host:
            self.push_screen(
                MessageDialog(
                    _("Email is not set up"),
                    Text(
                        _(
                            "Set [email] host, sender and to in config.toml (the password goes "
                            "in the environment variable named by password_env), then try "
                            "again. README.md, section Publishing, walks through it."
                        )
                    ),
                    severity="warning",
                )
            )
            return
        body = Text()
        body.append(_("Send the digest of {day} now?").format(day=day) + "\n\n", style="bold")
        body.append(_("To:") + "  ")
        body.append(", ".join(email.to))
        body.append("\n" + _("Server:") + "  ")
        body.append(f"{email.host}:{email.port} ({email.security})")
        body.append(
            "\n\n" + _("It is sent even if this day's digest went out before."), style="dim"
        )

        def answered(yes: bool | None) -> None:
            main = self.get_screen_stack_main()
            if yes and main is not None:
                main.send_email(day)

        self.push_screen(ConfirmDialog(_("Send a test email"), body, confirm=_("Send")), answered)

    def get_screen_stack_main(self) -> MainScreen | None:
        """The day view under whatever is on top of it."""
        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    def report_worker_error(self, worker: Worker) -> None:
        """The one place unexpected worker failures end: a dialog, never a crash."""
        error = worker.error
        body = Text()
        body.append(f"{type(error).__name__}: {error}\n\n", style="bold red")
        body.append(
            _(
                "This is a bug in dailyai, not in your setup. The app keeps running; please "
                "report it with what you did just before."
            ),
            style="dim",
        )
        self.push_screen(
            MessageDialog(
                _("Unexpected error in {worker}").format(worker=worker.description or worker.name),
                body,
                severity="error",
            )
        )
