"""The digest by email: a text and an HTML part, the chart inline, sent over TLS only.

(Named `mail`, not `email`, so it never shadows the standard library's `email` package.)

The message is `multipart/alternative`: a plain-text part for clients and filters that
read text, and an HTML part (table layout, inline CSS, about 600 px wide, kept under
Gmail's ~102 KB clipping limit) with the category chart attached by Content-ID. The HTML
comes from a Jinja2 template with autoescaping; model Markdown enters it only through
`core.channels.render.model_html` (no raw HTML, no links, sanitized by nh3).

Each recipient gets their own message rather than one message with everyone in Bcc:
- no recipient can see or leak the others' addresses (some servers and clients expose Bcc);
- the delivery ledger records each recipient separately, so a refused or failed address
  is retried alone and everyone else is never sent the same day twice;
- each message carries its own To and List-Unsubscribe, so unsubscribing is per person.
The cost, one SMTP transaction per recipient over one connection, is small for a digest.

Security: implicit TLS (`security = "tls"`, port 465) or STARTTLS (`"starttls"`, port 587,
required — if the server does not offer it, sending fails rather than continuing in the
clear); certificates are always verified. Plaintext (`"none"`) is accepted only for a relay
on localhost. The password comes from an environment variable or a command named in the
config, never from config.toml.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiosmtplib

from core.channels.base import (
    Channel,
    ChannelResult,
    DeliverOptions,
    DeliveryReport,
)
from core.channels.layout import LOCAL_HOSTS, shared_report_url
from core.channels.plaintext import WIDTH, LinkList, heading, markdown_text, wrap
from core.channels.render import (
    ABSTRACT_LABEL,
    FOR_YOU_WORDING,
    PaperView,
    empty_reason,
    for_you_views,
    overview_line,
    section_views,
    status_lines,
    template_environment,
)
from core.config import Config
from core.digest import Digest, build_digest
from core.errors import MailError
from core.i18n import N_, _
from core.killpoints import kill_point
from core.models import DeliveryStatus, RunStatus
from core.sanitize import one_line
from core.secrets import read_secret
from core.store import EMAIL_CHANNEL, Store

if TYPE_CHECKING:
    from core.services import Services

HTML_LIMIT_BYTES = 100_000
"""Gmail clips a message whose HTML part, as received (transfer-encoded), exceeds about
102 KB; the encoded part stays under this."""
COMPACT_LEVELS = 5
"""Levels of detail tried in turn until the HTML fits: everything; no English abstracts; no
per-paper summaries; the first papers of each category only; no category reports."""
COMPACT_PAPERS_PER_CATEGORY = 5
CHART_CID_NAME = "chart"
TRANSFER_ENCODINGS = ("base64", "quoted-printable")
"""How a text part may travel; the smaller one for the text is chosen (Korean: base64)."""

# Inline styles for the tags model Markdown may produce (email clients drop <style>). Font
# size, line height and colour are inherited from the card, so they are not repeated here.
REPORT_STYLES: tuple[tuple[str, str], ...] = (
    ("p", "margin:0 0 10px 0;"),
    ("h3", "margin:14px 0 6px 0;font-size:15px;line-height:1.4;"),
    ("h4", "margin:12px 0 4px 0;font-size:14px;line-height:1.4;"),
    ("h5", "margin:10px 0 4px 0;font-size:13px;"),
    ("h6", "margin:10px 0 4px 0;font-size:13px;"),
    ("ul", "margin:0 0 10px 0;padding-left:20px;"),
    ("ol", "margin:0 0 10px 0;padding-left:20px;"),
    ("li", "margin:0 0 4px 0;"),
    ("blockquote", "margin:0 0 10px 0;padding-left:10px;border-left:3px solid #d1d5db;"),
    ("table", "border-collapse:collapse;margin:0 0 10px 0;font-size:13px;"),
    ("th", "border:1px solid #d1d5db;padding:4px 6px;text-align:left;"),
    ("td", "border:1px solid #d1d5db;padding:4px 6px;"),
    ("code", "font-family:Menlo,Consolas,monospace;font-size:13px;"),
)
SUMMARY_STYLE = "margin:0 0 10px 0;"


@dataclass
class SmtpSettings:
    """Where and how to connect, checked for safety before any connection is made."""

    host: str
    port: int
    security: str
    username: str
    timeout: float

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


# --- rendering ------------------------------------------------------------------------------


def subject_for(digest: Digest, config: Config) -> str:
    """`[Daily AI Insights] 2024-11-16 · 12편` (or why the day is empty)."""
    title = one_line(config.output.title, limit=60) or "Daily AI Insights"
    count = len(digest.selected)
    tail = f"{count}편" if count else "발행할 논문 없음"
    return f"[{title}] {digest.day.isoformat()} · {tail}"


def render_preview(
    digest: Digest, config: Config, *, chart_src: str | None = None, compact: int = 0
) -> tuple[str, str]:
    """The email's plain text and HTML, as the recipient will read them.

    `chart_src` is the image URL the HTML shows the chart from (a `cid:` in the real
    message, a file or http URL for a preview; None leaves the chart out). `compact`
    drops detail to fit the size limit (see `COMPACT_LEVELS`); the report and the feeds
    keep everything.
    """
    context = email_context(digest, config, chart_src)
    return render_text(context, compact), _render(context, "email.html", compact)


def email_context(digest: Digest, config: Config, chart_src: str | None) -> dict:
    """What the email shows, built once for every size it is tried at."""
    return {
        "subject": subject_for(digest, config),
        "title": one_line(config.output.title, limit=60) or "Daily AI Insights",
        "day": digest.day.isoformat(),
        "overview": overview_line(digest),
        "empty": digest.is_empty,
        "empty_reason": empty_reason(digest),
        "sections": section_views(digest),
        "for_you": for_you_views(digest, config),
        **FOR_YOU_WORDING,
        "status_lines": status_lines(digest, config),
        "chart_src": chart_src,
        "abstract_label": ABSTRACT_LABEL,
        "report_styles": REPORT_STYLES,
        "summary_style": SUMMARY_STYLE,
        "site_url": shared_report_url(config, digest.day),
        "unsubscribe": _unsubscribe_text(config),
        "model": one_line(config.llm.model, limit=80),
    }


def _paper_limit(compact: int) -> int | None:
    return COMPACT_PAPERS_PER_CATEGORY if compact >= 3 else None


def _render(context: dict, template: str, compact: int) -> str:
    return (
        template_environment()
        .get_template(template)
        .render(context, compact=compact, paper_limit=_paper_limit(compact))
    )


def render_text(context: dict, compact: int = 0) -> str:
    """The plain-text part: lines of at most 76 columns, headings as underlined text, the
    model's Markdown read as text, and every link listed at the end by number."""
    links = LinkList()
    paper_limit = _paper_limit(compact)
    out = [
        *wrap(f"{context['title']} · 오늘의 AI 논문 · {context['day']}"),
        *wrap(context["overview"]),
    ]
    out += ["=" * WIDTH, ""]
    if context["empty"]:
        out += ["발행할 논문이 없습니다.", *wrap(f"이유: {context['empty_reason']}"), ""]
    site = context["site_url"]
    if compact:
        where = f"전체 보고서 {links.ref(site)}" if site else "보고서와 피드"
        out += [*wrap(f"메일이 너무 길어 일부를 뺐습니다. 전체 내용은 {where}에 있습니다."), ""]
    if context["for_you"]:
        count = len(context["for_you"])
        out += heading(f"{context['for_you_emoji']} {context['for_you_heading']} · {count}편")
        out += [*wrap(context["for_you_intro"]), ""]
        for number, paper in enumerate(context["for_you"], 1):
            mark = f"{number}. "
            hang = " " * len(mark)
            out += wrap(f"{paper.title} {links.ref(paper.url)}", first=mark, indent=hang)
            out += wrap(f"{paper.category_emoji} {paper.category}".strip(), indent=hang)
            if paper.update:
                out += wrap(f"{context['update_label']}: {paper.update}", indent=hang)
            if paper.why:
                out += wrap(f"{context['why_label']}: {paper.why}", indent=hang)
            out.append("")
    for section in context["sections"]:
        out += ["", *heading(f"{section.emoji} {section.name} · {len(section.papers)}편", "=")]
        out.append("")
        if compact < 4 or section.report_note:
            out += ["[분야 종합 보고서]"]
            if section.report_note:
                out += wrap(section.report_note)
            if section.report_text and compact < 4:
                out += ["", *markdown_text(section.report_text)]
            out += ["", "[논문]", ""]
        papers = section.papers[:paper_limit] if paper_limit else section.papers
        for paper in papers:
            out += _paper_text(paper, context, compact, links)
        if paper_limit and len(section.papers) > paper_limit:
            rest = len(section.papers) - paper_limit
            where = f"전체 보고서 {links.ref(site)}" if site else "보고서와 피드"
            out += [*wrap(f"… 외 {rest}편은 {where}에 있습니다."), ""]
    out += ["", *heading("📋 이 날의 현황")]
    for line in context["status_lines"]:
        out += wrap(line, first="- ", indent="  ")
    out += [
        "",
        *wrap(f"요약과 보고서는 로컬 모델({context['model']})이 영문 초록을 바탕으로 썼습니다."),
    ]
    if site:
        out += wrap(f"전체 보고서: {links.ref(site)}")
    if context["unsubscribe"]:
        out += wrap(f"수신 거부: {links.ref(context['unsubscribe'])}")
    if links.urls:
        out += ["", *heading("링크"), *links.lines()]
    return "\n".join(out).rstrip() + "\n"


