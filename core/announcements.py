"""Which day's papers are out: the current day as the sources see it, and `--date` values.

Why a day of one source is empty is that source's kind's to say (`Kind.empty_reason` in
`core/sources/`: arXiv's announcement calendar, Hugging Face's weekends).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import ConfigError
from core.i18n import _

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
                _(
                    "${env}={pinned!r}: not a date — use YYYY-MM-DD, or unset it to use the clock"
                ).format(env=TODAY_ENV, pinned=pinned)
            ) from None
        if day < FIRST_DAY:
            raise ConfigError(
                _(
                    "${env}={pinned}: before arXiv began ({first_day:%Y-%m}) — use a later day,"
                    " or unset it to use the clock"
                ).format(env=TODAY_ENV, pinned=pinned, first_day=FIRST_DAY)
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
        raise ConfigError(
            _("--date {shown!r}: not a date — use YYYY-MM-DD, e.g. {today}").format(
                shown=shown, today=today
            )
        ) from None
    if day > today + timedelta(days=1):
        raise ConfigError(
            _("--date {day}: is in the future (today is {today}) — no papers yet").format(
                day=day, today=today
            )
        )
    if day < FIRST_DAY:
        raise ConfigError(
            _(
                "--date {day}: is before arXiv began ({first_day:%Y-%m}) — no papers then; use a "
                "day from {first_day} to {today}"
            ).format(day=day, first_day=FIRST_DAY, today=today)
        )
    return day
