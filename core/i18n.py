"""The interface language: Korean or English text for everything a person reads on screen.

Strings are written in English in the code and wrapped in `_()` (or `ngettext()` for counts);
`N_()` marks a string kept in data (a binding's verb) that is translated where it is shown.
Babel extracts them into `core/locale/dailyai.pot` and the Korean catalog
`core/locale/ko/LC_MESSAGES/dailyai.po` holds their translations, compiled to the `.mo` file
shipped in the package (`python scripts/i18n.py` does all three). English needs no catalog:
the source strings are the English interface.

`[ui] language` picks the language (`set_language`); empty means Korean when the locale
(LC_ALL, LC_MESSAGES, LANG) is Korean, else English. Published outputs (report, email,
feeds) do not follow this setting: they are Korean.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DOMAIN = "dailyai"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("ko", "en")
"""The interface languages, the first the default for a Korean locale."""
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""Where the locale is read from, the first one set winning (POSIX precedence)."""

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """ "ko" when the locale names Korean (ko_KR.UTF-8, ko), else "en"."""
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def resolve_language(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The language `[ui] language = setting` means ("" follows the locale)."""
    return setting if setting in LANGUAGES else locale_language(environ)


def set_language(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """Show the interface in `setting` ("ko", "en", or "" for the locale's); returns which."""
    global _translations, _language
    language = resolve_language(setting, environ)
    if language == "en":
        _translations = gettext.NullTranslations()
    else:
        # fallback=False: a missing .mo is a broken install, better loud than English.
        _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    _language = language
    return language


def current_language() -> str:
    """The language the interface is in now ("ko" or "en")."""
    return _language


def _(message: str) -> str:
    """`message` in the interface language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural `count` takes, in the interface language."""
    return _translations.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark `message` for translation where it is shown, not here (it lives in data)."""
    return message


def weekday(day: datetime | object) -> str:
    """The short weekday name of `day` in the interface language (Mon / 월)."""
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return names[day.weekday()]  # type: ignore[attr-defined]


def local_time(stamp: str | None, zone: str, *, now: datetime | None = None) -> str:
    """A stored UTC time (ISO 8601) as HH:MM in the configured time zone, with the date when
    it is not today there; "" for no time, and the text itself when it is not a time."""
    if not stamp:
        return ""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    tz = ZoneInfo(zone)
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    when = when.astimezone(tz)
    today = (now or datetime.now(tz)).astimezone(tz).date()
    if when.date() == today:
        return when.strftime("%H:%M")
    return when.strftime("%Y-%m-%d %H:%M")


_STEP_NAMES = {
    "fetch": N_("fetch"),
    "classify": N_("classify"),
    "summarize": N_("summarize"),
    "report": N_("report"),
    "feeds": N_("feeds"),
    "rss": N_("feeds"),
    "email": N_("email"),
    "notify": N_("notify"),
    "publish": N_("publish"),
    "weekly": N_("weekly"),
}
_STATUS_NAMES = {
    "ok": N_("ok"),
    "failed": N_("failed"),
    "partial": N_("partial"),
    "empty": N_("empty"),
    "unchanged": N_("unchanged"),
    "skipped": N_("skipped"),
    "running": N_("running"),
    "interrupted": N_("interrupted"),
    "pending": N_("pending"),
    "stale": N_("out of date"),
    "missing": N_("missing"),
    "future": N_("to come"),
}


def step_name(step: str) -> str:
    """A pipeline step's name (fetch, classify …) in the interface language."""
    return _(_STEP_NAMES[step]) if step in _STEP_NAMES else step


def status_name(status: str) -> str:
    """A run's or step's status (ok, failed …) in the interface language."""
    return _(_STATUS_NAMES[status]) if status in _STATUS_NAMES else status