def _paper_text(paper: PaperView, context: dict, compact: int, links: LinkList) -> list[str]:
    meta = " · ".join(
        part
        for part in (
            f"{paper.link_label} {links.ref(paper.url)}" if paper.url else "링크 없음",
            f"🤗 {paper.upvotes}" if paper.upvotes is not None else "",
            paper.authors,
        )
        if part
    )
    out = wrap(paper.title, first="* ", indent="  ")
    out += wrap(meta, indent="  ")
    for label, text in (
        (context["update_label"], paper.update),
        (context["why_label"], paper.why),
        ("", paper.note),
    ):
        if text:
            out += wrap(f"{label}: {text}" if label else text, indent="  ")
    if paper.summary and compact < 2:
        out += ["", *wrap(paper.summary, indent="  ")]
    if paper.flags:
        out += wrap(f"검토 필요: {'; '.join(paper.flags)}", indent="  ")
    if paper.abstract and not compact:
        out += ["", *wrap(f"[{context['abstract_label']}] {paper.abstract}", indent="  ")]
    return [*out, ""]


def transfer_encoded(html: str) -> tuple[str, int]:
    """The transfer encoding that sends `html` smallest, and its size in bytes as sent.

    Korean is three bytes in UTF-8, which quoted-printable writes as nine (`=EC=9A=94`)
    and base64 as four; the inline-styled markup around it is ASCII, which
    quoted-printable keeps as is. So the smaller of the two depends on the day's text:
    both are measured, as the email package encodes them.
    """
    sizes = {cte: len(_encoded_part(html, cte)) for cte in TRANSFER_ENCODINGS}
    best = min(TRANSFER_ENCODINGS, key=lambda cte: sizes[cte])
    return best, sizes[best]


