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
from core.channels.wording import interface_text
from core.errors import ConfigError
from core.i18n import _, ngettext, status_name


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    report = commands.add_parser(
        "report",
        help=_("write the day's Markdown report and its category chart"),
        description=_(
            "Write reports/YYYY-MM-DD/Papers_YYYY-MM-DD_report.md and paper_YYYY-MM-DD.png (the "
            "seed's format, plus each paper's Korean summary) from what the store holds; "
            "missing, failed or stale summaries are marked, never left out."
        ),
    )
    when = report.add_mutually_exclusive_group()
    add_date(when)
    add_week(when)
    add_out(report)
    report.set_defaults(handler=command_report)

    rss = commands.add_parser(
        "rss",
        help=_("write the RSS and Atom feeds (daily, and one per category)"),
        description=_(
            "Re-render feeds/daily.{rss,atom} (one item per day) and "
            "feeds/category/<slug>.{rss,atom} (one item per paper) over the last "
            "output.feed_days days in the store."
        ),
    )
    add_week(rss)
    add_out(rss)
    rss.set_defaults(handler=command_rss)

    email = commands.add_parser(
        "email",
        help=_("send the day's digest by email (each recipient their own message)"),
        description=_(
            "Send the day's digest to email.to (or --to) over TLS or STARTTLS. A recipient who "
            "already got this day's digest is skipped unless --force. The password comes from "
            "$DAILYAI_SMTP_PASSWORD (email.password_env) or email.password_command. Exit 1 if "
            "any recipient failed."
        ),
    )
    when = email.add_mutually_exclusive_group()
    add_date(when)
    add_week(when)
    email.add_argument(
        "--to",
        action="append",
        metavar="ADDR",
        help=_("send to this address instead of email.to; repeatable"),
    )
    email.add_argument(
        "--dry-run",
        metavar="FILE.eml",
        help=_("write the message (for the first recipient) to FILE.eml instead of sending"),
    )
    email.add_argument(
        "--force",
        action="store_true",
        help=_("send again to recipients who already got this day"),
    )
    email.set_defaults(handler=command_email)

    serve = commands.add_parser(
        "serve",
        help=_("serve the output dir (feeds, reports) over HTTP for a feed reader"),
        description=_(
            "Serve the output dir read-only so a feed reader on this machine can subscribe to "
            "/feeds/daily.rss (or .atom). Binds 127.0.0.1 unless --host says otherwise."
        ),
    )
    serve.add_argument("--host", help=_("address to bind (default: serve.host, 127.0.0.1)"))
    serve.add_argument(
        "--port",
        type=whole_number(0, 65535),
        help=_("port (default: serve.port, 8484; 0 picks a free one)"),
    )
    add_out(serve)
    serve.set_defaults(handler=command_serve)


