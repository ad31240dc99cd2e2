"""Keep the Korean catalog in step with the code: extract, update, compile.

    python scripts/i18n.py            # extract → core/locale/dailyai.pot, update ko .po, compile .mo
    python scripts/i18n.py --check    # list strings the Korean catalog lacks (exit 1 if any)

Strings are extracted by Babel from `_()`, `ngettext()` and `N_()` in core/, cli/ and tui/
(babel.cfg). After an update, new strings sit in core/locale/ko/LC_MESSAGES/dailyai.po with
an empty msgstr: translate them there, then run this again to compile the .mo shipped in the
package. tests/test_i18n.py fails while any string is untranslated or the .mo is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "core" / "locale"
POT = LOCALE / "dailyai.pot"
PO = LOCALE / "ko" / "LC_MESSAGES" / "dailyai.po"


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(pot: Path) -> None:
    pybabel(
        "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot), "--no-location",
        "--sort-output", "--project", "dailyai", "--copyright-holder", "dailyai",
        "--msgid-bugs-address", "", "--no-wrap", str(ROOT),
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list untranslated strings")
    args = parser.parse_args()
    if args.check:
        sys.path.insert(0, str(ROOT))
        from tests.test_i18n import missing_translations

        missing = missing_translations()
        for message in missing:
            print(f"untranslated: {message!r}")
        return 1 if missing else 0
    extract(POT)
    if PO.exists():
        pybabel(
            "update", "-i", str(POT), "-d", str(LOCALE), "-D", "dailyai", "-l", "ko",
            "--no-fuzzy-matching", "--ignore-obsolete", "--no-wrap",
        )  # fmt: skip
    else:
        pybabel("init", "-i", str(POT), "-d", str(LOCALE), "-D", "dailyai", "-l", "ko")
    pybabel("compile", "-d", str(LOCALE), "-D", "dailyai", "-l", "ko", "--statistics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
