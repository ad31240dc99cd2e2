"""`dailyai notify`: the day's digest as a chat message (Slack, Telegram, Discord … via Apprise)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rich.text import Text

from cli.common import Console, add_date, day_of, open_for
from cli.publish import print_delivery
from core.i18n import _


def register(commands: Any) -> None:
    """Add this module's command to `dailyai`."""
    notify = commands.add_parser(
        "notify",
        help=_("send the day's digest to chat (Slack, Telegram, Discord … through Apprise)"),
        description=_(
            "Send the day's digest as one short message to each of notify.urls (or --to), "
            "Apprise URLs whose secrets are {env:NAME} or {command:…} placeholders. A URL that "
            "already got this day's message is skipped unless --force; one that failed is tried "
            "again by the next run. Exit 1 if any URL failed."
        ),
    )
    add_date(notify)
    notify.add_argument(
        "--to",
        action="append",
        metavar="URL",
        help=_(
            "send to this Apprise URL instead of notify.urls; repeatable (quote it, and write its "
            "token as {env:NAME})"
        ),
    )
    notify.add_argument(
        "--dry-run",
        action="store_true",
        help=_("print the message each URL would get, sized for its service, and send nothing"),
    )
    notify.add_argument(
        "--force", action="store_true", help=_("send again to URLs that already got this day")
    )
    notify.set_defaults(handler=command_notify)


def command_notify(args: argparse.Namespace) -> int:
    from core.channels import DeliverOptions
    from core.channels.notify import CHANNEL
    from core.digest import build_digest

    services = open_for(args)
    console = Console()
    try:
        day = day_of(args)
        digest = build_digest(services.store, services.config, day)
        if args.dry_run:
            for target, message in CHANNEL.previews(digest, services.config, args.to):
                size = message.length(target.title_in_body)
                console.print(
                    Text(
                        "--- "
                        + _("{service} {url} ({size} of {limit} characters)").format(
                            service=target.service,
                            url=target.url,
                            size=size,
                            limit=target.body_maxlen,
                        ),
                        style="dim",
                    ),
                    soft_wrap=True,
                )
                console.print(Text(message.as_text()), soft_wrap=True)
            console.print(Text(_("(not sent)"), style="dim"))
            return 0
        options = DeliverOptions(
            force=args.force,
            targets=args.to,
            on_progress=lambda line: console.print(Text(line, style="dim"), soft_wrap=True),
        )
        delivery = asyncio.run(CHANNEL.deliver(services, digest, options)).delivery
        assert delivery is not None  # the notify channel reports per URL
        print_delivery(delivery, console)
        return 0 if delivery.ok else 1
    finally:
        services.close()
