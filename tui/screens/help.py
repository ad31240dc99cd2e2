"""Every key binding, where it works, and how to change it."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from core.i18n import _
from tui import bindings
from tui.screens.base import AppScreen
from tui.text import fit

KEY_WIDTH = 9
ID_WIDTH = 18


def remap_hint() -> Text:
    """How to change a key, shown above the table."""
    text = Text()
    text.append(_("Keys"), style="bold")
    text.append(
        "  ·  " + _("change any of them in config.toml by its id, e.g.") + "  ", style="dim"
    )
    text.append('[tui.keymap] next_day = "n"', style="bold")
    text.append("  (" + _("several keys:") + " ", style="dim")
    text.append('"slash,ctrl+f"', style="bold")
    text.append("), " + _("then restart."), style="dim")
    return text


class HelpScreen(AppScreen[None]):
    """A table of every binding of the app, scope by scope."""

    BINDINGS = bindings.BACK

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(remap_hint(), id="help-hint")
            yield DataTable(id="help-table", cursor_type="row", show_header=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-table", DataTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#help-table", DataTable)
        width = table.size.width - table.styles.scrollbar_size_vertical
        does_width = max(20, width - KEY_WIDTH - ID_WIDTH - 6 * table.cell_padding)
        table.clear(columns=True)
        table.add_column("key", width=KEY_WIDTH)
        table.add_column("does", width=does_width)
        table.add_column("id", width=ID_WIDTH)
        for scope in bindings.SCOPES:
            if table.row_count:
                table.add_row(Text(""), Text(""), Text(""))
            table.add_row(Text(""), Text(_(scope.name), style="bold underline"), Text(""))
            for binding in scope.bindings:
                table.add_row(
                    Text(self.app.key_display(binding.id or ""), style="bold cyan"),
                    fit(Text(_(binding.tooltip or binding.description)), does_width),
                    Text(binding.id or "", style="dim"),
                )

    def action_back(self) -> None:
        self.dismiss(None)
