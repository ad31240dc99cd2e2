"""The `dailyai` command: a thin front end over the core modules, one module per command group.

Each subcommand parses its options, calls core, and prints what happened. Errors the user can
fix are printed as one line (`dailyai: …`) with exit code 2 for bad options or config and 1 for
failures, never a traceback; a closed stdout (`dailyai export | head`) ends the command quietly
with 141, as it ends any Unix tool. Nothing here knows how papers are fetched or stored.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
from collections.abc import Sequence
from pathlib import Path

from cli import bench, doctor, fetch, model, notify, papers, profile, publish, run, tui
from cli.common import say
from core import __version__
from core.errors import ConfigError, DailyAIError
from core.i18n import N_, _, set_language

ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("ignored explicit argument %r"),
)
"""What argparse itself says to a person (usage, its errors), so our catalog holds them."""
# argparse looks its gettext up as a module global on each call: pointing it at ours makes
# `usage:`, `options:` and `error:` speak [ui] language like the rest of the help.
argparse._ = _  # type: ignore[attr-defined]

COMMAND_MODULES = (fetch, papers, doctor, run, model, bench, publish, notify, profile)
"""Each adds its commands, in this order (as `dailyai --help` lists them)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `dailyai` and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="dailyai",
        description=_(
            "Daily AI Insights: the day's AI papers, sorted by topic and summarized in Korean by "
            "a local model. Without a command, opens the terminal UI."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"dailyai {__version__}",
        help=_("show the version and exit"),
    )
    parser.add_argument(
        "--config", metavar="PATH", help=_("config file to use (default: see README)")
    )
    parser.set_defaults(handler=tui.command_tui)
    commands = parser.add_subparsers(title=_("commands"), metavar="COMMAND")

    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


SIGPIPE_EXIT = 141
"""What a shell reports for a tool ended by a closed pipe (128 + SIGPIPE)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _set_interface_language(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # a closed pipe is found here, not at interpreter exit
        return code
    except ConfigError as error:
        say(str(error))
        return 2
    except DailyAIError as error:
        say(str(error))
        return 1
    except KeyboardInterrupt:
        say(_("interrupted — what was stored so far is kept"))
        return 130
    except BrokenPipeError as error:
        if _stdout_reader_gone():
            _drop_stdout()
            return SIGPIPE_EXIT
        say(_os_error_line(error))
        return 1
    # The last resort: input the checks above did not foresee still ends in one line.
    except OSError as error:
        say(_os_error_line(error))
        return 1
    except UnicodeDecodeError as error:
        say(
            _(
                "some input is not UTF-8 text (byte 0x{byte:02x} at offset {offset}) — save it "
                "as UTF-8"
            ).format(byte=error.object[error.start], offset=error.start)
        )
        return 1
    except UnicodeEncodeError as error:
        say(
            _(
                "cannot write this text as {encoding} — set a UTF-8 locale or "
                "PYTHONIOENCODING=utf-8"
            ).format(encoding=error.encoding)
        )
        return 1


def _os_error_line(error: OSError) -> str:
    """An OSError the commands did not check for, as what — why — what to do."""
    what = (
        _("cannot use {path}").format(path=error.filename)
        if error.filename
        else _("a file or connection failed")
    )
    why = error.strerror or str(error) or type(error).__name__
    return _("{what} — {why} — check the path (file or folder?) and its permissions").format(
        what=what, why=why
    )


def _set_interface_language(argv: Sequence[str]) -> None:
    """Speak `[ui] language` from the first line (help texts included).

    The config is read here only for that key. One that fails its checks still gives the key
    when its TOML can be read, so the command reports what is wrong with it in that language;
    one that cannot be read at all leaves the locale's language.
    """
    from core.config import config_search_paths, load_config

    path = None
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            path = argv[index + 1]
        elif arg.startswith("--config="):
            path = arg.partition("=")[2]
    try:
        setting = load_config(path).ui.language
    except (DailyAIError, OSError, ValueError):
        setting = _language_in_toml(path, config_search_paths())
    set_language(setting)


def _language_in_toml(path: str | None, search: Sequence[Path]) -> str:
    """`[ui] language` as written in a config that fails its checks ("" when unreadable)."""
    import tomllib

    from core.config import MAX_CONFIG_BYTES

    candidates = [Path(path).expanduser()] if path else list(search)
    try:
        found = next(candidate for candidate in candidates if candidate.is_file())
        with open(found, "rb") as file:  # a regular file, read no further than load_config
            data = file.read(MAX_CONFIG_BYTES + 1)
        value = tomllib.loads(data.decode("utf-8")).get("ui", {}).get("language", "")
    except (StopIteration, OSError, ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _stdout_reader_gone() -> bool:
    """True when stdout is a pipe whose reader has closed it (`dailyai export | head`).

    A broken pipe to a server is a failure to report; only this one is quiet.
    """
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll(), or stdout is not a file
        return False


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not hit the closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