def _encoded_part(html: str, cte: str) -> bytes:
    part = EmailMessage()
    part.set_content(html, subtype="html", charset="utf-8", cte=cte)
    # Lines travel ending in CRLF: count those bytes too.
    return part.get_payload().replace("\n", "\r\n").encode("ascii")


def fit_html(context: dict) -> tuple[str, int, str, int]:
    """The most detailed HTML part that fits `HTML_LIMIT_BYTES` as sent: (html, compact
    level, transfer encoding, encoded size)."""
    for compact in range(COMPACT_LEVELS):
        html = _render(context, "email.html", compact)
        cte, size = transfer_encoded(html)
        if size <= HTML_LIMIT_BYTES:
            break
    return html, compact, cte, size


def build_message(
    digest: Digest,
    config: Config,
    recipient: str,
    chart_png: bytes | None,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """The day's digest as one recipient's message, ready to send or save as .eml."""
    envelope = Envelope.for_recipient(config, recipient, with_chart=chart_png is not None)
    context = email_context(digest, config, envelope.chart_src)
    context["unsubscribe"] = envelope.unsubscribe
    html, compact, cte, _ = fit_html(context)
    return envelope.message(
        config,
        subject=subject_for(digest, config),
        name=digest.day.isoformat(),
        text=render_text(context, compact),
        html=html,
        html_cte=cte,
        chart_png=chart_png,
        chart_file=f"paper_{digest.day.isoformat()}.png",
        now=now,
    )


@dataclass
class Envelope:
    """Who a digest message goes from and to, and what that fixes before it is rendered:
    the chart's Content-ID and the recipient's unsubscribe link (daily and weekly alike)."""

    sender: Address
    to: Address
    chart_cid: str | None
    unsubscribe: str

    @classmethod
    def for_recipient(cls, config: Config, recipient: str, *, with_chart: bool) -> Envelope:
        sender = _check_address(config.email.sender, "email.sender")
        to = _check_address(recipient, "recipient")
        domain = sender.domain or "localhost"
        chart_cid = make_msgid(idstring=CHART_CID_NAME, domain=domain) if with_chart else None
        return cls(sender, to, chart_cid, _unsubscribe_target(config, sender, to))

    @property
    def chart_src(self) -> str | None:
        """The chart's address inside the HTML part (`cid:…`)."""
        return f"cid:{self.chart_cid[1:-1]}" if self.chart_cid else None

    def message(
        self,
        config: Config,
        *,
        subject: str,
        name: str,
        text: str,
        html: str,
        html_cte: str,
        chart_png: bytes | None,
        chart_file: str,
        now: datetime | None = None,
    ) -> EmailMessage:
        """The message: headers, the plain-text and HTML parts, the chart inline."""
        domain = self.sender.domain or "localhost"
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = self.to
        message["Date"] = format_datetime(now or datetime.now(ZoneInfo(config.general.timezone)))
        message["Message-ID"] = make_msgid(idstring=f"dailyai.{name}", domain=domain)
        message["List-Id"] = f"{one_line(config.output.title, limit=60)} <dailyai.{domain}>"
        if self.unsubscribe:
            message["List-Unsubscribe"] = f"<{self.unsubscribe}>"
            if self.unsubscribe.startswith("https://"):
                # RFC 8058: mail clients may unsubscribe with one POST to the HTTPS URL,
                # without opening a page (Gmail and Yahoo ask bulk senders for this).
                message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        # Out-of-office replies to a digest help nobody.
        message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
        message.set_content(text, subtype="plain", charset="utf-8", cte=transfer_encoded(text)[0])
        message.add_alternative(html, subtype="html", charset="utf-8", cte=html_cte)
        if chart_png and self.chart_cid:
            message.get_payload()[1].add_related(
                chart_png,
                maintype="image",
                subtype="png",
                cid=self.chart_cid,
                filename=chart_file,
                disposition="inline",
            )
        return message


def _check_address(value: str, what: str) -> Address:
    """A single valid address (with an optional display name), else a MailError."""
    value = (value or "").strip()
    if not value:
        hint = (
            _("set email.sender in config.toml") if what == "email.sender" else _("give an address")
        )
        raise MailError(_("email: no {what} — {hint}").format(what=what, hint=hint))
    if any(char in value for char in "\r\n\x00"):
        raise MailError(
            _("email: {what} {value!r} contains a line break — give one address").format(
                what=what, value=value
            )
        )
    name, address = parseaddr(value)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise MailError(
            _("email: {what} {value!r} is not an email address").format(what=what, value=value)
        )
    local, _at, domain = address.rpartition("@")
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError) as error:
        raise MailError(
            _("email: {what} {value!r} is not a valid address ({error})").format(
                what=what, value=value, error=error
            )
        ) from None


