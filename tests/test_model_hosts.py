"""OpenAI-compatible servers and several model hosts, through the real clients (httpx for
/v1, `ollama` for Ollama) against stand-in servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import socket
import sys

import httpx
import pytest
from rich.console import Console

from core.classify import classify_day
from core.config import Config
from core.digest import summary_states
from core.errors import ModelError
from core.llm import ModelClient, PromptTooLongError, check_model_server
from core.runs import RecordedRun
from core.store import Store
from core.summarize import summarize_day
from tests.ollama_standin import (
    LITELLM_AUTH_MESSAGE,
    MIDSTREAM_MESSAGE,
    RATE_LIMIT_MESSAGE,
    SERVER_ERROR_MESSAGE,
    OllamaStandin,
    count_tokens,
)
from tests.paper_fixtures import DAY, store_fixture_day

HELLO = [{"role": "user", "content": "<paper><title>T</title><abstract>A</abstract></paper>"}]


def with_llm(config: Config, **changes) -> Config:
    return dataclasses.replace(config, llm=dataclasses.replace(config.llm, **changes))


def openai(config: Config, *standins: OllamaStandin, **changes) -> Config:
    """The config with backend openai, pointed at the stand-ins' /v1."""
    return with_llm(config, backend="openai", hosts=[f"{s.url}/v1" for s in standins], **changes)


