"""`dailyai serve`: the output dir over HTTP, so a feed reader on this machine can subscribe.

A small read-only file server (stdlib `ThreadingHTTPServer`): GET and HEAD only, feeds and
reports with their proper content types (`application/rss+xml`, `application/atom+xml`,
`text/markdown; charset=utf-8`, `image/png`), ETag and Last-Modified with 304 answers so
polling readers cost nothing, and nothing outside the output dir: paths are resolved and
must stay inside it (no `..`, no symlinks out, no hidden or temporary files). A directory
with an `index.html` shows that page (the output dir's list of days, with each day's report
page); any other shows a plain listing of what it holds. It binds 127.0.0.1 unless told
otherwise.

Links in the feeds follow the server. Unless `output.site_url` names where the output dir is
published, the feeds are written with links to `http://{serve.host}:{serve.port}`; a server
started on another port or host (`dailyai serve --port 9000`), or reached under another
name, rewrites that base in each feed it sends to the address the reader asked for (the
request's Host header, else the bound address), so every link in it reaches this server.
"""

from __future__ import annotations

import email.utils
import html
import posixpath
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

CONTENT_TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".eml": "message/rfc822",
}
DEFAULT_TYPE = "application/octet-stream"
INDEX_PAGE = "index.html"
"""Served for a folder that holds one (the output dir's list of days), instead of a listing."""
FEED_SUFFIXES = (".rss", ".atom")
# A Host header that is a plain host name, IPv4 or [IPv6] address, with an optional port:
# anything else (quotes, markup, paths) never gets into a feed.
_HOST_HEADER = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)
# The feed's own (rel="self") link, written by core.channels.feeds as <link href="…/feeds/…" rel="self">.
_SELF_LINK = re.compile(rb'<(?:atom:)?link\b[^>]*\brel="self"[^>]*>')
_HREF = re.compile(rb'\bhref="([^"]*)"')


def base_url(host: str, port: int) -> str:
    """The http URL that reaches a server bound to host:port from this machine.

    A wildcard bind (`0.0.0.0`, `::`) is reached at the loopback address.
    """
    host = host.strip().strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def rewrite_feed_links(feed: bytes, base: str) -> bytes:
    """The feed with every link to the base it was written for pointing at `base` instead.

    The written base is read from the feed's own self link (`<base>/feeds/…`), so a feed
    written for any port or host is rewritten; a feed without one is returned unchanged.
    """
    found = _SELF_LINK.search(feed)
    href = _HREF.search(found.group(0)) if found else None
    if href is None or b"/feeds/" not in href.group(1):
        return feed
    written = href.group(1).rsplit(b"/feeds/", 1)[0] + b"/"
    wanted = base.rstrip("/").encode("ascii") + b"/"
    return feed if written == wanted else feed.replace(written, wanted)


class OutputHandler(BaseHTTPRequestHandler):
    """Serves files under `root`, read-only."""

    server_version = "dailyai"
    sys_version = ""

    def __init__(
        self,
        *args,
        root: Path,
        log: Callable[[str], None] | None,
        rewrite_links: bool = False,
        **kwargs,
    ) -> None:
        self.root = root
        self.log = log
        self.rewrite_links = rewrite_links
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, *, with_body: bool) -> None:
        path = self._resolve(self.path)
        if path is None:
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", urlsplit(self.path).path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            index = path / INDEX_PAGE
            if index.is_file() and not index.is_symlink():
                self._send_file(index, with_body)  # the days' index the report writes
                return
            self._send_bytes(
                self._index(path).encode("utf-8"), "text/html; charset=utf-8", with_body
            )
            return
        self._send_file(path, with_body)

    def _resolve(self, raw: str) -> Path | None:
        """The file a request path names, or None if it is outside the root or hidden."""
        url_path = unquote(urlsplit(raw).path)
        if "\x00" in url_path or "\\" in url_path:
            return None
        parts = [part for part in posixpath.normpath(url_path).split("/") if part]
        if any(part.startswith(".") for part in parts):  # .. and hidden/temp files
            return None
        root = self.root.resolve()
        candidate = root.joinpath(*parts).resolve()
        if candidate != root and root not in candidate.parents:
            return None  # a symlink pointing out of the root
        return candidate if candidate.exists() else None

    def served_base(self) -> str:
        """The address this request reached the server at: its Host header, else the socket's."""
        host = (self.headers.get("Host") or "").strip()
        if _HOST_HEADER.match(host):
            return f"http://{host}"
        bound_host, bound_port = self.server.server_address[:2]
        return base_url(str(bound_host), int(bound_port))

    def _send_file(self, path: Path, with_body: bool) -> None:
        stat = path.stat()
        base = ""
        if self.rewrite_links and path.suffix.lower() in FEED_SUFFIXES:
            base = self.served_base()
        # The same file rewritten for another address is another representation.
        variant = f"-{zlib.crc32(base.encode()):x}" if base else ""
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}{variant}"'
        modified = datetime.fromtimestamp(int(stat.st_mtime), tz=UTC)
        if self._not_modified(etag, modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", email.utils.format_datetime(modified, usegmt=True))
            self.end_headers()
            return
        data = path.read_bytes()
        if base:
            data = rewrite_feed_links(data, base)
        content_type = CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)
        self._send_bytes(
            data,
            content_type,
            with_body,
            headers={
                "ETag": etag,
                "Last-Modified": email.utils.format_datetime(modified, usegmt=True),
                "Cache-Control": "no-cache",
            },
        )

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # ETag wins over the date when both are sent
            tags = [tag.strip() for tag in if_none_match.split(",")]
            return etag in tags or "*" in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                moment = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return modified <= moment
        return False

    def _send_bytes(
        self,
        data: bytes,
        content_type: str,
        with_body: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def _error(self, status: HTTPStatus, message: str) -> None:
        body = f"{status.value} {message}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _index(self, directory: Path) -> str:
        relative = directory.relative_to(self.root.resolve()).as_posix()
        title = "/" if relative == "." else f"/{relative}/"
        entries = sorted(
            (entry for entry in directory.iterdir() if not entry.name.startswith(".")),
            key=lambda entry: (not entry.is_dir(), entry.name),
            reverse=relative == "reports",  # newest day first
        )
        items = []
        if title != "/":
            items.append('<li><a href="../">../</a></li>')
        for entry in entries:
            name = entry.name + ("/" if entry.is_dir() else "")
            link = html.escape(quote(name), quote=True)
            items.append(f'<li><a href="{link}">{html.escape(name)}</a></li>')
        return (
            '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">'
            f"<title>dailyai {html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><ul>{''.join(items)}</ul></body></html>"
        )

    def log_message(self, format: str, *args: object) -> None:
        if self.log is not None:
            self.log(f"{self.address_string()} {format % args}")


def make_server(
    out_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8484,
    *,
    log: Callable[[str], None] | None = None,
    rewrite_links: bool = False,
) -> ThreadingHTTPServer:
    """A server for `out_dir` bound to host:port (port 0 picks a free one), not yet running.

    `rewrite_links`: point the links in each feed at the address it is fetched from (when
    `output.site_url` is not set, see the module's docstring).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = partial(OutputHandler, root=out_dir, log=log, rewrite_links=rewrite_links)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    host = host.strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def serve_forever(server: ThreadingHTTPServer) -> None:
    """Serve until interrupted (Ctrl-C), then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = [
    "CONTENT_TYPES",
    "OutputHandler",
    "base_url",
    "is_loopback",
    "make_server",
    "rewrite_feed_links",
    "serve_forever",
]
