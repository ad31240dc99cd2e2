"""The one way the app talks to model servers: `make_client(config)` → `ModelClient`.

`[llm]` names a backend and one or more hosts:

- backend "ollama": Ollama's own API through the official `ollama` client
  (core.llm.ollama_api);
- backend "openai": any OpenAI-compatible server (vLLM, llama.cpp's llama-server, LM
  Studio, a LiteLLM proxy, Ollama's own /v1) over httpx (core.llm.openai_api).

The ModelClient (core.llm.client) sends each request to the least busy host with a free
slot, moves the work of a host that fails to the others, retries with backoff, times out,
and measures speed; callers (classify, summarize, doctor, the TUI) see one interface:
`chat`, `embed`, `fits`, `status`, `ensure_ready`, `measure_speed`, `parallel`,
`requests`, `tokens_per_second`, `host_reports`.
"""

from __future__ import annotations

from core.config import Config, LLMConfig
from core.errors import ModelError
from core.i18n import _
from core.llm.client import HostReport, HostState, ModelClient, make_backend
from core.llm.common import (
    ChatResult,
    HostBusy,
    HostDown,
    HostFailure,
    HostUnusable,
    PromptTooLongError,
    ServerStatus,
    estimate_tokens,
    is_local,
    messages_tokens,
    model_name,
)


def make_client(config: Config) -> ModelClient:
    """The app's model client, configured from `[llm]` (or the old `[ollama]`)."""
    return ModelClient(config.llm)


def resolve_host(config: LLMConfig) -> str:
    """The first host's URL, written out in full (see LLMConfig.host_list)."""
    return config.host_list()[0].url


def server_name(config: LLMConfig, status: ServerStatus) -> str:
    """How a status line names the server: "Ollama 0.13.0", "vllm", …"""
    if config.backend == "ollama":
        return f"Ollama {status.version}".strip()
    return status.version or _("OpenAI-compatible server")


async def check_model_server(
    config: Config, *, client: ModelClient | None = None
) -> tuple[bool, str, float | None]:
    """Does a model host answer with the configured model, and how fast does it write?

    Returns (ok, one line to show, output tokens per second or None). With several hosts
    the line says how many answer; the speed is measured on whichever host answers.
    `client` is the app's model client (one of this check's own, closed after, when not
    given).
    """
    llm = config.llm
    own = client is None
    client = client if client is not None else make_client(config)
    try:
        answers = await client.statuses()
        ready = [
            (host, answer)
            for host, answer in answers
            if isinstance(answer, ServerStatus) and answer.model_pulled
        ]
        if not ready:
            problems = []
            for host, answer in answers:
                if isinstance(answer, ServerStatus):
                    problems.append(
                        _("{server} at {host} answers, but {problem}").format(
                            server=server_name(llm, answer),
                            host=answer.host,
                            problem=host.backend.not_served(),
                        )
                    )
                else:
                    problems.append(str(answer))
            return False, "; ".join(problems), None
        status = ready[0][1]
        assert isinstance(status, ServerStatus)
        result = await client.measure_speed()
    except ModelError as error:
        return False, str(error), None
    finally:
        if own:
            await client.aclose()
    speed = result.tokens_per_second
    context = ""
    if status.context_length and llm.num_ctx > status.context_length:
        context = _("; num_ctx {num_ctx} exceeds the model's {context_length}").format(
            num_ctx=llm.num_ctx, context_length=status.context_length
        )
    where = (
        _("{server} at {host}").format(server=server_name(llm, status), host=status.host)
        if len(client.hosts) == 1
        else _("{count} of {hosts} hosts answer ({server})").format(
            count=len(ready), hosts=len(client.hosts), server=server_name(llm, status)
        )
    )
    detail = (
        _("{where}, model {model}").format(where=where, model=llm.model)
        + (_(", {speed:.1f} tokens/s").format(speed=speed) if speed else "")
        + context
    )
    return True, detail, speed


__all__ = [
    "ChatResult",
    "HostBusy",
    "HostDown",
    "HostFailure",
    "HostReport",
    "HostState",
    "HostUnusable",
    "ModelClient",
    "PromptTooLongError",
    "ServerStatus",
    "check_model_server",
    "estimate_tokens",
    "is_local",
    "make_backend",
    "make_client",
    "messages_tokens",
    "model_name",
    "resolve_host",
    "server_name",
]
