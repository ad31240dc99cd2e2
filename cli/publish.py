"""`dailyai report`, `rss`, `email` and `serve`: the day's digest, published."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from pathlib import Path
from typing import Any

from rich.text import Text

from cli.common import (
    Console,
    StepReporter,
    add_date,
    add_out,
    day_of,
    open_for,
    output_dir_for,
    whole_number,
)
from core.errors import ConfigError


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    report = commands.add_parser(
        "report",
        help="write the day's Markdown report and its category chart",
        description="Write reports/YYYY-MM-DD/Papers_YYYY-MM-DD_report.md and "
        "paper_YYYY-MM-DD.png (the seed's format, plus each paper's Korean summary) from what "
        "the store holds; missing, failed or stale summaries are marked, never left out.",
    )
    when = report.add_mutually_exclusive_group()
    add_date(when)
    add_week(when)
    add_out(report)
    report.set_defaults(handler=command_report)

    rss = commands.add_parser(
        "rss",
        help="write the RSS and Atom feeds (daily, and one per category)",
        description="Re-render feeds/daily.{rss,atom} (one item per day) and "
        "feeds/category/<slug>.{rss,atom} (one item per paper) over the last output.feed_days "
        "days in the store.",
    )
    add_week(rss)
    add_out(rss)
    rss.set_defaults(handler=command_rss)

    email = commands.add_parser(
        "email",
        help="send the day's digest by email (each recipient their own message)",
        description="Send the day's digest to email.to (or --to) over TLS or STARTTLS. A "
        "recipient who already got this day's digest is skipped unless --force. The password "
        "comes from $DAILYAI_SMTP_PASSWORD (email.password_env) or email.password_command. "
        "Exit 1 if any recipient failed.",
    )
    when = email.add_mutually_exclusive_group()
    add_date(when)
    add_week(when)
    email.add_argument(
        "--to",
        action="append",
        metavar="ADDR",
        help="send to this address instead of email.to; repeatable",
    )
    email.add_argument(
        "--dry-run",
        metavar="FILE.eml",
        help="write the message (for the first recipient) to FILE.eml instead of sending",
    )
    email.add_argument(
        "--force", action="store_true", help="send again to recipients who already got this day"
    )
    email.set_defaults(handler=command_email)

    serve = commands.add_parser(
        "serve",
        help="serve the output dir (feeds, reports) over HTTP for a feed reader",
        description="Serve the output dir read-only so a feed reader on this machine can "
        "subscribe to /feeds/daily.rss (or .atom). Binds 127.0.0.1 unless --host says otherwise.",
    )
    serve.add_argument("--host", help="address to bind (default: serve.host, 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=whole_number(0, 65535),
        help="port (default: serve.port, 8484; 0 picks a free one)",
    )
    add_out(serve)
    serve.set_defaults(handler=command_serve)


def add_week(parser: Any) -> None:
    parser.add_argument(
        "--week",
        metavar="YYYY-Www",
        help="the weekly digest of this ISO week (e.g. 2026-W19; this, last) instead of a day: "
        "each category's week synthesised from its daily reports, the top papers, a chart",
    )


def week_of(args: argparse.Namespace) -> Any:
    """The --week the command publishes (a ConfigError names a bad one)."""
    from core.weekly import IsoWeek

    return IsoWeek.parse(args.week)


def command_week(args: argparse.Namespace, part: str) -> int:
    """`report`, `rss` or `email` with --week: write the weekly reports the model has not
    written yet, then publish the week through `part`.

    Exit 0 when all is current and published, 3 when something is left (a weekly report
    failed or is pending; the output says so in place), 1 when a recipient was refused
    or nothing could be published, 2 for a bad --week.
    """
    from core.channels.mail import write_eml
    from core.channels.week import build_week_message
    from core.errors import MailError
    from core.models import EXIT_CODES
    from core.pipeline import publish_week

    week = week_of(args)
    services = open_for(args)
    console = Console()
    try:
        config = services.config
        out_dir = output_dir_for(config, args.out) if part != "email" else None
        with StepReporter(Console(stderr=True)) as report:
            published = asyncio.run(
                publish_week(
                    services,
                    week,
                    parts=() if part == "email" and args.dry_run else (part,),
                    out_dir=out_dir,
                    force=getattr(args, "force", False),
                    recipients=getattr(args, "to", None),
                    on_progress=report,
                )
            )
        weekly, stats = published.weekly, published.synthesis
        if part == "email" and args.dry_run:
            from core.channels.chart import render_week_chart_png
            from core.channels.mail import recipients_from

            target = _dry_run_path(args.dry_run)
            recipients = recipients_from(config, args.to)
            chart = render_week_chart_png(weekly) if not weekly.is_empty else None
            message = build_week_message(weekly, config, recipients[0], chart)
            try:
                path = write_eml(message, target)
            except OSError as error:
                raise ConfigError(
                    f"--dry-run {target}: cannot write it ({error.strerror or error}) — give a "
                    "file path in a folder you can write to"
                ) from None
            console.print(Text(f"Wrote the message for {recipients[0]} to {path} (not sent)."))
        for path in published.paths:
            console.print(Text(f"Wrote {path}"))
        days = sum(1 for day in weekly.days if day.papers)
        console.print(
            Text(
                f"{week}: {weekly.total} papers on {days} days; weekly reports: "
                f"{stats.written} written, {stats.cached} current, {stats.failed} failed, "
                f"{stats.pending} pending ({stats.requests} model requests)"
            )
        )
        if stats.stopped_reason:
            console.print(Text(f"Model: {stats.stopped_reason}", style="yellow"))
        for day in weekly.gaps:
            console.print(Text(f"  {day.day} ({day.status}): {day.note}", style="yellow"))
        outcome = published.parts.get(part)
        if published.delivery is not None:
            print_delivery(published.delivery, console)
        if outcome is not None and outcome.status == "failed":
            error = MailError if part == "email" else ConfigError
            raise error(outcome.reason)
        if published.delivery is not None and not published.delivery.ok:
            return 1
        return EXIT_CODES["ok"] if stats.status == "ok" else EXIT_CODES["partial"]
    finally:
        services.close()


def command_report(args: argparse.Namespace) -> int:
    from core.channels.report import publish_day

    if args.week is not None:
        return command_week(args, "report")
    services = open_for(args)
    try:
        day = day_of(args)
        out_dir = output_dir_for(services.config, args.out)
        result = publish_day(services.store, services.config, day, out_dir=out_dir, feeds=False)
        console = Console()
        console.print(Text(f"Report: {result.report}"))
        console.print(Text(f"Chart:  {result.chart}"))
        if result.papers:
            console.print(
                Text(
                    f"{result.papers} papers; summaries: {result.summaries_ok} ok, "
                    f"{result.summaries_stale} stale, {result.summaries_failed} failed, "
                    f"{result.summaries_pending} pending"
                )
            )
        else:
            console.print(
                Text(f"No papers for {result.day}: {result.empty_reason}", style="yellow")
            )
        return 0
    finally:
        services.close()


def command_rss(args: argparse.Namespace) -> int:
    from core.channels.feeds import main_feed_urls, publish_feeds

    if args.week is not None:
        return command_week(args, "feeds")
    services = open_for(args)
    try:
        out_dir = output_dir_for(services.config, args.out)
        paths = publish_feeds(services.store, services.config, out_dir)
        console = Console()
        console.print(Text(f"Wrote {len(paths)} feed files under {out_dir}"))
        rss_url, atom_url = main_feed_urls(services.config)
        console.print(Text(f"Subscribe (with `dailyai serve` running): {rss_url} or {atom_url}"))
        return 0
    finally:
        services.close()


def command_email(args: argparse.Namespace) -> int:
    from core.channels.chart import render_chart_png
    from core.channels.mail import build_message, recipients_from, send_digest, write_eml
    from core.digest import build_digest
    from core.errors import MailError

    if args.week is not None:
        return command_week(args, "email")
    services = open_for(args)
    console = Console()
    try:
        day = day_of(args)
        if args.dry_run is not None:
            target = _dry_run_path(args.dry_run)
            recipients = recipients_from(services.config, args.to)
            digest = build_digest(services.store, services.config, day)
            chart = render_chart_png(digest) if not digest.is_empty else None
            message = build_message(digest, services.config, recipients[0], chart)
            try:
                path = write_eml(message, target)
            except OSError as error:
                raise ConfigError(
                    f"--dry-run {target}: cannot write it ({error.strerror or error}) — give a "
                    "file path in a folder you can write to"
                ) from None
            console.print(Text(f"Wrote the message for {recipients[0]} to {path} (not sent)."))
            return 0
        try:
            report = asyncio.run(
                send_digest(
                    services.store,
                    services.config,
                    day,
                    recipients=args.to,
                    force=args.force,
                    on_progress=lambda line: console.print(Text(line, style="dim")),
                )
            )
        except MailError as error:
            if error.report is not None:
                print_delivery(error.report, console)
            raise
        print_delivery(report, console)
        return 0 if report.ok else 1
    finally:
        services.close()


def _dry_run_path(text: str) -> Path:
    """The --dry-run target: a file path (its folder is created), never a folder."""
    path = Path(text).expanduser()
    if not text.strip() or "\x00" in text:
        raise ConfigError(f"--dry-run {text!r}: not a file path — give one, e.g. digest.eml")
    if path.is_dir():
        raise ConfigError(
            f"--dry-run {path}: is a folder — give a file path, e.g. {path / 'digest.eml'}"
        )
    if path.exists() and not path.is_file():
        # The .eml is written beside and renamed over: /dev/null itself would be replaced.
        raise ConfigError(f"--dry-run {path}: is not a regular file — give a new file path")
    return path


def print_delivery(report: Any, console: Console) -> None:
    """What a delivery did, a line per recipient (an address, or a chat URL for notify)."""
    if report.note:
        console.print(Text(report.note, style="yellow"))
    for recipient in report.sent:
        console.print(Text("sent      ", style="green") + Text(recipient))
    for recipient in report.skipped:
        console.print(
            Text("skipped   ", style="cyan") + Text(f"{recipient} (already sent; --force resends)")
        )
    for recipient, reason in report.held.items():
        console.print(Text("skipped   ", style="cyan") + Text(f"{recipient} — {reason}"))
    for recipient, reason in report.failed.items():
        console.print(Text("failed    ", style="bold red") + Text(f"{recipient}: {reason}"))


def command_serve(args: argparse.Namespace) -> int:
    from core.channels.feeds import main_feed_urls
    from core.channels.layout import configured_site_url
    from core.serve import base_url, is_loopback, make_server, serve_forever

    services = open_for(args)
    try:
        config = services.config
        host = args.host or config.serve.host
        port = args.port if args.port is not None else config.serve.port
        directory = output_dir_for(config, args.out, write=False)
        published_at = configured_site_url(config)
        try:
            server = make_server(
                directory,
                host,
                port,
                log=lambda line: print(line, file=sys.stderr),
                rewrite_links=not published_at,
            )
        except (socket.gaierror, UnicodeError, ValueError, TypeError) as error:
            # gaierror: not found; UnicodeError: a label over 63 characters; the rest: a NUL
            reason = getattr(error, "strerror", None) or error
            raise ConfigError(
                f"serve: {host!r} is not a host name or address ({reason}) — use e.g. 127.0.0.1"
            ) from None
        except OSError as error:
            raise ConfigError(
                f"serve: cannot listen on {host}:{port} ({error.strerror or error}) — "
                "choose another --port or stop what uses it"
            ) from None
        console = Console()
        bound_port = server.server_address[1]
        console.print(Text(f"Serving {directory} on http://{host}:{bound_port}/ (Ctrl-C stops)"))
        if not is_loopback(host):
            console.print(
                Text(f"Warning: {host} is reachable from other machines.", style="bold yellow")
            )
        rss_url, atom_url = main_feed_urls(config, base_url(host, bound_port))
        console.print(Text(f"Feeds: {rss_url}  {atom_url}"))
        if published_at:
            console.print(Text(f"Links in the feeds point at {published_at} (output.site_url)."))
        serve_forever(server)
        return 0
    finally:
        services.close()
