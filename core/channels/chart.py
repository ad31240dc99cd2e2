"""The category distribution chart of a day's digest, as a PNG for the report, feed and email.

Why a labelled horizontal bar chart and not the seed's pie: the seed's pie puts the
numbers in slices and the names in a legend of paper titles, so a reader must match colours
to read it, and slices of 8% and 17% are hard to compare by angle. Bars side by side, each
with its name on the left and "5편 · 42%" at its end, read at a glance, keep long names
(Korean or English) horizontal and legible, and stay readable when an email client shrinks
the image to a phone's width. The paper titles belong to the report, not to the chart.

The background is transparent and every text is one mid grey (`TEXT_COLOUR`) that reads on
white and on a dark mode's near-black alike, so the chart never shows as a white box in a
dark mail client or page, nor as grey on grey in a light one.

Rendering is headless (matplotlib's Agg canvas, never pyplot, so no GUI backend and no
global figure state shared with other threads). Text uses NanumGothic, which has Hangul,
so Korean category names and the title show as Korean instead of empty boxes. The font ships
in the `koreanize-matplotlib` package (we only read its font file; importing that package
would change matplotlib's global settings); failing that, a Korean system font is used.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from core.paths import write_atomic

if TYPE_CHECKING:
    from core.digest import Digest
    from core.weekly import WeeklyDigest

WIDTH_PX = 1200
"""Rendered at twice the 600 px an email shows it at, so it stays sharp on HiDPI screens."""
DPI = 200
UNCLASSIFIED_LABEL = "미분류"

# One colour per taxonomy position, so a category keeps its colour from day to day.
PALETTE = (
    "#4C78A8", "#72B7B2", "#54A24B", "#EECA3B", "#F58518", "#E45756",
    "#B279A2", "#FF9DA6", "#9D755D", "#79706E", "#BAB0AC",
)  # fmt: skip
UNCLASSIFIED_COLOUR = "#A9B1BD"
TEXT_COLOUR = "#737B88"
"""All text and the axis line: a grey with about 4.2:1 contrast on white and on the dark
background of a mail client's (or the report page's) dark mode alike, since the chart is
drawn on a transparent background and shows on either."""

# Korean system fonts, for when the packaged one is missing.
_SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "C:/Windows/Fonts/malgun.ttf",
)
# Emoji and other symbols no text font draws; they would show as boxes.
_NO_GLYPH = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")


@dataclass(frozen=True)
class Bar:
    """One bar: a category's label, its count, and its colour."""

    label: str
    count: int
    colour: str


def chart_bars(digest: Digest) -> list[Bar]:
    """The bars of a digest: its categories in taxonomy order, unclassified papers last."""
    taxonomy = digest.taxonomy or [section.category for section in digest.sections]
    positions = {category.name: index for index, category in enumerate(taxonomy)}
    bars = [
        Bar(
            section.category.name,
            len(section.papers),
            PALETTE[positions.get(section.category.name, 0) % len(PALETTE)],
        )
        for section in digest.sections
    ]
    if digest.unclassified:
        bars.append(Bar(UNCLASSIFIED_LABEL, len(digest.unclassified), UNCLASSIFIED_COLOUR))
    return bars


def render_chart_png(
    digest_or_counts: Digest | Mapping[str, int] | Iterable[tuple[str, int]],
    *,
    title: str | None = None,
    empty_note: str = "",
) -> bytes:
    """The chart as PNG bytes (for the email, which attaches it without a file)."""
    bars, default_title, note = _bars_and_title(digest_or_counts)
    return _draw(bars, title or default_title, empty_note or note)


def render_chart(
    digest_or_counts: Digest | Mapping[str, int] | Iterable[tuple[str, int]],
    path: Path | str,
    *,
    title: str | None = None,
) -> Path:
    """Draw the category distribution chart and write it to `path` (atomically)."""
    return write_atomic(Path(path), render_chart_png(digest_or_counts, title=title))


def _bars_and_title(
    source: Digest | Mapping[str, int] | Iterable[tuple[str, int]],
) -> tuple[list[Bar], str, str]:
    from core.digest import Digest

    if isinstance(source, Digest):
        bars = chart_bars(source)
        total = sum(bar.count for bar in bars)
        title = f"분야별 논문 수 · {source.day.isoformat()} · {total}편"
        return bars, title, source.empty_reason
    items = list(source.items()) if isinstance(source, Mapping) else list(source)
    bars = [
        Bar(str(label), int(count), PALETTE[index % len(PALETTE)])
        for index, (label, count) in enumerate(items)
    ]
    total = sum(bar.count for bar in bars)
    return bars, f"분야별 논문 수 · {total}편", ""


