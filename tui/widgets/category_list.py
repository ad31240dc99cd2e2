"""The category panel: each category's emoji, name, paper count and a bar of its share.

The rows are drawn here, cell by cell, so the bars form the day's distribution chart and
line up whatever the names hold (Hangul, emoji). Around the categories sit the whole digest
(first) and the day's papers outside the digest (last).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from core.sanitize import one_line
from tui.model import ALL, OTHERS, Group
from tui.text import bar, emoji_cell, fit, safe_line

COUNT_WIDTH = 3
MIN_BAR_WIDTH = 4
MAX_BAR_WIDTH = 16
WANTED_BAR_WIDTH = 8
"""The bar the panel asks room for; a wider panel (a wide terminal) gets longer bars."""
MIN_WIDTH = 28


class CategoryList(OptionList):
    """The day's groups of papers; highlighting one shows its papers."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.groups: list[Group] = []

    def show_groups(self, groups: list[Group], selected: str | None = None) -> None:
        """Replace the rows with `groups`, keeping `selected` (a group key) highlighted."""
        self.groups = groups
        self._rebuild(selected)

    @property
    def selected_group(self) -> Group | None:
        """The highlighted group."""
        option = self.highlighted_option
        if option is None:
            return None
        return next((group for group in self.groups if group.key == option.id), None)

    def select_group(self, key: str) -> None:
        """Highlight the group with this key, if the day has it."""
        for index in range(self.option_count):
            if self.get_option_at_index(index).id == key:
                self.highlighted = index
                return

    def wanted_width(self) -> int:
        """Columns the panel needs (border included) to show every name whole beside a
        bar of `WANTED_BAR_WIDTH` cells and its count."""
        longest = max((cell_len(one_line(group.label)) for group in self.groups), default=0)
        return max(MIN_WIDTH, 2 + 3 + longest + 1 + WANTED_BAR_WIDTH + 1 + COUNT_WIDTH)

    def on_resize(self, event: events.Resize) -> None:
        if self.groups:
            self._rebuild(self.selected_group.key if self.selected_group else None)

    def _rebuild(self, selected: str | None) -> None:
        width = max(self.scrollable_content_region.width, 12)
        charted = [group for group in self.groups if group.charted]
        largest = max((len(group.papers) for group in charted), default=0)
        longest = max((cell_len(one_line(group.label)) for group in charted), default=0)
        name_space = width - 3 - COUNT_WIDTH - 1
        bar_width = min(MAX_BAR_WIDTH, max(MIN_BAR_WIDTH, name_space - longest - 1))
        if name_space - bar_width - 1 < 8:
            bar_width = 0  # too narrow for a chart: names and counts only
        options: list[Option | None] = []
        for group in self.groups:
            if group.key == OTHERS and options:
                options.append(None)
            row = self._row(group, width, bar_width if group.charted and largest else 0, largest)
            options.append(Option(row, id=group.key))
            if group.key == ALL and len(self.groups) > 1:
                options.append(None)
        self.clear_options()
        self.add_options(options)
        keys = [group.key for group in self.groups]
        if selected in keys:
            self.select_group(selected)
        elif self.option_count:
            self.highlighted = 0

    @staticmethod
    def _row(group: Group, width: int, bar_width: int, largest: int) -> Text:
        """One aligned row: emoji, name, bar, count — exactly `width` cells."""
        count = Text(str(len(group.papers)).rjust(COUNT_WIDTH), no_wrap=True, end="")
        name_width = width - 3 - COUNT_WIDTH - 1 - (bar_width + 1 if bar_width else 0)
        label = safe_line(group.label, style="bold" if group.key == ALL else "")
        row = Text(no_wrap=True, end="")
        row.append(emoji_cell(group.emoji))
        row.append(" ")
        row.append_text(fit(label, name_width))
        if bar_width:
            row.append(" ")
            row.append_text(bar(len(group.papers) / largest, bar_width, group.color))
        row.append(" ")
        row.append_text(count)
        return fit(row, width)
