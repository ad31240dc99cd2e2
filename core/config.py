"""Reading and checking `config.toml`.

The shipped `config.toml` (installed as `core/default_config.toml`) holds every default
and documents every key; a user's file only needs the keys it changes. The dataclasses
below give each key its type. A key that is not known (a typo) or has the wrong type is an
error that names the key, its line and the fix, never silently ignored.

A table of the shipped file that no field of `Config` names belongs to a plug-in (an output
channel's `[notify]`): it is kept as read, and its owner reads it through `Config.section`
with a dataclass of its own keys, checked the same way.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from core.errors import ConfigError
from core.paths import AppDirs, app_dirs
from core.sources import AUTO, kind_names, kind_of
from core.sources.base import NoOptions

MAX_CONFIG_BYTES = 1_000_000
"""A config file larger than this is refused (it is a few KB; this stops /dev/zero)."""


@dataclass(frozen=True)
class Range:
    """The numbers a config key accepts: from `low` to `high`, bounds included.

    With `above`, `low` itself is refused (a timeout must be more than 0). Values that are
    not finite (TOML allows `inf` and `nan`) are always refused.
    """

    low: float | None = None
    high: float | None = None
    above: bool = False

    def admits(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self, *, whole: bool) -> str:
        """What to write instead, e.g. "a whole number from 1 to 65535"."""
        kind = "a whole number" if whole else "a number"
        low = _plain(self.low) if self.low is not None else None
        high = _plain(self.high) if self.high is not None else None
        if self.above:
            bound = f"more than {low}" + (f" and at most {high}" if high is not None else "")
            return f"{kind} {bound}"
        if low is not None and high is not None:
            return f"{kind} from {low} to {high}"
        return f"{kind} ≥ {low}" if low is not None else f"{kind} ≤ {high}"


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def ranged(
    low: float | None = None,
    high: float | None = None,
    *,
    above: bool = False,
    default: Any = MISSING,
) -> Any:
    """A numeric dataclass field that declares the values it accepts (checked on load)."""
    return field(default=default, metadata={"range": Range(low, high, above)})


MAX_DAYS = 3650
"""Day counts stay below ten years, so windows of days never leave `date`'s range."""


@dataclass
class SourceConfig:
    """One paper source: a URL with a kind (`auto` detects it from the content).

    A kind may take keys of its own (arxiv-rss: `categories`); they are in `options`, an
    instance of the kind's `Options`, checked like every other key.
    """

    name: str
    url: str = ""
    kind: str = AUTO
    enabled: bool = True
    options: Any = field(default=None, metadata={"key": False})

    def resolved_url(self) -> str:
        """The URL to fetch: `url`, or the one the kind builds from its own keys."""
        if self.kind == AUTO:
            return self.url
        kind = kind_of(self.kind)
        return kind.url(self.url, self.options if self.options is not None else kind.Options())


@dataclass
class GeneralConfig:
    timezone: str
    language: str


@dataclass
class FetchConfig:
    timeout_seconds: float = ranged(0, 3600, above=True)
    retries: int = ranged(0, 20)
    backoff_seconds: float = ranged(0, 600)
    max_retry_after_seconds: float = ranged(0, 86400)
    max_body_mb: float = ranged(0, 1024, above=True)
    arxiv_min_interval_seconds: float = ranged(0, 600)
    contact: str
    seen_window_days: int = ranged(0, MAX_DAYS)
    announce_types: list[str]
    enrich_with_arxiv_api: bool
    arxiv_api_url: str
    arxiv_api_batch: int = ranged(1, 2000)
    hf_page_size: int = ranged(1, 1000)
    hf_max_pages: int = ranged(1, 100)


BACKENDS = ("ollama", "openai")


@dataclass
class HostConfig:
    """One model server of `[llm] hosts`, given as a table to set its own parallel slots."""

    url: str
    parallel: int = ranged(0, 64, default=0)
    """Requests it answers at once (OLLAMA_NUM_PARALLEL, or the server's batch size);
    0 means `llm.parallel`."""


