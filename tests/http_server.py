"""A real HTTP server on 127.0.0.1 for fetch tests and web hooks, scripted route by route.

Each path gets a queue of canned replies (status, headers, body, delay); the last reply
repeats. Every request is recorded, and the server counts how many were in flight at once,
so tests can check arXiv's one-connection rule.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One canned reply."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False


@dataclass
class Request:
    """What the server saw."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""


class ScriptedServer:
    """Routes → replies; the handle tests use to script and inspect the server."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply | Callable[[Request], Reply]]] = {}
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.url = ""

    def route(self, path: str, *replies: Reply | Callable[[Request], Reply]) -> str:
        """Script the replies for `path`; returns its full URL."""
        self.routes[path] = list(replies)
        return self.url + path

    def hits(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def _next(self, request: Request) -> Reply:
        replies = self.routes.get(request.path)
        if not replies:
            return Reply(404, b"not found")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(request) if callable(reply) else reply


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            body = b""
            if self.command == "POST":
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Request(
                parts.path, parse_qs(parts.query), dict(self.headers.items()), self.command, body
            )
            with server._lock:
                server.requests.append(request)
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                reply = server._next(request)
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(reply.body), 65536):
                        chunk = reply.body[start : start + 65536]
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with server._lock:
                    server.in_flight -= 1

        do_POST = do_GET  # a receiver of web hooks: the same routes, the body recorded

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (a timeout test) is expected; keep the output clean."""


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    """Start a scripted HTTP server on 127.0.0.1 (a free port) for the duration of a test."""
    scripted = ScriptedServer()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(scripted))
    scripted.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        httpd.shutdown()
        httpd.server_close()


class FakeClock:
    """A clock for the fetcher that records waits instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
