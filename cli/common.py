"""What every `dailyai` command shares: the console, common options, the day, the services."""

from __future__ import annotations

import argparse
import asyncio
import errno
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console as RichConsole
from rich.text import Text

from core.announcements import current_day, parse_day
from core.config import Config
from core.errors import ConfigError
from core.i18n import _, step_name
from core.progress import format_duration
from core.sanitize import one_line
from core.services import Services, open_services
from core.sources import AUTO, kind_names


class Console(RichConsole):
    """rich's Console, except that a closed stdout ends the command the way `main` ends it
    for every other write (quietly, exit 141), not with rich's own exit code 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


STATUS_STYLE = {"ok": "green", "empty": "yellow", "unchanged": "cyan", "failed": "bold red"}


def add_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        action="append",
        metavar="NAME_OR_URL",
        help=_(
            "a configured source's name, a URL (https://, http://, file://), a file, or an "
            "arXiv id to look up; repeatable"
        ),
    )
    parser.add_argument(
        "--kind",
        action="append",
        choices=[AUTO, *kind_names()],
        help=_("the kind of the --source before it (default: its configured kind, or auto)"),
    )


def requested_sources(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(--source, --kind) pairs; each --kind belongs to the --source before it."""
    sources = args.source or []
    kinds = args.kind or []
    if len(kinds) > len(sources):
        raise ConfigError(_("--kind must follow the --source it applies to"))
    return [(source, kinds[i] if i < len(kinds) else None) for i, source in enumerate(sources)]


def add_date(parser: Any) -> None:
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help=_(
            "the day: YYYY-MM-DD, today or yesterday, from 1991-08-01 to tomorrow (default: "
            "today in US Eastern time, the latest day arXiv has announced; $DAILYAI_TODAY sets it)"
        ),
    )


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for an integer option from `low` to `high`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("{text!r} is not a whole number").format(text=text)
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                _("{value} is out of range — use {low} to {high}").format(
                    value=value, low=low, high=high
                )
            )
        return value

    return parse


def day_of(args: argparse.Namespace) -> date:
    """The day a command works on: --date, else today (in US Eastern time)."""
    text = getattr(args, "date", None)
    return parse_day(text) if text is not None else current_day()


def output_dir_for(config: Config, out: str | None, *, write: bool = True) -> Path:
    """The output dir (--out, else output.dir, else the data dir's), created if missing.

    Checked before any work so a bad one is one clear line: it must be a folder, and one we
    can write to when `write` (serve only reads it).
    """
    from core.channels.layout import output_dir

    directory = output_dir(config, out)
    named = f"--out {directory}" if out else _("output dir {path}").format(path=directory)
    if not out and config.output.dir:
        named += " (output.dir)"
    if "\x00" in str(directory):
        raise ConfigError(_("{named}: not a usable path — give a folder").format(named=named))
    if directory.exists() and not directory.is_dir():
        raise ConfigError(
            _("{named}: is not a folder — give a folder to write reports and feeds in").format(
                named=named
            )
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            _("{named}: cannot create it ({why}) — give a folder you can write to").format(
                named=named, why=error.strerror or error
            )
        ) from None
    if write:
        try:
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as error:
            raise ConfigError(
                _("{named}: cannot write in it ({why}) — give a folder you can write to").format(
                    named=named, why=error.strerror or error
                )
            ) from None
    return directory


T = TypeVar("T")


def run_async(services: Services, work: Callable[[], Awaitable[T]]) -> T:
    """Run a command's async `work()` on an event loop of its own (made on it, so it may use
    the services' clients); the connections they opened on it are closed after."""

    async def main() -> T:
        try:
            return await work()
        finally:
            await services.aclose()

    return asyncio.run(main())


def open_for(
    args: argparse.Namespace, *, adjust: Callable[[Config], Config] | None = None
) -> Services:
    """The services for a command: `--config` (changed by `adjust`) and its store."""
    services = open_services(args.config, adjust=adjust)
    for note in services.config.deprecations:
        say(note)
    return services


def add_out(parser: Any) -> None:
    parser.add_argument(
        "--out",
        metavar="DIR",
        help=_("output dir (default: output.dir, else the data dir's output)"),
    )


class LiveReporter:
    """Progress for a command: a live rich display on a terminal, plain lines otherwise.

    Subclasses build the display in `live()` and turn events into it (or into lines) in
    `report`; used as `with Reporter(console) as report: core_call(on_progress=report)`.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Any = None

    def live(self) -> Any:
        raise NotImplementedError

    def report(self, event: Any) -> None:
        raise NotImplementedError

    def line(self, text: str) -> None:
        self.console.print(Text(text), soft_wrap=True, highlight=False)

    def __enter__(self) -> Callable[[Any], None]:
        if self.console.is_terminal:
            self.progress = self.live()
            self.progress.start()
        return self.report

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


MAX_MESSAGE_CHARS = 1000
"""An error line is cut here (a 100 KB --date value is not worth echoing whole)."""


def say(message: str) -> None:
    """An error as one `dailyai: …` line on stderr.

    Messages echo what the user gave (a path, a --date); control characters in it are
    dropped so they cannot drive the terminal, and a huge value is cut.
    """
    print(f"dailyai: {one_line(message, limit=MAX_MESSAGE_CHARS)}", file=sys.stderr)


class StepReporter(LiveReporter):
    """Progress of a pipeline run: a rich status line on a terminal, plain lines otherwise."""

    def live(self) -> Any:
        return self.console.status(_("starting…"))

    def report(self, event: Any) -> None:
        step = getattr(event, "step", "")
        done, total = getattr(event, "done", 0), getattr(event, "total", 0)
        eta = getattr(event, "eta_seconds", None)
        parts = [f"{step_name(step)}:", getattr(event, "message", "")]
        if total:
            parts.append(f"[{done}/{total}]")
        if eta:
            parts.append(_("ETA {time}").format(time=format_duration(eta)))
        line = " ".join(part for part in parts if part)
        if self.progress is not None:
            self.progress.update(Text(line))
        else:
            self.line(line)