@dataclass(slots=True)
class LLMConfig:
    """`[llm]`: the model servers (one or more hosts of one backend) and how to ask them.

    Slotted, so code that still sets the old `[ollama]` attribute `host` fails loudly
    instead of being ignored.
    """

    backend: str
    hosts: list[str | HostConfig]
    model: str
    api_key_env: str
    api_key_command: str
    num_ctx: int = ranged(512, 1_048_576)
    num_predict: int = ranged(1, 131_072)
    temperature: float = ranged(0, 2)
    keep_alive: str
    think: bool
    parallel: int = ranged(1, 64)
    connect_timeout_seconds: float = ranged(0, 600, above=True)
    timeout_seconds: float = ranged(0, 86400, above=True)
    retries: int = ranged(0, 20)
    backoff_seconds: float = ranged(0, 600)
    max_cooldown_seconds: float = ranged(0, 86400)

    def host_list(self) -> list[HostConfig]:
        """Every host with its URL written out in full and its slots filled in.

        For `ollama` a URL is read the way Ollama reads OLLAMA_HOST (a bare host gets port
        11434, a bare `:port` means 127.0.0.1) and no hosts means $OLLAMA_HOST, else the
        local default. For `openai` a URL without a path gets `/v1`, where every
        OpenAI-compatible server answers.
        """
        given = [host if isinstance(host, HostConfig) else HostConfig(host) for host in self.hosts]
        if not given and self.backend == "ollama":
            given = [HostConfig(os.environ.get("OLLAMA_HOST", ""))]
        normalize = _ollama_url if self.backend == "ollama" else _openai_url
        return [
            HostConfig(normalize(host.url), host.parallel or max(1, self.parallel))
            for host in given
        ]


DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"


def _ollama_url(raw: str) -> str:
    raw = raw.strip().rstrip("/")
    if not raw:
        return DEFAULT_OLLAMA_URL
    if "://" in raw:
        return raw
    host_port, _, path = raw.partition("/")
    if host_port.startswith(":"):
        host_port = "127.0.0.1" + host_port
    has_port = host_port.rsplit("]", 1)[-1].count(":") == 1 or (
        not host_port.startswith("[") and host_port.count(":") == 1
    )
    if not has_port:
        host_port += ":11434"
    return f"http://{host_port}" + (f"/{path}" if path else "")


def _openai_url(raw: str) -> str:
    raw = raw.strip().rstrip("/")
    if raw and "://" not in raw:
        raw = f"http://{raw}"
    parts = urlsplit(raw)
    if parts.netloc and not parts.path:
        raw += "/v1"
    return raw


@dataclass
class _LegacyOllamaConfig:
    """The keys the old `[ollama]` section had; read only to map them onto `[llm]`."""

    host: str | None = None
    model: str | None = None
    num_ctx: int | None = ranged(512, 1_048_576, default=None)
    num_predict: int | None = ranged(1, 131_072, default=None)
    temperature: float | None = ranged(0, 2, default=None)
    keep_alive: str | None = None
    think: bool | None = None
    parallel: int | None = ranged(1, 64, default=None)
    connect_timeout_seconds: float | None = ranged(0, 600, above=True, default=None)
    timeout_seconds: float | None = ranged(0, 86400, above=True, default=None)
    retries: int | None = ranged(0, 20, default=None)
    backoff_seconds: float | None = ranged(0, 600, default=None)


@dataclass
class CategoryConfig:
    """One category of the fixed taxonomy."""

    name: str
    emoji: str
    description: str
    arxiv: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    priority: int = ranged(-100, 100, default=0)
    """Breaks ties between equally scored categories in the rules method (higher wins)."""


@dataclass
class TaxonomyConfig:
    version: str
    fallback: str
    categories: list[CategoryConfig]


@dataclass
class ClassifyConfig:
    method: str
    batch_size: int = ranged(1, 100)
    combined: bool = True


@dataclass
class DigestConfig:
    size: int = ranged(1, 1000)
    interest_keywords: list[str]
    interest_authors: list[str]
    time_budget_minutes: float = ranged(0, 1440)
    personal: bool = True
    for_you_count: int = ranged(0, 100, default=5)
    """Papers in the "내 관심 논문" section that opens the report, email and daily feed
    (0: no section; there is none either while the interest profile is empty)."""


@dataclass
class RankConfig:
    """How the digest is ranked for the reader ("For you"): by their interest profile,
    blended with the public signals."""

    method: str
    embedding_model: str
    embedding_batch: int = ranged(1, 512)
    profile_weight: float = ranged(0, 100)
    upvotes_weight: float = ranged(0, 100)
    code_weight: float = ranged(0, 100)
    keywords_weight: float = ranged(0, 100)
    authors_weight: float = ranged(0, 100)
    topic_share: float = ranged(0, 1)
    like_half_life_days: float = ranged(0, 36500, above=True)


