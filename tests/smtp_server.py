"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 with STARTTLS or implicit TLS (trustme
certificates) and AUTH, a mailbox that keeps what it receives, refuses or drops chosen
recipients; shared by the email tests and the pipeline tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from dataclasses import dataclass, field

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from core.config import Config

USER, PASSWORD = "digest@example.org", "app-password-123"


@dataclass
class Mailbox:
    """What the test server received, and whom it refuses or hangs up on."""

    messages: list[tuple[str, list[str], email.message.EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    hold: asyncio.Event | None = None
    """When given, the first message waits at DATA until it is set (a sender held mid-send)."""
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the first message is being held."""
    offer_auth: bool = True
    """False: the server offers no AUTH at all (a relay), in plain text or after STARTTLS."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # the hook's job once a handler has it
        if self.offer_auth:
            return responses
        return [line for line in responses if not line.startswith("250-AUTH")]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("drop"):
            server.transport.close()
            return "421 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold is not None and not self.holding.is_set():
            self.holding.set()
            await self.hold.wait()
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        # handled=False: aiosmtpd answers 535 itself (True would leave the client waiting).
        return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """What the app verifies the server with: the test CA instead of the system's."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def _server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


async def start_smtp(
    mailbox: Mailbox,
    ca: trustme.CA | None,
    *,
    mode: str = "starttls",
    auth: bool = True,
    port: int = 0,
) -> tuple[asyncio.AbstractServer, int]:
    """An SMTP server on 127.0.0.1 (a free port, or `port`): `starttls`, `tls` or `plain`."""
    loop = asyncio.get_running_loop()
    tls = _server_tls(ca) if ca is not None and mode != "plain" else None
    mailbox.offer_auth = auth

    def factory() -> SMTP:
        return SMTP(
            mailbox,
            hostname="localhost",
            tls_context=tls if mode == "starttls" else None,
            require_starttls=mode == "starttls",
            authenticator=mailbox.authenticate if auth else None,
            auth_required=auth,
            # Implicit TLS is TLS from the first byte; aiosmtpd only knows about STARTTLS.
            auth_require_tls=mode == "starttls",
        )

    server = await loop.create_server(
        factory, "127.0.0.1", port, ssl=tls if mode == "tls" else None
    )
    return server, server.sockets[0].getsockname()[1]


def mail_config(config: Config, port: int, *, security: str = "starttls", to=None) -> Config:
    config.email.host = "localhost"
    config.email.port = port
    config.email.security = security
    config.email.username = USER
    config.email.sender = f"Daily AI <{USER}>"
    config.email.to = to or ["alice@example.com", "Bob <bob@example.net>"]
    config.email.unsubscribe = "unsubscribe@example.org"
    config.email.timeout_seconds = 10
    return config