def _unsubscribe_target(
    config: Config, sender: Address | None = None, recipient: Address | None = None
) -> str:
    """Where a reader unsubscribes: `email.unsubscribe` as a URL or mailto (its `{email}`
    replaced by the recipient's address, so a list manager knows who asked), an address,
    else a mailto to the sender."""
    configured = (config.email.unsubscribe or "").strip()
    if configured.startswith(("mailto:", "https://", "http://")):
        address = recipient.addr_spec if recipient is not None else ""
        return configured.replace("{email}", quote(address, safe="@"))
    if "@" in configured:
        return f"mailto:{configured}?subject=unsubscribe"
    if sender is not None:
        return f"mailto:{sender.addr_spec}?subject=unsubscribe"
    return ""


def _unsubscribe_text(config: Config) -> str:
    try:
        sender = _check_address(config.email.sender, "email.sender")
    except MailError:
        sender = None
    return _unsubscribe_target(config, sender)


def write_eml(message: EmailMessage, path: Path | str) -> Path:
    """Save a message as an .eml file (for `dailyai email --dry-run`)."""
    from email.policy import SMTP

    from core.paths import write_atomic

    return write_atomic(Path(path), message.as_bytes(policy=SMTP))


# --- settings and secrets -------------------------------------------------------------------


def _tls_context_from(ca_file: str) -> ssl.SSLContext:
    """A verifying TLS context that trusts the CA in `ca_file` (email.ca_file)."""
    try:
        return ssl.create_default_context(cafile=str(Path(ca_file).expanduser()))
    except (OSError, ssl.SSLError) as error:
        raise MailError(
            _(
                "email.ca_file {ca_file}: cannot load it as a PEM CA certificate ({error}) — "
                "check the path, or leave it empty to use the system's CAs"
            ).format(ca_file=ca_file, error=error)
        ) from None


