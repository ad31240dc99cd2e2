"""`dailyai` without a command: the terminal UI."""

from __future__ import annotations

import argparse

from cli.common import (
    open_for,
)
from core.services import Services


def command_tui(args: argparse.Namespace) -> int:
    services = open_for(args)
    try:
        return open_tui(services)
    finally:
        services.close()


def open_tui(services: Services) -> int:
    from tui.app import DailyAIApp

    app = DailyAIApp(services)
    app.run()
    return app.return_code or 0
