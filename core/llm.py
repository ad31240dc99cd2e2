"""The one way the app talks to Ollama: `OllamaClient`, a wrapper around `ollama.AsyncClient`.

Why a wrapper: the official client has no timeout by default, honours proxy variables
even for a local server, lets the server pick a context size that silently truncates
prompts, and reports failures as a mix of `ResponseError`, `ConnectionError` and raw httpx
errors (see ../shared/reference/facts.md §1). Here every request gets an explicit timeout,
`num_ctx`, `think=False` (unless configured), keep_alive and temperature from config; at
most `ollama.parallel` requests are in flight (to match the server's OLLAMA_NUM_PARALLEL);
a busy server (503) and timeouts are retried with a doubling wait; every other failure
becomes one `ModelError` line that says what to do. Answers stream, so a caller can show
text as it arrives, and each answer carries the server's counts, from which the speed
(tokens per second) is measured and a silently truncated prompt is detected.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import ollama
import pydantic

from core.config import Config, OllamaConfig
from core.errors import ModelError
from core.sanitize import one_line

DEFAULT_HOST = "http://127.0.0.1:11434"
_LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}
_RETRY_STATUSES = {429, 500, 502, 503, 504}

TokenCallback = Callable[[str], None]


class PromptTooLongError(ModelError):
    """A prompt would not fit the model's context window with room for the answer."""


def resolve_host(config: OllamaConfig) -> str:
    """The server's base URL: config, else $OLLAMA_HOST, else the local default.

    Written the way Ollama itself reads OLLAMA_HOST: a bare host gets port 11434, a bare
    `:port` means 127.0.0.1, a scheme keeps its own default port.
    """
    raw = (config.host or os.environ.get("OLLAMA_HOST", "")).strip().rstrip("/")
    if not raw:
        return DEFAULT_HOST
    if "://" not in raw:
        scheme, rest = "http", raw
        host_port, _, path = rest.partition("/")
        if host_port.startswith(":"):
            host_port = "127.0.0.1" + host_port
        has_port = host_port.rsplit("]", 1)[-1].count(":") == 1 or (
            not host_port.startswith("[") and host_port.count(":") == 1
        )
        if not has_port:
            host_port += ":11434"
        return f"{scheme}://{host_port}" + (f"/{path}" if path else "")
    return raw


def is_local(host: str) -> bool:
    """True for a server on this machine (no proxy must ever sit in between)."""
    name = (urlsplit(host).hostname or "").strip("[]").lower()
    return name in _LOCAL_NAMES or name.startswith("127.")


def model_name(name: str) -> str:
    """A model name as `ollama list` shows it: `gemma3` means `gemma3:latest`."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def estimate_tokens(text: str) -> int:
    """A generous estimate of the tokens `text` takes (rarely below the truth).

    Ollama only reports what it evaluated after the fact, so the app estimates before
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


def messages_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    """The estimated prompt size of chat messages (with a little per-message overhead)."""
    return sum(estimate_tokens(message["content"]) + 4 for message in messages)


@dataclass
class ChatResult:
    """One answer and the server's counts for it."""

    text: str
    model: str
    done_reason: str | None = None
    prompt_tokens: int | None = None
    """prompt_eval_count: the tokens the model actually saw."""
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
    """What the server said about itself and the configured model."""

    host: str
    version: str
    models: list[str]
    model_pulled: bool
    context_length: int | None = None
    capabilities: list[str] | None = None


class _LoopState:
    """The parts bound to one event loop: the HTTP client and the parallelism limit."""

    def __init__(self, client: ollama.AsyncClient, parallel: int) -> None:
        self.client = client
        self.slots = asyncio.Semaphore(parallel)


