"""The model client with the Ollama backend: the real `ollama` client against the stand-in."""

from __future__ import annotations

import asyncio
import dataclasses
import socket

import pytest

from core.config import Config
from core.errors import ModelError
from core.llm import (
    ModelClient,
    PromptTooLongError,
    check_model_server,
    estimate_tokens,
    is_local,
    make_client,
    resolve_host,
)
from tests.ollama_standin import BUSY_MESSAGE, MIDSTREAM_MESSAGE, OllamaStandin

HELLO = [{"role": "user", "content": "<paper><title>T</title><abstract>A</abstract></paper>"}]


def with_llm(config: Config, **changes) -> Config:
    """The config with `[llm]` keys changed; `host=` stands for `hosts=[host]`."""
    if "host" in changes:
        changes["hosts"] = [changes.pop("host")]
    return dataclasses.replace(config, llm=dataclasses.replace(config.llm, **changes))


class Sleeps:
    """An injected sleep: records the backoff waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(config: Config, ollama_standin: OllamaStandin, sleeps: Sleeps) -> ModelClient:
    return ModelClient(with_llm(config, host=ollama_standin.url).llm, sleep=sleeps)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_host_from_config_else_environment_else_local_default(config, monkeypatch):
    assert resolve_host(config.llm) == "http://127.0.0.1:11434"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box")
    assert resolve_host(config.llm) == "http://gpu-box:11434"
    monkeypatch.setenv("OLLAMA_HOST", ":5000")
    assert resolve_host(config.llm) == "http://127.0.0.1:5000"
    assert resolve_host(with_llm(config, host="https://ollama.example").llm) == (
        "https://ollama.example"
    )
    assert resolve_host(with_llm(config, host="10.0.0.5:8080").llm) == "http://10.0.0.5:8080"
    assert is_local("http://127.0.0.1:11434") and is_local("http://localhost:1")
    assert not is_local("http://gpu-box:11434")


async def test_an_answer_streams_and_carries_the_servers_counts(client, ollama_standin):
    pieces: list[str] = []
    result = await client.chat(HELLO, on_token=pieces.append)
    assert "".join(pieces) == result.text
    assert "'T'" in result.text
    # one token per streamed line, counted by the server
    assert result.output_tokens == len(pieces) > 5
    assert result.prompt_tokens and result.prompt_tokens > 0
    assert result.tokens_per_second and result.tokens_per_second > 0
    assert client.tokens_per_second == pytest.approx(result.tokens_per_second)
    assert not result.truncated


async def test_every_request_sends_num_ctx_think_keep_alive_and_temperature(
    config, ollama_standin, client
):
    await client.chat(HELLO, num_predict=77)
    body = ollama_standin.model_requests[-1].body
    assert body["model"] == "gemma3:4b"
    assert body["stream"] is True
    assert body["think"] is False
    assert body["keep_alive"] == "10m"
    assert body["options"] == {"num_ctx": 8192, "num_predict": 77, "temperature": 0.2}
    seconds = ModelClient(with_llm(config, host=ollama_standin.url, keep_alive="0").llm)
    await seconds.chat(HELLO)
    assert ollama_standin.model_requests[-1].body["keep_alive"] == 0
    await seconds.aclose()


async def test_a_missing_model_says_how_to_pull_it(client, ollama_standin):
    ollama_standin.models = ()
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert str(caught.value) == "model 'gemma3:4b' is not pulled — run `ollama pull gemma3:4b`"
    assert ollama_standin.request_count == 1  # not retried


async def test_a_refused_connection_says_how_to_start_ollama(config, sleeps):
    port = free_port()
    client = ModelClient(with_llm(config, host=f"127.0.0.1:{port}").llm, sleep=sleeps)
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert str(caught.value) == (
        f"cannot reach Ollama at http://127.0.0.1:{port} — start it with `ollama serve`"
    )
    with pytest.raises(ModelError, match="cannot reach Ollama"):
        await client.status()
    assert sleeps.waits == []


async def test_thinking_on_a_model_without_it_is_a_clear_error(config, ollama_standin):
    client = ModelClient(with_llm(config, host=ollama_standin.url, think=True).llm)
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert str(caught.value) == (
        "model 'gemma3:4b' does not support thinking — set think = false in [llm]"
    )
    thinker = ModelClient(
        with_llm(config, host=ollama_standin.url, think=True, model="qwen3:4b").llm
    )
    assert (await thinker.chat(HELLO)).text


async def test_a_busy_server_is_retried_with_doubling_waits(client, ollama_standin, sleeps):
    ollama_standin.set_mode("busy_503", times=2)
    result = await client.chat(HELLO)
    assert result.attempts == 3 and result.text
    assert sleeps.waits == pytest.approx([2.0, 4.0], abs=0.05)
    assert ollama_standin.request_count == 3


async def test_a_server_that_stays_busy_fails_with_the_advice(client, ollama_standin, sleeps):
    ollama_standin.set_mode("busy_503")
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    message = str(caught.value)
    assert " ".join(BUSY_MESSAGE.split()) in message and "lower llm.parallel" in message
    assert message.endswith("(tried 3 times)")
    assert len(sleeps.waits) == 2


async def test_the_servers_own_queue_limit_is_a_503_that_is_retried(config, ollama_standin):
    ollama_standin.max_queue = 0  # nothing may wait for a slot
    ollama_standin.pause()
    sleeps = Sleeps()
    client = ModelClient(
        with_llm(config, host=ollama_standin.url, parallel=2, retries=0).llm, sleep=sleeps
    )
    first = asyncio.create_task(client.chat(HELLO))
    assert await asyncio.to_thread(ollama_standin.wait_active, 1)
    with pytest.raises(ModelError, match="is busy"):
        await client.chat(HELLO)
    ollama_standin.resume()
    assert (await first).text


async def test_an_error_in_the_middle_of_a_stream_restarts_the_answer(client, ollama_standin):
    ollama_standin.set_mode("error_midstream", times=1)
    pieces: list[str] = []
    restarts: list[int] = []
    result = await client.chat(
        HELLO, on_token=pieces.append, on_restart=lambda: restarts.append(len(pieces))
    )
    assert restarts == [3]  # three tokens had arrived when the error line came
    assert "".join(pieces[3:]) == result.text
    assert result.attempts == 2


async def test_an_error_that_repeats_mid_stream_names_the_servers_message(client, ollama_standin):
    ollama_standin.set_mode("error_midstream")
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert MIDSTREAM_MESSAGE in str(caught.value)


async def test_a_slow_reply_times_out_and_is_retried(config, ollama_standin, sleeps):
    ollama_standin.set_mode("slow")
    client = ModelClient(
        with_llm(config, host=ollama_standin.url, timeout_seconds=0.2, retries=1).llm,
        sleep=sleeps,
    )
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert str(caught.value).startswith(
        f"Ollama at {ollama_standin.url} did not answer within 0.2s"
    )
    assert ollama_standin.request_count == 2
    assert sleeps.waits == pytest.approx([2.0], abs=0.05)


async def test_no_more_requests_than_parallel_are_in_flight(config, ollama_standin):
    ollama_standin.parallel = 8
    ollama_standin.pause()
    client = ModelClient(with_llm(config, host=ollama_standin.url, parallel=2).llm)
    answers = asyncio.gather(*(client.chat(HELLO) for _ in range(6)))
    assert await asyncio.to_thread(ollama_standin.wait_active, 2)
    ollama_standin.resume()
    assert len(await answers) == 6
    assert ollama_standin.max_in_flight == 2
    assert ollama_standin.request_count == 6


async def test_parallel_requests_really_run_together(config, ollama_standin):
    ollama_standin.parallel = 4
    ollama_standin.pause()
    client = ModelClient(with_llm(config, host=ollama_standin.url, parallel=4).llm)
    answers = asyncio.gather(*(client.chat(HELLO) for _ in range(4)))
    # All four hold a slot at once while the server holds its answers.
    assert await asyncio.to_thread(ollama_standin.wait_active, 4)
    ollama_standin.resume()
    await answers
    assert ollama_standin.max_active == 4


async def test_a_prompt_that_cannot_fit_is_refused_before_sending(config, ollama_standin):
    client = ModelClient(with_llm(config, host=ollama_standin.url, num_ctx=2048).llm)
    long = [{"role": "user", "content": "word " * 4000}]
    with pytest.raises(PromptTooLongError, match=r"does not fit llm\.num_ctx = 2048"):
        await client.chat(long)
    assert ollama_standin.request_count == 0


async def test_a_silently_truncated_prompt_is_detected(config, ollama_standin):
    # A text the server's tokenizer counts at 1.5 times the estimate: it fits by the
    # estimate, but the server cuts it to about half its window, as Ollama does.
    config = with_llm(config, host=ollama_standin.url, num_ctx=4096, num_predict=256)
    client = ModelClient(config.llm)
    dense = [{"role": "user", "content": "x! " * 2500}]
    assert estimate_tokens(dense[0]["content"]) < 4096 - 256
    result = await client.chat(dense)
    assert result.prompt_tokens == 4096 // 2 + 2
    assert result.truncated
    # Once such prompts were measured, the estimate is calibrated and refuses it up front.
    calibrating = ModelClient(config.llm)
    await calibrating.chat([{"role": "user", "content": "x! " * 300}])
    assert calibrating.token_ratio == pytest.approx(1.5, abs=0.05)
    with pytest.raises(PromptTooLongError):
        await calibrating.chat(dense)
    assert ollama_standin.request_count == 2


def test_the_estimate_counts_symbols_hangul_and_words():
    assert estimate_tokens("강화학습") == 4
    assert estimate_tokens("<paper>") == 2 + 2  # two symbols, five letters
    assert estimate_tokens("language models") == 5


async def test_a_cached_prompt_prefix_is_not_taken_for_truncation(config, ollama_standin):
    client = ModelClient(with_llm(config, host=ollama_standin.url).llm)
    result = await client.chat(HELLO)
    result.prompt_tokens = 1  # what Ollama reports when the prompt came from its cache
    assert not client._looks_truncated(result, 1024)


async def test_status_lists_models_and_the_context_length(client, ollama_standin):
    status = await client.status()
    assert status.version == ollama_standin.version
    assert status.model_pulled and "gemma3:4b" in status.models
    assert status.context_length == ollama_standin.context_length
    ollama_standin.models = ("llama3.2:latest",)
    assert not (await client.status()).model_pulled
    assert ollama_standin.request_count == 0  # status never asks the model


async def test_check_ollama_reports_speed_or_the_problem(config, ollama_standin):
    ok, detail, speed = await check_model_server(with_llm(config, host=ollama_standin.url))
    assert ok and speed and speed > 0
    assert detail.startswith(f"Ollama {ollama_standin.version} at {ollama_standin.url}")
    assert "tokens/s" in detail
    ollama_standin.models = ()
    ok, detail, speed = await check_model_server(with_llm(config, host=ollama_standin.url))
    assert not ok and speed is None
    assert detail.endswith("model 'gemma3:4b' is not pulled — run `ollama pull gemma3:4b`")


def test_one_client_serves_several_event_loops(config, ollama_standin):
    """The TUI runs each job in a loop of its own; the client must follow."""
    client = make_client(with_llm(config, host=ollama_standin.url))
    first = asyncio.run(client.chat(HELLO))
    second = asyncio.run(client.chat(HELLO))
    assert first.text == second.text


def offline_config(standin: OllamaStandin) -> str:
    """A config whose one source is a recorded file and whose Ollama is the stand-in."""
    from tests.conftest import fixture_path

    source = fixture_path("hf_daily_papers_date_2026-05-08_llm-paper-radar.json").as_uri()
    return (
        f'[[sources]]\nname = "recorded"\nkind = "hf-daily"\nurl = "{source}"\n'
        f'[llm]\nhosts = ["{standin.url}"]\n'
    )


async def test_doctor_checks_the_server_the_model_and_its_speed(tmp_path, ollama_standin):
    from core.doctor import run_checks

    path = tmp_path / "config.toml"
    path.write_text(offline_config(ollama_standin), encoding="utf-8")
    checks = {check.name: check for check in await run_checks(path)}
    assert checks["model server"].ok and ollama_standin.url in checks["model server"].detail
    assert checks["model"].ok and checks["model"].detail == "'gemma3:4b' is pulled"
    assert checks["model speed"].ok and "tokens/s" in checks["model speed"].detail
    ollama_standin.models = ("llama3.2:latest",)
    checks = {check.name: check for check in await run_checks(path)}
    assert not checks["model"].ok
    assert checks["model"].detail == (
        "model 'gemma3:4b' is not pulled — run `ollama pull gemma3:4b` (pulled: llama3.2:latest)"
    )
    assert "model speed" not in checks


async def test_doctor_estimates_the_digest_run_time_from_the_measured_speed(
    tmp_path, config, ollama_standin
):
    from core.doctor import run_checks
    from core.store import Store
    from tests.paper_fixtures import DAY, store_fixture_day

    with Store(config.dirs.database) as store:
        store_fixture_day(store, 5)
    path = tmp_path / "config.toml"
    path.write_text(offline_config(ollama_standin), encoding="utf-8")
    checks = {check.name: check for check in await run_checks(path)}
    detail = checks["model speed"].detail
    assert f"the digest of {DAY} needs 5 summaries and 0 reports: about 1 min" in detail


async def test_the_standin_speaks_ollamas_wire_protocol(ollama_standin):
    """What other tests (the TUI's, the pipeline's) rely on when they use the stand-in."""
    import json

    import ollama

    client = ollama.AsyncClient(host=ollama_standin.url)
    whole = await client.generate(
        model="gemma3:4b", prompt="<title>MagicQuill: y</title>", stream=False
    )
    assert whole.done and whole.done_reason == "stop" and "'MagicQuill'" in whole.response
    assert whole.eval_count and whole.eval_duration and whole.total_duration
    parts = [
        part async for part in await client.generate(model="gemma3:4b", prompt="hi", stream=True)
    ]
    assert [part.done for part in parts].count(True) == 1 and parts[-1].done
    assert parts[-1].eval_count == len(parts) - 1
    answer = await client.chat(
        model="gemma3:4b", messages=[{"role": "user", "content": "hi"}], options={"num_predict": 5}
    )
    assert answer.done_reason == "length" and answer.eval_count == 5
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}, "score": {"type": "number"}},
        "required": ["answer", "score"],
    }
    structured = await client.chat(
        model="gemma3:4b", messages=[{"role": "user", "content": "hi"}], format=schema
    )
    assert set(json.loads(structured.message.content)) == {"answer", "score"}
    assert [m.model for m in (await client.list()).models] == list(ollama_standin.models)
    assert "completion" in (await client.show("gemma3:4b")).capabilities
    with pytest.raises(ollama.ResponseError) as missing:
        await client.chat(model="nope:1b", messages=[{"role": "user", "content": "hi"}])
    assert (missing.value.status_code, missing.value.error) == (404, "model 'nope:1b' not found")
    await client.close()