def _draw(bars: list[Bar], title: str, empty_note: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _font_properties()
    bars = [bar for bar in bars if bar.count > 0]
    rows = max(len(bars), 1)
    width_in = WIDTH_PX / DPI
    top_in, bottom_in, row_in = 0.6, 0.12, 0.46
    height_in = top_in + bottom_in + row_in * rows
    longest = max((_display_width(_shorten(bar.label, 28)) for bar in bars), default=0)
    left = min(0.5, 0.05 + 0.0145 * longest)
    # Transparent, so the chart sits on the page's own colour in light and dark mode.
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor="none")
    FigureCanvasAgg(figure)
    axes = figure.add_axes(
        (left, bottom_in / height_in, 0.97 - left, row_in * rows / height_in), frame_on=True
    )
    figure.text(
        0.03,
        1 - 0.2 / height_in,
        _drawable(title),
        fontproperties=font,
        fontsize=12,
        va="top",
        color=TEXT_COLOUR,
    )
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_facecolor("none")
    axes.spines["left"].set_color(TEXT_COLOUR)
    axes.set_xticks([])
    if not bars:
        axes.set_yticks([])
        axes.spines["left"].set_visible(False)
        axes.text(
            0.02,
            0.5,
            _drawable(_wrap(empty_note or "이 날은 발행할 논문이 없습니다.", 46)),
            transform=axes.transAxes,
            fontproperties=font,
            fontsize=9,
            color=TEXT_COLOUR,
            va="center",
        )
        return _png(figure)
    total = sum(bar.count for bar in bars)
    most = max(bar.count for bar in bars)
    positions = list(range(len(bars)))[::-1]  # first category at the top
    axes.barh(
        positions, [bar.count for bar in bars], color=[bar.colour for bar in bars], height=0.68
    )
    axes.set_yticks(positions)
    axes.set_yticklabels(
        [_drawable(_shorten(bar.label, 28)) for bar in bars],
        fontproperties=font,
        fontsize=11,
        color=TEXT_COLOUR,
    )
    axes.tick_params(axis="y", length=0, pad=6)
    axes.set_xlim(0, most * 1.42)  # room for "999편 · 100%" after the longest bar
    axes.set_ylim(-0.6, len(bars) - 0.4)
    for position, bar in zip(positions, bars, strict=True):
        axes.text(
            bar.count + most * 0.02,
            position,
            f"{bar.count}편 · {bar.count / total:.0%}",
            va="center",
            fontproperties=font,
            fontsize=10.5,
            color=TEXT_COLOUR,
        )
    return _png(figure)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    # Pillow's fast compression: a chart is mostly flat colour, so the file stays small.
    figure.savefig(
        buffer, format="png", dpi=DPI, transparent=True, pil_kwargs={"compress_level": 1}
    )
    return buffer.getvalue()


def _drawable(text: str) -> str:
    """Text without emoji (no font here draws them) and without matplotlib's math `$`."""
    return _NO_GLYPH.sub("", text).replace("$", r"\$").strip()


def _display_width(text: str) -> float:
    """Roughly how many Latin letters wide `text` is (Hangul and CJK are wider)."""
    return sum(1.7 if ord(char) >= 0x1100 else 1.0 for char in text)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "\n".join(lines[:4])


@functools.cache
def hangul_font_path() -> Path | None:
    """A font file with Hangul: the packaged NanumGothic, else a Korean system font."""
    spec = importlib.util.find_spec("koreanize_matplotlib")  # finds it without running it
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            packaged = Path(location) / "fonts" / "NanumGothic.ttf"
            if packaged.is_file():
                return packaged
    for candidate in _SYSTEM_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=ko", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
    return Path(files[0]) if files else None


@functools.cache
def _font_properties():
    from matplotlib import font_manager

    path = hangul_font_path()
    if path is None:  # Latin text still renders; Hangul would show as boxes
        return font_manager.FontProperties(family="DejaVu Sans")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def chart_file_name(day: date) -> str:
    """The chart's file name in the seed's layout: `paper_YYYY-MM-DD.png`."""
    return f"paper_{day.isoformat()}.png"


# --- the week ---------------------------------------------------------------------------------

# What a day without papers shows under its empty bar (WeekDay.status → label).
_EMPTY_DAY_LABELS = {
    "empty": "발표 없음",
    "missing": "수집 안 됨",
    "failed": "수집 실패",
    "future": "예정",
}


def week_chart_file_name(week: object) -> str:
    """The weekly chart's file name: `weekly_2026-W19.png`."""
    return f"weekly_{week}.png"


