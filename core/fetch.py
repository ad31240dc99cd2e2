"""Getting bytes from paper sources politely: one shared HTTP client for every source.

Timeouts, a User-Agent naming the app, conditional GET, bounded retries with backoff on
timeouts, 5xx and 429 (honouring Retry-After), a cap on body size, and arXiv's terms of
use (one request every 3 seconds, one connection at a time). `file://` URLs are read from
disk through the same interface, so offline sources and the demo take the same path.

Every failure leaves as a `SourceError` with one line naming the source, the cause and what
to do: failures that cannot mend within seconds (a host name that does not resolve, a
redirect loop, a body that does not match its Content-Encoding) are not retried. The size
cap holds for whatever comes in — files, pipes, devices, chunked or compressed bodies —
because bodies are read in bounded chunks and decompressed here, never past the cap.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import socket
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from core import __version__
from core.config import FetchConfig
from core.errors import SourceError
from core.i18n import _

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
READ_CHUNK = 1 << 16
"""Bytes read (or decompressed) at a time, so no single step can exceed the size cap by much."""
ACCEPT_ENCODING = "gzip, deflate"
"""The encodings `_BodyReader` decodes; asking for no others keeps the cap exact."""


class Clock(Protocol):
    """Time as the fetcher sees it; tests inject one that never really sleeps."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class Fetched:
    """A response body (or the news that it has not changed since last time)."""

    url: str
    body: bytes
    content_type: str
    status: int
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class Validators:
    """What a previous response said about itself, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


def user_agent(contact: str = "") -> str:
    """The User-Agent every request carries, naming the app (and the user, if they wish)."""
    suffix = f"; mailto:{contact}" if contact else ""
    return f"dailyai/{__version__} (Daily AI Insights paper digest{suffix})"


ARXIV_DOMAINS = ("arxiv.org",)


def pacing_group(url: str, paced_domains: tuple[str, ...] = ARXIV_DOMAINS) -> str | None:
    """Hosts that share one rate limit: every arXiv host counts as one (its terms say so)."""
    host = (urlsplit(url).hostname or "").lower()
    for domain in paced_domains:
        if host == domain or host.endswith("." + domain):
            return "arxiv"
    return None


class Fetcher:
    """The one HTTP client all sources share during a fetch."""

    def __init__(
        self,
        config: FetchConfig,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        paced_domains: tuple[str, ...] = ARXIV_DOMAINS,
    ) -> None:
        self.config = config
        self.paced_domains = paced_domains
        self.clock = clock or SystemClock()
        self.max_bytes = int(config.max_body_mb * 1024 * 1024)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                config.timeout_seconds, connect=min(10.0, config.timeout_seconds)
            ),
            headers={"User-Agent": user_agent(config.contact), "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=True,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            transport=transport,
        )
        self._group_locks: dict[str, asyncio.Lock] = {}
        self._group_last: dict[str, float] = {}
        self.requests_made = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def get(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        validators: Validators | None = None,
        label: str = "",
    ) -> Fetched:
        """The body at `url`, raising SourceError with a one-line cause when it fails.

        `label` names the source in error messages (defaults to the URL).
        """
        label = label or url
        if url.startswith("file://"):
            # In a thread: a pipe or a slow disk must not hold up the other sources.
            return await asyncio.to_thread(self._read_file, url, label)
        if not url.startswith(("http://", "https://")):
            raise SourceError(
                _("{label}: unsupported URL {url!r} — use https://, http:// or file://").format(
                    label=label, url=url
                )
            )
        group = pacing_group(url, self.paced_domains)
        if group is None:
            return await self._get_with_retries(url, params, validators, label, group)
        lock = self._group_locks.setdefault(group, asyncio.Lock())
        async with lock:  # one connection at a time to the group
            return await self._get_with_retries(url, params, validators, label, group)

    def _read_file(self, url: str, label: str) -> Fetched:
        parts = urlsplit(url)
        path = Path(url2pathname(unquote(parts.path)))
        if parts.netloc and parts.netloc != "localhost":
            raise SourceError(
                _("{label}: file URLs must be local (file:///path), not {url!r}").format(
                    label=label, url=url
                )
            )
        try:
            # Read in chunks up to the cap: devices, pipes and /proc files report a size of 0.
            with path.open("rb") as file:
                body = bytearray()
                while chunk := file.read(READ_CHUNK):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise SourceError(self._too_big(label))
        except FileNotFoundError:
            raise SourceError(
                _("{label}: no such file {path} — check the source's URL").format(
                    label=label, path=path
                )
            ) from None
        except IsADirectoryError:
            raise SourceError(
                _("{label}: {path} is a directory, not a feed file").format(label=label, path=path)
            ) from None
        except PermissionError:
            raise SourceError(
                _("{label}: cannot read {path} (permission denied)").format(label=label, path=path)
            ) from None
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise SourceError(
                _("{label}: cannot read {path} ({reason})").format(
                    label=label, path=path, reason=reason
                )
            ) from None
        content_type = "application/json" if path.suffix == ".json" else "application/xml"
        return Fetched(url=url, body=bytes(body), content_type=content_type, status=200)

    def _too_big(self, label: str) -> str:
        return (
            f"{label}: response is larger than {self.config.max_body_mb:g} MB — refusing it; "
            "raise fetch.max_body_mb if this source is really that big"
        )

    async def _get_with_retries(
        self,
        url: str,
        params: dict[str, str] | None,
        validators: Validators | None,
        label: str,
        group: str | None,
    ) -> Fetched:
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        attempts = self.config.retries + 1
        last_problem = ""
        for attempt in range(attempts):
            if group is not None:
                await self._pace(group)
            try:
                self.requests_made += 1
                result = await self._request(url, params, headers, label)
            except httpx.TimeoutException:
                last_problem = f"timed out after {self.config.timeout_seconds:g} s"
                wait = self._backoff(attempt)
            except httpx.HTTPError as error:
                lasting = lasting_failure(error, label, url)
                if lasting is not None:
                    raise lasting from None  # retrying within seconds would not mend it
                last_problem = f"connection failed ({_describe(error)})"
                wait = self._backoff(attempt)
            except httpx.InvalidURL as error:
                raise SourceError(
                    _("{label}: invalid URL ({value}) — check the source's URL").format(
                        label=label, value=_describe(error)
                    )
                ) from None
            else:
                if isinstance(result, Fetched):
                    return result
                status, retry_after = result
                last_problem = f"HTTP {status}"
                if status == 429:
                    last_problem = "HTTP 429 (rate limited)"
                wait = self._backoff(attempt)
                if retry_after is not None:
                    if retry_after > self.config.max_retry_after_seconds:
                        raise SourceError(
                            _(
                                "{label}: {last_problem}; the server asks to wait {retry_after:.0f} s, more than "
                                "fetch.max_retry_after_seconds — try again later"
                            ).format(
                                label=label, last_problem=last_problem, retry_after=retry_after
                            )
                        )
                    wait = max(wait, retry_after)
            if attempt + 1 < attempts:
                await self.clock.sleep(wait)
        raise SourceError(
            _(
                "{label}: {last_problem}, {attempts} attempts — the source may be down; try again"
                " later"
            ).format(label=label, last_problem=last_problem, attempts=attempts)
        )

    def _backoff(self, attempt: int) -> float:
        return self.config.backoff_seconds * (2**attempt)

    async def _pace(self, group: str) -> None:
        """Wait until the group's minimum interval has passed since its last request."""
        interval = self.config.arxiv_min_interval_seconds
        last = self._group_last.get(group)
        if last is not None:
            remaining = interval - (self.clock.monotonic() - last)
            if remaining > 0:
                await self.clock.sleep(remaining)
        self._group_last[group] = self.clock.monotonic()

    async def _request(
        self, url: str, params: dict[str, str] | None, headers: dict[str, str], label: str
    ) -> Fetched | tuple[int, float | None]:
        """One request: the body, or (status, Retry-After) for a status worth retrying."""
        async with self._client.stream("GET", url, params=params, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(
                    url=str(response.url),
                    body=b"",
                    content_type="",
                    status=304,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    not_modified=True,
                )
            if response.status_code in RETRY_STATUSES:
                return response.status_code, parse_retry_after(response.headers.get("Retry-After"))
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise SourceError(self._too_big(label))
            try:
                reader = _BodyReader(response.headers.get("Content-Encoding", ""), self.max_bytes)
                async for chunk in response.aiter_raw(READ_CHUNK):
                    reader.feed(chunk)
                body = reader.finish()
            except _TooBig:
                raise SourceError(self._too_big(label)) from None
            except _Undecodable as error:
                raise SourceError(
                    _(
                        "{label}: {error} — the server is misconfigured; try again later or tell the "
                        "source's maintainers"
                    ).format(label=label, error=error)
                ) from None
            content_type = response.headers.get("Content-Type", "")
            if response.status_code >= 400:
                # The arXiv API reports errors as an Atom feed with HTTP 400: let the parser
                # read the message; anything else is reported with its status.
                if b"<feed" in body[:2000] and b"arxiv" in body[:2000].lower():
                    return Fetched(
                        url=str(response.url),
                        body=body,
                        content_type=content_type,
                        status=response.status_code,
                    )
                raise SourceError(
                    _(
                        "{label}: HTTP {status_code} {reason_phrase}{value} — check the source's URL"
                    ).format(
                        label=label,
                        status_code=response.status_code,
                        reason_phrase=response.reason_phrase,
                        value=_error_detail(body),
                    )
                )
            return Fetched(
                url=str(response.url),
                body=body,
                content_type=content_type,
                status=response.status_code,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def lasting_failure(error: httpx.HTTPError, label: str, url: str) -> SourceError | None:
    """The one-line error for an HTTP failure that a retry would not mend, else None."""
    if isinstance(error, httpx.ConnectError) and _caused_by(error, socket.gaierror):
        host = _request_host(error) or urlsplit(url).hostname or url
        return SourceError(
            _("{label}: cannot resolve host {host} — check the URL or your network").format(
                label=label, host=host
            )
        )
    if isinstance(error, httpx.TooManyRedirects):
        return SourceError(
            _(
                "{label}: the server redirects in a loop (too many redirects) — check the "
                "source's URL, or open it in a browser to see where it leads"
            ).format(label=label)
        )
    if isinstance(error, httpx.DecodingError):
        return SourceError(
            _(
                "{label}: the body does not match its Content-Encoding ({value}) — the server is "
                "misconfigured; try again later or tell the source's maintainers"
            ).format(label=label, value=_describe(error))
        )
    if isinstance(error, httpx.UnsupportedProtocol):
        return SourceError(
            _(
                "{label}: the server sent us to an unsupported URL ({value}) — use the feed's own"
                " https:// URL"
            ).format(label=label, value=_describe(error))
        )
    if not isinstance(error, httpx.TransportError):
        return SourceError(
            _("{label}: request failed ({type}: {value})").format(
                label=label, type=type(error).__name__, value=_describe(error)
            )
        )
    return None


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """True when `kind` is anywhere in the chain of causes of `error`."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _request_host(error: httpx.HTTPError) -> str | None:
    try:
        return error.request.url.host or None
    except RuntimeError:  # the error carries no request
        return None


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]


class _TooBig(Exception):
    """The body grew past the size cap."""


class _Undecodable(Exception):
    """The body does not decode as its Content-Encoding says."""


class _BodyReader:
    """A response body decoded from its Content-Encoding, refused once it passes `limit`.

    httpx would inflate each network read whole (64 KB of gzip can inflate to 64 MB);
    here every stage is asked for at most what is left under the cap, so a compression
    bomb costs no more memory than the cap.
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        self.limit = limit
        self.body = bytearray()
        encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        # Encodings are listed in the order they were applied: undo them in reverse.
        self.stages = [_Inflater(name) for name in reversed(encodings) if name != "identity"]

    def feed(self, data: bytes) -> None:
        for stage in self.stages:
            data = stage.inflate(data, self.limit + 1)
        self._append(data)

    def finish(self) -> bytes:
        data = b""
        for stage in self.stages:
            data = stage.inflate(data, self.limit + 1) + stage.flush()
        self._append(data)
        return bytes(self.body)

    def _append(self, data: bytes) -> None:
        if len(self.body) + len(data) > self.limit:
            raise _TooBig
        self.body += data


class _Inflater:
    """One Content-Encoding stage (gzip or deflate), with bounded output per call."""

    def __init__(self, encoding: str) -> None:
        if encoding in ("gzip", "x-gzip"):
            wbits = zlib.MAX_WBITS | 16
        elif encoding == "deflate":
            wbits = zlib.MAX_WBITS  # zlib-wrapped; raw deflate is tried if that fails
        else:
            raise _Undecodable(
                _(
                    "the body is in the {encoding!r} encoding, which was not asked for and cannot be "
                    "read"
                ).format(encoding=encoding)
            )
        self.encoding = encoding
        self.raw_fallback = encoding == "deflate"
        self.decompressor = zlib.decompressobj(wbits)
        self.produced = 0

    def inflate(self, data: bytes, limit: int) -> bytes:
        if not data:
            return b""
        try:
            output = self.decompressor.decompress(data, limit - self.produced + 1)
        except zlib.error as error:
            if self.raw_fallback and self.produced == 0:
                self.raw_fallback = False
                self.decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.inflate(data, limit)
            raise _Undecodable(self._mismatch(error)) from None
        self.raw_fallback = False
        self.produced += len(output)
        if self.produced > limit or self.decompressor.unconsumed_tail:
            raise _TooBig
        return output

    def flush(self) -> bytes:
        try:
            return self.decompressor.flush()
        except zlib.error as error:
            raise _Undecodable(self._mismatch(error)) from None

    def _mismatch(self, error: zlib.error) -> str:
        detail = str(error).split(":")[-1].strip() or "unreadable"
        return f"the body is not valid {self.encoding} although its Content-Encoding says so ({detail})"


def _error_detail(body: bytes) -> str:
    """A short, printable excerpt of an error body (e.g. HF's {"error": "…"})."""
    text = body[:300].decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            message = json.loads(body).get("error")
        except (ValueError, AttributeError):
            message = None
        if isinstance(message, str):
            return f": {message[:200]}"
    return ""
