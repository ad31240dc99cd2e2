"""Running core's async jobs (the pipeline, one summary, an email) off the UI thread.

Core's jobs are coroutines that also write to SQLite. Run on the app's event loop, every
store write would stall the screen, so each job runs in a thread worker with an event loop
of its own (`ThreadLoop`); its progress comes back as messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")


class ThreadLoop:
    """Runs one coroutine to its end in the calling thread; `cancel` works from any thread.

    Every ThreadLoop running is in `RUNNING`, so quitting the app can stop them all: a
    thread waiting on the network would otherwise keep the process alive after the screen
    is gone.
    """

    RUNNING: ClassVar[set[ThreadLoop]] = set()

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._cancelled = False

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run the coroutine `make()` returns; raises CancelledError when cancelled."""

        async def main() -> T:
            self._task = asyncio.current_task()
            if self._cancelled:
                raise asyncio.CancelledError
            return await make()

        with asyncio.Runner() as runner:
            self._loop = runner.get_loop()
            ThreadLoop.RUNNING.add(self)
            try:
                return runner.run(main())
            finally:
                ThreadLoop.RUNNING.discard(self)
                self._loop = None

    @classmethod
    def cancel_all(cls) -> None:
        """Stop every job still running (the app is closing)."""
        for job in list(cls.RUNNING):
            job.cancel()

    def cancel(self) -> None:
        """Ask the running coroutine to stop (it sees CancelledError at its next await)."""
        self._cancelled = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)
