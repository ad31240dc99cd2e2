"""`dailyai doctor`: is everything the daily run needs in place?"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rich.text import Text

from cli.common import (
    Console,
)
from core.i18n import _, ngettext


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    doctor = commands.add_parser(
        "doctor",
        help=_("check the config, the store and every source"),
        description=_("Check the config, the store, and that every source answers."),
    )
    doctor.set_defaults(handler=command_doctor)


def command_doctor(args: argparse.Namespace) -> int:
    from core.doctor import run_checks

    console = Console()
    problems = 0
    for check in asyncio.run(run_checks(args.config)):
        mark = Text("✓ ", style="green") if check.ok else Text("✗ ", style="bold red")
        console.print(mark + Text(f"{check.name}: {check.detail}"))
        problems += 0 if check.ok else 1
    if problems:
        console.print(
            Text(
                ngettext("{count} problem found.", "{count} problems found.", problems).format(
                    count=problems
                ),
                style="red",
            )
        )
    return 1 if problems else 0