class OllamaClient:
    """Talks to one Ollama server for the whole app (see the module docstring)."""

    def __init__(
        self,
        config: OllamaConfig,
        *,
        host: str | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.host = host or resolve_host(config)
        self.model = config.model
        self.parallel = max(1, config.parallel)
        self._sleep = sleep
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self.requests = 0
        """Requests sent to the model (retries included)."""
        self.eval_tokens = 0
        self.eval_ns = 0
        self._ratios: deque[float] = deque(maxlen=32)

    # --- plumbing -------------------------------------------------------------------

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            timeout = httpx.Timeout(
                self.config.timeout_seconds, connect=self.config.connect_timeout_seconds
            )
            client = ollama.AsyncClient(
                host=self.host,
                timeout=timeout,
                # A system proxy must never see (or break) requests to a local server.
                trust_env=not is_local(self.host),
            )
            # An HTTP client belongs to the loop that made it (the TUI runs each job in a
            # loop of its own); the states of loops that have ended are dropped.
            self._states = {
                other: kept for other, kept in self._states.items() if not other.is_closed()
            }
            state = self._states[loop] = _LoopState(client, self.parallel)
        return state

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        state = self._states.pop(loop, None)
        if state is not None:
            await state.client.close()

    async def __aenter__(self) -> OllamaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _options(self, num_predict: int | None, temperature: float | None) -> dict[str, Any]:
        return {
            "num_ctx": self.config.num_ctx,
            "num_predict": num_predict if num_predict is not None else self.config.num_predict,
            "temperature": self.config.temperature if temperature is None else temperature,
        }

    def _keep_alive(self) -> str | int:
        value = self.config.keep_alive.strip()
        # Ollama reads a bare number as seconds; a string needs a unit ("10m").
        return int(value) if value.lstrip("-").isdigit() else value

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens per second measured over every answer so far."""
        return self.eval_tokens / self.eval_ns * 1e9 if self.eval_ns else None

    @property
    def token_ratio(self) -> float:
        """Tokens the model counted per estimated token, over recent untruncated prompts.

        Tokenizers differ (some spend two tokens on a Hangul syllable), so the estimate is
        calibrated by what the server reports; 1.0 until something was measured.
        """
        return statistics.median(self._ratios) if self._ratios else 1.0

    def prompt_size(self, messages: Sequence[Mapping[str, str]]) -> int:
        """The tokens these messages will take: the estimate, calibrated upwards only."""
        return math.ceil(messages_tokens(messages) * max(1.0, self.token_ratio))

    def fits(self, messages: Sequence[Mapping[str, str]], num_predict: int | None = None) -> bool:
        """True when the messages leave room for the answer in the context window."""
        room = self.config.num_ctx - (num_predict or self.config.num_predict)
        return self.prompt_size(messages) <= room

    # --- requests -------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        format: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
        num_predict: int | None = None,
        temperature: float | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> ChatResult:
        """One streamed chat answer, retried on a busy server or a timeout.

        Raises PromptTooLongError before sending a prompt that cannot fit `num_ctx` with
        room for the answer, and ModelError (one line) for anything the server refuses.
        `on_token` gets each piece of text as it arrives; before a retry `on_restart` is
        called, since the text then starts again.
        """
        estimate = messages_tokens(messages)
        budget = num_predict or self.config.num_predict
        if not self.fits(messages, budget):
            estimate = self.prompt_size(messages)
            raise PromptTooLongError(
                f"a prompt of about {estimate} tokens does not fit ollama.num_ctx = "
                f"{self.config.num_ctx} with {budget} tokens for the answer — raise num_ctx"
            )
        retries = max(0, self.config.retries)
        last_problem = ""
        for attempt in range(1, retries + 2):
            try:
                result = await self._chat_once(
                    messages, format, on_token, budget, temperature, estimate
                )
            except _Retryable as problem:
                last_problem = str(problem)
                if attempt > retries:
                    break
                if on_restart is not None:
                    on_restart()
                await self._sleep(self.config.backoff_seconds * 2 ** (attempt - 1))
                continue
            result.attempts = attempt
            return result
        raise ModelError(f"{last_problem} (tried {retries + 1} times)")

    async def _chat_once(
        self,
        messages: Sequence[Mapping[str, str]],
        format: dict[str, Any] | None,
        on_token: TokenCallback | None,
        budget: int,
        temperature: float | None,
        estimate: int,
    ) -> ChatResult:
        state = self._state()
        async with state.slots:
            self.requests += 1
            started = time.monotonic()
            pieces: list[str] = []
            final: Any = None
            try:
                async with asyncio.timeout(self.config.timeout_seconds):
                    stream = await state.client.chat(
                        model=self.model,
                        messages=[dict(message) for message in messages],
                        stream=True,
                        think=self.config.think,
                        format=format,
                        options=self._options(budget, temperature),
                        keep_alive=self._keep_alive(),
                    )
                    async for part in stream:
                        piece = part.message.content or ""
                        if piece:
                            pieces.append(piece)
                            if on_token is not None:
                                on_token(piece)
                        if part.done:
                            final = part
            except ollama.ResponseError as error:
                raise self._response_error(error, started_streaming=bool(pieces)) from None
            except (TimeoutError, httpx.TimeoutException):
                raise _Retryable(
                    f"Ollama at {self.host} did not answer within "
                    f"{self.config.timeout_seconds:g}s — the model may be too slow for this "
                    "machine: raise ollama.timeout_seconds or pick a smaller model"
                ) from None
            except (ConnectionError, httpx.ConnectError):
                raise ModelError(self._unreachable()) from None
            except (httpx.RemoteProtocolError, httpx.ReadError) as error:
                raise _Retryable(
                    f"Ollama at {self.host} dropped the connection mid-answer ({error}) — "
                    "check `ollama serve` logs"
                ) from None
            except httpx.HTTPError as error:
                raise ModelError(f"request to Ollama at {self.host} failed: {error}") from None
            except pydantic.ValidationError:
                raise ModelError(
                    f"{self.host} does not answer like an Ollama server — check ollama.host"
                ) from None
        if final is None:
            raise _Retryable(f"Ollama at {self.host} ended the answer without its final counts")
        result = ChatResult(
            text="".join(pieces),
            model=self.model,
            done_reason=final.done_reason,
            prompt_tokens=final.prompt_eval_count,
            output_tokens=final.eval_count,
            eval_duration_ns=final.eval_duration,
            prompt_eval_duration_ns=final.prompt_eval_duration,
            total_duration_ns=final.total_duration,
            load_duration_ns=final.load_duration,
            prompt_estimate=estimate,
            wall_seconds=time.monotonic() - started,
        )
        result.truncated = self._looks_truncated(result, budget)
        if result.output_tokens and result.eval_duration_ns:
            self.eval_tokens += result.output_tokens
            self.eval_ns += result.eval_duration_ns
        seen = result.prompt_tokens
        if (
            seen is not None
            and estimate >= 50
            and not result.truncated
            and seen >= 0.3 * estimate  # not a prompt served mostly from Ollama's cache
            and seen + budget <= self.config.num_ctx
        ):
            self._ratios.append(seen / estimate)
        return result

    def _looks_truncated(self, result: ChatResult, budget: int) -> bool:
        """Did Ollama silently cut the prompt?

        Ollama keeps only what fits and says so only in its own log; the one signal a
        client gets is prompt_eval_count. A prompt counts as cut when
        - it filled the window: no room was left for the answer the app reserved, so the
          estimate was wrong and Ollama had to cut or shift;
        - the count is Ollama's known cut to half the window plus two tokens (2,050 for a
          num_ctx of 4,096: ollama/ollama#17427, Stirling-Tools/Stirling-PDF#7770) for a
          prompt of about that size or more;
        - or the model saw far fewer tokens than the calibrated estimate of what was sent,
          while seeing a large part of the window (a small count is a cached prompt
          prefix, not a cut).
        """
        seen = result.prompt_tokens
        if seen is None:
            return False
        num_ctx = self.config.num_ctx
        expected = result.prompt_estimate * self.token_ratio
        if seen + budget > num_ctx:
            return True
        if abs(seen - (num_ctx // 2 + 2)) <= 2 and expected > 0.45 * num_ctx:
            return True
        return seen < 0.5 * expected and seen >= 0.3 * num_ctx

    def _response_error(self, error: ollama.ResponseError, *, started_streaming: bool) -> Exception:
        message = one_line(str(error.error), limit=200)
        status = error.status_code
        if status == 404 and "not found" in message:
            return ModelError(self._not_pulled())
        if status == 400 and "thinking" in message:
            return ModelError(
                f"model '{self.model}' does not support thinking — set think = false in [ollama]"
            )
        if status == 503 or status == 429:
            return _Retryable(
                f"Ollama at {self.host} is busy ({message}) — lower ollama.parallel to match "
                "OLLAMA_NUM_PARALLEL, or raise OLLAMA_MAX_QUEUE"
            )
        if status in _RETRY_STATUSES:
            return _Retryable(f"Ollama at {self.host} failed (HTTP {status}: {message})")
        if status == -1:
            # An {"error"} line in the middle of a stream: the runner failed mid-answer.
            return _Retryable(
                f"Ollama failed while answering: {message} — check `ollama serve` logs"
            )
        return ModelError(f"Ollama at {self.host} refused the request (HTTP {status}: {message})")

    def _not_pulled(self) -> str:
        return f"model '{self.model}' is not pulled — run `ollama pull {self.model}`"

    def _unreachable(self) -> str:
        if is_local(self.host):
            return f"cannot reach Ollama at {self.host} — start it with `ollama serve`"
        return (
            f"cannot reach Ollama at {self.host} — check the server is running and "
            "ollama.host (or OLLAMA_HOST) is right"
        )

    # --- server status --------------------------------------------------------------

    async def status(self, *, details: bool = True) -> ServerStatus:
        """The server's pulled models and, with `details`, its version and what it knows
        of our model (context length, capabilities).

        Raises ModelError when the server cannot be reached.
        """
        state = self._state()
        version = ""
        try:
            async with asyncio.timeout(self.config.connect_timeout_seconds + 10):
                if details:
                    async with httpx.AsyncClient(
                        base_url=self.host,
                        timeout=httpx.Timeout(10, connect=self.config.connect_timeout_seconds),
                        trust_env=not is_local(self.host),
                    ) as http:
                        response = await http.get("/api/version")
                        response.raise_for_status()
                        version = str(response.json().get("version", "?"))
                listing = await state.client.list()
        except (ConnectionError, httpx.ConnectError, httpx.TimeoutException, TimeoutError):
            raise ModelError(self._unreachable()) from None
        except (httpx.HTTPError, ollama.ResponseError, ValueError) as error:
            raise ModelError(
                f"{self.host} does not answer like an Ollama server ({one_line(str(error), limit=120)})"
                " — check ollama.host"
            ) from None
        models = [model.model or "" for model in listing.models]
        pulled = model_name(self.model) in {model_name(name) for name in models}
        result = ServerStatus(self.host, version, models, pulled)
        if pulled and details:
            try:
                shown = await state.client.show(self.model)
            except (ollama.ResponseError, httpx.HTTPError):
                return result
            info = shown.modelinfo or {}
            result.context_length = next(
                (int(value) for key, value in info.items() if key.endswith(".context_length")),
                None,
            )
            result.capabilities = list(shown.capabilities or [])
        return result

    async def ensure_ready(self) -> ServerStatus:
        """The pulled models (one quick request); ModelError when the server is down or
        the model is not pulled."""
        status = await self.status(details=False)
        if not status.model_pulled:
            raise ModelError(self._not_pulled())
        return status

    async def measure_speed(self) -> ChatResult:
        """A short Korean answer, to measure tokens per second (and load the model)."""
        return await self.chat(
            [{"role": "user", "content": "인공지능 연구의 의의를 한국어 두 문장으로 설명하세요."}],
            num_predict=48,
        )


class _Retryable(ModelError):
    """A failure worth another try after a wait (busy server, timeout, dropped stream)."""


def make_client(config: Config) -> OllamaClient:
    """The app's Ollama client, configured from `[ollama]`."""
    return OllamaClient(config.ollama)


async def check_ollama(config: Config) -> tuple[bool, str, float | None]:
    """Does Ollama answer with the configured model, and how fast does it write?

    Returns (ok, one line to show, output tokens per second or None).
    """
    client = make_client(config)
    try:
        status = await client.status()
        if not status.model_pulled:
            return (
                False,
                f"Ollama {status.version} at {status.host} answers, but {client._not_pulled()}",
                None,
            )
        result = await client.measure_speed()
    except ModelError as error:
        return False, str(error), None
    finally:
        await client.aclose()
    speed = result.tokens_per_second
    context = ""
    if status.context_length and config.ollama.num_ctx > status.context_length:
        context = f"; num_ctx {config.ollama.num_ctx} exceeds the model's {status.context_length}"
    detail = (
        f"Ollama {status.version} at {status.host}, model {config.ollama.model}"
        + (f", {speed:.1f} tokens/s" if speed else "")
        + context
    )
    return True, detail, speed


__all__ = [
    "ChatResult",
    "OllamaClient",
    "PromptTooLongError",
    "ServerStatus",
    "check_ollama",
    "estimate_tokens",
    "make_client",
    "messages_tokens",
    "resolve_host",
]
