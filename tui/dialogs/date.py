"""Jump to a date: type one, or pick one of the stored days."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from core.i18n import _, ngettext, weekday
from tui import bindings


def parse_date(text: str, today: date) -> date | None:
    """A typed date: YYYY-MM-DD, "today" or "yesterday" (or 오늘, 어제); None if it is none of
    them."""
    text = text.strip().lower()
    if text in ("today", "오늘"):
        return today
    if text in ("yesterday", "어제"):
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class DateDialog(ModalScreen[date | None]):
    """Dismissed with the chosen day, or None."""

    BINDINGS = bindings.BACK

    def __init__(self, days: list[tuple[str, int]], current: date | None) -> None:
        super().__init__(classes="dialog")
        bindings.localize(self)
        self.days = days
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(_("Go to a date"), classes="dialog-title")
            yield Input(placeholder=_("YYYY-MM-DD, today or yesterday"), id="date-input")
            yield Static("", id="date-error", classes="dialog-error")
            yield Label(
                Text(
                    ngettext(
                        "or pick one of {count} stored day:",
                        "or pick one of {count} stored days:",
                        len(self.days),
                    ).format(count=len(self.days))
                ),
                classes="dialog-hint",
            )
            yield OptionList(
                *(
                    Option(
                        Text(
                            f"{day}  {weekday(date.fromisoformat(day))}  "
                            + ngettext("{count} paper", "{count} papers", count).format(count=count)
                        ),
                        id=day,
                    )
                    for day, count in self.days
                ),
                id="date-list",
            )

    def on_mount(self) -> None:
        days = [day for day, _ in self.days]
        listing = self.query_one("#date-list", OptionList)
        if self.current is not None and self.current.isoformat() in days:
            listing.highlighted = days.index(self.current.isoformat())
        elif days:
            listing.highlighted = 0
        self.query_one("#date-input", Input).focus()

    @on(Input.Submitted, "#date-input")
    def _typed(self, event: Input.Submitted) -> None:
        chosen = parse_date(event.value, self.app.today())  # type: ignore[attr-defined]
        if chosen is None:
            self.query_one("#date-error", Static).update(
                Text(_("Not a date — type it as YYYY-MM-DD, e.g. 2026-05-08."), style="red")
            )
            return
        self.dismiss(chosen)

    @on(OptionList.OptionSelected, "#date-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(date.fromisoformat(event.option.id))

    def action_back(self) -> None:
        self.dismiss(None)
