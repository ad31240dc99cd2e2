"""Chat delivery: the day's digest as one short message to Slack, Telegram, Discord … (Apprise).

`[notify] urls` lists Apprise URLs (https://github.com/caronc/apprise/wiki), one per chat,
room or webhook; Apprise speaks each service's API. The message gives the day, how many
papers in which categories, each category's one-line Korean gist (from its report's
conclusion), the top papers with their links, and the link to the full report when the
output dir is published (`output.site_url`). An empty day sends nothing unless
`send_empty`, as for the email.

Secrets: a token is never written in config.toml. In a URL, `{env:NAME}` is replaced by the
environment variable NAME when sending, and `{command:pass show chat}` by that command's
output (run without a shell). A URL whose secret parts (as Apprise reads that service's
URLs) are written inline is refused when the config is read, naming its line. The delivery
ledger and every message name a URL as configured, placeholders and all, and failure
reasons are scrubbed of the secrets, so a token never reaches the store, the log or the
screen.

Formatting: the message is CommonMark, with every untrusted text (titles, category names,
the model's gists) escaped as literal text (`core.channels.render.escape_markdown`), and
@-mentions broken with a zero-width space, so a title can neither format, link nor ping;
Apprise turns the Markdown into each service's dialect (Slack mrkdwn, Telegram Markdown,
Discord) with its own escaping. Size: each service's `body_maxlen` (Discord 2,000
characters, Telegram 4,096) is met by leaving detail out — shorter gists, then fewer
papers — and saying how many are left for the report; the report link sits near the top,
so it survives even Apprise's last-resort truncation.

Delivery: per (day, URL) in the store's delivery ledger with the email's claims: never twice
unless forced, never by two senders at once, and a URL that failed is tried again by the
next run; each failure names its service and why.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.channels.base import (
    Channel,
    ChannelResult,
    DeliverOptions,
    DeliveryReport,
)
from core.channels.layout import shared_report_url
from core.channels.render import (
    FOR_YOU_EMOJI,
    FOR_YOU_HEADING,
    SectionView,
    empty_reason,
    escape_markdown,
    model_html,
    safe_url,
    section_views,
)
from core.config import Config
from core.digest import Digest
from core.errors import ConfigError, DailyAIError
from core.i18n import N_, _
from core.models import DeliveryStatus
from core.sanitize import html_to_text, one_line, truncate
from core.secrets import secret_from_command
from core.store import Store

if TYPE_CHECKING:
    from core.services import Services

NAME = "notify"
PLACEHOLDER = re.compile(r"\{(?P<kind>[a-z]+):(?P<value>[^{}]*)\}")
"""`{env:NAME}` or `{command:…}`: where a secret goes in a URL."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SIZE_MARGIN = 0.9
"""Services count the message after their own escaping: leave room for it."""
GIST_CHARS = (160, 90)
"""How long a category's gist may be, at each level of detail."""
ZERO_WIDTH_SPACE = "\u200b"
"""After an @, so `@everyone` or `@channel` in a title is text, not a mention."""
_MENTION = re.compile(r"@(?=\w)")
_TITLE_MARKUP = re.compile(r"[\\`*_\[\]<>~#|]")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s")
_CONCLUSION = "결론"
_SECRET_PARTS = re.compile(r"[/:@?#&=,]+")
log = logging.getLogger("dailyai.notify")


@dataclass
class NotifyOptions:
    """The keys of `[notify]` (their defaults and documentation: core/default_config.toml)."""

    urls: list[str]
    send_empty: bool
    top_papers: int
    timeout_seconds: float


@dataclass(frozen=True)
class ChatService:
    """What a URL sends to: the service's name and how long a message it takes."""

    url: str
    """As configured: placeholders, never secrets."""
    service: str
    body_maxlen: int
    title_in_body: bool
    """The service has no title field: the title is sent as the body's first line."""

    @property
    def limit(self) -> int:
        """The longest message we send it, leaving room for the service's escaping."""
        return int(self.body_maxlen * SIZE_MARGIN)


@dataclass(frozen=True)
class ChatMessage:
    """One message: a title and a CommonMark body."""

    title: str
    body: str

    def length(self, title_in_body: bool) -> int:
        """Its size as a service counts it, with what escaping `&`, `<` and `>` adds."""
        text = f"{self.title}\n{self.body}" if title_in_body else self.body
        return len(text) + 4 * sum(text.count(char) for char in "&<>")

    def as_text(self) -> str:
        return f"{self.title}\n\n{self.body}\n"


