"""The one factory that builds the app's services from the config.

The CLI, the TUI and the tests all get their config, store, model client, HTTP fetcher and
clock from here, so a test can hand the app a store on a temporary directory and a model
client pointed at the stand-in, and no step makes (and closes) clients of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.config import Config, load_config
from core.fetch import Clock, Fetcher, SystemClock
from core.llm import ModelClient
from core.store import Store


@dataclass
class Services:
    """What every front end works with: built once, shared by every step."""

    config: Config
    store: Store
    llm_client: ModelClient | None = None
    """The model client (every model host of `[llm]`), when given; see `llm`."""
    clock: Clock = field(default_factory=SystemClock)
    """Time as the fetcher, the model client and the summarize ETA see it."""
    _fetchers: dict[asyncio.AbstractEventLoop, Fetcher] = field(
        default_factory=dict, init=False, repr=False
    )

    @property
    def llm(self) -> ModelClient:
        """The model client, made from the config the first time it is needed (so a front
        end or a test may still adjust `[llm]` after building the services)."""
        if self.llm_client is None:
            self.llm_client = ModelClient(
                self.config.llm, sleep=self.clock.sleep, clock=self.clock.monotonic
            )
        return self.llm_client

    def fetcher(self) -> Fetcher:
        """The shared HTTP fetcher of the running event loop (an HTTP client belongs to the
        loop that made it; the fetchers of loops that have ended are dropped)."""
        loop = asyncio.get_running_loop()
        fetcher = self._fetchers.get(loop)
        if fetcher is None:
            self._fetchers = {
                other: kept for other, kept in self._fetchers.items() if not other.is_closed()
            }
            fetcher = self._fetchers[loop] = Fetcher(self.config.fetch, clock=self.clock)
        return fetcher

    async def aclose(self) -> None:
        """Close the HTTP connections the clients opened in the running event loop."""
        fetcher = self._fetchers.pop(asyncio.get_running_loop(), None)
        if fetcher is not None:
            await fetcher.aclose()
        if self.llm_client is not None:
            await self.llm_client.aclose()

    def close(self) -> None:
        self.store.close()


def open_services(
    config_path: Path | str | None = None, *, adjust: Callable[[Config], Config] | None = None
) -> Services:
    """Load the config (changed by `adjust`, e.g. the demo's) and open its store."""
    config = load_config(config_path)
    if adjust is not None:
        config = adjust(config)
    return Services(config=config, store=Store(config.dirs.database))
