"""What every source kind shares: the parsed result, XML parsing, dates."""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import feedparser

from core.errors import SourceError
from core.i18n import _
from core.models import Listed

_TRUNCATION_SIGNS = ("no element found", "unclosed token", "mismatched tag")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""Weekday names by `date.weekday()`, in English whatever the locale (messages, <skipDays>)."""


@dataclass
class ParsedSource:
    """Papers from one response, with what the feed itself said about the day."""

    listed: list[Listed] = field(default_factory=list)
    feed_day: date | None = None
    """The day the feed says it is for (arXiv RSS: the announcement day)."""
    skip_days: list[str] = field(default_factory=list)
    """Weekdays the feed declares it is not updated (RSS <skipDays>)."""
    warnings: list[str] = field(default_factory=list)
    entries: int = 0
    """How many items (entries, list elements) the response held, read or not."""
    format: str = ""
    """The format the parser read, for messages ("arXiv RSS 1.0 (RDF)", "Atom feed", …)."""


def parse_xml(body: bytes, label: str) -> Any:
    """A feed parsed by feedparser, refusing documents that are truncated.

    feedparser recovers what it can from malformed XML; a document cut off mid-way would
    give a partial last entry, so it is refused as a whole (a retry usually gets it all).
    Other well-formedness errors (a raw `&`, a stray control character) keep the entries
    feedparser recovered and are reported as a warning.
    """
    # Our own sanitizing happens in core.sanitize; feedparser's HTML sanitizer would mangle
    # formulas such as `$1/3<s<1$` in abstracts.
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo"):
        error = parsed.get("bozo_exception")
        message = _describe_xml_error(error)
        if isinstance(error, feedparser.CharacterEncodingOverride):
            return parsed
        if any(sign in message for sign in _TRUNCATION_SIGNS) and _ends_early(body):
            raise SourceError(
                _(
                    "{label}: the feed is cut off ({message}) — the download was incomplete; nothing "
                    "from it was stored, try again"
                ).format(label=label, message=message)
            )
        if not parsed.entries and not parsed.feed:
            raise SourceError(
                _("{label}: not a readable feed ({message})").format(label=label, message=message)
            )
        parsed["dailyai_warning"] = (
            f"malformed XML ({message}); kept the {len(parsed.entries)} entries that could be read"
        )
    return parsed


def _describe_xml_error(error: Exception | None) -> str:
    if error is None:
        return "unknown error"
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    line = getattr(error, "getLineNumber", None)
    if callable(line):
        try:
            return f"{message.split(':')[-1].strip() or message} at line {line()}"
        except Exception:
            return message
    return message


def _ends_early(body: bytes) -> bool:
    """True when the document does not end with the close of its root element."""
    tail = body.rstrip()[-200:].lower()
    return not (
        tail.endswith(b"</rss>") or tail.endswith(b"</feed>") or tail.endswith(b"</rdf:rdf>")
    )


_SKIP_DAYS = re.compile(rb"<skipDays>(.*?)</skipDays>", re.DOTALL | re.IGNORECASE)
_DAY = re.compile(rb"<day>\s*(\w+)\s*</day>", re.IGNORECASE)


def skip_days(body: bytes) -> list[str]:
    """The weekdays an RSS channel's <skipDays> declares (feedparser keeps only the last)."""
    match = _SKIP_DAYS.search(body[:20_000])
    if not match:
        return []
    return sorted(
        {day.decode("ascii", "replace").capitalize() for day in _DAY.findall(match.group(1))}
    )


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(value: str | None) -> datetime | None:
    """A datetime from RFC 822 or ISO 8601 text; naive times are taken as UTC."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        if _DATE_ONLY.match(value):
            parsed = datetime.fromisoformat(value)
        elif re.match(r"^\d{4}-\d{2}-\d{2}[T ]", value):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed


def entry_datetime(entry: Any, *keys: str) -> datetime | None:
    """The first of `keys` that holds a readable date, keeping the feed's own offset."""
    for key in keys:
        parsed = parse_datetime(entry.get(key))
        if parsed:
            return parsed
        struct = entry.get(f"{key}_parsed")
        if isinstance(struct, time.struct_time):
            try:
                return datetime(*struct[:6], tzinfo=UTC)
            except ValueError:
                continue
    return None


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
