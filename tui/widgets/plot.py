"""Charts drawn by plotext inside a widget: a figure per widget, rebuilt at the widget's size.

plotext's module-level API is one global figure; each chart here draws into a figure of its
own (as textual-plotext does) and turns plotext's ANSI output into `Text` with
`Text.from_ansi`, never calling `show()`. plotext 5 counts one cell per character, so a
label with wide characters (Hangul, emoji) is padded with placeholders that take the
missing cells in plotext's count and are removed from its output — the rows line up.
"""

from __future__ import annotations

from plotext._figure import _figure_class
from rich.cells import get_character_cell_size
from rich.text import Text
from textual.widget import Widget

from core.i18n import N_, _

_PLACEHOLDER = "\ue000"  # a private-use character no label contains


def plotext_label(text: str) -> str:
    """`text` as plotext should get it, so its width in plotext's count is its width on screen."""
    out = []
    for char in text:
        cells = get_character_cell_size(char)
        if cells == 0:
            continue  # plotext would count a combining mark or selector as a whole cell
        out.append(char + _PLACEHOLDER * (cells - 1))
    return "".join(out)


def rgb(color: str) -> tuple[int, int, int]:
    """A "#rrggbb" colour as the (r, g, b) plotext takes."""
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


class PlotextChart(Widget):
    """A chart drawn by plotext at the widget's size; subclasses implement `draw`."""

    EMPTY = N_("Nothing to chart.")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cache: tuple[tuple[int, int], Text] | None = None

    def changed(self) -> None:
        """The data changed: draw again at the next refresh."""
        self._cache = None
        self.refresh()

    def on_resize(self) -> None:
        # Textual keeps a rendered Text and only re-crops it; a chart must be drawn again.
        self.changed()

    def render(self) -> Text:
        size = (self.size.width, self.size.height)
        if self._cache is None or self._cache[0] != size:
            self._cache = (size, self._build(*size))
        return self._cache[1]

    def _build(self, width: int, height: int) -> Text:
        figure = _figure_class()
        # plotext caps a figure at the terminal's size, which it reads from the real
        # terminal (80×24 when there is none); the widget's size is the limit here.
        figure._limit_size(False, False)
        figure.plotsize(width, height)
        figure.theme("clear")
        if width < 12 or height < 4 or not self.draw(figure, width, height):
            return Text(_(self.EMPTY), style="dim")
        ansi = figure.build().replace(_PLACEHOLDER, "")
        return Text.from_ansi(ansi, no_wrap=True, end="")

    def draw(self, figure, width: int, height: int) -> bool:
        """Plot into `figure`; False when there is nothing to draw."""
        raise NotImplementedError