@dataclass
class SummariesConfig:
    max_attempts: int = ranged(1, 10)
    min_hangul_ratio: float = ranged(0, 1)
    glossary: dict[str, str]


@dataclass
class OutputConfig:
    dir: str
    site_url: str
    feed_days: int = ranged(1, MAX_DAYS)
    title: str


@dataclass
class EmailConfig:
    enabled: bool
    host: str
    port: int = ranged(1, 65535)
    security: str
    username: str
    password_env: str
    password_command: str
    sender: str
    to: list[str]
    unsubscribe: str
    send_empty: bool
    timeout_seconds: float = ranged(0, 3600, above=True)
    ca_file: str


@dataclass
class ServeConfig:
    host: str
    port: int = ranged(1, 65535)


@dataclass
class TuiConfig:
    theme: str
    trend_days: int = ranged(1, 365)
    keymap: dict[str, str]


@dataclass
class UiConfig:
    """`[ui]`: the language of the TUI and the CLI ("" follows the locale)."""

    language: str


@dataclass
class Config:
    """The whole configuration, defaults overlaid by the user's file."""

    general: GeneralConfig
    fetch: FetchConfig
    sources: list[SourceConfig]
    llm: LLMConfig
    taxonomy: TaxonomyConfig
    classify: ClassifyConfig
    digest: DigestConfig
    rank: RankConfig
    summaries: SummariesConfig
    output: OutputConfig
    email: EmailConfig
    serve: ServeConfig
    tui: TuiConfig
    ui: UiConfig
    path: Path | None = field(default=None, metadata={"key": False})
    """The user's file that was read on top of the defaults, if any."""
    dirs: AppDirs = field(default_factory=app_dirs, metadata={"key": False})
    deprecations: list[str] = field(default_factory=list, metadata={"key": False})
    """One line per deprecated setting the user's file uses, naming its replacement."""

    @property
    def ollama(self) -> LLMConfig:
        """Deprecated alias of `llm` (the section was `[ollama]` before several backends)."""
        return self.llm

    sections: dict[str, Any] = field(default_factory=dict, metadata={"key": False})
    """The plug-ins' tables (defaults overlaid by the user's), as read; see `section`."""
    text: str = field(default="", repr=False, metadata={"key": False})
    """The user's file as read (to name the line of a bad key)."""

    def source(self, name: str) -> SourceConfig | None:
        """The configured source called `name`."""
        return next((source for source in self.sources if source.name == name), None)

    @property
    def output_dir(self) -> Path:
        return Path(self.output.dir).expanduser() if self.output.dir else self.dirs.output

    def section(self, name: str, cls: type[T]) -> T:
        """A plug-in's table (`[name]`) as `cls`, a dataclass of its keys, checked like every
        other key: a ConfigError names the key, its line and the fix."""
        return _build(cls, self.sections.get(name, {}), [name], self.text, self.path)

    def key_error(self, where: list[str | int], reason: str) -> ConfigError:
        """An error about the key at `where` (["notify", "urls", 0]) naming its line."""
        return _error(where, reason, self.text, self.path)


T = TypeVar("T")


# Keys that must never hold a secret, with what to use instead.
_SECRET_KEYS = {
    "password": "set password_env (the name of an environment variable) or password_command",
    "smtp_password": "set password_env or password_command",
    "token": "put the token in an environment variable",
    "api_key": "set api_key_env (the name of an environment variable) or api_key_command",
}


def default_config_text() -> str:
    """The shipped default configuration, every key documented."""
    return resources.files("core").joinpath("default_config.toml").read_text(encoding="utf-8")


def config_search_paths() -> list[Path]:
    """Where a user's config file may be, nearest first. Tests redirect this seam."""
    paths = []
    if env := os.environ.get("DAILYAI_CONFIG"):
        paths.append(Path(env).expanduser())
    paths.append(app_dirs().config_file)
    return paths


