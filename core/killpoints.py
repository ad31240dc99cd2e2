"""Named points where a test can SIGKILL the process, to prove a crash there loses nothing.

`DAILYAI_TEST_KILL_AT=<point>:<n>` makes the process kill itself (SIGKILL: no cleanup, no
`finally`, like a power cut or the OOM killer) when `point` is reached for the n-th time;
points that count an amount (papers) fire once that many have passed. The points:

- `papers-stored`: papers were committed to the store (counts papers, per batch).
- `summary-token`: a paper's summary has started to stream from the model (counts
  summaries; the summary being written is lost).
- `ledger-write`: inside the transaction that writes a run-ledger line, before its commit.
- `mail-claimed`: recipients were claimed for sending, before anything was sent.

Unset (always, outside tests) a point costs one comparison with None.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

ENV = "DAILYAI_TEST_KILL_AT"
POINTS = frozenset({"papers-stored", "summary-token", "ledger-write", "mail-claimed"})


def _parse(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    point, _, count = value.partition(":")
    if point not in POINTS:
        raise ValueError(f"{ENV}={value!r}: unknown point — one of {', '.join(sorted(POINTS))}")
    return point, int(count or 1)


_TARGET = _parse(os.environ.get(ENV))
_passed = 0


def armed(point: str) -> bool:
    """Whether `point` is the one to kill at (for hooks that cost something to set up)."""
    return _TARGET is not None and _TARGET[0] == point


def kill_point(point: str, amount: int = 1) -> None:
    """Die here when `point` is the armed one and it has now been passed often enough."""
    global _passed
    if _TARGET is None or _TARGET[0] != point:
        return
    _passed += amount
    if _passed >= _TARGET[1]:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def summary_token_hook() -> Callable[[str, str], None] | None:
    """An `on_token(key, piece)` for summarize_day that passes `summary-token` once per
    summary (not per category report); None when that point is not armed."""
    if not armed("summary-token"):
        return None
    started: set[str] = set()

    def on_token(key: str, piece: str) -> None:
        if key.startswith("report:") or key in started:
            return
        started.add(key)
        kill_point("summary-token")

    return on_token
