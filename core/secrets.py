"""Secrets (the SMTP password, a model server's API key) from the environment or a command.

A secret never sits in config.toml: the config names an environment variable to read it
from, or a command whose output it is (`pass show …`, a keyring tool).
"""

from __future__ import annotations

import os
import shlex
import subprocess

from core.errors import DailyAIError
from core.sanitize import one_line


def read_secret(
    variable: str, command: str, *, setting: str, error: type[DailyAIError]
) -> str | None:
    """`$variable` when set, else the output of `command` when given, else None.

    `setting` names the command's config key in messages (e.g. "email: password_command");
    a command that cannot run or fails raises `error` with what to check.
    """
    variable = variable.strip()
    if variable and os.environ.get(variable):
        return os.environ[variable]
    command = command.strip()
    if not command:
        return None
    return secret_from_command(command, setting, error) or None


def secret_from_command(command: str, what: str, error: type[DailyAIError] = DailyAIError) -> str:
    """The output of `command` (run without a shell), its trailing line break removed; an
    `error` naming `what` (e.g. "email: password_command") when it cannot run or fails."""
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as problem:
        raise error(f"{what} {command!r} could not run ({problem}) — check the command") from None
    if done.returncode != 0:
        detail = one_line(done.stderr, limit=160) or f"exit code {done.returncode}"
        raise error(f"{what} {command!r} failed ({detail}) — run it yourself to check")
    return done.stdout.rstrip("\r\n")


__all__ = ["read_secret", "secret_from_command"]
