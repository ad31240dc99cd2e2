"""The interest profile on its own screen: seeds by file, likes, "not interested"."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from core.errors import DailyAIError
from core.i18n import _, ngettext
from core.services import Services
from core.store import ProfileEntry
from tui import bindings
from tui.messages import ProfileLoaded
from tui.screens.base import AppScreen
from tui.text import fit, safe_line


class ProfileScreen(AppScreen[bool]):
    """Dismissed with True when an entry was forgotten (the day is then ranked again)."""

    BINDINGS = bindings.PROFILE

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.rows: list[ProfileEntry | None] = []
        """The entry of each list row (None for a group's heading)."""
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="profile-box"):
            yield Label("", id="profile-status")
            yield OptionList(id="profile-entries")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#profile-entries", OptionList).focus()
        self._load()

    @work(thread=True, exclusive=True, group="profile", exit_on_error=False)
    def _load(self) -> None:
        try:
            entries = self.services.store.profile_entries()
        except DailyAIError as error:
            self.app.notify(str(error), severity="error", markup=False)
            return
        self.post_message(ProfileLoaded(entries))

    def on_profile_loaded(self, message: ProfileLoaded) -> None:
        from core.profile import profile_groups

        listing = self.query_one("#profile-entries", OptionList)
        keep = listing.highlighted
        width = max(listing.scrollable_content_region.width, 40)
        self.rows, options = [], []
        groups = profile_groups(message.entries)
        for group in groups:
            heading = Text(f"{_(group.label)} · {len(group.entries)}", style="bold")
            options.append(Option(heading, disabled=True))
            self.rows.append(None)
            for entry in reversed(group.entries):  # newest first
                row = Text(" ", no_wrap=True, end="")
                row.append(fit(Text(entry.added_at[:10], style="dim"), 10))
                row.append(" ")
                row.append_text(fit(safe_line(entry.title), width - 13))
                options.append(Option(row))
                self.rows.append(entry)
        listing.set_options(options)
        if keep is not None and self.rows:
            listing.highlighted = min(keep, len(self.rows) - 1)
        elif any(self.rows):
            listing.highlighted = next(i for i, row in enumerate(self.rows) if row)
        status = self.query_one("#profile-status", Label)
        if not message.entries:
            status.update(
                Text(
                    _(
                        "Your profile is empty: the digest is ranked by public signals. Star "
                        "papers (s), mark some not interesting (x), or `dailyai profile import "
                        "FILE`."
                    ),
                    style="dim",
                )
            )
        else:
            likes = sum(1 for entry in message.entries if entry.stance == "like")
            status.update(
                Text(
                    ngettext(
                        "{likes} liked paper, {dislikes} not interested. {key} forgets the "
                        "highlighted one.",
                        "{likes} liked papers, {dislikes} not interested. {key} forgets the "
                        "highlighted one.",
                        likes,
                    ).format(
                        likes=likes,
                        dislikes=len(message.entries) - likes,
                        key=self.app.key_display("forget_entry"),
                    ),
                )
            )

    def action_forget(self) -> None:
        index = self.query_one("#profile-entries", OptionList).highlighted
        if index is None or not 0 <= index < len(self.rows) or self.rows[index] is None:
            return
        entry = self.rows[index]
        assert entry is not None
        self._forget(entry)

    @work(thread=True, group="profile-save", exit_on_error=False)
    def _forget(self, entry: ProfileEntry) -> None:
        try:
            self.services.store.forget_profile_entry(entry.key)
        except DailyAIError as error:
            self.app.notify(str(error), severity="error", markup=False)
            return
        self.changed = True
        self.app.notify(entry.title, title=_("Forgotten"), markup=False)
        self._load()

    def action_back(self) -> None:
        self.dismiss(self.changed)
