"""A yes/no question before doing something that leaves the machine (sending email)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from core.i18n import _
from tui import bindings


class ConfirmDialog(ModalScreen[bool]):
    """Ask a question; dismissed with True (confirm) or False (cancel or escape)."""

    BINDINGS = bindings.BACK

    def __init__(self, title: str, body: Text, *, confirm: str = "") -> None:
        super().__init__(classes="dialog")
        bindings.localize(self)
        self.title_text = title
        self.body = body
        self.confirm_label = confirm or _("OK")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_back(self) -> None:
        self.dismiss(False)
