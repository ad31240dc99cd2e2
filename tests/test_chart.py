"""The category chart: a PNG drawn headless, sized for email, with Korean text in a Hangul font."""

from __future__ import annotations

import io
import warnings
from datetime import date

from matplotlib.ft2font import FT2Font
from PIL import Image

from core.channels.chart import (
    PALETTE,
    UNCLASSIFIED_LABEL,
    WIDTH_PX,
    chart_bars,
    hangul_font_path,
    render_chart,
    render_chart_png,
)
from core.digest import build_digest
from tests.publish_data import DAY, populate_day


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_chart_font_has_hangul():
    path = hangul_font_path()
    assert path is not None and path.is_file()
    font = FT2Font(str(path))
    for char in "분야별 논문 수 미분류 편":
        if char != " ":
            assert font.get_char_index(ord(char)) != 0, char


def test_korean_labels_render_without_missing_glyphs():
    # matplotlib warns "Glyph … missing from font(s)" for every character it draws as a box.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_chart_png({"컴퓨터 비전": 5, "강화학습": 2, "LLM": 3})
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []
    image = _image(png)
    assert image.format == "PNG" and image.width == WIDTH_PX


def test_bars_follow_the_digest_in_taxonomy_colours(store, config):
    populate_day(store, config)
    digest = build_digest(store, config, DAY)
    bars = chart_bars(digest)
    assert [bar.label for bar in bars] == [s.category.name for s in digest.sections] + [
        UNCLASSIFIED_LABEL
    ]
    assert [bar.count for bar in bars] == [len(s.papers) for s in digest.sections] + [
        len(digest.unclassified)
    ]
    names = [category.name for category in config.taxonomy.categories]
    for bar in bars[:-1]:
        assert bar.colour == PALETTE[names.index(bar.label) % len(PALETTE)]
    assert sum(bar.count for bar in bars) == len(digest.selected)


def test_render_chart_writes_a_png_that_grows_with_the_categories(tmp_path):
    small = render_chart({"LLM": 3}, tmp_path / "small.png")
    large = render_chart([(f"Category {i}", i + 1) for i in range(11)], tmp_path / "large.png")
    small_image, large_image = _image(small.read_bytes()), _image(large.read_bytes())
    assert small_image.width == large_image.width == WIDTH_PX
    assert large_image.height > small_image.height * 3
    # Shown at 600 px in an email, the image keeps its proportions (2x for sharp screens).
    assert WIDTH_PX == 2 * 600
    assert sorted(path.name for path in tmp_path.iterdir()) == ["large.png", "small.png"]


def test_an_empty_day_still_gets_a_chart_saying_why(store, config):
    run = store.start_run("fetch", date(2026, 5, 9))
    store.finish_run(run, "ok", "Hugging Face takes no submissions on weekends")
    digest = build_digest(store, config, date(2026, 5, 9))
    assert chart_bars(digest) == []
    image = _image(render_chart_png(digest))
    assert image.width == WIDTH_PX
    # Not a blank picture: the note is drawn (dark pixels exist below the title).
    grey = image.convert("L")
    lower = grey.crop((0, grey.height // 2, grey.width, grey.height))
    assert lower.getextrema()[0] < 128


def test_emoji_in_labels_are_dropped_not_drawn_as_boxes():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_chart_png({"🪄 Computer Vision": 2, "⚡ Inference": 1})
    assert not [w for w in caught if "missing from" in str(w.message)]
