"""Who holds a run or a claim in the store, and whether that process is still alive.

Runs and claims (the day's model work, one recipient's email) record the process that holds
them: its host, its pid, and the time the operating system started it, so a pid reused by an
unrelated process is not mistaken for the holder. A holder on this host is alive exactly
while its process is; a holder on another host (a container sharing the data volume) cannot
be asked, so it counts as alive while its heartbeat is recent.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

HEARTBEAT_SECONDS = 30.0
"""How often a process refreshes the heartbeat of the runs and claims it holds."""
STALE_AFTER = timedelta(minutes=10)
"""A holder on another host whose heartbeat is older than this is taken to be gone."""


@dataclass(frozen=True)
class ProcessId:
    """One process, told apart from any later process that gets the same pid."""

    host: str
    pid: int
    started: str
    """When the OS started the process (its own clock-tick count); "" where unknown."""

    @classmethod
    def current(cls) -> ProcessId:
        pid = os.getpid()
        return cls(host=_hostname(), pid=pid, started=_start_ticks(pid) or "")


def is_alive(
    host: str | None,
    pid: int | None,
    started: str | None,
    last_seen: str | None,
    *,
    now: datetime | None = None,
) -> bool:
    """Whether the recorded holder of a run or claim is still at work.

    On this host the process itself is asked (gone, a zombie, or another process under the
    same pid means dead); elsewhere, or when no process was recorded (a run from an older
    version), the heartbeat `last_seen` (ISO time) must be within STALE_AFTER.
    """
    if host == _hostname() and pid and os.name == "posix":  # Windows' os.kill would kill it
        return _process_alive(pid, started or "")
    if not last_seen:
        return False
    seen = datetime.fromisoformat(last_seen)
    return (now or datetime.now(UTC)) - seen < STALE_AFTER


def _process_alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return False
    state = _proc_stat(pid)
    if state is None:
        return True  # no /proc (not Linux): the pid exists, which is all we can know
    status, ticks = state
    if status in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    return not started or ticks == started


@cache
def _hostname() -> str:
    return socket.gethostname()


def _start_ticks(pid: int) -> str | None:
    state = _proc_stat(pid)
    return state[1] if state else None


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start time in clock ticks since boot) from Linux's /proc, if there."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')'.
    fields = text[text.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]
