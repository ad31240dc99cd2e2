"""The trends chart: each day's category shares as stacked bars, drawn by plotext.

plotext draws into a figure of its own per widget (never the module-level one, which is
shared global state), and its ANSI output becomes `Text` through `Text.from_ansi`. The
labels plotext draws are the days (ASCII), so its one-character-per-cell measuring is right;
the category names, which may be Hangul, are in the legend table beside it.
"""

from __future__ import annotations

from plotext._figure import _figure_class
from rich.text import Text
from textual.widget import Widget

from tui.text import OTHER_COLOR


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


class TrendChart(Widget):
    """Stacked bars of category shares (in %) per day."""

    DEFAULT_CSS = """
    TrendChart { height: 1fr; min-height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days: list[str] = []
        self.series: list[tuple[str, str, list[float]]] = []
        self._cache: tuple[tuple[int, int], Text] | None = None

    def plot(self, days: list[str], series: list[tuple[str, str, list[float]]]) -> None:
        """Draw `series` (name, colour, share per day) over `days` (YYYY-MM-DD)."""
        self.days = days
        self.series = series
        self._cache = None
        self.refresh()

    def render(self) -> Text:
        size = (self.size.width, self.size.height)
        if self._cache is None or self._cache[0] != size:
            self._cache = (size, self._build(*size))
        return self._cache[1]

    def _build(self, width: int, height: int) -> Text:
        if not self.days or not self.series or width < 20 or height < 6:
            return Text("No classified papers in these days yet.", style="dim")
        figure = _figure_class()
        figure.plotsize(width, height)
        figure.theme("clear")
        labels = [day[5:] for day in self.days]  # MM-DD
        values = [shares for _, _, shares in self.series]
        colors = [_rgb(color or OTHER_COLOR) for _, color, _ in self.series]
        figure.stacked_bar(labels, values, color=colors, width=3 / 4)
        figure.ylim(0, 100)
        figure.yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        if len(labels) > max(2, width // 7):
            step = -(-len(labels) * 7 // width)
            figure.xticks(list(range(1, len(labels) + 1, step)), labels[::step])
        return Text.from_ansi(figure.build(), no_wrap=True, end="")
