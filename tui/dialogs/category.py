"""Move a paper to another category of the taxonomy (the user's choice wins over re-runs)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from core.config import Config
from core.i18n import _
from tui import bindings
from tui.text import emoji_cell, fit, safe_line


class CategoryDialog(ModalScreen[str | None]):
    """Dismissed with the chosen category's name, or None."""

    BINDINGS = bindings.BACK

    def __init__(self, config: Config, current: str | None) -> None:
        super().__init__(classes="dialog")
        bindings.localize(self)
        self.config = config
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(_("Move the paper to…"), classes="dialog-title")
            options = []
            for category in self.config.taxonomy.categories:
                prompt = Text(emoji_cell(category.emoji) + " ")
                prompt.append_text(safe_line(category.name, style="bold"))
                if category.name == self.current:
                    prompt.append("  " + _("(now)"), style="dim")
                prompt.append("\n   ")
                prompt.append_text(fit(safe_line(category.description, style="dim"), 62))
                options.append(Option(prompt, id=category.name))
            yield OptionList(*options, id="category-list")

    def on_mount(self) -> None:
        names = [category.name for category in self.config.taxonomy.categories]
        listing = self.query_one("#category-list", OptionList)
        if self.current in names:
            listing.highlighted = names.index(self.current)
        listing.focus()

    @on(OptionList.OptionSelected, "#category-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_back(self) -> None:
        self.dismiss(None)
