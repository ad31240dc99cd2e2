"""The trends chart: each day's category shares as stacked bars (plotext).

The labels plotext draws are the days; the category names, which may be Hangul, are in
the table under the chart, in the same colours.
"""

from __future__ import annotations

from core.i18n import N_
from tui.text import OTHER_COLOR
from tui.widgets.plot import PlotextChart, rgb


class TrendChart(PlotextChart):
    """Stacked bars of category shares (in %) per day."""

    DEFAULT_CSS = """
    TrendChart { height: 1fr; min-height: 8; }
    """
    EMPTY = N_("No classified papers in these days yet.")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days: list[str] = []
        self.series: list[tuple[str, str, list[float]]] = []

    def plot(self, days: list[str], series: list[tuple[str, str, list[float]]]) -> None:
        """Draw `series` (name, colour, share per day in %) over `days` (YYYY-MM-DD)."""
        self.days = days
        self.series = series
        self.changed()

    def draw(self, figure, width: int, height: int) -> bool:
        if not self.days or not self.series or width < 20 or height < 6:
            return False
        labels = [day[5:] for day in self.days]  # MM-DD
        values = [shares for _, _, shares in self.series]
        colors = [rgb(color or OTHER_COLOR) for _, color, _ in self.series]
        figure.stacked_bar(labels, values, color=colors, width=3 / 4)
        # A few days would make a few wall-wide bars: keep room for at least a week's.
        figure.xlim(0.5, max(len(labels), 7) + 0.5)
        figure.ylim(0, 100)
        figure.yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        if len(labels) > max(2, width // 7):
            step = -(-len(labels) * 7 // width)
            figure.xticks(list(range(1, len(labels) + 1, step)), labels[::step])
        return True
