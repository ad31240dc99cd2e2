"""The one factory that builds the app's services from the config.

The CLI, the TUI and the tests all get their config, store (and later the model client and
the mailer) from here, so a test can hand the app a store on a temporary directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import Config, load_config
from core.store import Store


@dataclass
class Services:
    """What every front end works with."""

    config: Config
    store: Store

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