def smtp_settings(config: Config) -> SmtpSettings:
    """The SMTP server from the config, refusing anything that would send in the clear."""
    email = config.email
    host = email.host.strip()
    if not host:
        raise MailError(
            _("email: no SMTP server — set email.host in config.toml (e.g. smtp.gmail.com)")
        )
    security = email.security
    if security == "none" and host.strip("[]").lower() not in LOCAL_HOSTS:
        raise MailError(
            _(
                'email: security = "none" sends in plaintext and is allowed only to a relay on '
                'localhost, not {host} — use security = "starttls" (port 587) or "tls" (port 465)'
            ).format(host=host)
        )
    if security == "starttls" and email.port == 465:
        raise MailError(
            _(
                'email: port 465 expects implicit TLS — set security = "tls", or use port 587 '
                "with starttls"
            )
        )
    if security == "tls" and email.port in (25, 587):
        raise MailError(
            _(
                'email: port {port} speaks STARTTLS — set security = "starttls", or use port 465 '
                'with security = "tls"'
            ).format(port=email.port)
        )
    return SmtpSettings(
        host=host,
        port=email.port,
        security=security,
        username=email.username.strip(),
        timeout=email.timeout_seconds,
    )


def resolve_password(config: Config, password: str | None = None) -> str | None:
    """The SMTP password: given, else `$<email.password_env>`, else `email.password_command`."""
    if password:
        return password
    return read_secret(
        config.email.password_env,
        config.email.password_command,
        setting="email: password_command",
        error=MailError,
    )


def recipients_from(config: Config, recipients: Sequence[str] | None) -> list[str]:
    """The recipients to send to (given, else `email.to`), validated, each once."""
    given = list(recipients) if recipients else list(config.email.to)
    if not given:
        raise MailError(
            _("email: no recipients — set email.to in config.toml or pass --to ADDRESS")
        )
    result: dict[str, str] = {}
    for value in given:
        address = _check_address(value, "recipient")
        result.setdefault(address.addr_spec.lower(), str(address))
    return list(result.values())


# --- sending ------------------------------------------------------------------------------


