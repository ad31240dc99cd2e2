"""`dailyai fetch`: the day's papers from the sources into the store."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table
from rich.text import Text

from cli.common import (
    STATUS_STYLE,
    Console,
    LiveReporter,
    add_date,
    add_sources,
    day_of,
    open_for,
    requested_sources,
    run_async,
)
from core.announcements import current_day
from core.channels.wording import interface_text
from core.i18n import N_, _, ngettext, status_name
from core.ingest import FetchProgress, fetch_day, source_specs
from core.models import FetchSummary

STAGES = {
    "fetching": N_("fetching"),
    "parsing": N_("parsing"),
    "storing": N_("storing"),
    "done": N_("done"),
    "failed": N_("failed"),
}
"""A source's stage in the progress display, in words."""


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    fetch = commands.add_parser(
        "fetch",
        help=_("fetch the day's papers from the configured sources into the store"),
        description=_(
            "Fetch the configured sources (or the given ones) into the store. Exit 0 when every "
            "source worked, 3 when some failed and the rest were stored, 1 when all failed."
        ),
    )
    add_date(fetch)
    add_sources(fetch)
    fetch.add_argument(
        "--refresh", action="store_true", help=_("fetch again even if a source has not changed")
    )
    fetch.add_argument(
        "--no-enrich", action="store_true", help=_("skip the arXiv API lookup of categories")
    )
    fetch.set_defaults(handler=command_fetch)


def command_fetch(args: argparse.Namespace) -> int:
    day = day_of(args)
    requested = requested_sources(args)
    services = open_for(args)
    try:
        specs = source_specs(services.config, requested)
        console = Console(stderr=True)
        with _progress_reporter(console) as report:
            summary = run_async(
                services,
                lambda: fetch_day(
                    services.store,
                    services.config,
                    day,
                    specs=specs,
                    fetcher=services.fetcher(),
                    on_progress=report,
                    refresh=args.refresh,
                    enrich=False if args.no_enrich else None,
                    today=current_day(),
                ),
            )
        print_fetch_summary(summary, Console())
        return summary.exit_code
    finally:
        services.close()


class _progress_reporter(LiveReporter):
    """Fetch progress: a bar per source on a terminal, plain lines otherwise."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.tasks: dict[str, Any] = {}

    def live(self) -> Any:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        return Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[source]}", style="bold"),
            BarColumn(bar_width=20),
            TextColumn("{task.fields[stage]}"),
            TextColumn("{task.fields[detail]}", style="dim"),
            console=self.console,
            transient=True,
        )

    def report(self, event: FetchProgress) -> None:
        stages = ("fetching", "parsing", "storing", "done")
        completed = stages.index(event.stage) + 1 if event.stage in stages else 4
        if self.progress is None:
            if event.stage in ("fetching", "done", "failed"):
                self.line(
                    f"{event.source}: {_(STAGES.get(event.stage, event.stage))} {event.message}".rstrip()
                )
            return
        task = self.tasks.get(event.source)
        if task is None:
            task = self.progress.add_task("", total=4, source=event.source, stage="", detail="")
            self.tasks[event.source] = task
        self.progress.update(
            task,
            completed=completed,
            stage=_(STAGES.get(event.stage, event.stage)),
            detail=Text(event.message[:60]).plain,
        )


def print_fetch_summary(summary: FetchSummary, console: Console) -> None:
    """The per-source summary printed at the end of a fetch, and why a day is empty.

    A table on a terminal; one plain line per source otherwise, for logs and scripts.
    """
    if console.is_terminal:
        table = Table(
            title=_("Fetch for {day} (run {run})").format(day=summary.day, run=summary.run_id),
            title_justify="left",
        )
        table.add_column(_("source"), no_wrap=True, max_width=28, overflow="ellipsis")
        table.add_column(_("kind"), no_wrap=True)
        table.add_column(_("status"), no_wrap=True)
        for column in (_("papers"), _("new"), _("updated"), _("time")):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column(_("note"), overflow="fold", min_width=30, ratio=1)
        for result in summary.results:
            table.add_row(
                Text(result.name),
                result.kind,
                Text(status_name(result.status), style=STATUS_STYLE.get(result.status, "")),
                str(len(result.listed)),
                str(result.new),
                str(result.updated),
                f"{result.duration_ms / 1000:.1f}s",
                Text(interface_text(result.reason)),
            )
        console.print(table)
    else:
        heading = _("Fetch for {day} (run {run})").format(day=summary.day, run=summary.run_id)
        console.print(Text(f"{heading}:"), soft_wrap=True)
        for result in summary.results:
            line = f"  {result.name} [{result.kind}]: " + ngettext(
                "{status}, {count} paper ({new} new, {updated} updated) in {seconds}s",
                "{status}, {count} papers ({new} new, {updated} updated) in {seconds}s",
                len(result.listed),
            ).format(
                status=status_name(result.status),
                count=len(result.listed),
                new=result.new,
                updated=result.updated,
                seconds=f"{result.duration_ms / 1000:.1f}",
            )
            if result.reason:
                line += f" — {interface_text(result.reason)}"
            console.print(Text(line), soft_wrap=True)
    if summary.empty_reason:
        console.print(
            Text(
                _("No papers for {day}: {reason}").format(
                    day=summary.day, reason=interface_text(summary.empty_reason)
                ),
                style="yellow",
            ),
            soft_wrap=True,
        )
    failed = [result for result in summary.results if result.failed]
    if failed and len(failed) < len(summary.results):
        console.print(
            Text(
                ngettext(
                    "{count} source failed; the others were stored.",
                    "{count} sources failed; the others were stored.",
                    len(failed),
                ).format(count=len(failed)),
                style="red",
            )
        )