# --- URLs and their secrets ---------------------------------------------------------------


def _plugin(scheme: str) -> Any:
    """Apprise's class for a URL scheme, or None (Apprise is loaded only when used)."""
    from apprise import NotificationManager

    manager = NotificationManager()
    if scheme not in manager:  # a manager of plugins, not a mapping: no .get()
        return None
    return manager[scheme]


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def check_url(url: str) -> str:
    """Why a chat URL cannot be used as written ("" when it can): not an Apprise URL, a
    placeholder that is not one, or a secret written inline instead of as a placeholder."""
    scheme = _scheme(url)
    if not scheme:
        return "is not an Apprise URL (service://…) — see https://github.com/caronc/apprise/wiki"
    plugin = _plugin(scheme)
    if plugin is None:
        return (
            f"names no service Apprise knows ({scheme}://) — see "
            "https://github.com/caronc/apprise/wiki for your service's URL"
        )
    stand_ins = []
    for match in PLACEHOLDER.finditer(url):
        kind, value = match.group("kind"), match.group("value").strip()
        if kind == "env" and not ENV_NAME.match(value):
            return f"has {match.group(0)}, which names no environment variable — write {{env:NAME}}"
        if kind == "command" and not value:
            return "has an empty {command:} — write the command, e.g. {command:pass show chat}"
        if kind not in ("env", "command"):
            return f"has {match.group(0)} — a secret is written {{env:NAME}} or {{command:…}}"
        stand_ins.append(f"dailyaisecret{len(stand_ins)}x")
    # Apprise reads the URL with a stand-in for each placeholder and says which of its parts
    # are secret for this service (its "private" tokens): each must come from placeholders.
    counter = iter(stand_ins)
    parsed = plugin.parse_url(PLACEHOLDER.sub(lambda _: next(counter), url))
    if parsed is None:
        if not stand_ins:
            return f"is not a {plugin.service_name} URL Apprise can read — check its wiki page"
        # The stand-ins do not fit the service's token format (Telegram's is `digits:key`):
        # the placeholders hold the token, and Apprise checks the real one when sending.
        return ""
    inline = _inline_secrets(plugin, parsed, stand_ins)
    if not inline and not stand_ins and _needs_secret(plugin):
        # The service needs a secret and no placeholder gives one: it is written in the URL,
        # under a name Apprise's parse does not use for it.
        inline = [_token_name(plugin, name) for name in _private_tokens(plugin)][:1]
    if inline:
        variable = re.sub(r"\W+", "_", f"{plugin.service_name}_{inline[0]}").upper().strip("_")
        named = " and ".join([", ".join(inline[:-1]), inline[-1]] if len(inline) > 1 else inline)
        return (
            f"has the {plugin.service_name} {named} written in it — secrets never "
            f"go in config.toml: put {{env:{variable}}} in its place and export {variable}, or "
            "{command:…} to read it from a password manager"
        )
    return ""


def _private_tokens(plugin: Any) -> list[str]:
    return [name for name, token in plugin.template_tokens.items() if token.get("private")]


def _needs_secret(plugin: Any) -> bool:
    return any(
        token.get("private") and token.get("required") for token in plugin.template_tokens.values()
    )


def _token_name(plugin: Any, name: str) -> str:
    return str(plugin.template_tokens[name].get("name") or name).lower()


def _inline_secrets(plugin: Any, parsed: dict[str, Any], stand_ins: list[str]) -> list[str]:
    """The names of the secret parts of a parsed URL that hold something besides placeholders."""
    inline = []
    for name in _private_tokens(plugin):
        key = plugin.template_tokens[name].get("map_to", name)
        value = parsed.get(name, parsed.get(key))
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = str(item or "")
            for stand_in in stand_ins:
                text = text.replace(stand_in, "")
            if text.strip(" :/@-_."):
                inline.append(_token_name(plugin, name))
                break
    return inline


def service_of(url: str) -> ChatService:
    """The service a (checked) chat URL sends to."""
    plugin = _plugin(_scheme(url))
    return ChatService(
        url=url,
        service=str(plugin.service_name),
        body_maxlen=int(plugin.body_maxlen),
        title_in_body=plugin.title_maxlen <= 0,
    )


def env_placeholders(url: str) -> list[str]:
    """The environment variables a URL reads its secrets from."""
    return [m.group("value").strip() for m in PLACEHOLDER.finditer(url) if m.group("kind") == "env"]


