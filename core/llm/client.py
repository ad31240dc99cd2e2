"""`ModelClient`: the one client the app asks for answers, in front of one or more hosts.

Each host is one server of the configured backend (core.llm.ollama_api,
core.llm.openai_api) with its own number of parallel slots. A request goes to the least
busy host with a free slot (the faster one on a tie); it waits while every host's slots
are taken. When a host fails a request the host is cooled down and the request goes to
another host at once (its text then starts again: `on_restart`):

- unreachable, or the model not there / the key refused: the host sits out (doubling
  waits for an unreachable one, `max_cooldown_seconds` for the rest) and this request never
  goes back to it; with no host left the request fails with every host's reason;
- busy (503, 429 with its Retry-After), a 5xx, a timeout, a dropped answer: the host sits
  out `backoff_seconds`, doubling while it keeps failing; when every host is cooling the
  request waits for the first to come back. After `retries` such failures beyond one per
  host the request fails.

An answer is only ever returned once, so what the caller stores from it is stored once.
Answers stream to `on_token`, and carry the server's counts, from which the speed (tokens
per second) is measured and a prompt Ollama silently truncated is detected.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from core.config import HostConfig, LLMConfig
from core.errors import ModelError
from core.i18n import _
from core.llm.common import (
    Backend,
    ChatResult,
    HostBusy,
    HostFailure,
    HostUnusable,
    Messages,
    PromptTooLongError,
    ServerStatus,
    Sleep,
    TokenCallback,
    messages_tokens,
)
from core.secrets import read_secret

T = TypeVar("T")


@dataclass
class HostState:
    """One host as the client sees it: its slots, its health, what it answered."""

    url: str
    slots: int
    backend: Backend
    answered: int = 0
    failures: int = 0
    streak: int = 0
    """Failures in a row (the cooldown doubles with each)."""
    cool_until: float = 0.0
    """On the client's clock: the host gets no request before this."""
    out: str = ""
    """Why the host is out (unreachable, model missing, key refused) while it cools down."""
    last_error: str = ""
    eval_tokens: int = 0
    eval_ns: int = 0

    @property
    def tokens_per_second(self) -> float | None:
        return self.eval_tokens / self.eval_ns * 1e9 if self.eval_ns else None


@dataclass
class HostReport:
    """What one host did for a client (for the run ledger and the CLI)."""

    url: str
    slots: int
    answered: int
    failures: int
    last_error: str
    tokens_per_second: float | None


class _LoopState:
    """What belongs to one event loop: the slots taken on each host, and their waiters."""

    def __init__(self, hosts: Sequence[HostState]) -> None:
        self.in_flight = {host.url: 0 for host in hosts}
        self.changed = asyncio.Condition()


def make_backend(
    config: LLMConfig, url: str, api_key: Callable[[], str | None] = lambda: None
) -> Backend:
    """The backend `llm.backend` names, for the host at `url`."""
    if config.backend == "openai":
        from core.llm.openai_api import OpenAIBackend

        return OpenAIBackend(config, url, api_key)
    from core.llm.ollama_api import OllamaBackend

    return OllamaBackend(config, url, api_key)