def load_config(path: Path | str | None = None) -> Config:
    """The defaults overlaid by the user's file (`path`, else the first one found)."""
    defaults = _parse(default_config_text(), "default config")
    user_path: Path | None = None
    if path is not None:
        user_path = Path(path).expanduser()  # read_text_file says if it is missing
    else:
        user_path = next((p for p in config_search_paths() if p.is_file()), None)
    merged = defaults
    text = ""
    deprecations: list[str] = []
    if user_path is not None:
        text = read_text_file(user_path, f"config {user_path}", max_bytes=MAX_CONFIG_BYTES)
        user = _parse(text, str(user_path))
        if "ollama" in user:
            user = _from_legacy_ollama(user, text, user_path)
            deprecations.append(
                f'{user_path}: [ollama] is deprecated — rename it [llm] and write host = "…" '
                'as hosts = ["…"] (backend = "ollama" is the default); the other keys stay'
            )
        merged = _overlay(defaults, user)
    plug_ins = {name for name, value in defaults.items() if isinstance(value, dict)} - _keys(Config)
    _refuse_unknown_keys(merged, _keys(Config) | plug_ins, [], text, user_path)
    sections = {name: merged.pop(name) for name in plug_ins if name in merged}
    config = _build(Config, merged, [], text, user_path)
    config.path = user_path
    config.deprecations = deprecations
    config.sections = sections
    config.text = text
    _check(config, text, user_path)
    return config


def read_text_file(path: Path, what: str, *, max_bytes: int) -> str:
    """The UTF-8 text of a file the user named, or a ConfigError saying what is wrong.

    `what` starts the message ("config ~/c.toml", "--titles papers.json"). A directory, an
    unreadable path, more than `max_bytes`, or bytes that are not UTF-8 (named by offset)
    are refused; a UTF-8 byte order mark is allowed. Pipes and /dev/fd paths work.
    """
    try:
        if path.is_dir():
            raise ConfigError(f"{what}: is a directory — give the path of a file")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ConfigError(f"{what}: no such file — check the path given") from None
    except OSError as error:
        raise ConfigError(
            f"{what}: cannot read it ({error.strerror or error}) — check the path and its permissions"
        ) from None
    except ValueError:  # a NUL character in the path
        raise ConfigError(f"{what}: not a usable path — check the path given") from None
    return decode_utf8(data, what, max_bytes=max_bytes)


def decode_utf8(data: bytes, what: str, *, max_bytes: int) -> str:
    """`data` as text (a byte order mark dropped), or a ConfigError naming the bad byte."""
    if len(data) > max_bytes:
        raise ConfigError(
            f"{what}: larger than {max_bytes // 1_000_000 or 1} MB — is this the right file?"
        )
    bom = b"\xef\xbb\xbf"
    body = data[len(bom) :] if data.startswith(bom) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + len(data) - len(body)
        raise ConfigError(
            f"{what}: not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset}) — "
            "save it as UTF-8"
        ) from None


def _from_legacy_ollama(user: dict[str, Any], text: str, path: Path) -> dict[str, Any]:
    """The user's table with the old `[ollama]` section mapped onto `[llm]`.

    `[ollama]` was one Ollama server: its `host` becomes the one entry of `hosts`, every
    other key keeps its name. Both sections at once would be ambiguous, so that is an error.
    """
    if "llm" in user:
        raise ConfigError(
            f"{path}: both [llm] and the old [ollama] are set — move the [ollama] keys into "
            '[llm] (host = "…" becomes hosts = ["…"]) and delete [ollama]'
        )
    legacy = _build(_LegacyOllamaConfig, user["ollama"], ["ollama"], text, path)
    table = {
        f.name: getattr(legacy, f.name)
        for f in fields(_LegacyOllamaConfig)
        if f.name != "host" and getattr(legacy, f.name) is not None
    }
    table["backend"] = "ollama"
    if legacy.host and legacy.host.strip():
        table["hosts"] = [legacy.host.strip()]
    rest = {key: value for key, value in user.items() if key != "ollama"}
    return {**rest, "llm": table}


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: not valid TOML: {error} — fix the syntax there") from error


def _overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (lists included) replaces the default."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _overlay(base[key], value)
        else:
            merged[key] = value
    return merged


def _keys(cls: type) -> set[str]:
    """The config keys of a dataclass: its fields, but those marked as not being keys."""
    return {f.name for f in fields(cls) if f.metadata.get("key", True)}


