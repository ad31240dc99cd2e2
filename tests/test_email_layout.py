"""The email as a phone and a dark-mode client show it, as Gmail receives it, and as text.

The layout checks run in a real browser (headless Chromium through selenium, with a phone's
viewport emulated over the DevTools protocol); they are skipped, saying why, where no browser
or driver is installed. The size, encoding and text checks need nothing but the message.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import re

import numpy as np
import pytest
from PIL import Image

from core.channels.chart import TEXT_COLOUR, render_chart_png
from core.channels.mail import (
    HTML_LIMIT_BYTES,
    build_message,
    email_context,
    fit_html,
    render_preview,
    transfer_encoded,
)
from core.channels.plaintext import WIDTH, display_width, markdown_text, wrap
from core.config import Config
from core.digest import build_digest
from core.models import Listed, Paper
from core.profile import set_feedback
from core.store import Store
from tests.browser import PHONE_WIDTHS, browser, contrast, missing_browser, rgb
from tests.publish_data import DAY, populate_day
from tests.smtp_server import mail_config

DARK_PAGE = "#111827"
# A title with no space to break at, and a URL-like word: what pushes a table wider.
LONG_WORD = "Supercalifragilistic" * 6


@pytest.fixture
def day(store: Store, config: Config):
    config.rank.method = "lexical"
    published = populate_day(store, config)
    store.merge_listed(
        [
            Listed(
                Paper(
                    id="2605.88888",
                    arxiv_id="2605.88888",
                    title=f"{LONG_WORD} https://example.org/{'a' * 90}",
                    abstract="A paper with a very long word.",
                    links={"abs": "https://arxiv.org/abs/2605.88888"},
                    hf_upvotes=500,
                ),
                DAY,
            )
        ],
        "hf-daily",
    )
    set_feedback(store, config, published.ids[3], "like", source="tui")
    return build_digest(store, config, DAY)


@pytest.fixture(scope="module")
def chrome():
    reason = missing_browser()
    if reason:
        pytest.skip(f"no browser check: {reason}")
    with browser() as opened:
        yield opened


def _email_page(tmp_path, digest, config) -> str:
    chart = tmp_path / "chart.png"
    chart.write_bytes(render_chart_png(digest))
    _, html = render_preview(digest, config, chart_src=chart.name)
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")
    return page.as_uri()


# --- in a browser -------------------------------------------------------------------------


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_the_email_fits_a_phone_without_sideways_scrolling(chrome, tmp_path, day, config, width):
    chrome.open(_email_page(tmp_path, day, config), width)
    layout = chrome.layout()
    assert layout.scroll_width <= width
    assert layout.overflowing == []
    assert layout.images and all(right <= width for _, right in layout.images)


def test_on_a_desktop_the_column_stays_600_px(chrome, tmp_path, day, config):
    chrome.open(_email_page(tmp_path, day, config), 1280, mobile=False)
    card = chrome.driver.execute_script(
        "return document.querySelector('.card').getBoundingClientRect().width"
    )
    assert card == pytest.approx(600, abs=1)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_colours_read_in_light_and_dark_mode(chrome, tmp_path, day, config, dark):
    chrome.open(_email_page(tmp_path, day, config), 375, dark=dark)
    _, page = chrome.colours(".card")
    page_red = rgb(page)[0]
    assert (page_red < 60) if dark else (page_red > 240)
    for selector in ("h1", "h2", ".card p", ".card li", ".muted", ".card a", ".foryou a"):
        colour, _ = chrome.colours(selector)
        background = chrome.colours(".foryou")[1] if "foryou" in selector else page
        assert contrast(colour, background) >= 4.5, (selector, colour, background)
    scheme = chrome.driver.execute_script(
        "return document.querySelector('meta[name=color-scheme]').content"
    )
    assert scheme == "light dark"


# --- the chart on either background --------------------------------------------------------


def test_the_chart_is_transparent_and_its_text_reads_on_white_and_dark(day):
    image = Image.open(io.BytesIO(render_chart_png(day)))
    assert image.mode == "RGBA"
    assert image.getpixel((2, 2))[3] == 0  # the corner shows the page, not white
    for background in ("rgb(255, 255, 255)", "rgb(17, 24, 39)"):
        hexed = TEXT_COLOUR.lstrip("#")
        text = "rgb({}, {}, {})".format(*(int(hexed[i : i + 2], 16) for i in (0, 2, 4)))
        assert contrast(text, background) >= 4.0
    # Text is drawn in that grey: many opaque pixels of it.
    pixels = np.asarray(image)
    wanted = [int(TEXT_COLOUR[i : i + 2], 16) for i in (1, 3, 5)] + [255]
    assert int((pixels == wanted).all(axis=2).sum()) > 200


# --- as Gmail receives it ------------------------------------------------------------------


def _html_part(message):
    return next(part for part in message.walk() if part.get_content_type() == "text/html")


def test_the_html_part_as_sent_stays_under_gmails_clipping(store, config, day):
    config.digest.size = 1000
    digest = build_digest(store, config, DAY)
    for item in digest.selected:  # every summary long
        item.summary.text = "긴 요약 문장입니다. 한국어 문장이 길게 이어집니다. " * 60
        item.summary.status = "ok"
    config = mail_config(config, 587)
    config.output.site_url = "https://example.org/ai"
    message = build_message(digest, config, "alice@example.com", b"png")
    sent = message.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(sent, policy=email.policy.default)
    part = _html_part(parsed)
    encoded = part.get_payload(decode=False)
    as_received = len(encoded.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii"))
    assert as_received <= HTML_LIMIT_BYTES < 102 * 1024
    html = part.get_content()
    assert "메일이 너무 길어" in html
    assert 'href="https://example.org/ai/reports/2026-05-08/' in html  # the full report


def test_the_smaller_transfer_encoding_is_chosen_and_measured_as_sent():
    korean = "<p>" + "한국어 요약 문장입니다. " * 400 + "</p>"
    markup = '<p style="margin:0;color:#111827;">x</p>' * 400
    assert transfer_encoded(korean)[0] == "base64"
    assert transfer_encoded(markup)[0] == "quoted-printable"
    for html in (korean, markup):
        cte, size = transfer_encoded(html)
        message = email.message.EmailMessage()
        message.set_content(html, subtype="html", charset="utf-8", cte=cte)
        body = message.as_bytes(policy=email.policy.SMTP).split(b"\r\n\r\n", 1)[1]
        assert abs(len(body) - size) <= 4  # the final line break, at most
        other = "base64" if cte != "base64" else "quoted-printable"
        message.set_content(html, subtype="html", charset="utf-8", cte=other)
        assert len(message.as_bytes(policy=email.policy.SMTP).split(b"\r\n\r\n", 1)[1]) > size


def test_the_days_html_travels_in_the_smaller_encoding(day, config):
    _, compact, _, size = fit_html(email_context(day, config, "cid:chart"))
    html = render_preview(day, config, chart_src="cid:chart")[1]
    qp = email.message.EmailMessage()
    qp.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
    b64 = base64.encodebytes(html.encode("utf-8"))
    assert compact == 0
    assert size <= min(len(qp.get_payload()), len(b64)) * 1.02


# --- the plain-text part ------------------------------------------------------------------


def test_the_text_part_is_wrapped_with_headings_as_text_and_links_listed(day, config):
    text, _ = render_preview(day, config)
    lines = text.splitlines()
    links_at = lines.index("링크")
    body, links = lines[:links_at], lines[links_at + 2 :]
    too_wide = [line for line in body if display_width(line) > WIDTH]
    # Only a word longer than a line (the long title's) may stand alone, unbroken.
    assert too_wide and all(display_width(line.split()[-1]) > WIDTH - 4 for line in too_wide)
    assert not [line for line in lines if re.match(r"\s*#{1,6}\s", line)]
    assert "주요 주제 및 경향" in lines
    assert lines[lines.index("주요 주제 및 경향") + 1] == "-" * display_width("주요 주제 및 경향")
    urls = [item.paper.url for item in day.selected if item.paper.url]
    listed = {line.split(" ", 1)[1] for line in links}
    assert set(urls) <= listed
    for number, line in enumerate(links, 1):
        assert line.startswith(f"[{number}] ")
        assert f"[{number}]" in "\n".join(body)


def test_wrapping_counts_hangul_as_two_columns():
    lines = wrap("강화학습 " * 30, 20, first="- ", indent="  ")
    assert all(display_width(line) <= 20 for line in lines)
    assert lines[0].startswith("- 강화학습") and lines[1].startswith("  강화학습")
    assert wrap("https://example.org/" + "a" * 100, 20) == ["https://example.org/" + "a" * 100]


def test_model_markdown_reads_as_text():
    lines = markdown_text("### 제목\n\n- **굵게** 항목\n- 둘째\n\n1. 하나\n2. 둘\n\n문단 `code`.")
    assert lines[:2] == ["제목", "----"]
    assert "- 굵게 항목" in lines and "- 둘째" in lines
    assert "1. 하나" in lines and "2. 둘" in lines
    assert "문단 code." in lines
    assert not any("**" in line or "#" in line for line in lines)