class ModelClient:
    """Asks the configured hosts for answers (see the module docstring)."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        hosts: Sequence[HostConfig] | None = None,
    ) -> None:
        self.config = config
        self.model = config.model
        self._sleep = sleep
        self._clock = clock
        self._key: tuple[str | None] | None = None
        self.hosts = [
            HostState(
                host.url, max(1, host.parallel), make_backend(config, host.url, self._api_key)
            )
            for host in (hosts if hosts is not None else config.host_list())
        ]
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self.requests = 0
        """Requests sent to the hosts (retries and failovers included)."""
        self.eval_tokens = 0
        self.eval_ns = 0
        self._ratios: deque[float] = deque(maxlen=32)

    # --- plumbing -------------------------------------------------------------------

    def _api_key(self) -> str | None:
        """The API key from $llm.api_key_env or llm.api_key_command, read once."""
        if self._key is None:
            self._key = (
                read_secret(
                    self.config.api_key_env,
                    self.config.api_key_command,
                    setting="llm: api_key_command",
                    error=ModelError,
                ),
            )
        return self._key[0]

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            self._states = {
                other: kept for other, kept in self._states.items() if not other.is_closed()
            }
            state = self._states[loop] = _LoopState(self.hosts)
        return state

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop."""
        for host in self.hosts:
            await host.backend.aclose()

    async def __aenter__(self) -> ModelClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def host(self) -> str:
        """The hosts' URLs, for messages."""
        return ", ".join(host.url for host in self.hosts)

    @property
    def parallel(self) -> int:
        """Requests that can run at once: the slots of every host that is not out."""
        now = self._clock()
        usable = [h for h in self.hosts if not (h.out and h.cool_until > now)]
        return sum(host.slots for host in usable) or 1

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

    def prompt_size(self, messages: Messages) -> int:
        """The tokens these messages will take: the estimate, calibrated upwards only."""
        return math.ceil(messages_tokens(messages) * max(1.0, self.token_ratio))

    def fits(self, messages: Messages, num_predict: int | None = None) -> bool:
        """True when the messages leave room for the answer in the context window."""
        room = self.config.num_ctx - (num_predict or self.config.num_predict)
        return self.prompt_size(messages) <= room

    def host_reports(self) -> list[HostReport]:
        """What each host answered and how often it failed, so far."""
        return [
            HostReport(
                host.url,
                host.slots,
                host.answered,
                host.failures,
                host.last_error,
                host.tokens_per_second,
            )
            for host in self.hosts
        ]

    # --- dispatch -------------------------------------------------------------------

    async def _acquire(
        self, state: _LoopState, excluded: dict[str, str], only: HostState | None
    ) -> HostState | None:
        """A slot on the least busy host that may take this request; None when none may."""
        while True:
            async with state.changed:
                while True:
                    now = self._clock()
                    candidates = [
                        host
                        for host in ([only] if only is not None else self.hosts)
                        if host.url not in excluded and not (host.out and host.cool_until > now)
                    ]
                    if not candidates:
                        return None
                    ready = [host for host in candidates if host.cool_until <= now]
                    free = [h for h in ready if state.in_flight[h.url] < h.slots]
                    if free:
                        # The least busy; on a tie the faster, and a host not measured yet
                        # (new, or back after a failure) first, to learn its speed.
                        chosen = min(
                            free,
                            key=lambda h: (
                                state.in_flight[h.url] / h.slots,
                                -(h.tokens_per_second or math.inf),
                                self.hosts.index(h),
                            ),
                        )
                        state.in_flight[chosen.url] += 1
                        return chosen
                    if not ready:
                        break  # every host that may take it is cooling down
                    # Every ready host is busy: wait for a slot, or for a cooling host to
                    # come back, whichever is first.
                    back = [h.cool_until - now for h in candidates if h.cool_until > now]
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(state.changed.wait(), min(back) if back else None)
            first = min(candidates, key=lambda h: h.cool_until)
            await self._sleep(max(0.0, first.cool_until - self._clock()))
            first.cool_until = min(first.cool_until, self._clock())  # its turn: try it

    async def _release(self, state: _LoopState, host: HostState) -> None:
        state.in_flight[host.url] -= 1
        async with state.changed:
            state.changed.notify_all()

    def _failed(self, host: HostState, failure: HostFailure) -> None:
        """Cool the host down after `failure` (see the module docstring)."""
        host.failures += 1
        host.streak += 1
        host.last_error = str(failure)
        limit = self.config.max_cooldown_seconds
        if isinstance(failure, HostUnusable):
            delay = limit
        else:
            delay = min(limit, self.config.backoff_seconds * 2 ** (host.streak - 1))
        if isinstance(failure, HostBusy):
            if failure.retry_after is not None:
                delay = max(delay, min(failure.retry_after, limit))
        else:
            host.out = str(failure)
        host.cool_until = max(host.cool_until, self._clock() + delay)

    def _answered(self, host: HostState) -> None:
        host.answered += 1
        host.streak = 0
        host.cool_until = 0.0
        host.out = ""

    def _no_host(self, excluded: dict[str, str]) -> ModelError:
        """The error when no host may take a request: each host's reason."""
        now = self._clock()
        reasons = dict(excluded)
        for host in self.hosts:
            if host.url not in reasons and host.out and host.cool_until > now:
                reasons[host.url] = host.out
        if len(self.hosts) == 1:
            return ModelError(next(iter(reasons.values())))
        lines = [why if url in why else f"{url}: {why}" for url, why in reasons.items()]
        return ModelError(_("no model host can answer — {items}").format(items="; ".join(lines)))

    async def _dispatch(
        self,
        call: Callable[[HostState], Awaitable[T]],
        *,
        on_restart: Callable[[], None] | None = None,
        only: HostState | None = None,
    ) -> tuple[T, HostState, int, list[tuple[str, str]]]:
        """Run `call` on a host until one answers; (answer, host, attempts, failures).

        Raises ModelError when no host can take the request, or after too many failures
        (see the module docstring); a failure of the request itself is raised at once.
        """
        state = self._state()
        excluded: dict[str, str] = {}
        failed: list[tuple[str, str]] = []
        allowed_busy = max(0, self.config.retries) + (len(self.hosts) if only is None else 1) - 1
        busy = attempts = 0
        while True:
            host = await self._acquire(state, excluded, only)
            if host is None:
                raise self._no_host(excluded)
            if attempts and on_restart is not None:
                on_restart()  # the answer starts again, on this host
            attempts += 1
            self.requests += 1
            try:
                value = await call(host)
            except HostFailure as failure:
                self._failed(host, failure)
                failed.append((host.url, str(failure)))
                if not isinstance(failure, HostBusy):
                    excluded[host.url] = str(failure)
                    continue
                busy += 1
                if busy > allowed_busy:
                    raise ModelError(
                        _("{failure} (tried {attempts} times)").format(
                            failure=failure, attempts=attempts
                        )
                    ) from None
                continue
            finally:
                await self._release(state, host)
            self._answered(host)
            return value, host, attempts, failed

    # --- requests -------------------------------------------------------------------

    async def chat(
        self,
        messages: Messages,
        *,
        format: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
        num_predict: int | None = None,
        temperature: float | None = None,
        on_restart: Callable[[], None] | None = None,
        host: HostState | None = None,
    ) -> ChatResult:
        """One streamed chat answer, from whichever host can give it (or from `host`).

        Raises PromptTooLongError before sending a prompt that cannot fit `num_ctx` with
        room for the answer, and ModelError (one line) for anything no host would answer.
        `on_token` gets each piece of text as it arrives; before the request is sent again
        `on_restart` is called, since the text then starts again.
        """
        estimate = messages_tokens(messages)
        budget = num_predict or self.config.num_predict
        if not self.fits(messages, budget):
            raise PromptTooLongError(
                _(
                    "a prompt of about {value} tokens does not fit llm.num_ctx = {num_ctx} with "
                    "{budget} tokens for the answer — raise num_ctx"
                ).format(
                    value=self.prompt_size(messages), num_ctx=self.config.num_ctx, budget=budget
                )
            )

        async def ask(chosen: HostState) -> ChatResult:
            return await chosen.backend.chat_once(
                messages,
                format=format,
                on_token=on_token,
                num_predict=budget,
                temperature=temperature,
            )

        result, chosen, attempts, failed = await self._dispatch(
            ask, on_restart=on_restart, only=host
        )
        result.prompt_estimate = estimate
        result.attempts = attempts
        result.failed_hosts = failed
        if chosen.backend.truncates_silently:
            result.truncated = self._looks_truncated(result, budget)
        if result.output_tokens and result.eval_duration_ns:
            self.eval_tokens += result.output_tokens
            self.eval_ns += result.eval_duration_ns
            chosen.eval_tokens += result.output_tokens
            chosen.eval_ns += result.eval_duration_ns
        seen = result.prompt_tokens
        if (
            seen is not None
            and estimate >= 50
            and not result.truncated
            and seen >= 0.3 * estimate  # not a prompt served mostly from the server's cache
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

    async def embed(self, texts: Sequence[str], *, model: str | None = None) -> list[list[float]]:
        """Embedding vectors of `texts` by `model` (the configured one by default)."""

        async def ask(chosen: HostState) -> list[list[float]]:
            return await chosen.backend.embed(texts, model or self.model)

        vectors, *_ = await self._dispatch(ask)
        return vectors

    # --- server status --------------------------------------------------------------

    async def statuses(
        self, *, details: bool = True
    ) -> list[tuple[HostState, ServerStatus | ModelError]]:
        """Every host's status (or why it has none), asked all at once."""

        async def one(host: HostState) -> ServerStatus | ModelError:
            try:
                return await host.backend.status(details=details)
            except ModelError as error:
                return error

        answers = await asyncio.gather(*(one(host) for host in self.hosts))
        return list(zip(self.hosts, answers, strict=True))

    async def status(self, *, details: bool = True) -> ServerStatus:
        """The first host's status that answers; ModelError with every reason when none does."""
        problems: dict[str, str] = {}
        for host, answer in await self.statuses(details=details):
            if isinstance(answer, ServerStatus):
                return answer
            problems[host.url] = str(answer)
        raise self._no_host(problems)

    async def ensure_ready(self) -> ServerStatus:
        """Check every host in one quick request each: those that are down, or lack the
        model, sit out. ModelError when no host has the model."""
        ready: list[ServerStatus] = []
        problems: dict[str, str] = {}
        for host, answer in await self.statuses(details=False):
            if isinstance(answer, ServerStatus) and answer.model_pulled:
                ready.append(answer)
                continue
            failure = (
                answer
                if isinstance(answer, HostFailure)
                else HostUnusable(
                    str(answer) if isinstance(answer, ModelError) else host.backend.not_served()
                )
            )
            self._failed(host, failure)
            problems[host.url] = str(failure)
        if not ready:
            raise self._no_host(problems)
        return ready[0]

    async def measure_speed(self, host: HostState | None = None) -> ChatResult:
        """A short Korean answer, to measure tokens per second (and load the model)."""
        return await self.chat(
            [{"role": "user", "content": "인공지능 연구의 의의를 한국어 두 문장으로 설명하세요."}],
            num_predict=48,
            host=host,
        )


__all__ = ["HostReport", "HostState", "ModelClient", "make_backend"]