def add_week(parser: Any) -> None:
    parser.add_argument(
        "--week",
        metavar="YYYY-Www",
        help=_(
            "the weekly digest of this ISO week (e.g. 2026-W19; this, last) instead of a day: "
            "each category's week synthesised from its daily reports, the top papers, a chart"
        ),
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
                raise ConfigError(_cannot_write(target, error)) from None
            console.print(Text(_wrote_message(recipients[0], path)), soft_wrap=True)
        for path in published.paths:
            console.print(Text(_("Wrote {path}").format(path=path)), soft_wrap=True)
        days = sum(1 for day in weekly.days if day.papers)
        papers = ngettext(
            "{week}: {count} paper on {days} days",
            "{week}: {count} papers on {days} days",
            weekly.total,
        ).format(week=week, count=weekly.total, days=days)
        reports = ngettext(
            "weekly reports: {written} written, {cached} current, {failed} failed, {pending} "
            "pending ({count} model request)",
            "weekly reports: {written} written, {cached} current, {failed} failed, {pending} "
            "pending ({count} model requests)",
            stats.requests,
        ).format(
            written=stats.written,
            cached=stats.cached,
            failed=stats.failed,
            pending=stats.pending,
            count=stats.requests,
        )
        console.print(Text(f"{papers}; {reports}"), soft_wrap=True)
        if stats.stopped_reason:
            model = _("Model: {reason}").format(reason=interface_text(stats.stopped_reason))
            console.print(Text(model, style="yellow"), soft_wrap=True)
        for day in weekly.gaps:
            line = _("{day} ({status}): {reason}").format(
                day=day.day, status=status_name(day.status), reason=interface_text(day.reason)
            )
            console.print(Text(f"  {line}", style="yellow"), soft_wrap=True)
        outcome = published.parts.get(part)
        if published.delivery is not None:
            print_delivery(published.delivery, console)
        if outcome is not None and outcome.status == "failed":
            error = MailError if part == "email" else ConfigError
            raise error(interface_text(outcome.reason))
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
        console.print(Text(_("Report: {path}").format(path=result.report)), soft_wrap=True)
        console.print(Text(_("Chart:  {path}").format(path=result.chart)), soft_wrap=True)
        if result.papers:
            line = ngettext(
                "{count} paper; summaries: {ok} ok, {stale} stale, {failed} failed, "
                "{pending} pending",
                "{count} papers; summaries: {ok} ok, {stale} stale, {failed} failed, "
                "{pending} pending",
                result.papers,
            ).format(
                count=result.papers,
                ok=result.summaries_ok,
                stale=result.summaries_stale,
                failed=result.summaries_failed,
                pending=result.summaries_pending,
            )
            console.print(Text(line), soft_wrap=True)
        else:
            empty = _("No papers for {day}: {reason}").format(
                day=result.day, reason=interface_text(result.empty_reason)
            )
            console.print(Text(empty, style="yellow"), soft_wrap=True)
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
        wrote = ngettext(
            "Wrote {count} feed file under {folder}",
            "Wrote {count} feed files under {folder}",
            len(paths),
        ).format(count=len(paths), folder=out_dir)
        console.print(Text(wrote), soft_wrap=True)
        rss_url, atom_url = main_feed_urls(services.config)
        subscribe = _("Subscribe (with `dailyai serve` running): {rss} or {atom}").format(
            rss=rss_url, atom=atom_url
        )
        console.print(Text(subscribe), soft_wrap=True)
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
                raise ConfigError(_cannot_write(target, error)) from None
            console.print(Text(_wrote_message(recipients[0], path)), soft_wrap=True)
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
        raise ConfigError(
            _("--dry-run {text!r}: not a file path — give one, e.g. digest.eml").format(text=text)
        )
    if path.is_dir():
        raise ConfigError(
            _("--dry-run {path}: is a folder — give a file path, e.g. {example}").format(
                path=path, example=path / "digest.eml"
            )
        )
    if path.exists() and not path.is_file():
        # The .eml is written beside and renamed over: /dev/null itself would be replaced.
        raise ConfigError(
            _("--dry-run {path}: is not a regular file — give a new file path").format(path=path)
        )
    return path


def _cannot_write(target: Path, error: OSError) -> str:
    """Why the --dry-run message could not be written, and what to do."""
    return _(
        "--dry-run {path}: cannot write it ({why}) — give a file path in a folder you can write to"
    ).format(path=target, why=error.strerror or error)


def _wrote_message(recipient: str, path: Path) -> str:
    return _("Wrote the message for {recipient} to {path} (not sent).").format(
        recipient=recipient, path=path
    )


def print_delivery(report: Any, console: Console) -> None:
    """What a delivery did, a line per recipient (an address, or a chat URL for notify)."""
    if report.note:
        console.print(Text(interface_text(report.note), style="yellow"), soft_wrap=True)
    # The labels are padded to one width so the recipients line up in either language.
    sent, skipped, failed = _("sent"), _("skipped"), _("failed")
    width = max(len(sent), len(skipped), len(failed)) + 2
    for recipient in report.sent:
        console.print(Text(sent.ljust(width), style="green") + Text(recipient), soft_wrap=True)
    for recipient in report.skipped:
        line = _("{recipient} (already sent; --force resends)").format(recipient=recipient)
        console.print(Text(skipped.ljust(width), style="cyan") + Text(line), soft_wrap=True)
    for recipient, reason in report.held.items():
        line = f"{recipient} — {interface_text(reason)}"
        console.print(Text(skipped.ljust(width), style="cyan") + Text(line), soft_wrap=True)
    for recipient, reason in report.failed.items():
        line = f"{recipient}: {interface_text(reason)}"
        console.print(Text(failed.ljust(width), style="bold red") + Text(line), soft_wrap=True)


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
                _(
                    "serve: {host!r} is not a host name or address ({why}) — use e.g. 127.0.0.1"
                ).format(host=host, why=reason)
            ) from None
        except OSError as error:
            raise ConfigError(
                _(
                    "serve: cannot listen on {host}:{port} ({why}) — choose another --port or "
                    "stop what uses it"
                ).format(host=host, port=port, why=error.strerror or error)
            ) from None
        console = Console()
        bound_port = server.server_address[1]
        serving = _("Serving {folder} on http://{host}:{port}/ (Ctrl-C stops)").format(
            folder=directory, host=host, port=bound_port
        )
        console.print(Text(serving), soft_wrap=True)
        if not is_loopback(host):
            warning = _("Warning: {host} is reachable from other machines.").format(host=host)
            console.print(Text(warning, style="bold yellow"), soft_wrap=True)
        rss_url, atom_url = main_feed_urls(config, base_url(host, bound_port))
        feeds = _("Feeds: {rss}  {atom}").format(rss=rss_url, atom=atom_url)
        console.print(Text(feeds), soft_wrap=True)
        if published_at:
            links = _("Links in the feeds point at {url} (output.site_url).").format(
                url=published_at
            )
            console.print(Text(links), soft_wrap=True)
        serve_forever(server)
        return 0
    finally:
        services.close()