async def send_digest(
    store: Store,
    config: Config,
    day: date,
    *,
    recipients: Sequence[str] | None = None,
    force: bool = False,
    password: str | None = None,
    tls_context: ssl.SSLContext | None = None,
    now: datetime | None = None,
    on_progress: Callable[[str], None] | None = None,
    digest: Digest | None = None,
) -> DeliveryReport:
    """Send the day's digest to each recipient who has not had it yet (all, with `force`).

    Each recipient is claimed in the store before anything is sent, so two senders at once
    (two `dailyai email`, a run and the TUI) never send anyone the day twice: a recipient
    another live sender holds is left to it (`report.held`), even with `force`. A claim is
    released when its recipient is recorded sent or failed (a failed one is retried by the
    next run), and taken over when its holder died.

    Returns what happened per recipient; refused recipients are in `report.failed` and in
    the ledger. Raises MailError (with `.report`) when the server cannot be used at all:
    no connection, TLS or login failure, or a dropped connection. `tls_context` replaces
    the system's CA store (tests use a private CA); certificates are still verified.
    `digest` may hand in the day's digest when it is already built.
    """
    report_progress = on_progress or (lambda message: None)
    smtp_settings(config)  # a bad server setting is said before anything else
    _check_address(config.email.sender, "email.sender")
    wanted = recipients_from(config, recipients)
    report = DeliveryReport(day=day)
    digest = digest or await asyncio.to_thread(build_digest, store, config, day)
    if digest.is_empty and not config.email.send_empty:
        report.note = (
            f"{day}: nothing to publish ({one_line(digest.empty_reason, limit=300)}); no email sent because "
            "email.send_empty is false"
        )
        return report
    from core.channels.chart import render_chart_png

    chart: list[bytes | None] = []

    def compose(recipient: str) -> EmailMessage:
        if not chart:  # drawn once, and only when someone is to get the message
            chart.append(render_chart_png(digest) if not digest.is_empty else None)
        return build_message(digest, config, recipient, chart[0], now=now)

    return await send_messages(
        store,
        config,
        day,
        compose,
        recipients=wanted,
        force=force,
        password=password,
        tls_context=tls_context,
        on_progress=report_progress,
        report=report,
    )


async def send_messages(
    store: Store,
    config: Config,
    day: date,
    compose: Callable[[str], EmailMessage],
    *,
    channel: str = EMAIL_CHANNEL,
    recipients: Sequence[str] | None = None,
    force: bool = False,
    password: str | None = None,
    tls_context: ssl.SSLContext | None = None,
    on_progress: Callable[[str], None] | None = None,
    report: DeliveryReport | None = None,
) -> DeliveryReport:
    """Send each recipient its message, `compose(recipient)`, once per `channel` and `day`.

    The delivery ledger and its claims work as `send_digest` describes (the weekly digest
    sends through here under its own channel, dated on the week's Monday).
    """
    settings = smtp_settings(config)
    _check_address(config.email.sender, "email.sender")
    wanted = recipients_from(config, recipients)
    report = report or DeliveryReport(day=day)
    holder = f"mail:{uuid.uuid4().hex}"
    by_address = {_addr(recipient): recipient for recipient in wanted}
    claims = await asyncio.to_thread(
        store.claim_deliveries, day, list(by_address), holder, force=force, channel=channel
    )
    report.skipped = [by_address[address] for address in claims.already_sent]
    for address, other in claims.held.items():
        report.held[by_address[address]] = f"being sent by {other.describe()} right now"
    pending = [by_address[address] for address in claims.claimed]
    if not pending:
        return report
    kill_point("mail-claimed")
    try:
        return await _send_claimed(
            store,
            config,
            settings,
            compose,
            report,
            pending,
            holder,
            channel=channel,
            password=password,
            tls_context=tls_context,
            on_progress=on_progress or (lambda message: None),
        )
    finally:
        # Whatever was not recorded (an error, a cancel).
        await asyncio.to_thread(store.release_claims, holder)


