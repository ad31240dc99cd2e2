"""Making untrusted text (feed titles, abstracts, model output) safe to store and show.

Everything that comes from a feed or a model passes through `clean_text` before it is
stored: control characters (terminal escape sequences, NUL, the backspace of a mangled TeX
`\\b`) and bidirectional overrides are removed, so no later output (terminal, XML, HTML,
email) can be steered by them. Escaping for a particular output happens at that output.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# C0 controls except \t and \n, DEL, C1 controls, the bidi embedding/override/isolate
# characters that can make a title display differently from what it is, and lone
# surrogates (JSON can escape half a pair; SQLite, XML and UTF-8 cannot store one).
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_WHITESPACE = re.compile(r"\s+")
_HTML_TAG = re.compile(
    r"<\s*/?\s*(p|br|div|span|a|b|i|em|strong|img|ul|ol|li|h[1-6]|table|tr|td|th|sub|sup|code|"
    r"pre|blockquote|hr|font|small|big|u|s|strike|tt|dl|dt|dd|figure|figcaption|section)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    {
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "blockquote",
        "pre",
        "hr",
        "dl",
        "dt",
        "dd",
        "section",
        "figure",
    }
)

MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 20_000


def clean_text(text: str | None, *, limit: int = MAX_TEXT_CHARS) -> str:
    """Remove control and bidi-override characters, normalise newlines, cap the length."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNSAFE_CHARS.sub("", text)
    return truncate(text.strip(), limit)


def one_line(text: str | None, *, limit: int = MAX_TITLE_CHARS) -> str:
    """`clean_text` collapsed to a single line: for titles, names and subjects."""
    if not text:
        return ""
    return truncate(_WHITESPACE.sub(" ", _UNSAFE_CHARS.sub(" ", text)).strip(), limit)


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def looks_like_html(text: str) -> bool:
    """True when `text` carries real HTML markup, not just a `<` in a formula."""
    return bool(_HTML_TAG.search(text))


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, dropping scripts and styles entirely."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """The readable text of an HTML fragment (tags dropped, entities decoded)."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    lines = (_WHITESPACE.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def feed_text(value: str | None, *, is_html: bool) -> str:
    """Plain text from a feed field that may hold HTML (or escaped HTML) or plain text."""
    if not value:
        return ""
    if is_html and looks_like_html(value):
        return html_to_text(value)
    if "&" in value and re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", value):
        unescaped = html.unescape(value)
        return html_to_text(unescaped) if looks_like_html(unescaped) else unescaped
    return value