def _build(cls: type, data: Any, where: list[str | int], text: str, path: Path | None) -> Any:
    """Turn a TOML table into `cls`, naming the key and line of anything wrong."""
    if not isinstance(data, dict):
        raise _error(where, f"must be a table, not {_toml_type(data)}", text, path)
    hints = typing.get_type_hints(cls)
    known = _keys(cls)
    _refuse_unknown_keys(data, known, where, text, path)
    values = {}
    for f in fields(cls):
        if f.name not in known:
            continue
        if f.name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                raise _error([*where, f.name], "is required", text, path)
            continue
        value = _convert(hints[f.name], data[f.name], [*where, f.name], text, path)
        bounds: Range | None = f.metadata.get("range")
        if bounds is not None and not bounds.admits(value):
            raise _error(
                [*where, f.name],
                f"= {data[f.name]} is out of range — use {bounds.describe(whole=hints[f.name] is int)}",
                text,
                path,
            )
        values[f.name] = value
    return cls(**values)


def _refuse_unknown_keys(
    data: dict[str, Any], known: set[str], where: list[str | int], text: str, path: Path | None
) -> None:
    for key in data:
        if key not in known:
            hint = _SECRET_KEYS.get(key)
            if hint:
                reason = f"secrets never go in config.toml — {hint}"
            else:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                reason = (
                    f"unknown key — did you mean '{close[0]}'?"
                    if close
                    else (f"unknown key — known keys here: {', '.join(sorted(known))}")
                )
            raise _error([*where, key], reason, text, path)


def _build_source(data: Any, where: list[str | int], text: str, path: Path | None) -> SourceConfig:
    """A [[sources]] table: every source's keys, and its kind's own keys in `options`."""
    if not isinstance(data, dict):
        raise _error(where, f"must be a table, not {_toml_type(data)}", text, path)
    kind = _convert(str, data.get("kind", AUTO), [*where, "kind"], text, path)
    kinds = [AUTO, *kind_names()]
    if kind not in kinds:
        raise _error([*where, "kind"], f"must be one of {', '.join(sorted(kinds))}", text, path)
    options_type = NoOptions if kind == AUTO else kind_of(kind).Options
    own = _keys(options_type)
    for key in [key for key in data if key not in _keys(SourceConfig) | own]:
        owners = [name for name in kind_names() if key in _keys(kind_of(name).Options)]
        if owners:
            raise _error(
                [*where, key],
                f"is a key of {' and '.join(owners)} sources, not of {kind} ones — set kind "
                f'= "{owners[0]}" or remove it',
                text,
                path,
            )
    _refuse_unknown_keys(data, _keys(SourceConfig) | own, where, text, path)
    common = {key: value for key, value in data.items() if key not in own}
    source = _build(SourceConfig, common, where, text, path)
    options = {key: value for key, value in data.items() if key in own}
    source.options = _build(options_type, options, where, text, path)
    return source


def _convert(hint: Any, value: Any, where: list[str | int], text: str, path: Path | None) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        # A table goes to the dataclass option (a host as {url = …}), anything else to the
        # first plain one (a host as a string).
        tables = [option for option in options if is_dataclass(option)]
        plain = [option for option in options if not is_dataclass(option)]
        chosen = (tables if isinstance(value, dict) else plain) or options
        return _convert(chosen[0], value, where, text, path)
    if hint is SourceConfig:
        return _build_source(value, where, text, path)
    if is_dataclass(hint):
        return _build(hint, value, where, text, path)  # type: ignore[arg-type]
    if origin is list:
        if not isinstance(value, list):
            raise _error(where, f"must be a list, not {_toml_type(value)}", text, path)
        (item_type,) = typing.get_args(hint)
        return [_convert(item_type, item, [*where, i], text, path) for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _error(where, f"must be a table, not {_toml_type(value)}", text, path)
        _, value_type = typing.get_args(hint)
        return {k: _convert(value_type, v, [*where, k], text, path) for k, v in value.items()}
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, float, bool) and (
        not isinstance(value, hint) or (hint is int and isinstance(value, bool))
    ):
        raise _error(where, f"must be {_TYPE_NAMES[hint]}, not {_toml_type(value)}", text, path)
    return value


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _error(where: list[str | int], reason: str, text: str, path: Path | None) -> ConfigError:
    dotted = _dotted(where)
    line = _locate(text, where) if text else None
    origin = str(path) if path else "default config"
    at = f"{origin} line {line}" if line else origin
    return ConfigError(f"{at}: '{dotted}' {reason}")