async def _send_claimed(
    store: Store,
    config: Config,
    settings: SmtpSettings,
    compose: Callable[[str], EmailMessage],
    report: DeliveryReport,
    pending: list[str],
    holder: str,
    *,
    channel: str,
    password: str | None,
    tls_context: ssl.SSLContext | None,
    on_progress: Callable[[str], None],
) -> DeliveryReport:
    """Send to the recipients this sender holds the claims of, recording each outcome."""
    day, report_progress = report.day, on_progress

    async def fail(recipients: Sequence[str], reason: str) -> None:
        await asyncio.to_thread(_fail_all, store, report, day, recipients, reason, holder, channel)

    secret = resolve_password(config, password) if settings.username else None
    if settings.username and not secret:
        raise MailError(
            _(
                "email: no SMTP password for {username} — export {value}=<app password> or set "
                "email.password_command"
            ).format(
                username=settings.username,
                value=config.email.password_env or "DAILYAI_SMTP_PASSWORD",
            )
        )
    if tls_context is None and config.email.ca_file:
        tls_context = _tls_context_from(config.email.ca_file)
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "tls",
        # Explicit True: fail if the server does not offer STARTTLS, never continue in clear.
        start_tls=settings.security == "starttls",
        validate_certs=True,
        tls_context=tls_context,
        timeout=settings.timeout,
    )
    try:
        report_progress(f"connecting to {settings.where}")
        try:
            await client.connect()
            if settings.username:
                await client.login(settings.username, secret or "")
        except Exception as error:
            offers_no_login = (
                bool(settings.username)
                and client.is_connected
                and client.last_ehlo_response is not None
                and not client.supports_extension("auth")
            )
            message = _no_login_offered(settings) if offers_no_login else None
            message = message or _connection_error(error, settings)
            await fail(pending, message)
            raise MailError(message, report=report) from None
        for index, recipient in enumerate(pending):
            report_progress(f"sending to {recipient} ({index + 1}/{len(pending)})")
            await asyncio.to_thread(store.touch_claims, holder)
            message = compose(recipient)
            try:
                refused, _response = await client.send_message(message)
            except aiosmtplib.SMTPRecipientsRefused as error:
                reasons = "; ".join(
                    f"{one_line(r.message, limit=160)} ({r.code})" for r in error.recipients
                )
                await fail([recipient], f"refused by {settings.host}: {reasons}")
                continue
            except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPSenderRefused) as error:
                reason = f"{one_line(error.message, limit=160)} ({error.code})"
                await fail([recipient], f"rejected by {settings.host}: {reason}")
                continue
            except Exception as error:
                lost = _connection_error(error, settings)
                await fail([recipient], lost)
                await fail(pending[index + 1 :], f"not sent: {lost}")
                summary = (
                    f"{lost} — {len(report.sent)} of {len(pending)} sent; run `dailyai email` "
                    "again to send the rest (recipients already served are skipped)"
                )
                raise MailError(summary, report=report) from None
            if refused:
                reasons = "; ".join(
                    f"{one_line(response.message, limit=160)} ({response.code})"
                    for response in refused.values()
                )
                await fail([recipient], f"refused by {settings.host}: {reasons}")
                continue
            message_id = str(message["Message-ID"])
            await asyncio.to_thread(
                store.record_delivery,
                day,
                _addr(recipient),
                status=DeliveryStatus.SENT,
                message_id=message_id,
                holder=holder,
                channel=channel,
            )
            report.sent.append(recipient)
            report.message_ids[recipient] = message_id
    finally:
        if client.is_connected:
            try:
                await asyncio.wait_for(client.quit(), timeout=5)
            except Exception:
                client.close()
    return report


def _addr(recipient: str) -> str:
    return parseaddr(recipient)[1] or recipient


def _fail_all(
    store: Store,
    report: DeliveryReport,
    day: date,
    recipients: Sequence[str],
    reason: str,
    holder: str,
    channel: str,
) -> None:
    for recipient in recipients:
        store.record_delivery(
            day,
            _addr(recipient),
            status=DeliveryStatus.FAILED,
            error=reason,
            holder=holder,
            channel=channel,
        )
        report.failed[recipient] = reason


