"""What every model backend shares: the answer and its counts, what a server says about
itself, how a failure is sorted (the request's, or one host's), and the token estimate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from core.errors import ModelError

TokenCallback = Callable[[str], None]
Messages = Sequence[Mapping[str, str]]

_LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}


class PromptTooLongError(ModelError):
    """A prompt would not fit the model's context window with room for the answer."""


class HostFailure(ModelError):
    """One host failed a request; another host (or this one, later) may answer it.

    The client cools the host down and sends the request elsewhere; the subclass says how
    long the host sits out and whether this request may come back to it.
    """


class HostDown(HostFailure):
    """The host cannot be reached (refused, no route, could not connect)."""


class HostBusy(HostFailure):
    """The host is busy or failing for now: 503 or 429, a 5xx, a timeout, a dropped answer."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the server asked to wait (Retry-After), if it said."""


class HostUnusable(HostFailure):
    """The host answers but cannot serve this model for us: the model is not there, the API
    key is refused, or it does not speak the configured backend's protocol."""


def is_local(host: str) -> bool:
    """True for a server on this machine (no proxy must ever sit in between)."""
    name = (urlsplit(host).hostname or "").strip("[]").lower()
    return name in _LOCAL_NAMES or name.startswith("127.")


def model_name(name: str) -> str:
    """A model name as `ollama list` shows it: `gemma3` means `gemma3:latest`."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def estimate_tokens(text: str) -> int:
    """A generous estimate of the tokens `text` takes (rarely below the truth).

    Servers only report what they evaluated after the fact, so the app estimates before
    sending: a Hangul syllable or CJK character is about one token, a letter or digit a
    third of one, and a symbol (`<`, `/`, `(`, …) one, as tokenizers rarely merge them.
    """
    wide = alnum = symbols = 0
    for char in text:
        if char.isspace():
            continue
        if ord(char) >= 0x1100:
            wide += 1
        elif char.isalnum():
            alnum += 1
        else:
            symbols += 1
    return wide + symbols + (alnum + 2) // 3


def messages_tokens(messages: Messages) -> int:
    """The estimated prompt size of chat messages (with a little per-message overhead)."""
    return sum(estimate_tokens(message["content"]) + 4 for message in messages)


@dataclass
class ChatResult:
    """One answer and the server's counts for it."""

    text: str
    model: str
    done_reason: str | None = None
    """stop, or length when the answer hit num_predict."""
    prompt_tokens: int | None = None
    """The tokens the model actually saw (prompt_eval_count, usage.prompt_tokens)."""
    output_tokens: int | None = None
    eval_duration_ns: int | None = None
    prompt_eval_duration_ns: int | None = None
    total_duration_ns: int | None = None
    load_duration_ns: int | None = None
    prompt_estimate: int = 0
    """What the app estimated it sent (see estimate_tokens)."""
    truncated: bool = False
    """The model saw much less of the prompt than was sent (Ollama truncates silently)."""
    attempts: int = 1
    wall_seconds: float = 0.0
    host: str = ""
    """The host that wrote this answer."""
    failed_hosts: list[tuple[str, str]] = field(default_factory=list)
    """(host, why) for each host that failed this request before it was answered."""

    @property
    def tokens_per_second(self) -> float | None:
        if self.output_tokens and self.eval_duration_ns:
            return self.output_tokens / self.eval_duration_ns * 1e9
        return None

    @property
    def duration_ms(self) -> int | None:
        """The server's time on this answer, queue excluded."""
        if self.total_duration_ns is None:
            return None
        return round(self.total_duration_ns / 1e6)


@dataclass
class ServerStatus:
    """What a server said about itself and the configured model."""

    host: str
    version: str
    """Ollama's version; for an OpenAI-compatible server, who serves the model (vllm, …)."""
    models: list[str]
    model_pulled: bool
    """The configured model is there (pulled into Ollama, served by the server)."""
    context_length: int | None = None
    capabilities: list[str] | None = None


class Backend(Protocol):
    """One server of one protocol: sends one request and says what failed.

    A backend never retries and never waits for a slot; the client in front of the hosts
    (core.llm.client.ModelClient) does both. Failures of the host are HostFailure
    subclasses; a failure of the request itself (it can never be answered) is ModelError.
    """

    url: str
    name: str
    """How messages call the server: "Ollama" or "the OpenAI-compatible server"."""
    truncates_silently: bool
    """The server cuts an over-long prompt without saying so (Ollama)."""

    async def chat_once(
        self,
        messages: Messages,
        *,
        format: dict[str, Any] | None,
        on_token: TokenCallback | None,
        num_predict: int,
        temperature: float | None,
    ) -> ChatResult: ...

    async def status(self, *, details: bool) -> ServerStatus: ...

    async def embed(self, texts: Sequence[str], model: str) -> list[list[float]]: ...

    def not_served(self) -> str:
        """What to do when the model is not on this server (one line)."""
        ...

    async def aclose(self) -> None: ...


Sleep = Callable[[float], Awaitable[Any]]
