"""Where the app keeps its config, data, cache and logs.

`DAILYAI_HOME` overrides every directory at once, so a test or a user can isolate a whole
installation in one folder; otherwise the platform's conventional directories are used.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "dailyai"


@dataclass(frozen=True)
class AppDirs:
    """The directories of one installation (or of the demo, which has its own)."""

    config: Path
    data: Path
    cache: Path
    logs: Path

    @property
    def config_file(self) -> Path:
        return self.config / "config.toml"

    @property
    def database(self) -> Path:
        return self.data / "dailyai.sqlite3"

    @property
    def output(self) -> Path:
        """Where reports, feeds and charts are published by default."""
        return self.data / "output"

    def demo(self) -> AppDirs:
        """The demo's own directories, so `dailyai demo` never touches the user's store."""
        return AppDirs(
            config=self.config,
            data=self.data / "demo",
            cache=self.cache / "demo",
            logs=self.logs / "demo",
        )


def app_dirs() -> AppDirs:
    """The directories to use now: `$DAILYAI_HOME/…` if set, else the platform's."""
    home = os.environ.get("DAILYAI_HOME")
    if home:
        root = Path(home).expanduser()
        return AppDirs(
            config=root / "config",
            data=root / "data",
            cache=root / "cache",
            logs=root / "logs",
        )
    return AppDirs(
        config=platformdirs.user_config_path(APP_NAME, appauthor=False),
        data=platformdirs.user_data_path(APP_NAME, appauthor=False),
        cache=platformdirs.user_cache_path(APP_NAME, appauthor=False),
        logs=platformdirs.user_log_path(APP_NAME, appauthor=False),
    )


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write a file whole or not at all: a temp file beside it, then a rename.

    A feed reader or web server reading `path` meanwhile sees the old file or the new one,
    never half of one. Text is written as UTF-8.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(payload)
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return path
