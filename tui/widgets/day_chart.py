"""The day's distribution as a plotext bar chart: one bar per category, in its colour."""

from __future__ import annotations

from core.i18n import N_
from tui.model import Group
from tui.text import emoji_cell
from tui.widgets.plot import PlotextChart, plotext_label, rgb


class DayChart(PlotextChart):
    """Papers per category of the day shown, labelled by the categories' emoji."""

    EMPTY = N_("No categories yet.")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.groups: list[Group] = []

    def plot(self, groups: list[Group]) -> None:
        """Chart the groups that are categories (or not classified yet)."""
        self.groups = [group for group in groups if group.charted]
        # One row per bar, plus the frame and the axis (and the border).
        self.styles.height = len(self.groups) + 3 + 2 if self.groups else 3
        self.changed()

    def draw(self, figure, width: int, height: int) -> bool:
        if not self.groups or height < len(self.groups) + 3:
            return False
        count = len(self.groups)
        for index, group in enumerate(self.groups):
            figure.bar(
                [count - index], [len(group.papers)], orientation="h", width=1 / 2,
                color=rgb(group.color),
            )  # fmt: skip
        labels = [plotext_label(emoji_cell(group.emoji)) for group in self.groups]
        figure.yticks(list(range(count, 0, -1)), labels)
        largest = max(len(group.papers) for group in self.groups)
        step = max(1, -(-largest // 4))  # at most five whole-number ticks
        figure.xticks(list(range(0, largest + 1, step)))
        figure.xlim(0, largest)
        return True
