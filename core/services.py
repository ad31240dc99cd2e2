"""The one factory that builds the app's services from the config.

The CLI, the TUI and the tests all get their config, store (and later the model client and
the mailer) from here, so a test can hand the app a store on a temporary directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.config import Config, load_config
from core.store import Store


@dataclass
class Services:
    """What every front end works with."""

    config: Config
    store: Store
    demo: bool = False

    def close(self) -> None:
        self.store.close()


def open_services(config_path: Path | str | None = None, *, demo: bool = False) -> Services:
    """Load the config and open the store (the demo's own store when `demo`)."""
    config = load_config(config_path)
    if demo:
        from core.demo import demo_config  # the demo module builds on the pipeline, and so on us

        config = demo_config(config)
    return Services(config=config, store=Store(config.dirs.database), demo=demo)
