"""When the sources publish, and why a day can be empty.

arXiv announces Sunday to Thursday at 20:00 US Eastern; its RSS feeds are dated Monday to
Friday and empty on Saturdays, Sundays and after arXiv's holidays. Hugging Face Daily
Papers takes no submissions at weekends. An empty day is explained with these rules, never
left silent.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import ConfigError
from core.models import SourceKind

# Evenings on which arXiv does not announce (its "deferred mailings"), so the next day's
# feed is empty. From arXiv's availability page and status notices; extend as they publish.
ARXIV_HOLIDAYS: dict[date, str] = {
    date(2024, 1, 1): "New Year's Day",
    date(2024, 1, 15): "Martin Luther King Jr. Day",
    date(2024, 6, 19): "Juneteenth",
    date(2024, 7, 4): "Independence Day",
    date(2024, 9, 2): "Labor Day",
    date(2024, 11, 28): "Thanksgiving",
    date(2024, 12, 25): "Christmas",
    date(2025, 1, 1): "New Year's Day",
    date(2025, 1, 20): "Martin Luther King Jr. Day",
    date(2025, 6, 19): "Juneteenth",
    date(2025, 7, 4): "Independence Day",
    date(2025, 9, 1): "Labor Day",
    date(2025, 11, 27): "Thanksgiving",
    date(2025, 12, 25): "Christmas",
    date(2026, 1, 1): "New Year's Day",
    date(2026, 1, 19): "Martin Luther King Jr. Day",
    date(2026, 6, 19): "Juneteenth",
    date(2026, 7, 3): "Independence Day (observed)",
    date(2026, 9, 7): "Labor Day",
    date(2026, 11, 26): "Thanksgiving",
    date(2026, 12, 25): "Christmas",
}

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def arxiv_quiet_reason(day: date) -> str:
    """Why arXiv's feed for `day` is expected to be empty, or "" if it should have papers."""
    if day.weekday() >= 5:
        return f"arXiv announces nothing on {WEEKDAYS[day.weekday()]}s"
    # The feed dated `day` carries the announcement of the evening before (US Eastern).
    evening = day - timedelta(days=1)
    if evening in ARXIV_HOLIDAYS:
        return (
            f"arXiv holiday ({ARXIV_HOLIDAYS[evening]}, {evening.isoformat()}): "
            "no announcement that evening"
        )
    return ""


def hf_quiet_reason(day: date) -> str:
    """Why Hugging Face Daily Papers is expected to be empty on `day`, or ""."""
    if day.weekday() >= 5:
        return f"Hugging Face Daily Papers takes no submissions on {WEEKDAYS[day.weekday()]}s"
    return ""


def empty_reason(
    kind: SourceKind, day: date, skip_days: list[str] | None = None, today: date | None = None
) -> str:
    """One line saying why a source listed nothing for `day`."""
    weekday = WEEKDAYS[day.weekday()]
    if kind == SourceKind.ARXIV_RSS:
        reason = arxiv_quiet_reason(day)
        if reason:
            return reason
        if today is not None and day >= today:
            return (
                "arXiv's feed for this day is not out yet (it appears at midnight US Eastern, "
                "14:00 KST in winter)"
            )
        return "arXiv's feed was empty on a weekday with no known holiday — arXiv may be late"
    if kind == SourceKind.HF_DAILY:
        reason = hf_quiet_reason(day)
        if reason:
            return reason
        if today is not None and day >= today:
            return "no papers on Hugging Face Daily Papers for this day yet (it fills during the US day)"
        return "Hugging Face Daily Papers listed nothing for this day"
    if skip_days and weekday in skip_days:
        return f"the feed says it is not updated on {weekday}s"
    return "the feed has no entries for this day"


ARXIV_TIMEZONE = ZoneInfo("America/New_York")


TODAY_ENV = "DAILYAI_TODAY"
"""Set to YYYY-MM-DD to fix "today" (replaying a past day, or tests under any wall clock)."""

FIRST_DAY = date(1991, 8, 1)
"""No day before arXiv began (August 1991) can have papers."""


def current_day(now: datetime | None = None) -> date:
    """The latest day whose papers are out: today's date in US Eastern time.

    arXiv's feed for a day appears at midnight US Eastern, and Hugging Face lists papers by
    UTC date (4–5 hours ahead), so in Korea's morning (evening in New York) this is the day
    before — the one whose papers are complete. `$DAILYAI_TODAY` replaces the clock when set
    (and `now` is not given): every front end asks here, so one variable moves them all.
    """
    if now is None and (pinned := os.environ.get(TODAY_ENV, "").strip()):
        try:
            day = date.fromisoformat(pinned)
        except ValueError:
            raise ConfigError(
                f"${TODAY_ENV}={pinned!r}: not a date — use YYYY-MM-DD, or unset it to use the clock"
            ) from None
        if day < FIRST_DAY:
            raise ConfigError(
                f"${TODAY_ENV}={pinned}: before arXiv began ({FIRST_DAY:%Y-%m}) — use a later "
                "day, or unset it to use the clock"
            )
        return day
    return (now or datetime.now(UTC)).astimezone(ARXIV_TIMEZONE).date()


def parse_day(text: str, *, today: date | None = None) -> date:
    """A `--date` value: YYYY-MM-DD, "today" or "yesterday"; from August 1991 to tomorrow.

    The bounds keep every day the app handles a real day of papers, so date arithmetic
    downstream (windows of days before it, feeds, charts) never leaves `date`'s range.
    """
    today = today or current_day()
    lowered = text.strip().lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ConfigError(f"--date {shown!r}: not a date — use YYYY-MM-DD, e.g. {today}") from None
    if day > today + timedelta(days=1):
        raise ConfigError(f"--date {day}: is in the future (today is {today}) — no papers yet")
    if day < FIRST_DAY:
        raise ConfigError(
            f"--date {day}: is before arXiv began ({FIRST_DAY:%Y-%m}) — no papers then; "
            f"use a day from {FIRST_DAY} to {today}"
        )
    return day
