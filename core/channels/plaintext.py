"""Plain text for people: lines wrapped to a width, Markdown read as text, links listed.

What the email's text part (and any other plain-text output) is made of. Widths are display
columns: Hangul, CJK and most emoji take two, as in a terminal mail reader, so a Korean
line of 76 columns holds about 38 syllables. Words are never split; a word longer than the
line (a URL) stands alone on its line, whole, so it still works when clicked or copied.

Model Markdown (a category report) is read with markdown-it (raw HTML off): headings
become text lines underlined with `-`, list items keep their marks with a hanging indent,
emphasis marks are dropped, and nothing is interpreted as markup, since this is text.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field

WIDTH = 76
"""Columns of a plain-text line (RFC 5322 asks for at most 78 characters)."""


def char_width(char: str) -> int:
    """Display columns of one character: 2 for wide (Hangul, CJK, emoji), 0 for joiners."""
    if unicodedata.combining(char) or char in "\u200b\u200d\ufe0f":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Display columns of a line of text."""
    return sum(char_width(char) for char in text)


def wrap(text: str, width: int = WIDTH, *, indent: str = "", first: str | None = None) -> list[str]:
    """`text` as lines of at most `width` columns (a longer word stands alone).

    `first` starts the first line (a list mark, "1. "), `indent` every following one; blank
    lines in `text` separate paragraphs and are kept.
    """
    first = indent if first is None else first
    lines: list[str] = []
    for number, paragraph in enumerate(text.split("\n")):
        lead = first if number == 0 else indent
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        line = lead + words[0]
        used = display_width(line)
        for word in words[1:]:
            size = display_width(word)
            if used + 1 + size > width:
                lines.append(line)
                line, used = indent + word, display_width(indent) + size
            else:
                line, used = f"{line} {word}", used + 1 + size
        lines.append(line)
    return lines


def heading(text: str, mark: str = "-", width: int = WIDTH) -> list[str]:
    """A heading as text: the (wrapped) line, underlined to its width with `mark`."""
    lines = wrap(text, width)
    return [*lines, mark * min(width, max(display_width(line) for line in lines))]


@dataclass
class LinkList:
    """Links collected while writing text: each URL once, numbered `[1]`, listed at the end."""

    urls: list[str] = field(default_factory=list)

    def ref(self, url: str) -> str:
        """The reference mark of `url` ("[3]"), numbering it on first use; "" for no URL."""
        if not url:
            return ""
        if url not in self.urls:
            self.urls.append(url)
        return f"[{self.urls.index(url) + 1}]"

    def lines(self) -> list[str]:
        """`[1] https://…` lines, one per link (never wrapped: a URL must stay whole)."""
        return [f"[{number}] {url}" for number, url in enumerate(self.urls, 1)]


@functools.cache
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def markdown_text(markdown: str, width: int = WIDTH, indent: str = "") -> list[str]:
    """Markdown (a model's report) as wrapped plain-text lines, blank lines between blocks."""
    tokens = _parser().parse(markdown)
    out: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] (ordered) or [] (bullets)
    pending_mark: str | None = None
    quote = 0
    in_heading = False

    def block_indent() -> str:
        return indent + "  " * len(lists) + "> " * quote

    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            in_heading = True
        elif kind == "heading_close":
            in_heading = False
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else None
            lists.append([start] if start is not None else [])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                out.append("")
        elif kind == "list_item_open":
            current = lists[-1] if lists else []
            if current:
                pending_mark = f"{current[0]}. "
                current[0] += 1
            else:
                pending_mark = "- "
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "hr":
            out += ["-" * min(width, 20), ""]
        elif kind in ("fence", "code_block"):
            base = block_indent() + "    "
            out += [base + line for line in token.content.rstrip("\n").split("\n")] + [""]
        elif kind == "inline":
            text = _inline_text(token)
            if not text.strip():
                continue
            base = block_indent()
            if in_heading:
                out += [base + line for line in heading(text, width=width - len(base))] + [""]
            elif pending_mark is not None:
                hanging = base[:-2] + " " * display_width(pending_mark) if lists else base
                lead = (base[:-2] if lists else base) + pending_mark
                out += wrap(text, width, indent=hanging, first=lead)
                pending_mark = None
            else:
                out += wrap(text, width, indent=base)
                if not lists:
                    out.append("")
    while out and not out[-1]:
        out.pop()
    return out


def _inline_text(token) -> str:
    """An inline token's text: emphasis and code marks dropped, breaks as spaces."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)