def resolve_url(url: str) -> tuple[str, list[str]]:
    """The URL with its placeholders replaced by the secrets, and those secrets (so a message
    can be scrubbed of them); a DailyAIError says which one is missing and what to do."""
    secrets: list[str] = []

    def secret(match: re.Match[str]) -> str:
        kind, value = match.group("kind"), match.group("value").strip()
        if kind == "env":
            found = os.environ.get(value, "")
            if not found:
                raise DailyAIError(
                    _(
                        "notify: {url}: ${value} is not set — export {value}=<the token> (or use "
                        "{{command:…}})"
                    ).format(url=url, value=value)
                )
        else:
            found = secret_from_command(value, f"notify: {url}: {{command:…}}")
            if not found:
                raise DailyAIError(
                    _("notify: {url}: the command {value!r} printed nothing").format(
                        url=url, value=value
                    )
                )
        secrets.append(found)
        return found

    return PLACEHOLDER.sub(secret, url), secrets


def scrub(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret, and every part of one (a service may quote one of the tokens
    a secret holds: `T0/B0/XXXX`), replaced by ***."""
    pieces = {piece for secret in secrets for piece in (secret, *_SECRET_PARTS.split(secret))}
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) >= 3:
            text = text.replace(piece, "***")
    return text


def urls_from(config: Config, urls: Sequence[str] | None) -> list[str]:
    """The URLs to send to (given, else `notify.urls`), checked, each once."""
    if urls:
        for url in urls:
            problem = check_url(url)
            if problem:  # the URL itself is not repeated: it may hold a token
                raise ConfigError(f"--to {_scheme(url) or '?'}://…: {problem}")
        wanted = list(urls)
    else:
        wanted = list(CHANNEL.options(config).urls)
    if not wanted:
        raise ConfigError(
            _("notify: no chat URLs — set [notify] urls in config.toml or pass --to URL")
        )
    return list(dict.fromkeys(wanted))


# --- the message ----------------------------------------------------------------------------


def chat_text(text: str | None) -> str:
    """Untrusted text as literal Markdown on one line that cannot ping anyone."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, escape_markdown(text))


def report_gist(markdown: str, limit: int) -> str:
    """A category report in one line: the first sentence of its conclusion (else of its
    text), as plain text, at most `limit` characters."""
    sections = re.split(r"(?m)^\s{0,3}#{1,6}\s*(.*)$", markdown)
    # re.split with a group: [before, heading, body, heading, body, …]
    bodies = [sections[0], *sections[2::2]]
    headings = ["", *sections[1::2]]
    chosen = next(
        (body for heading, body in zip(headings, bodies, strict=True) if _CONCLUSION in heading),
        "",
    )
    for body in (chosen, *bodies):
        text = one_line(html_to_text(str(model_html(body))), limit=2000)
        if text:
            break
    else:
        return ""
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    return truncate(sentence, limit)


def message_title(digest: Digest, config: Config) -> str:
    """`Daily AI Insights · 2026-05-08 · 12편` (or that nothing was published)."""
    count = len(digest.selected)
    tail = f"{count}편" if count else "발행할 논문 없음"
    return f"{app_name(config)} · {digest.day.isoformat()} · {tail}"


def _gist_line(view: SectionView, limit: int) -> str:
    name = f"{chat_text(view.emoji)} **{chat_text(view.name)}** ({len(view.papers)}편)"
    if view.report_text:
        gist = chat_text(report_gist(view.report_text, limit))
        mark = "♻️ " if view.report_status == "stale" else ""
        return f"- {name}: {mark}{gist}" if gist else f"- {name}"
    notes = {"failed": "⚠️ 종합 보고서 생성 실패", "unclassified": "분야 미정"}
    return f"- {name}: {notes.get(view.report_status, '⏳ 종합 보고서 대기 중')}"


def build_message(
    digest: Digest, config: Config, top_papers: int, *, gist_chars: int | None = GIST_CHARS[0]
) -> ChatMessage:
    """The day as a chat message with the given detail: each category's gist (none when
    `gist_chars` is None: a one-line distribution instead) and the first `top_papers`."""
    title = message_title(digest, config)
    link = shared_report_url(config, digest.day)
    if digest.is_empty:
        body = f"이 날은 발행할 논문이 없습니다: {chat_text(empty_reason(digest))}"
        return ChatMessage(title, body + (f"\n\n[보고서]({safe_url(link)})" if link else ""))
    views = section_views(digest)
    lines = [f"📊 논문 {len(digest.selected)}편 · {len(views)}개 분야"]
    if link:
        lines += ["", f"📄 [전체 보고서]({safe_url(link)})"]
    if gist_chars is None:
        parts = [f"{chat_text(v.emoji)} {chat_text(v.name)} {len(v.papers)}" for v in views]
        lines += ["", " · ".join(parts)]
    else:
        lines += ["", "**분야별 한 줄 요약**", ""]
        lines += [_gist_line(view, gist_chars) for view in views]
    shown = digest.selected[: max(top_papers, 0)]
    if shown:
        # With an interest profile the digest is in the reader's order: say so.
        heading = f"{FOR_YOU_EMOJI} {FOR_YOU_HEADING}" if digest.ranking.personal else "주요 논문"
        lines += ["", f"**{heading}**", ""]
        emoji = {view.name: view.emoji for view in views}
        for number, item in enumerate(shown, start=1):
            paper = item.paper
            line = f"{number}. {chat_text(truncate(one_line(paper.title) or paper.id, 150))}"
            url = safe_url(paper.url)
            if url:
                # The link's label is ours: untrusted text is never inside a link, where each
                # service's rules for escaping differ most.
                label = f"arXiv:{paper.arxiv_id}" if paper.arxiv_id else "링크"
                line += f" — [{chat_text(label)}]({url})"
            category = one_line(item.category or "", limit=80)
            if category:
                line += f" · {chat_text(emoji.get(category, ''))} {chat_text(category)}".rstrip()
            if paper.hf_upvotes:
                line += f" · 🤗 {paper.hf_upvotes}"
            lines.append(line)
    left = len(digest.selected) - len(shown)
    if left > 0:
        where = f"[전체 보고서]({safe_url(link)})에" if link else "전체 보고서에"
        lines += ["", f"… 나머지 {left}편은 {where} 있습니다."]
    return ChatMessage(title, "\n".join(lines))


def fit_message(
    digest: Digest, config: Config, top_papers: int, target: ChatService
) -> ChatMessage:
    """The most detailed message that fits the service: shorter gists, then fewer papers,
    then the distribution in one line instead of the gists."""
    levels: list[tuple[int | None, int]] = [(chars, top_papers) for chars in GIST_CHARS]
    levels += [(GIST_CHARS[-1], count) for count in range(top_papers - 1, -1, -1)]
    levels += [(None, count) for count in range(top_papers, -1, -1)]
    for gist_chars, count in levels:
        message = build_message(digest, config, count, gist_chars=gist_chars)
        if message.length(target.title_in_body) <= target.limit:
            return message
    # Still too long (a very short limit): Apprise truncates the rest; the link is near the top.
    return build_message(digest, config, 0, gist_chars=None)


# --- sending ---------------------------------------------------------------------------------


async def send_chat(
    store: Store,
    config: Config,
    digest: Digest,
    *,
    urls: Sequence[str] | None = None,
    force: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> DeliveryReport:
    """Send the day to each chat URL that has not had it yet (all, with `force`).

    Each URL is claimed in the store before anything is sent, so two senders at once never
    send a chat the day twice; a claim is released when its URL is recorded sent or failed,
    and a failed one is tried again by the next run. Returns what happened per URL.
    """
    progress = on_progress or (lambda line: None)
    options = CHANNEL.options(config)
    wanted = urls_from(config, urls)  # bad or missing URLs are said first, even on an empty day
    day = digest.day
    report = DeliveryReport(day=day)
    if digest.is_empty and not options.send_empty:
        report.note = (
            f"{day}: nothing to publish ({one_line(digest.empty_reason, limit=300)}); no chat message sent because "
            "notify.send_empty is false"
        )
        return report
    holder = f"{NAME}:{uuid.uuid4().hex}"
    claims = await asyncio.to_thread(
        store.claim_deliveries, day, wanted, holder, force=force, channel=NAME
    )
    report.skipped = list(claims.already_sent)
    for url, other in claims.held.items():
        report.held[url] = f"being sent by {other.describe()} right now"
    try:
        for index, url in enumerate(claims.claimed):
            target = service_of(url)
            progress(f"sending to {target.service} {url} ({index + 1}/{len(claims.claimed)})")
            await asyncio.to_thread(store.touch_claims, holder)
            message = fit_message(digest, config, options.top_papers, target)
            problem = await _send(url, message, options, app_name(config))
            if problem:
                reason = f"{target.service}: {problem}"
                await asyncio.to_thread(
                    store.record_delivery,
                    day,
                    url,
                    status=DeliveryStatus.FAILED,
                    error=reason,
                    holder=holder,
                    channel=NAME,
                )
                report.failed[url] = reason
                log.info("notify %s failed: %s", url, reason)
            else:
                await asyncio.to_thread(
                    store.record_delivery,
                    day,
                    url,
                    status=DeliveryStatus.SENT,
                    holder=holder,
                    channel=NAME,
                )
                report.sent.append(url)
    finally:
        # Whatever was not recorded (an error, a cancel).
        await asyncio.to_thread(store.release_claims, holder)
    return report


def app_name(config: Config) -> str:
    """Who the messages are from, where a service shows it (`output.title`)."""
    return _TITLE_MARKUP.sub("", one_line(config.output.title, limit=60)).strip() or (
        "Daily AI Insights"
    )


async def _send(url: str, message: ChatMessage, options: NotifyOptions, sender_name: str) -> str:
    """Send one message through Apprise: "" when the service took it, else why not (one
    line, scrubbed of the URL's secrets)."""
    import apprise
    from apprise.common import NotifyFormat, OverflowMode

    secrets: list[str] = []
    try:
        resolved, secrets = resolve_url(url)
        asset = apprise.AppriseAsset(app_id=sender_name)
        plugin = apprise.Apprise.instantiate(resolved, asset=asset, suppress_exceptions=False)
        if plugin is None:
            return "Apprise cannot use this URL — check it against the service's page in its wiki"
        plugin.socket_connect_timeout = options.timeout_seconds
        plugin.socket_read_timeout = options.timeout_seconds
        # The message is sized for the service already; cutting is the last resort.
        plugin.overflow_mode = OverflowMode.TRUNCATE
        sender = apprise.Apprise(asset=asset)
        sender.add(plugin)
        result = await sender.async_notify(
            body=message.body, title=message.title, body_format=NotifyFormat.MARKDOWN
        )
    except DailyAIError as error:
        return scrub(str(error), secrets)
    except Exception as error:  # Apprise refusing the URL's values (a malformed token)
        return scrub(one_line(f"{type(error).__name__}: {error}", limit=300), secrets)
    if result:
        return ""
    said = [
        entry.message
        for service in result
        for entry in service.logs()
        if entry.level in ("WARNING", "ERROR", "CRITICAL")  # level names, as Apprise keeps them
    ]
    reason = "; ".join(dict.fromkeys(said)) or "the service did not take the message"
    return scrub(one_line(reason, limit=300), secrets)


# --- the channel ----------------------------------------------------------------------------


class NotifyChannel(Channel):
    name = NAME
    order = 40
    run_flag_help = N_("do not send the chat messages")
    what = N_("sends the chat messages")
    delivers = True
    Options = NotifyOptions

    def options(self, config: Config) -> NotifyOptions:
        options = super().options(config)
        for index, url in enumerate(options.urls):
            problem = check_url(url)
            if problem:
                raise config.key_error([NAME, "urls", index], problem)
        if options.top_papers < 0:
            raise config.key_error([NAME, "top_papers"], _("must be 0 or more"))
        if options.timeout_seconds <= 0:
            raise config.key_error([NAME, "timeout_seconds"], _("must be more than 0"))
        return options

    def enabled(self, config: Config) -> bool:
        return bool(self.options(config).urls)

    def off_reason(self, config: Config) -> str:
        return _("chat is off (notify.urls is empty)")

    def needs(self, config: Config) -> list[str]:
        urls = self.options(config).urls
        if not urls:
            return [_("notify.urls: the chat URLs (Apprise) to send to")]
        return [
            _("${name} (the secret of {url}): export it").format(name=name, url=url)
            for url in urls
            for name in env_placeholders(url)
            if not os.environ.get(name)
        ]

    def render(self, digest: Digest, config: Config) -> str:
        return build_message(digest, config, self.options(config).top_papers).as_text()

    def previews(
        self, digest: Digest, config: Config, urls: Sequence[str] | None = None
    ) -> list[tuple[ChatService, ChatMessage]]:
        """The message each URL would get, sized for its service (for `--dry-run`)."""
        top = self.options(config).top_papers
        targets = [service_of(url) for url in urls_from(config, urls)]
        return [(target, fit_message(digest, config, top, target)) for target in targets]

    async def deliver(
        self, services: Services, digest: Digest, options: DeliverOptions
    ) -> ChannelResult:
        delivery = await send_chat(
            services.store,
            services.config,
            digest,
            urls=options.targets,
            force=options.force,
            on_progress=options.on_progress,
        )
        return ChannelResult.of_delivery(delivery)


CHANNEL = NotifyChannel()