def _no_login_offered(settings: SmtpSettings) -> str:
    """The server offers no AUTH at all, yet email.username asks to log in."""
    where = settings.where
    if settings.security == "none":
        return (
            f"email: {where} offers no login (no AUTH) over a plain connection, but "
            f"email.username is set to {settings.username} — servers offer login only over TLS: "
            'use security = "starttls" (port 587) or "tls" (port 465); for a local relay that '
            "needs no login, remove email.username"
        )
    return (
        f"email: {where} offers no login (no AUTH), but email.username is set to "
        f"{settings.username} — if this server needs no login (a relay), remove email.username; "
        "otherwise check email.host and email.port name your provider's submission server"
    )


def _connection_error(error: BaseException, settings: SmtpSettings) -> str:
    """One line saying what went wrong with the server and what to do about it."""
    where = settings.where
    detail = one_line(str(error), limit=200) or type(error).__name__
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return (
            f"email: {where} refused the login of {settings.username} "
            f"({one_line(error.message, limit=160)} {error.code}) — check email.username and the "
            "password; Gmail, Naver and Kakao need an app password, not your account password"
        )
    tls_error = _ssl_cause(error)
    if tls_error is not None:
        reason = one_line(getattr(tls_error, "verify_message", "") or str(tls_error), limit=200)
        return (
            f"email: TLS with {where} failed ({reason}) — check email.host is the name on the "
            f'server\'s certificate and that port {settings.port} uses security = "{settings.security}";'
            " TLS is never turned off"
        )
    if isinstance(error, aiosmtplib.SMTPException) and "STARTTLS" in str(error).upper():
        return (
            f"email: {where} does not offer STARTTLS ({detail}) — use a server that does, or "
            'implicit TLS on port 465 with security = "tls"; the digest is never sent in clear'
        )
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return (
            f"email: {where} did not answer within {settings.timeout:g} s — check email.host "
            'and email.port (465 needs security = "tls", 587 "starttls")'
        )
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return f"email: {where} dropped the connection ({detail}) — try again later"
    if isinstance(error, aiosmtplib.SMTPConnectError | ConnectionError | OSError):
        return (
            f"email: cannot connect to {where} ({detail}) — check email.host, email.port and "
            "the network"
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"email: {where} answered {error.code} {one_line(error.message, limit=160)}"
    return f"email: sending through {where} failed ({detail})"


def _ssl_cause(error: BaseException) -> ssl.SSLError | None:
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 6:
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


# --- the channel ------------------------------------------------------------------------------


class EmailChannel(Channel):
    name = "email"
    order = 30
    run_flag_help = N_("do not send the email")
    what = N_("sends the email")
    delivers = True

    def enabled(self, config: Config) -> bool:
        return config.email.enabled

    def off_reason(self, config: Config) -> str:
        return _("email is off (email.enabled = false)")

    def needs(self, config: Config) -> list[str]:
        email = config.email
        missing = []
        if not email.host.strip():
            missing.append(_("email.host: the SMTP server (e.g. smtp.gmail.com)"))
        if not email.sender.strip():
            missing.append(_("email.sender: the From address"))
        if not email.to:
            missing.append(_("email.to: the recipients"))
        variable = email.password_env.strip()
        has_password = bool(variable and os.environ.get(variable)) or bool(
            email.password_command.strip()
        )
        if email.username.strip() and not has_password:
            missing.append(
                _(
                    "the SMTP password: export {variable}=<app password> or set email.password_command"
                ).format(variable=variable or "DAILYAI_SMTP_PASSWORD")
            )
        return missing

    def render(self, digest: Digest, config: Config) -> str:
        text, _ = render_preview(digest, config)
        return text

    async def deliver(
        self, services: Services, digest: Digest, options: DeliverOptions
    ) -> ChannelResult:
        config = services.config
        if digest.is_empty and not config.email.send_empty:
            return ChannelResult(
                RunStatus.SKIPPED,
                f"nothing to send ({digest.empty_reason}); email.send_empty = false",
            )
        delivery = await send_digest(
            services.store,
            config,
            digest.day,
            recipients=options.targets,
            force=options.force,
            now=options.now,
            on_progress=options.on_progress,
            digest=digest,
        )
        return ChannelResult.of_delivery(delivery)


CHANNEL = EmailChannel()
