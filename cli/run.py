"""`dailyai run` (the daily job) and `dailyai demo` (the same on shipped sample days)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from rich.text import Text

from cli.common import (
    STATUS_STYLE,
    Console,
    StepReporter,
    add_date,
    add_sources,
    day_of,
    open_for,
    output_dir_for,
    requested_sources,
    run_async,
)
from cli.fetch import print_fetch_summary
from cli.tui import open_tui
from core.announcements import current_day
from core.channels.wording import interface_text
from core.i18n import _, ngettext, status_name, step_name
from core.ingest import source_specs


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    from core.channels import channels, run_flag
    from core.pipeline import all_steps

    run = commands.add_parser(
        "run",
        help=_("the daily job: {steps}").format(steps=", ".join(all_steps())),
        description=_(
            "Run the whole daily pipeline for a day: {steps}. Safe to run again: only missing "
            "work is done and no email or chat message is sent twice. Exit 0 when everything "
            "worked, 3 when something failed or was left for the next run, 1 when nothing could "
            "be published."
        ).format(steps=" → ".join(all_steps())),
    )
    add_date(run)
    add_sources(run)
    # One --no-<channel> per output channel (--no-rss leaves out the feeds).
    for channel in channels().values():
        run.add_argument(
            f"--no-{run_flag(channel)}",
            dest=f"no_{channel.name}",
            action="store_true",
            help=_(channel.run_flag_help)
            or _("leave out the {channel} channel").format(channel=channel.name),
        )
    run.add_argument(
        "--no-weekly",
        dest="no_weekly",
        action="store_true",
        help=_("do not publish the week, even on [weekly] weekday"),
    )
    run.set_defaults(handler=command_run)

    demo = commands.add_parser(
        "demo",
        help=_("run on shipped sample days, offline, in a store of its own"),
        description=_(
            "Load the sample days shipped with the app (real recorded arXiv and Hugging Face "
            "responses) into a separate demo store, then open the TUI on it (or print what was "
            "stored when not on a terminal)."
        ),
    )
    demo.add_argument(
        "--no-tui", action="store_true", help=_("print a summary instead of opening the TUI")
    )
    demo.set_defaults(handler=command_demo)


def command_run(args: argparse.Namespace) -> int:
    from core.pipeline import all_steps, run_pipeline

    day = day_of(args)
    steps = tuple(step for step in all_steps() if not getattr(args, f"no_{step}", False))
    services = open_for(args)
    try:
        if "report" in steps or "feeds" in steps:
            output_dir_for(services.config, None)
        requested = requested_sources(args)
        specs = source_specs(services.config, requested) if requested else None
        console = Console(stderr=True)
        with StepReporter(console) as report:
            result = run_async(
                services,
                lambda: run_pipeline(
                    services, day, steps=steps, specs=specs, on_progress=report, today=current_day()
                ),
            )
        print_run_summary(result, Console())
        return result.exit_code
    finally:
        services.close()


def print_run_summary(result: Any, console: Console) -> None:
    """One line per step of a pipeline run, what was published, and why a day is empty."""
    if result.fetch is not None:
        print_fetch_summary(result.fetch, console)
    heading = _("Run {run} for {day}: {status}").format(
        run=result.run_id, day=result.day, status=status_name(result.status)
    )
    console.print(Text(heading), soft_wrap=True)
    for outcome in result.steps:
        line = f"  {step_name(outcome.step)}: {status_name(outcome.status)}"
        if outcome.reason:
            line += f" — {interface_text(outcome.reason)}"
        console.print(Text(line, style=STATUS_STYLE.get(outcome.status, "")), soft_wrap=True)
    feeds = [path for path in result.published if path.suffix in (".rss", ".atom")]
    for path in result.published:
        if path not in feeds:
            console.print(Text("  " + _("wrote {path}").format(path=path)), soft_wrap=True)
    if feeds:
        folder = os.path.commonpath([str(path.parent) for path in feeds])
        wrote = ngettext(
            "wrote {count} feed in {folder}", "wrote {count} feeds in {folder}", len(feeds)
        ).format(count=len(feeds), folder=folder)
        console.print(Text(f"  {wrote}"), soft_wrap=True)
    if result.log_path:
        console.print(Text("  " + _("log: {path}").format(path=result.log_path)), soft_wrap=True)


def command_demo(args: argparse.Namespace) -> int:
    from core.demo import demo_config, run_demo

    services = open_for(args, adjust=demo_config)
    try:
        console = Console(stderr=True)
        with StepReporter(console) as report:
            demo = run_async(services, lambda: run_demo(services, on_progress=report))
        out = Console()
        for result in demo.runs:
            print_run_summary(result, out)
        if demo.ollama_ok:
            out.print(
                Text(
                    _("Ollama: {detail}; the newest sample day was summarized.").format(
                        detail=demo.ollama_detail
                    )
                ),
                soft_wrap=True,
            )
        else:
            out.print(
                Text(
                    _(
                        "Ollama is not available ({detail}). The demo classified the papers by "
                        "rules and published everything else; no Korean summaries were made. See "
                        'README "Ollama setup" to get them.'
                    ).format(detail=demo.ollama_detail),
                    style="yellow",
                ),
                soft_wrap=True,
            )
        days = services.store.days()
        out.print(
            Text(
                _(
                    "Demo store {store}: {papers} papers on {count} days ({days}); reports and "
                    "feeds in {output}."
                ).format(
                    store=services.config.dirs.database,
                    papers=services.store.count_papers(),
                    count=len(days),
                    days=", ".join(day for day, _count in days),
                    output=services.config.output_dir,
                )
            ),
            soft_wrap=True,
        )
        if sys.stdout.isatty() and sys.stdin.isatty() and not args.no_tui:
            return open_tui(services)
        return 0 if all(result.status != "failed" for result in demo.runs) else 1
    finally:
        services.close()
