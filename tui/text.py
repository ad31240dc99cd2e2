"""Untrusted text made safe for the terminal, and the small pieces of aligned text the TUI draws.

Titles, abstracts, authors and model output come from feeds and models. They go on screen
only as `rich.text.Text` built here — never as a markup string — so `[@click=app.quit]` or a
stray `[/foo]` is shown as typed, and control characters (ESC, OSC 52 clipboard writes, C1
codes, bidi overrides) are removed first, because Rich and Textual strip only a few of them.

Widths are measured in terminal cells (`rich.cells.cell_len`), so Hangul and emoji, which
take two cells, line up with everything else.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from core.progress import format_duration
from core.sanitize import clean_text, one_line

# One colour per category, by the category's position in the taxonomy; the category list,
# the paper list and the trends chart use the same colour for the same category.
CATEGORY_COLORS = (
    "#4ea1ff",
    "#5fd068",
    "#b48cff",
    "#f0b429",
    "#ff8a4c",
    "#e06c9f",
    "#ffd84d",
    "#3fd0c9",
    "#9aa5b1",
    "#ff5f5f",
    "#8fbf6a",
    "#c8a2c8",
)
OTHER_COLOR = "#7d8590"

_EIGHTHS = " ▏▎▍▌▋▊▉"
_SPARKS = "▁▂▃▄▅▆▇█"
_VARIATION_SELECTOR = "\ufe0f"


def safe(text: str | None, style: str = "") -> Text:
    """Untrusted multi-line text as literal `Text`, control characters removed."""
    return Text(clean_text(text), style=style)


def safe_line(text: str | None, style: str = "") -> Text:
    """Untrusted text as one literal line that ends in "…" where it is cut off."""
    return Text(one_line(text), style=style, no_wrap=True, overflow="ellipsis", end="")


def emoji_cell(emoji: str) -> str:
    """A category emoji that takes exactly two cells in every terminal.

    An emoji written with a variation selector (🛡️) is two cells in some terminals and one
    in others, and a one-cell guess misaligns the rest of the row. Without the selector it
    is one cell everywhere, so it gets a space after it instead.
    """
    emoji = emoji.replace(_VARIATION_SELECTOR, "")
    width = cell_len(emoji)
    if width >= 2:
        return emoji
    return emoji + " " * (2 - width)


def fit(text: Text, width: int) -> Text:
    """`text` cut (with "…") or padded with spaces to exactly `width` cells."""
    fitted = text.copy()
    fitted.truncate(max(width, 0), overflow="ellipsis", pad=True)
    return fitted


def bar(fraction: float, width: int, color: str) -> Text:
    """A horizontal bar `width` cells wide, filled to `fraction` in eighths of a cell."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    if fraction > 0 and eighths == 0:
        eighths = 1  # a category with any paper shows at least a sliver
    full, rest = divmod(eighths, 8)
    filled = "█" * full + (_EIGHTHS[rest] if rest else "")
    return Text(filled.ljust(width)[:width], style=color, no_wrap=True, end="")


def sparkline(values: list[int]) -> str:
    """Values as a row of block characters, the largest one full height."""
    top = max(values, default=0)
    if top <= 0:
        return _SPARKS[0] * len(values)
    return "".join(
        _SPARKS[min(len(_SPARKS) - 1, round(value / top * (len(_SPARKS) - 1)))] for value in values
    )


def plural(count: int, word: str) -> str:
    """`count` and `word`, with an s when there are several."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def duration(seconds: float | None) -> str:
    """A short duration for an ETA: 45s, 3m 10s, 1h 05m (… while unknown)."""
    return format_duration(seconds, unknown="…")
