"""One Ollama server, through the official `ollama.AsyncClient` (backend = "ollama").

Why a wrapper: the official client has no timeout by default, honours proxy variables
even for a local server, lets the server pick a context size that silently truncates
prompts, and reports failures as a mix of `ResponseError`, `ConnectionError` and raw httpx
errors (see ../shared/reference/facts.md §1). Here every request gets an explicit timeout,
`num_ctx`, `think` (False unless configured), keep_alive and temperature from config, and
every failure is sorted into the host's (HostDown, HostBusy, HostUnusable) or the request's
(ModelError), each one line that says what to do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import ollama
import pydantic

from core.config import LLMConfig
from core.errors import ModelError
from core.i18n import _
from core.llm.common import (
    ChatResult,
    HostBusy,
    HostDown,
    HostUnusable,
    Messages,
    ServerStatus,
    TokenCallback,
    is_local,
    model_name,
)
from core.sanitize import one_line

_RETRY_STATUSES = {429, 500, 502, 503, 504}


class OllamaBackend:
    """Talks to one Ollama server (see the module docstring)."""

    name = "Ollama"
    truncates_silently = True

    def __init__(
        self, config: LLMConfig, url: str, api_key: Callable[[], str | None] = lambda: None
    ) -> None:
        self.config = config
        self.url = url
        self.model = config.model
        self._api_key = api_key
        self._clients: dict[asyncio.AbstractEventLoop, ollama.AsyncClient] = {}

    def _client(self) -> ollama.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            key = self._api_key()
            client = ollama.AsyncClient(
                host=self.url,
                timeout=httpx.Timeout(
                    self.config.timeout_seconds, connect=self.config.connect_timeout_seconds
                ),
                headers={"Authorization": f"Bearer {key}"} if key else None,
                # A system proxy must never see (or break) requests to a local server.
                trust_env=not is_local(self.url),
            )
            # An HTTP client belongs to the loop that made it (the TUI runs each job in a
            # loop of its own); the clients of loops that have ended are dropped.
            self._clients = {
                other: kept for other, kept in self._clients.items() if not other.is_closed()
            }
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.close()

    def _keep_alive(self) -> str | int:
        value = self.config.keep_alive.strip()
        # Ollama reads a bare number as seconds; a string needs a unit ("10m").
        return int(value) if value.lstrip("-").isdigit() else value

    # --- requests -------------------------------------------------------------------

    async def chat_once(
        self,
        messages: Messages,
        *,
        format: dict[str, Any] | None,
        on_token: TokenCallback | None,
        num_predict: int,
        temperature: float | None,
    ) -> ChatResult:
        started = time.monotonic()
        pieces: list[str] = []
        final: Any = None
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                stream = await self._client().chat(
                    model=self.model,
                    messages=[dict(message) for message in messages],
                    stream=True,
                    think=self.config.think,
                    format=format,
                    options={
                        "num_ctx": self.config.num_ctx,
                        "num_predict": num_predict,
                        "temperature": (
                            self.config.temperature if temperature is None else temperature
                        ),
                    },
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
            raise self._response_error(error) from None
        except (TimeoutError, httpx.TimeoutException):
            raise HostBusy(
                _(
                    "Ollama at {url} did not answer within {timeout_seconds:g}s — the model may be "
                    "too slow for this machine: raise llm.timeout_seconds or pick a smaller model"
                ).format(url=self.url, timeout_seconds=self.config.timeout_seconds)
            ) from None
        except (ConnectionError, httpx.ConnectError):
            raise HostDown(self._unreachable()) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            raise HostBusy(
                _(
                    "Ollama at {url} dropped the connection mid-answer ({error}) — check `ollama "
                    "serve` logs"
                ).format(url=self.url, error=error)
            ) from None
        except httpx.HTTPError as error:
            raise ModelError(
                _("request to Ollama at {url} failed: {error}").format(url=self.url, error=error)
            ) from None
        except pydantic.ValidationError:
            raise HostUnusable(
                _(
                    "{url} does not answer like an Ollama server — check llm.hosts, or set "
                    'llm.backend = "openai" for an OpenAI-compatible server'
                ).format(url=self.url)
            ) from None
        if final is None:
            raise HostBusy(
                _("Ollama at {url} ended the answer without its final counts").format(url=self.url)
            )
        return ChatResult(
            text="".join(pieces),
            model=self.model,
            done_reason=final.done_reason,
            prompt_tokens=final.prompt_eval_count,
            output_tokens=final.eval_count,
            eval_duration_ns=final.eval_duration,
            prompt_eval_duration_ns=final.prompt_eval_duration,
            total_duration_ns=final.total_duration,
            load_duration_ns=final.load_duration,
            wall_seconds=time.monotonic() - started,
            host=self.url,
        )

    def _response_error(self, error: ollama.ResponseError) -> Exception:
        message = one_line(str(error.error), limit=200)
        status = error.status_code
        if status == 404 and "not found" in message:
            return HostUnusable(self.not_served())
        if status == 400 and "thinking" in message:
            return ModelError(
                _("model '{model}' does not support thinking — set think = false in [llm]").format(
                    model=self.model
                )
            )
        if status in (401, 403):
            return HostUnusable(
                _(
                    "Ollama at {url} refused the request (HTTP {status}: {message}) — set the key in "
                    "$DAILYAI_LLM_API_KEY (llm.api_key_env) or llm.api_key_command"
                ).format(url=self.url, status=status, message=message)
            )
        if status == 503 or status == 429:
            return HostBusy(
                _(
                    "Ollama at {url} is busy ({message}) — lower llm.parallel to match "
                    "OLLAMA_NUM_PARALLEL, or raise OLLAMA_MAX_QUEUE"
                ).format(url=self.url, message=message)
            )
        if status in _RETRY_STATUSES:
            return HostBusy(
                _("Ollama at {url} failed (HTTP {status}: {message})").format(
                    url=self.url, status=status, message=message
                )
            )
        if status == -1:
            # An {"error"} line in the middle of a stream: the runner failed mid-answer.
            return HostBusy(
                _("Ollama failed while answering: {message} — check `ollama serve` logs").format(
                    message=message
                )
            )
        return ModelError(
            _("Ollama at {url} refused the request (HTTP {status}: {message})").format(
                url=self.url, status=status, message=message
            )
        )

    def not_served(self) -> str:
        return _("model '{model}' is not pulled — run `ollama pull {model}`").format(
            model=self.model
        )

    def _unreachable(self) -> str:
        if is_local(self.url):
            return _("cannot reach Ollama at {url} — start it with `ollama serve`").format(
                url=self.url
            )
        return _(
            "cannot reach Ollama at {url} — check the server is running and llm.hosts (or "
            "OLLAMA_HOST) is right"
        ).format(url=self.url)

    # --- server status --------------------------------------------------------------

    async def status(self, *, details: bool = True) -> ServerStatus:
        """The server's pulled models and, with `details`, its version and what it knows
        of our model (context length, capabilities).

        Raises HostDown when the server cannot be reached, HostUnusable when what answers
        is not Ollama.
        """
        client = self._client()
        version = ""
        try:
            async with asyncio.timeout(self.config.connect_timeout_seconds + 10):
                if details:
                    async with httpx.AsyncClient(
                        base_url=self.url,
                        timeout=httpx.Timeout(10, connect=self.config.connect_timeout_seconds),
                        trust_env=not is_local(self.url),
                    ) as http:
                        response = await http.get("/api/version")
                        response.raise_for_status()
                        version = str(response.json().get("version", "?"))
                listing = await client.list()
        except (ConnectionError, httpx.ConnectError, httpx.TimeoutException, TimeoutError):
            raise HostDown(self._unreachable()) from None
        except (httpx.HTTPError, ollama.ResponseError, ValueError) as error:
            raise HostUnusable(
                _(
                    "{url} does not answer like an Ollama server ({error}) — check llm.hosts and "
                    "llm.backend"
                ).format(url=self.url, error=one_line(str(error), limit=120))
            ) from None
        models = [model.model or "" for model in listing.models]
        pulled = model_name(self.model) in {model_name(name) for name in models}
        result = ServerStatus(self.url, version, models, pulled)
        if pulled and details:
            try:
                shown = await client.show(self.model)
            except (ollama.ResponseError, httpx.HTTPError):
                return result
            info = shown.modelinfo or {}
            result.context_length = next(
                (int(value) for key, value in info.items() if key.endswith(".context_length")),
                None,
            )
            result.capabilities = list(shown.capabilities or [])
        return result

    async def embed(self, texts: Sequence[str], model: str) -> list[list[float]]:
        """Embedding vectors of `texts` (Ollama's /api/embed)."""
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                answer = await self._client().embed(
                    model=model, input=list(texts), truncate=True, keep_alive=self._keep_alive()
                )
        except ollama.ResponseError as error:
            if error.status_code == 404:
                # The embedding model is missing, not the host: it still serves chat.
                raise ModelError(
                    _("embedding model '{model}' is not pulled — run `ollama pull {model}`").format(
                        model=model
                    )
                ) from None
            raise self._response_error(error) from None
        except (TimeoutError, httpx.TimeoutException):
            raise HostBusy(
                _("Ollama at {url} did not embed within the timeout").format(url=self.url)
            ) from None
        except (ConnectionError, httpx.ConnectError):
            raise HostDown(self._unreachable()) from None
        except (httpx.HTTPError, pydantic.ValidationError) as error:
            raise HostBusy(
                _("Ollama at {url} failed to embed ({error})").format(url=self.url, error=error)
            ) from None
        return [list(vector) for vector in answer.embeddings]


__all__ = ["OllamaBackend"]