def _dotted(where: list[str | int]) -> str:
    out = ""
    for part in where:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _locate(text: str, where: list[str | int]) -> int | None:
    """The line of the key at `where` in a TOML text (best effort; None if not found)."""
    keys = [part for part in where if isinstance(part, str)]
    if not keys:
        return None
    key = keys[-1]
    tables = keys[:-1]
    occurrence = next((part for part in where if isinstance(part, int)), None)
    header = ".".join(tables)
    in_table = not tables
    seen = -1
    key_pattern = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
    inline_pattern = re.compile(rf"[{{,]\s*{re.escape(key)}\s*=")
    dotted_pattern = re.compile(rf"^\s*{re.escape('.'.join(keys))}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if dotted_pattern.match(line):
            return number
        if stripped.startswith("["):
            name = stripped.strip("[] \t").split("#")[0].strip()
            if stripped.startswith("[[") and name == header:
                seen += 1
                in_table = occurrence is None or seen == occurrence
            else:
                in_table = name == header
                if not tables and name:
                    in_table = False
            if not tables and not name:
                in_table = True
            # a table header can itself be the offending key ([fecth])
            if name == ".".join(keys) or (name.split(".")[-1:] == [key] and not tables):
                return number
            continue
        if in_table and (key_pattern.match(line) or inline_pattern.search(line)):
            return number
    return None


def _check(config: Config, text: str, path: Path | None) -> None:
    """Checks across keys that types alone cannot express."""
    hints = [kind_of(name).url_hint for name in kind_names() if kind_of(name).url_hint]
    url_required = "is required" + (f" ({'; '.join(hints)})" if hints else "")
    names = set()
    for index, source in enumerate(config.sources):
        where: list[str | int] = ["sources", index]
        if not source.resolved_url():
            raise _error([*where, "url"], url_required, text, path)
        if source.name in names:
            raise _error(
                [*where, "name"],
                f"'{source.name}' is used by two sources — names must be unique",
                text,
                path,
            )
        names.add(source.name)
    _check_llm(config.llm, text, path)
    if config.classify.method not in ("auto", "llm", "rules"):
        raise _error(["classify", "method"], "must be auto, llm or rules", text, path)
    if config.rank.method not in ("embeddings", "lexical"):
        raise _error(["rank", "method"], "must be embeddings or lexical", text, path)
    if config.email.security not in ("starttls", "tls", "none"):
        raise _error(
            ["email", "security"],
            "must be starttls, tls or none (none only for a relay on localhost)",
            text,
            path,
        )
    category_names = [category.name for category in config.taxonomy.categories]
    if config.taxonomy.fallback not in category_names:
        raise _error(
            ["taxonomy", "fallback"],
            f"'{config.taxonomy.fallback}' is not one of the categories",
            text,
            path,
        )
    if len(set(category_names)) != len(category_names):
        raise _error(
            ["taxonomy", "categories"], "has two categories with the same name", text, path
        )
    if config.ui.language not in ("", "ko", "en"):
        raise _error(
            ["ui", "language"],
            f'\'{config.ui.language}\' is not an interface language — use "ko", "en" or "" '
            "(Korean when the locale is Korean, else English)",
            text,
            path,
        )
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(config.general.timezone)
    except Exception:
        raise _error(
            ["general", "timezone"],
            f"'{config.general.timezone}' is not a known time zone (e.g. Asia/Seoul)",
            text,
            path,
        ) from None


def _check_llm(llm: LLMConfig, text: str, path: Path | None) -> None:
    """The backend is known, and every host is a server URL given once."""
    if llm.backend not in BACKENDS:
        raise _error(["llm", "backend"], f"must be {' or '.join(BACKENDS)}", text, path)
    if llm.backend == "openai" and not llm.hosts:
        raise _error(
            ["llm", "hosts"],
            'is required for backend "openai" — the server\'s URL up to /v1, e.g. '
            '["http://127.0.0.1:8000/v1"]',
            text,
            path,
        )
    if llm.parallel < 1:
        raise _error(["llm", "parallel"], "must be at least 1", text, path)
    seen: set[str] = set()
    for index, (given, host) in enumerate(zip(llm.hosts, llm.host_list(), strict=False)):
        where: list[str | int] = ["llm", "hosts", index]
        raw = given.url if isinstance(given, HostConfig) else given
        parts = urlsplit(host.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _error(
                where, f"'{raw}' is not a server URL — write it as http://host:port", text, path
            )
        if isinstance(given, HostConfig) and given.parallel < 0:
            raise _error([*where, "parallel"], "must be 0 (llm.parallel) or more", text, path)
        if host.url in seen:
            raise _error(where, f"'{raw}' is listed twice — give each server once", text, path)
        seen.add(host.url)
