"""Which day's papers are out: the current day as the sources see it, and `--date` values.

Why a day of one source is empty is that source's kind's to say (`Kind.empty_reason` in
`core/sources/`: arXiv's announcement calendar, Hugging Face's weekends).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import ConfigError

ARXIV_TIMEZONE = ZoneInfo("America/New_York")


def current_day(now: datetime | None = None) -> date:
    """The latest day whose papers are out: today's date in US Eastern time.

    arXiv's feed for a day appears at midnight US Eastern, and Hugging Face lists papers by
    UTC date (4–5 hours ahead), so in Korea's morning (evening in New York) this is the day
    before — the one whose papers are complete.
    """
    return (now or datetime.now(UTC)).astimezone(ARXIV_TIMEZONE).date()


def parse_day(text: str, *, today: date | None = None) -> date:
    """A `--date` value: YYYY-MM-DD, "today" or "yesterday"; never in the future."""
    today = today or current_day()
    lowered = text.strip().lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--date {text!r}: not a date — use YYYY-MM-DD, e.g. {today}") from None
    if day > today + timedelta(days=1):
        raise ConfigError(f"--date {text}: is in the future (today is {today}) — no papers yet")
    return day
