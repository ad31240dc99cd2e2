"""The shared fetcher against a real HTTP server on 127.0.0.1: retries, pacing, limits."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import os
import random
import socket
import threading
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from core.config import FetchConfig
from core.errors import SourceError
from core.fetch import (
    Fetcher,
    Validators,
    _BodyReader,
    _TooBig,
    parse_retry_after,
    user_agent,
)
from tests.http_server import FakeClock, Reply


def fetcher_for(config, clock=None, **changes) -> Fetcher:
    fetch_config: FetchConfig = dataclasses.replace(config.fetch, **changes)
    return Fetcher(fetch_config, clock=clock or FakeClock(), paced_domains=("arxiv.test",))


async def test_sends_user_agent_naming_the_app(config, http_server):
    url = http_server.route("/feed", Reply(200, b"<rss/>"))
    async with fetcher_for(config, contact="me@example.org") as fetcher:
        fetched = await fetcher.get(url)
    assert fetched.body == b"<rss/>"
    agent = http_server.hits("/feed")[0].headers["User-Agent"]
    assert agent.startswith("dailyai/") and "mailto:me@example.org" in agent
    assert agent == user_agent("me@example.org")


async def test_retries_server_errors_with_doubling_backoff(config, http_server):
    url = http_server.route("/flaky", Reply(500), Reply(503), Reply(200, b"ok"))
    clock = FakeClock()
    async with fetcher_for(config, clock, retries=3, backoff_seconds=2.0) as fetcher:
        fetched = await fetcher.get(url, label="flaky")
    assert fetched.body == b"ok"
    assert len(http_server.hits("/flaky")) == 3
    assert clock.sleeps == [2.0, 4.0]


async def test_gives_up_after_bounded_retries_with_one_line_cause(config, http_server):
    url = http_server.route("/down", Reply(502))
    async with fetcher_for(config, retries=2) as fetcher:
        with pytest.raises(SourceError) as error:
            await fetcher.get(url, label="down-source")
    message = str(error.value)
    assert message.startswith("down-source: HTTP 502")
    assert "3 attempts" in message and "\n" not in message
    assert len(http_server.hits("/down")) == 3


async def test_honours_retry_after_on_429(config, http_server):
    url = http_server.route(
        "/limited", Reply(429, b"Rate exceeded.", {"Retry-After": "17"}), Reply(200, b"fine")
    )
    clock = FakeClock()
    async with fetcher_for(config, clock, backoff_seconds=1.0) as fetcher:
        fetched = await fetcher.get(url)
    assert fetched.body == b"fine"
    assert clock.sleeps == [17.0]


async def test_retry_after_longer_than_allowed_fails_at_once(config, http_server):
    url = http_server.route("/limited", Reply(429, b"", {"Retry-After": "3600"}))
    async with fetcher_for(config, max_retry_after_seconds=120) as fetcher:
        with pytest.raises(SourceError, match="asks to wait 3600 s"):
            await fetcher.get(url, label="hf")
    assert len(http_server.hits("/limited")) == 1


def test_retry_after_as_http_date():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(later, now) == pytest.approx(42)
    assert parse_retry_after("10") == 10
    assert parse_retry_after("soon") is None


async def test_conditional_get_sends_validators_and_reports_304(config, http_server):
    url = http_server.route("/etag", Reply(304, b"", {"ETag": '"v1"'}))
    async with fetcher_for(config) as fetcher:
        fetched = await fetcher.get(
            url, validators=Validators('"v1"', "Thu, 28 Nov 2024 05:00:00 GMT")
        )
    assert fetched.not_modified
    headers = http_server.hits("/etag")[0].headers
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Thu, 28 Nov 2024 05:00:00 GMT"


async def test_timeouts_are_retried_then_reported(config, http_server):
    url = http_server.route("/slow", Reply(200, b"late", delay=1.0))
    async with fetcher_for(config, timeout_seconds=0.2, retries=1) as fetcher:
        with pytest.raises(SourceError, match=r"slow: timed out after 0.2 s, 2 attempts"):
            await fetcher.get(url, label="slow")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_oversized_bodies_are_refused(config, http_server, chunked):
    url = http_server.route("/big", Reply(200, b"x" * 300_000, chunked=chunked))
    async with fetcher_for(config, max_body_mb=0.1) as fetcher:
        with pytest.raises(SourceError, match=r"larger than 0.1 MB"):
            await fetcher.get(url, label="big")


async def test_arxiv_requests_are_paced_and_one_at_a_time(config, http_server):
    http_server.route("/api", Reply(200, b"<feed/>", delay=0.05))
    base = http_server.url.replace("127.0.0.1", "export.arxiv.test")
    clock = FakeClock()
    # export.arxiv.test resolves nowhere: route it to the local server through the transport.
    import httpx

    transport = httpx.AsyncHTTPTransport()

    class Rewrite(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            request.url = request.url.copy_with(host="127.0.0.1")
            return await transport.handle_async_request(request)

    fetch_config = dataclasses.replace(config.fetch, arxiv_min_interval_seconds=3.0)
    async with Fetcher(
        fetch_config, clock=clock, transport=Rewrite(), paced_domains=("arxiv.test",)
    ) as fetcher:
        await asyncio.gather(*(fetcher.get(f"{base}/api?n={i}") for i in range(4)))
    assert len(http_server.hits("/api")) == 4
    assert http_server.max_in_flight == 1
    assert clock.sleeps == [3.0, 3.0, 3.0]


async def test_other_hosts_are_not_paced(config, http_server):
    url = http_server.route("/feed", Reply(200, b"<rss/>"))
    clock = FakeClock()
    async with fetcher_for(config, clock) as fetcher:
        await asyncio.gather(*(fetcher.get(f"{url}?n={i}") for i in range(3)))
    assert clock.sleeps == []


async def test_file_urls(config, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<rss/>")
    async with fetcher_for(config) as fetcher:
        assert (await fetcher.get(feed.as_uri())).body == b"<rss/>"
        with pytest.raises(SourceError, match="no such file"):
            await fetcher.get((tmp_path / "missing.xml").as_uri(), label="offline")
        with pytest.raises(SourceError, match="unsupported URL"):
            await fetcher.get("ftp://example.org/feed", label="ftp")


async def test_http_error_statuses_name_the_cause(config, http_server):
    url = http_server.route(
        "/api", Reply(400, b'{"error":"Invalid date"}', {"Content-Type": "application/json"})
    )
    async with fetcher_for(config) as fetcher:
        with pytest.raises(SourceError, match=r"hf: HTTP 400 Bad Request: Invalid date"):
            await fetcher.get(url, label="hf")


@pytest.fixture
def unresolvable(monkeypatch):
    """Names under .invalid fail to resolve at once (RFC 6761), whatever the resolver does.

    The real resolver answers the same way, but may take seconds when there is no network:
    this keeps the tests fast and offline while httpx still meets a real `socket.gaierror`.
    """
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


async def test_a_host_that_does_not_resolve_is_named_and_not_retried(config, unresolvable):
    clock = FakeClock()
    async with fetcher_for(config, clock, retries=3, backoff_seconds=2.0) as fetcher:
        with pytest.raises(SourceError) as error:
            await fetcher.get("https://papers.name.invalid/feed", label="hf")
        assert fetcher.requests_made == 1
    assert str(error.value) == (
        "hf: cannot resolve host papers.name.invalid — check the URL or your network"
    )
    assert clock.sleeps == []  # no 2 + 4 + 8 s of retries for a name that cannot resolve


async def test_a_redirect_loop_is_one_line_and_not_retried(config, http_server):
    url = http_server.route("/loop", Reply(302, b"", {"Location": "/loop"}))
    async with fetcher_for(config, retries=3) as fetcher:
        with pytest.raises(SourceError, match=r"^loopy: the server redirects in a loop") as error:
            await fetcher.get(url, label="loopy")
    assert "\n" not in str(error.value)
    assert len(http_server.hits("/loop")) == 21  # one request and httpx's 20 redirects


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_that_does_not_match_its_content_encoding_is_one_line(
    config, http_server, encoding
):
    url = http_server.route(
        "/lies", Reply(200, b"<rss>plain</rss>", {"Content-Encoding": encoding})
    )
    async with fetcher_for(config, retries=3) as fetcher:
        with pytest.raises(SourceError) as error:
            await fetcher.get(url, label="liar")
    message = str(error.value)
    assert message.startswith(f"liar: the body is not valid {encoding} although its")
    assert "misconfigured" in message and "\n" not in message
    assert len(http_server.hits("/lies")) == 1


async def test_an_encoding_that_was_not_asked_for_is_one_line(config, http_server):
    url = http_server.route("/br", Reply(200, b"\x1b\x00\x00", {"Content-Encoding": "br"}))
    async with fetcher_for(config) as fetcher:
        with pytest.raises(SourceError) as error:
            await fetcher.get(url, label="brotli")
    assert str(error.value) == (
        "brotli: the body is in the 'br' encoding, which was not asked for and cannot be read"
        " — the server is misconfigured; try again later or tell the source's maintainers"
    )


@pytest.mark.parametrize(
    "encoding, encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw, as IIS sent
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
    ],
    ids=["gzip", "deflate", "raw-deflate", "gzip-twice"],
)
async def test_compressed_bodies_are_decoded(config, http_server, encoding, encode):
    body = fixture_path_bytes()
    url = http_server.route("/z", Reply(200, encode(body), {"Content-Encoding": encoding}))
    async with fetcher_for(config) as fetcher:
        assert (await fetcher.get(url)).body == body
    assert http_server.hits("/z")[0].headers["Accept-Encoding"] == "gzip, deflate"


async def test_a_body_declared_larger_than_the_cap_is_refused_before_it_is_read(config):
    # A server that declares 1 GB and then sends nothing: only the header can refuse it.
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
            done.wait(30)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/huge"
    try:
        async with fetcher_for(config, max_body_mb=1, timeout_seconds=2, retries=0) as fetcher:
            with pytest.raises(SourceError, match=r"huge: response is larger than 1 MB"):
                await fetcher.get(url, label="huge")
    finally:
        done.set()
        server.join(timeout=10)
        listener.close()


@pytest.mark.parametrize("read_size", [4096, 65536])
@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip"], ids=["gzip", "gzip-twice"])
def test_a_compressed_body_past_the_cap_is_refused_as_too_big(encoding, read_size):
    # Incompressible bytes: each stage's output is about as big as its input. The network
    # decides how much one read brings, so the reader is fed here in reads of fixed sizes.
    body = random.Random(0).randbytes(300_000)
    for _ in encoding.split(","):
        body = gzip.compress(body)
    reader = _BodyReader(encoding, 100_000)
    with pytest.raises(_TooBig):  # the fetcher's "response is larger than …" (above)
        for start in range(0, len(body), read_size):
            reader.feed(body[start : start + read_size])
        reader.finish()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_compression_bomb_costs_no_more_memory_than_the_cap(config, http_server, chunked):
    # 200 KB of gzip that inflates to 200 MB; the cap is 1 MB.
    bomb = gzip.compress(b"\0" * (200 << 20), compresslevel=9)
    url = http_server.route(
        "/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}, chunked=chunked)
    )
    async with fetcher_for(config, max_body_mb=1) as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(SourceError, match=r"larger than 1 MB"):
                await fetcher.get(url, label="bomb")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # httpx alone inflates each 64 KB read whole (≈ 64 MB at once).
    assert peak < 8 << 20


async def test_the_cap_holds_for_a_pipe_that_never_says_its_size(config, tmp_path):
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        try:
            with fifo.open("wb") as pipe:
                for _ in range(64):  # 4 MB in all, far past the 0.5 MB cap
                    pipe.write(b"x" * 65536)
        except BrokenPipeError:
            pass  # the reader stopped at the cap, as it should

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    async with fetcher_for(config, max_body_mb=0.5) as fetcher:
        with pytest.raises(SourceError, match=r"pipe: response is larger than 0.5 MB"):
            await fetcher.get(fifo.as_uri(), label="pipe")
    writer.join(timeout=10)


def fixture_path_bytes() -> bytes:
    from tests.conftest import fixture_path

    return fixture_path(
        "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed4_laya-reader_FROM-INDEX-TEXT.xml"
    ).read_bytes()