def render_week_chart_png(weekly: WeeklyDigest) -> bytes:
    """Each category's papers per day of the week, as stacked bars (Monday to Sunday).

    A category keeps its daily colour (its taxonomy position); the legend gives each
    category's total for the week, and a day without papers says why under its bar.
    """
    from core.weekly import KOREAN_WEEKDAYS

    positions = {category.name: index for index, category in enumerate(weekly.taxonomy)}
    series = [
        (
            f"{_shorten(section.category.name, 24)} · {sum(section.counts)}편",
            PALETTE[positions.get(section.category.name, 0) % len(PALETTE)],
            section.counts,
        )
        for section in weekly.sections
    ]
    if any(weekly.unclassified):
        series.append(
            (
                f"{UNCLASSIFIED_LABEL} · {sum(weekly.unclassified)}편",
                UNCLASSIFIED_COLOUR,
                weekly.unclassified,
            )
        )
    labels = [f"{KOREAN_WEEKDAYS[d.day.weekday()]}\n{d.day:%m-%d}" for d in weekly.days]
    notes = ["" if day.papers else _EMPTY_DAY_LABELS.get(day.status, "") for day in weekly.days]
    title = f"분야별 논문 수 · {weekly.week} ({weekly.week.span()}) · {weekly.total}편"
    return _draw_week(series, labels, notes, title, weekly.empty_reason)


def _ink_on(colour: str) -> str:
    """Text colour that reads on a bar of `colour`: dark on light bars, white on dark."""
    red, green, blue = (int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5))
    return "#222222" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.6 else "white"


def _draw_week(
    series: list[tuple[str, str, list[int]]],
    labels: list[str],
    notes: list[str],
    title: str,
    empty_note: str,
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _font_properties()
    totals = [sum(counts[index] for _, _, counts in series) for index in range(len(labels))]
    most = max(totals, default=0)
    legend_rows = -(-len(series) // 3) if series else 0
    width_in = WIDTH_PX / DPI
    top_in, plot_in, axis_in, row_in = 0.45, 2.3, 0.42, 0.24
    height_in = top_in + plot_in + axis_in + row_in * legend_rows + 0.1
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor="none")
    FigureCanvasAgg(figure)
    bottom = (axis_in + row_in * legend_rows + 0.1) / height_in
    axes = figure.add_axes((0.06, bottom, 0.91, plot_in / height_in))
    figure.text(
        0.03,
        1 - 0.18 / height_in,
        _drawable(title),
        fontproperties=font,
        fontsize=10.5,
        va="top",
        color=TEXT_COLOUR,
    )
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(TEXT_COLOUR)
    axes.set_facecolor("none")
    axes.set_yticks([])
    positions = list(range(len(labels)))
    axes.set_xticks(positions)
    axes.set_xticklabels(
        [_drawable(label) for label in labels], fontproperties=font, fontsize=8.5, color=TEXT_COLOUR
    )
    axes.tick_params(axis="x", length=0, pad=4)
    axes.set_xlim(-0.6, len(labels) - 0.4)
    axes.set_ylim(0, max(most, 1) * 1.15)
    if not most:
        axes.text(
            0.5,
            0.55,
            _drawable(_wrap(empty_note or "이 주에는 발행된 논문이 없습니다.", 60)),
            transform=axes.transAxes,
            fontproperties=font,
            fontsize=9,
            color=TEXT_COLOUR,
            ha="center",
            va="center",
        )
    stacked = [0] * len(labels)
    for name, colour, counts in series:
        axes.bar(
            positions,
            counts,
            bottom=stacked,
            color=colour,
            width=0.62,
            label=_drawable(name),
            linewidth=0,  # no outline: a white one would frame each bar in dark mode
        )
        for position, (base, count) in enumerate(zip(stacked, counts, strict=True)):
            if count and count >= most * 0.08:  # a segment tall enough to hold its count
                axes.text(
                    position,
                    base + count / 2,
                    str(count),
                    ha="center",
                    va="center",
                    fontproperties=font,
                    fontsize=7.5,
                    color=_ink_on(colour),
                )
        stacked = [base + count for base, count in zip(stacked, counts, strict=True)]
    for position, (total, note) in enumerate(zip(totals, notes, strict=True)):
        if total:
            axes.text(
                position,
                total + max(most, 1) * 0.03,
                f"{total}편",
                ha="center",
                va="bottom",
                fontproperties=font,
                fontsize=8.5,
                color=TEXT_COLOUR,
            )
        elif note and most:
            axes.text(
                position,
                max(most, 1) * 0.04,
                _drawable(note),
                ha="center",
                va="bottom",
                fontproperties=font,
                fontsize=7.5,
                color=TEXT_COLOUR,
            )
    if series:
        legend_font = font.copy()
        legend_font.set_size(8)
        # matplotlib fills a legend column by column; reorder so it reads row by row in the
        # taxonomy's order, as the bars stack from the bottom.
        handles, names = axes.get_legend_handles_labels()
        columns = 3
        rows = -(-len(handles) // columns)
        order = [
            index
            for column in range(columns)
            for row in range(rows)
            if (index := row * columns + column) < len(handles)
        ]
        figure.legend(
            [handles[index] for index in order],
            [names[index] for index in order],
            loc="lower left",
            bbox_to_anchor=(0.04, 0.02 / height_in),
            ncol=columns,
            prop=legend_font,
            frameon=False,
            handlelength=1.0,
            columnspacing=1.2,
            handletextpad=0.4,
            labelcolor=TEXT_COLOUR,
        )
    return _png(figure)
