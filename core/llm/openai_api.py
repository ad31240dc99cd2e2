"""One OpenAI-compatible server over plain httpx (backend = "openai").

vLLM, llama.cpp's llama-server, LM Studio, a LiteLLM proxy and Ollama's own `/v1` all
speak this protocol: `POST chat/completions` streamed as server-sent events
(`data: {chunk}` lines with `choices[0].delta.content`, a last chunk with `usage` when
`stream_options.include_usage` is set, then `data: [DONE]`), `response_format` with a JSON
schema for structured answers, `GET models` and `POST embeddings`.

Why httpx and not the `openai` package: httpx is already here (the fetcher, Ollama's own
client), and the few routes are simple; the `openai` client would add its own retries
(on top of the host failover), hide Retry-After and the body of an error behind its
exception types, and expects the official API's error shape, where these servers each
answer differently: `{"error": {"message": …}}` (OpenAI, LiteLLM, newer vLLM),
`{"object": "error", "message": …}` (older vLLM), `{"error": "Unauthorized"}` (vLLM's
--api-key check), `{"detail": …}` (FastAPI). Every failure is sorted into the host's
(HostDown, HostBusy, HostUnusable) or the request's (ModelError, PromptTooLongError).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from core.config import LLMConfig
from core.errors import ModelError
from core.i18n import _
from core.llm.common import (
    ChatResult,
    HostBusy,
    HostDown,
    HostFailure,
    HostUnusable,
    Messages,
    PromptTooLongError,
    ServerStatus,
    TokenCallback,
    is_local,
    model_name,
)
from core.sanitize import one_line

_CONTEXT_WORDS = re.compile(
    r"maximum context length|context length|context size|context window|context_length_exceeded"
    r"|too many tokens|prompt is too long|exceeds? the available context",
    re.IGNORECASE,
)
_MISSING_MODEL_WORDS = re.compile(
    r"does not exist|not found|invalid model|no such model|unknown model|model_not_found",
    re.IGNORECASE,
)


class OpenAIBackend:
    """Talks to one OpenAI-compatible server (see the module docstring)."""

    name = "the OpenAI-compatible server"
    truncates_silently = False  # these servers refuse an over-long prompt with a 400

    def __init__(
        self, config: LLMConfig, url: str, api_key: Callable[[], str | None] = lambda: None
    ) -> None:
        self.config = config
        self.url = url
        self.model = config.model
        self._api_key = api_key
        self._sent_key = False
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            key = self._api_key()
            self._sent_key = bool(key)
            client = httpx.AsyncClient(
                base_url=self.url,
                timeout=httpx.Timeout(
                    self.config.timeout_seconds, connect=self.config.connect_timeout_seconds
                ),
                headers={"Authorization": f"Bearer {key}"} if key else None,
                # A system proxy must never see (or break) requests to a local server.
                trust_env=not is_local(self.url),
            )
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
            await client.aclose()

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
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(message) for message in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": num_predict,
            "temperature": self.config.temperature if temperature is None else temperature,
        }
        if format is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": format},
            }
        started = time.monotonic()
        first_piece: float | None = None
        pieces: list[str] = []
        usage: dict[str, Any] = {}
        finish_reason: str | None = None
        done = False
        try:
            async with (
                asyncio.timeout(self.config.timeout_seconds),
                self._client().stream("POST", "chat/completions", json=body) as response,
            ):
                if response.status_code != 200:
                    await response.aread()
                    raise self._http_error(response)
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators, `: keep-alive` comments, `event:` lines
                    data = line[5:].strip()
                    if data == "[DONE]":
                        done = True
                        break
                    chunk = self._chunk(data)
                    if "error" in chunk:
                        # vLLM and LiteLLM report a failure after the 200 as a data line.
                        message = _error_text(chunk)
                        raise HostBusy(
                            _(
                                "{url} failed while answering: {message} — check the server's log"
                            ).format(url=self.url, message=message)
                        )
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content") or ""
                        if piece:
                            if first_piece is None:
                                first_piece = time.monotonic()
                            pieces.append(piece)
                            if on_token is not None:
                                on_token(piece)
                        finish_reason = choice.get("finish_reason") or finish_reason
                    if chunk.get("usage"):
                        usage = chunk["usage"]
        except (TimeoutError, httpx.TimeoutException):
            raise HostBusy(
                _(
                    "{url} did not answer within {timeout_seconds:g}s — the server may be overloaded:"
                    " raise llm.timeout_seconds or lower llm.parallel"
                ).format(url=self.url, timeout_seconds=self.config.timeout_seconds)
            ) from None
        except httpx.ConnectError:
            raise HostDown(self._unreachable()) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            raise HostBusy(
                _(
                    "{url} dropped the connection mid-answer ({error}) — check the server's log"
                ).format(url=self.url, error=error)
            ) from None
        except httpx.HTTPError as error:
            raise ModelError(
                _("request to {url} failed: {error}").format(url=self.url, error=error)
            ) from None
        if not done and finish_reason is None:
            raise HostBusy(_("{url} ended the answer before it was complete").format(url=self.url))
        ended = time.monotonic()
        output = usage.get("completion_tokens")
        if not isinstance(output, int):
            output = len(pieces)  # these servers send about one token per chunk
        # The server reports no durations: the time to the first piece counts as reading the
        # prompt, the rest as writing (scaled to every piece, the first one included).
        writing = None
        if first_piece is not None and len(pieces) > 1 and ended > first_piece:
            writing = int((ended - first_piece) * len(pieces) / (len(pieces) - 1) * 1e9)
        prompt_tokens = usage.get("prompt_tokens")
        return ChatResult(
            text="".join(pieces),
            model=self.model,
            done_reason="length" if finish_reason == "length" else (finish_reason or "stop"),
            prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
            output_tokens=output,
            eval_duration_ns=writing,
            prompt_eval_duration_ns=(
                int((first_piece - started) * 1e9) if first_piece is not None else None
            ),
            total_duration_ns=int((ended - started) * 1e9),
            wall_seconds=ended - started,
            host=self.url,
        )

    def _chunk(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError:
            chunk = None
        if not isinstance(chunk, dict):
            raise HostUnusable(
                _(
                    "{url} does not stream like an OpenAI-compatible server — check llm.hosts (the "
                    "URL up to /v1) and llm.backend"
                ).format(url=self.url)
            )
        return chunk

    def _http_error(self, response: httpx.Response) -> Exception:
        """The failure an error response means, as one line that says what to do."""
        status = response.status_code
        message = one_line(_error_text(_json_or_text(response)), limit=240)
        if status in (401, 403):
            where = "refused the API key" if self._sent_key else "wants an API key (none was sent)"
            return HostUnusable(
                _(
                    "{url} {where} (HTTP {status}: {message}) — set it in ${value} (llm.api_key_env) "
                    "or llm.api_key_command"
                ).format(
                    url=self.url,
                    where=where,
                    status=status,
                    message=message,
                    value=self.config.api_key_env or "DAILYAI_LLM_API_KEY",
                )
            )
        if status == 429:
            return HostBusy(
                _(
                    "{url} is rate limiting requests ({message}) — lower llm.parallel or raise the "
                    "server's limits"
                ).format(url=self.url, message=message),
                retry_after=_retry_after(response),
            )
        if status >= 500:
            return HostBusy(
                _("{url} failed (HTTP {status}: {message})").format(
                    url=self.url, status=status, message=message
                ),
                retry_after=_retry_after(response),
            )
        if status in (400, 413, 422) and _CONTEXT_WORDS.search(message):
            return PromptTooLongError(
                _(
                    "the prompt does not fit the model's context at {url} ({message}) — raise the "
                    "server's context (vLLM --max-model-len, llama-server --ctx-size) or lower "
                    "llm.num_ctx to match it"
                ).format(url=self.url, message=message)
            )
        if status == 404 or (status == 400 and _MISSING_MODEL_WORDS.search(message)):
            if "model" in message.lower():
                return HostUnusable(self.not_served())
            return HostUnusable(
                _(
                    "{url} has no chat/completions route (HTTP {status}: {message}) — llm.hosts must "
                    "give the URL up to and including /v1"
                ).format(url=self.url, status=status, message=message)
            )
        return ModelError(
            _("{url} refused the request (HTTP {status}: {message})").format(
                url=self.url, status=status, message=message
            )
        )

    def not_served(self) -> str:
        return _(
            "model '{model}' is not served at {url} — check llm.model against the names the "
            "server lists (`dailyai doctor` shows them)"
        ).format(model=self.model, url=self.url)

    def _unreachable(self) -> str:
        return _("cannot reach {url} — check the server is running and llm.hosts is right").format(
            url=self.url
        )

    # --- server status --------------------------------------------------------------

    async def status(self, *, details: bool = True) -> ServerStatus:
        """The models the server serves (GET models) and whether ours is one of them.

        vLLM also says the model's context length (`max_model_len`). Raises HostDown when
        the server cannot be reached, HostUnusable when it refuses the key or is not an
        OpenAI-compatible server.
        """
        try:
            async with asyncio.timeout(self.config.connect_timeout_seconds + 10):
                response = await self._client().get("models")
                if response.status_code != 200:
                    raise self._http_error(response)
                listing = response.json()
        except (httpx.ConnectError, httpx.TimeoutException, TimeoutError):
            raise HostDown(self._unreachable()) from None
        except (httpx.HTTPError, ValueError) as error:
            raise HostUnusable(
                _(
                    "{url} does not answer like an OpenAI-compatible server ({error}) — check "
                    "llm.hosts and llm.backend"
                ).format(url=self.url, error=one_line(str(error), limit=120))
            ) from None
        except HostFailure:
            raise
        except ModelError as error:
            raise HostUnusable(str(error)) from None
        entries = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(entries, list):
            raise HostUnusable(
                _(
                    "{url} does not list its models like an OpenAI-compatible server — check "
                    "llm.hosts (the URL up to /v1) and llm.backend"
                ).format(url=self.url)
            )
        models = [str(entry.get("id", "")) for entry in entries if isinstance(entry, dict)]
        ours = next(
            (
                entry
                for entry in entries
                if isinstance(entry, dict)
                and (
                    entry.get("id") == self.model
                    or model_name(str(entry.get("id", ""))) == model_name(self.model)
                )
            ),
            None,
        )
        result = ServerStatus(self.url, "", models, ours is not None)
        if ours is not None:
            result.version = str(ours.get("owned_by") or "")
            length = ours.get("max_model_len")
            result.context_length = length if isinstance(length, int) else None
        return result

    async def embed(self, texts: Sequence[str], model: str) -> list[list[float]]:
        """Embedding vectors of `texts` (POST embeddings), in the order given."""
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                response = await self._client().post(
                    "embeddings", json={"model": model, "input": list(texts)}
                )
                if response.status_code != 200:
                    failure = self._http_error(response)
                    if str(failure) == self.not_served():
                        # The embedding model is missing, not the host: it still serves chat.
                        raise ModelError(
                            _(
                                "embedding model '{model}' is not served at {url} — check rank.embedding_model "
                                "against the names the server lists"
                            ).format(model=model, url=self.url)
                        )
                    raise failure
                answer = response.json()
        except (TimeoutError, httpx.TimeoutException):
            raise HostBusy(
                _("{url} did not embed within the timeout").format(url=self.url)
            ) from None
        except httpx.ConnectError:
            raise HostDown(self._unreachable()) from None
        except (httpx.HTTPError, ValueError) as error:
            raise HostBusy(
                _("{url} failed to embed ({error})").format(url=self.url, error=error)
            ) from None
        try:
            rows = sorted(answer["data"], key=lambda row: row.get("index", 0))
            return [[float(x) for x in row["embedding"]] for row in rows]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise HostUnusable(
                _("{url} does not answer embeddings like an OpenAI-compatible server").format(
                    url=self.url
                )
            ) from None


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase


def _error_text(body: Any) -> str:
    """The message of an error body, in any of the shapes these servers send."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or error)
        if isinstance(error, str):
            return error
        for key in ("message", "detail"):
            if body.get(key):
                return str(body[key])
    return str(body)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds a Retry-After header asks to wait (a number, or an HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


__all__ = ["OpenAIBackend"]