class Sleeps:
    """An injected sleep that records its waits and moves the injected clock on."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def standins():
    """Three stand-in hosts, model gemma3:4b."""
    with OllamaStandin() as a, OllamaStandin() as b, OllamaStandin() as c:
        yield a, b, c


def client_for(config: Config, sleeps: Sleeps) -> ModelClient:
    return ModelClient(config.llm, sleep=sleeps, clock=sleeps.clock)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the OpenAI-compatible backend ---------------------------------------------------------


async def test_an_openai_answer_streams_over_sse_with_the_final_usage(
    config, ollama_standin, sleeps
):
    client = client_for(openai(config, ollama_standin), sleeps)
    pieces: list[str] = []
    result = await client.chat(HELLO, on_token=pieces.append, num_predict=77)
    assert "".join(pieces) == result.text and "'T'" in result.text
    request = ollama_standin.model_requests[-1]
    assert request.path == "/v1/chat/completions"
    body = request.body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (body["model"], body["max_tokens"], body["temperature"]) == ("gemma3:4b", 77, 0.2)
    assert "think" not in body and "options" not in body  # Ollama's keys stay with Ollama
    # The counts come from the last chunk's usage, as the server counted them.
    assert result.output_tokens == len(pieces) and result.prompt_tokens
    assert result.done_reason == "stop" and result.host == f"{ollama_standin.url}/v1"
    assert result.tokens_per_second and client.tokens_per_second
    assert not result.truncated
    await client.aclose()


async def test_the_usage_counts_are_the_servers_not_the_chunks(config, ollama_standin, sleeps):
    client = client_for(openai(config, ollama_standin), sleeps)
    result = await client.chat(HELLO, num_predict=5)
    assert result.done_reason == "length" and result.output_tokens == 5
    assert result.prompt_tokens == count_tokens(ollama_standin.model_requests[-1].text)
    await client.aclose()


async def test_classification_asks_for_structured_output_with_the_schema(
    store, config, ollama_standin
):
    from core.prompts import classify_schema

    ids = store_fixture_day(store, 4)
    configured = dataclasses.replace(
        openai(config, ollama_standin), digest=dataclasses.replace(config.digest, size=4)
    )
    stats = await classify_day(store, configured, DAY, method="llm")
    assert stats.by_llm == 4
    names = [category.name for category in config.taxonomy.categories]
    request = ollama_standin.model_requests[-1]
    assert request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": classify_schema(names)},
    }
    rows = store.classifications(ids)
    assert {row.method for row in rows.values()} == {"llm"}


async def test_status_lists_the_served_models_and_the_context_length(
    config, ollama_standin, sleeps
):
    client = client_for(openai(config, ollama_standin), sleeps)
    status = await client.status()
    assert status.model_pulled and status.models == list(ollama_standin.models)
    assert status.context_length == ollama_standin.context_length
    assert status.version == "vllm"  # who serves it (owned_by)
    ollama_standin.models = ("Qwen/Qwen2.5-7B-Instruct",)
    with pytest.raises(ModelError) as caught:
        await client.ensure_ready()
    assert str(caught.value) == (
        f"model 'gemma3:4b' is not served at {ollama_standin.url}/v1 — check llm.model "
        "against the names the server lists (`dailyai doctor` shows them)"
    )
    assert ollama_standin.request_count == 0  # status never asks the model
    await client.aclose()


@pytest.mark.parametrize("style", ["vllm", "litellm"])
async def test_a_model_the_server_does_not_serve_is_named(config, ollama_standin, sleeps, style):
    ollama_standin.error_style = style
    client = client_for(openai(config, ollama_standin, model="nope:1b"), sleeps)
    with pytest.raises(ModelError, match=r"model 'nope:1b' is not served at http://127"):
        await client.chat(HELLO)
    assert ollama_standin.request_count == 1 and sleeps.waits == []  # not retried


@pytest.mark.parametrize(
    ("style", "said"), [("vllm", "Unauthorized"), ("litellm", LITELLM_AUTH_MESSAGE)]
)
async def test_a_refused_api_key_says_where_the_key_comes_from(
    config, ollama_standin, sleeps, monkeypatch, style, said
):
    ollama_standin.api_key = "sk-team"
    ollama_standin.error_style = style
    monkeypatch.delenv("DAILYAI_LLM_API_KEY", raising=False)
    url = f"{ollama_standin.url}/v1"
    client = client_for(openai(config, ollama_standin), sleeps)
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert str(caught.value) == (
        f"{url} wants an API key (none was sent) (HTTP 401: {said}) — set it in "
        "$DAILYAI_LLM_API_KEY (llm.api_key_env) or llm.api_key_command"
    )
    monkeypatch.setenv("DAILYAI_LLM_API_KEY", "sk-wrong")
    client = client_for(openai(config, ollama_standin), sleeps)
    with pytest.raises(ModelError, match=rf"^{url} refused the API key \(HTTP 401"):
        await client.status()
    monkeypatch.setenv("DAILYAI_LLM_API_KEY", "sk-team")
    client = client_for(openai(config, ollama_standin), sleeps)
    assert (await client.chat(HELLO)).text
    assert sleeps.waits == []
    await client.aclose()


async def test_the_api_key_can_come_from_a_command(config, ollama_standin, sleeps, monkeypatch):
    ollama_standin.api_key = "sk-from-pass"
    monkeypatch.delenv("DAILYAI_LLM_API_KEY", raising=False)
    command = f"{sys.executable} -c \"print('sk-from-pass')\""
    client = client_for(openai(config, ollama_standin, api_key_command=command), sleeps)
    assert (await client.chat(HELLO)).text
    await client.aclose()


async def test_a_prompt_longer_than_the_servers_context_is_refused_clearly(
    config, ollama_standin, sleeps
):
    ollama_standin.context_length = 100  # vLLM --max-model-len 100
    client = client_for(openai(config, ollama_standin, num_predict=64), sleeps)
    long = [{"role": "user", "content": "word " * 60}]
    with pytest.raises(PromptTooLongError) as caught:
        await client.chat(long)
    message = str(caught.value)
    assert "This model's maximum context length is 100 tokens" in message
    assert "vLLM --max-model-len" in message
    assert ollama_standin.request_count == 1 and sleeps.waits == []


async def test_rate_limited_waits_as_long_as_retry_after_says(config, ollama_standin, sleeps):
    ollama_standin.error_style = "litellm"
    ollama_standin.set_mode("rate_limited", times=1)
    client = client_for(openai(config, ollama_standin), sleeps)
    result = await client.chat(HELLO)
    assert result.attempts == 2 and result.text
    assert sleeps.waits == [7.0]  # the server's Retry-After, not our 2 s backoff
    ollama_standin.set_mode("rate_limited")
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert RATE_LIMIT_MESSAGE in str(caught.value)
    assert str(caught.value).endswith("(tried 3 times)")
    await client.aclose()


async def test_a_server_error_and_an_error_mid_stream_are_retried(config, ollama_standin, sleeps):
    client = client_for(openai(config, ollama_standin), sleeps)
    ollama_standin.set_mode("server_error", times=1)
    assert (await client.chat(HELLO)).attempts == 2
    ollama_standin.set_mode("error_midstream", times=1)
    pieces: list[str] = []
    restarts: list[int] = []
    result = await client.chat(
        HELLO, on_token=pieces.append, on_restart=lambda: restarts.append(len(pieces))
    )
    assert restarts == [3] and "".join(pieces[3:]) == result.text
    ollama_standin.set_mode("server_error")
    with pytest.raises(ModelError, match=SERVER_ERROR_MESSAGE.split(".")[0]):
        await client.chat(HELLO)
    ollama_standin.set_mode("error_midstream")
    with pytest.raises(ModelError, match=MIDSTREAM_MESSAGE):
        await client.chat(HELLO)
    await client.aclose()


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_embeddings_for_the_interest_ranking(config, ollama_standin, sleeps, backend):
    configured = (
        openai(config, ollama_standin)
        if backend == "openai"
        else with_llm(config, hosts=[ollama_standin.url])
    )
    client = client_for(configured, sleeps)
    vectors = await client.embed(["reinforcement learning", "diffusion", "reinforcement learning"])
    assert len(vectors) == 3
    assert all(len(vector) == ollama_standin.embed_dimensions for vector in vectors)
    assert vectors[0] == vectors[2] != vectors[1]
    paths = {request.path for request in ollama_standin.requests}
    assert paths == ({"/v1/embeddings"} if backend == "openai" else {"/api/embed"})
    await client.aclose()


async def test_the_standin_speaks_the_openai_wire_format(ollama_standin):
    """What the backend relies on, read with plain httpx: SSE chunks, usage, [DONE]."""
    async with httpx.AsyncClient(base_url=f"{ollama_standin.url}/v1") as http:
        body = {
            "model": "gemma3:4b",
            "messages": [{"role": "user", "content": "<title>MagicQuill: y</title>"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        async with http.stream("POST", "chat/completions", json=body) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = [line async for line in response.aiter_lines() if line]
        assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
        chunks = [json.loads(line[6:]) for line in lines[:-1]]
        assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        assert "'MagicQuill'" in text
        assert [c["choices"][0]["finish_reason"] for c in chunks[1:-1]][-1] == "stop"
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
        whole = await http.post("chat/completions", json={**body, "stream": False})
        assert whole.json()["choices"][0]["message"]["content"] == text
        missing = await http.post("chat/completions", json={**body, "model": "x"})
        assert missing.status_code == 404
        assert missing.json() == {
            "error": {
                "message": "The model `x` does not exist.",
                "type": "NotFoundError",
                "param": None,
                "code": 404,
            }
        }
        ollama_standin.error_style = "litellm"
        ollama_standin.set_mode("rate_limited", times=1)
        limited = await http.post("chat/completions", json=body)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
        assert limited.json()["error"]["code"] == "429"


# --- several hosts --------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_requests_go_to_the_least_busy_host_with_a_free_slot(
    config, standins, sleeps, backend
):
    a, b, _ = standins
    for standin in (a, b):
        standin.parallel = 8
        standin.pause()
    hosts = [a.url, b.url] if backend == "ollama" else [f"{a.url}/v1", f"{b.url}/v1"]
    client = client_for(with_llm(config, backend=backend, hosts=hosts, parallel=2), sleeps)
    assert client.parallel == 4
    # Two requests: one on each host (the least busy), not both on the first.
    pair = asyncio.gather(*(client.chat(HELLO) for _ in range(2)))
    assert await asyncio.to_thread(a.wait_active, 1)
    assert await asyncio.to_thread(b.wait_active, 1)
    assert a.request_count == b.request_count == 1
    more = asyncio.gather(*(client.chat(HELLO) for _ in range(4)))
    answers = asyncio.gather(pair, more)
    # Two on each host (their slots), the other two wait for a slot.
    assert await asyncio.to_thread(a.wait_active, 2)
    assert await asyncio.to_thread(b.wait_active, 2)
    assert a.request_count == b.request_count == 2
    a.resume()
    b.resume()
    first, rest = await answers
    results = [*first, *rest]
    assert len(results) == 6 and a.max_in_flight == b.max_in_flight == 2
    assert a.request_count + b.request_count == 6
    assert {result.host for result in results} == set(hosts)
    await client.aclose()


async def test_a_host_table_gives_its_own_slots(config, standins, sleeps):
    from core.config import HostConfig

    a, b, _ = standins
    b.parallel = 8
    b.pause()
    configured = with_llm(config, hosts=[a.url, HostConfig(b.url, parallel=3)])
    client = client_for(configured, sleeps)
    assert [(h.url, h.slots) for h in client.hosts] == [(a.url, 1), (b.url, 3)]
    a.pause()
    answers = asyncio.gather(*(client.chat(HELLO) for _ in range(4)))
    assert await asyncio.to_thread(b.wait_active, 3)
    assert await asyncio.to_thread(a.wait_active, 1)
    a.resume()
    b.resume()
    await answers
    assert (a.max_in_flight, b.max_in_flight) == (1, 3)
    await client.aclose()


async def test_failover_mid_stream_restarts_the_answer_on_another_host(config, standins, sleeps):
    a, b, _ = standins
    a.set_mode("error_midstream")  # a keeps failing once it has streamed three tokens
    client = client_for(with_llm(config, hosts=[a.url, b.url], backoff_seconds=30), sleeps)
    pieces: list[str] = []
    restarts: list[int] = []
    result = await client.chat(
        HELLO, on_token=pieces.append, on_restart=lambda: restarts.append(len(pieces))
    )
    assert restarts == [3]  # the text started again…
    assert "".join(pieces[3:]) == result.text  # …on the other host, whole
    assert result.host == b.url and result.attempts == 2
    assert [host for host, _ in result.failed_hosts] == [a.url]
    assert MIDSTREAM_MESSAGE in result.failed_hosts[0][1]
    assert sleeps.waits == []  # b was free: no wait
    # a cools down: the next request goes straight to b.
    assert (await client.chat(HELLO)).host == b.url
    assert a.request_count == 1 and len(b.answered) == 2
    await client.aclose()


async def test_a_host_that_is_down_sits_out_and_comes_back(config, standins, sleeps):
    a, b, _ = standins
    port = int(a.url.rsplit(":", 1)[1])
    a.kill()
    client = client_for(with_llm(config, hosts=[a.url, b.url], backoff_seconds=5), sleeps)
    first = await client.chat(HELLO)
    assert first.host == b.url
    assert first.failed_hosts == [
        (a.url, f"cannot reach Ollama at {a.url} — start it with `ollama serve`")
    ]
    assert client.parallel == 1  # a's slot does not count while it is out
    second = await client.chat(HELLO)
    assert second.host == b.url and second.failed_hosts == []  # a is not tried again yet
    with OllamaStandin(port=port) as back:
        sleeps.now += 6  # a's cooldown is over
        third = await client.chat(HELLO)
        assert third.host == a.url and len(back.answered) == 1
    reports = {report.url: report for report in client.host_reports()}
    assert (reports[a.url].answered, reports[a.url].failures) == (1, 1)
    assert reports[b.url].answered == 2
    await client.aclose()


async def test_every_host_down_is_one_error_naming_each(config, sleeps):
    first, second = f"http://127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}"
    client = client_for(with_llm(config, hosts=[first, second]), sleeps)
    with pytest.raises(ModelError) as caught:
        await client.chat(HELLO)
    assert str(caught.value) == (
        f"no model host can answer — cannot reach Ollama at {first} — start it with "
        f"`ollama serve`; cannot reach Ollama at {second} — start it with `ollama serve`"
    )
    assert sleeps.waits == []
    ok, detail, speed = await check_model_server(with_llm(config, hosts=[first, second]))
    assert not ok and speed is None and first in detail and second in detail


async def test_a_host_without_the_model_sits_out_and_the_others_answer(config, standins, sleeps):
    a, b, _ = standins
    a.models = ()
    client = client_for(with_llm(config, hosts=[a.url, b.url]), sleeps)
    status = await client.ensure_ready()
    assert status.host == b.url
    results = [await client.chat(HELLO) for _ in range(3)]
    assert {result.host for result in results} == {b.url}
    assert a.request_count == 0
    b.models = ()
    other = client_for(with_llm(config, hosts=[a.url, b.url]), sleeps)
    with pytest.raises(ModelError) as caught:
        await other.ensure_ready()
    message = str(caught.value)
    assert message.startswith("no model host can answer — ")
    assert f"{a.url}: model 'gemma3:4b' is not pulled" in message
    assert f"{b.url}: model 'gemma3:4b' is not pulled" in message


async def test_a_host_that_refuses_the_key_sits_out(config, standins, sleeps, monkeypatch):
    a, b, _ = standins
    monkeypatch.setenv("DAILYAI_LLM_API_KEY", "sk-team")
    a.api_key = "sk-other"
    b.api_key = "sk-team"
    client = client_for(openai(config, a, b), sleeps)
    result = await client.chat(HELLO)
    assert result.host == f"{b.url}/v1"
    assert "refused the API key" in result.failed_hosts[0][1]
    assert (await client.chat(HELLO)).failed_hosts == []  # a sits out
    await client.aclose()


async def test_a_host_killed_mid_run_moves_its_work_and_nothing_is_written_twice(
    store, config, standins
):
    a, b, _ = standins
    ids = store_fixture_day(store, 6)
    # b first, so the speed is measured on b; a holds its first summary until it is killed.
    configured = with_llm(config, hosts=[b.url, a.url], backoff_seconds=0.0)
    a.pause()
    recorded = await RecordedRun.start(store, "summarize", DAY)
    run_id = recorded.id
    run = asyncio.create_task(
        summarize_day(
            store, configured, DAY, paper_ids=ids, on_model_work=recorded.record_model_work
        )
    )
    assert await asyncio.to_thread(a.wait_active, 1)
    held = a.model_requests[-1]
    a.kill()
    stats = await run
    assert (stats.passed, stats.pending, stats.failed) == (len(ids), 0, 0)
    assert stats.host_failures >= 1
    papers = [store.get_paper(paper_id) for paper_id in ids]
    states = summary_states(store, config.llm.model, papers)
    assert {state.status for state in states.values()} == {"ok"}
    # Each paper was answered whole exactly once, all by b.
    titles = [paper.title for paper in papers]
    answered = [r.text for r in b.answered]
    assert all(sum(title in text for text in answered) == 1 for title in titles)
    assert a.answered == []
    work = store.model_work(run_id)
    wrote = {line.work: line.host for line in work if line.outcome == "wrote"}
    assert wrote == {f"summary:{paper_id}": b.url for paper_id in ids}
    assert {line.detail for line in work if line.outcome == "wrote"} == {"ok"}
    failed = [line for line in work if line.outcome == "failed"]
    assert failed and {line.host for line in failed} == {a.url}
    (lost,) = [paper_id for paper_id, title in zip(ids, titles, strict=True) if title in held.text]
    assert f"summary:{lost}" in {line.work for line in failed}
    assert {report.url: report.answered for report in stats.hosts}[b.url] == len(ids) + 1

    from cli.model import print_summarize_stats

    out = io.StringIO()
    print_summarize_stats(stats, config.llm.model, Console(file=out, width=200))
    printed = out.getvalue()
    assert f"{b.url}: {len(ids) + 1} answers" in printed
    assert f"{a.url}: 0 answers" in printed and "failed" in printed


async def test_doctor_checks_every_host(tmp_path, standins):
    from core.doctor import run_checks
    from tests.test_llm import offline_config

    a, b, c = standins
    c.models = ("llama3.2:latest",)
    down = f"http://127.0.0.1:{closed_port()}"
    path = tmp_path / "config.toml"
    text = offline_config(a).replace(
        f'hosts = ["{a.url}"]', f'hosts = ["{a.url}", "{b.url}", "{c.url}", "{down}"]'
    )
    path.write_text(text, encoding="utf-8")
    checks = {check.name: check for check in await run_checks(path)}
    assert checks[f"host {a.url}"].ok and "tokens/s" in checks[f"host {a.url}"].detail
    assert checks[f"host {b.url}"].ok
    assert not checks[f"host {c.url}"].ok
    assert "is not pulled" in checks[f"host {c.url}"].detail
    assert "llama3.2:latest" in checks[f"host {c.url}"].detail
    assert not checks[f"host {down}"].ok and "cannot reach" in checks[f"host {down}"].detail
    assert checks["model speed"].ok
    assert checks["model speed"].detail.startswith("2 of 4 hosts answer; fastest ")


async def test_doctor_names_the_old_ollama_section(tmp_path, ollama_standin):
    from core.doctor import run_checks
    from tests.test_llm import offline_config

    path = tmp_path / "config.toml"
    text = offline_config(ollama_standin).replace(
        f'[llm]\nhosts = ["{ollama_standin.url}"]', f'[ollama]\nhost = "{ollama_standin.url}"'
    )
    path.write_text(text, encoding="utf-8")
    checks = await run_checks(path)
    notes = [check for check in checks if check.name == "deprecated"]
    assert len(notes) == 1 and "[ollama] is deprecated — rename it [llm]" in notes[0].detail
    assert {check.name: check.ok for check in checks}["model server"]


def test_a_store_from_before_m008_gains_the_model_work_ledger(tmp_path):
    """m008_model_hosts on a store made by the previous version, with a run in it."""
    import sqlite3

    from core.store.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    names = [name for name, _ in MIGRATIONS]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.execute("BEGIN")
    for name, migrate in MIGRATIONS[: names.index("m008_model_hosts")]:
        migrate(db)
        db.execute("INSERT INTO _migrations VALUES (?, 'then')", (name,))
    db.execute(
        "INSERT INTO runs (id, kind, day, started_at, status) VALUES (7, 'run', ?, 'x', 'ok')",
        (str(DAY),),
    )
    db.execute("COMMIT")
    db.close()
    with Store(path) as store:
        assert store.applied_migrations[0] == "m008_model_hosts"
        assert store.model_work(7) == []
        store.record_model_work(
            7,
            [
                ("http://a:1", "summary:x", "failed", "dropped"),
                ("http://b:1", "summary:x", "wrote", "ok"),
            ],
        )
        lines = [(w.host, w.work, w.outcome, w.detail) for w in store.model_work(7)]
        assert lines == [
            ("http://a:1", "summary:x", "failed", "dropped"),
            ("http://b:1", "summary:x", "wrote", "ok"),
        ]
        assert store.model_work(8) == []
