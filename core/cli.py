"""The `dailyai` command: a thin front end over the core modules.

Each subcommand parses its options, calls one core function, and prints what happened.
Errors the user can fix are printed as one line (`dailyai: …`) with exit code 2 for bad
options or config and 1 for failures; nothing here knows how papers are fetched or stored.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from core import __version__
from core.announcements import current_day, parse_day
from core.errors import ConfigError, DailyAIError
from core.ingest import FetchProgress, fetch_day, source_specs
from core.models import EXIT_CODES, FetchSummary
from core.pipeline import format_duration, record_stop
from core.services import Services, open_services

STATUS_STYLE = {"ok": "green", "empty": "yellow", "unchanged": "cyan", "failed": "bold red"}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `dailyai` and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="dailyai",
        description="Daily AI Insights: the day's AI papers, sorted by topic and summarized in "
        "Korean by a local model. Without a command, opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"dailyai {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file to use (default: see README)")
    parser.set_defaults(handler=command_tui)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    fetch = commands.add_parser(
        "fetch",
        help="fetch the day's papers from the configured sources into the store",
        description="Fetch the configured sources (or the given ones) into the store. Exit 0 "
        "when every source worked, 3 when some failed and the rest were stored, 1 when all failed.",
    )
    _add_date(fetch)
    _add_sources(fetch)
    fetch.add_argument(
        "--refresh", action="store_true", help="fetch again even if a source has not changed"
    )
    fetch.add_argument(
        "--no-enrich", action="store_true", help="skip the arXiv API lookup of categories"
    )
    fetch.set_defaults(handler=command_fetch)

    export = commands.add_parser(
        "export",
        help="write stored papers with every field to stdout",
        description="Write stored papers (of one day, or all) with every stored field to stdout.",
    )
    scope = export.add_mutually_exclusive_group()
    _add_date(scope)
    scope.add_argument("--all", action="store_true", help="every stored paper")
    export.add_argument("--format", choices=["jsonl", "json", "csv"], default="jsonl")
    export.set_defaults(handler=command_export)

    search = commands.add_parser(
        "search",
        help="full-text search over every stored paper",
        description="Search titles, abstracts and summaries of every stored paper.",
    )
    search.add_argument("query", nargs="+", help="words to look for (each matches as a prefix)")
    search.add_argument("--limit", type=int, default=20, help="most results to show (default 20)")
    search.set_defaults(handler=command_search)

    doctor = commands.add_parser(
        "doctor",
        help="check the config, the store and every source",
        description="Check the config, the store, and that every source answers.",
    )
    doctor.set_defaults(handler=command_doctor)

    from core.channels import channels, run_flag
    from core.pipeline import all_steps

    run = commands.add_parser(
        "run",
        help=f"the daily job: {', '.join(all_steps())}",
        description=f"Run the whole daily pipeline for a day: {' → '.join(all_steps())}. Safe "
        "to run again: only missing work is done and no email or chat message is sent twice. "
        "Exit 0 when everything worked, 3 when something failed or was left for the next run, "
        "1 when nothing could be published.",
    )
    _add_date(run)
    _add_sources(run)
    for channel in channels().values():
        run.add_argument(
            f"--no-{run_flag(channel)}",
            dest=f"no_{channel.name}",
            action="store_true",
            help=channel.run_flag_help or f"leave out the {channel.name} channel",
        )
    run.set_defaults(handler=command_run)

    demo = commands.add_parser(
        "demo",
        help="run on shipped sample days, offline, in a store of its own",
        description="Load the sample days shipped with the app (real recorded arXiv and "
        "Hugging Face responses) into a separate demo store, then open the TUI on it (or print "
        "what was stored when not on a terminal).",
    )
    demo.add_argument(
        "--no-tui", action="store_true", help="print a summary instead of opening the TUI"
    )
    demo.set_defaults(handler=command_demo)
    _add_model_commands(commands)
    _add_publish_commands(commands)
    return parser


def _add_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        action="append",
        metavar="NAME_OR_URL",
        help="a configured source's name, a URL (https://, http://, file://), a file, or an arXiv id to look up; repeatable",
    )
    parser.add_argument(
        "--kind",
        action="append",
        choices=["auto", "hf-daily", "arxiv-rss", "arxiv-api", "feed"],
        help="the kind of the --source before it (default: its configured kind, or auto)",
    )


def _requested_sources(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(--source, --kind) pairs; each --kind belongs to the --source before it."""
    sources = args.source or []
    kinds = args.kind or []
    if len(kinds) > len(sources):
        raise ConfigError("--kind must follow the --source it applies to")
    return [(source, kinds[i] if i < len(kinds) else None) for i, source in enumerate(sources)]


def _add_date(parser: Any) -> None:
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="the day (default: today in US Eastern time, the latest day arXiv has announced)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as error:
        print(f"dailyai: {error}", file=sys.stderr)
        return 2
    except DailyAIError as error:
        print(f"dailyai: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dailyai: interrupted — what was stored so far is kept", file=sys.stderr)
        return 130


def _day(args: argparse.Namespace) -> date:
    return parse_day(args.date) if getattr(args, "date", None) else current_day()


def _services(args: argparse.Namespace, *, demo: bool = False) -> Services:
    return open_services(args.config, demo=demo)


# --- fetch ------------------------------------------------------------------------------


def command_fetch(args: argparse.Namespace) -> int:
    day = _day(args)
    requested = _requested_sources(args)
    services = _services(args)
    try:
        specs = source_specs(services.config, requested)
        console = Console(stderr=True)
        with _progress_reporter(console) as report:
            summary = asyncio.run(
                fetch_day(
                    services.store,
                    services.config,
                    day,
                    specs=specs,
                    on_progress=report,
                    refresh=args.refresh,
                    enrich=False if args.no_enrich else None,
                    today=current_day(),
                )
            )
        print_fetch_summary(summary, Console())
        return summary.exit_code
    finally:
        services.close()


class _LiveReporter:
    """Progress for a command: a live rich display on a terminal, plain lines otherwise.

    Subclasses build the display in `live()` and turn events into it (or into lines) in
    `report`; used as `with Reporter(console) as report: core_call(on_progress=report)`.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Any = None

    def live(self) -> Any:
        raise NotImplementedError

    def report(self, event: Any) -> None:
        raise NotImplementedError

    def line(self, text: str) -> None:
        self.console.print(Text(text), soft_wrap=True, highlight=False)

    def __enter__(self) -> Callable[[Any], None]:
        if self.console.is_terminal:
            self.progress = self.live()
            self.progress.start()
        return self.report

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


class _progress_reporter(_LiveReporter):
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
                self.line(f"{event.source}: {event.stage} {event.message}".rstrip())
            return
        task = self.tasks.get(event.source)
        if task is None:
            task = self.progress.add_task("", total=4, source=event.source, stage="", detail="")
            self.tasks[event.source] = task
        self.progress.update(
            task, completed=completed, stage=event.stage, detail=Text(event.message[:60]).plain
        )


def print_fetch_summary(summary: FetchSummary, console: Console) -> None:
    """The per-source summary printed at the end of a fetch, and why a day is empty.

    A table on a terminal; one plain line per source otherwise, for logs and scripts.
    """
    if console.is_terminal:
        table = Table(title=f"Fetch for {summary.day} (run {summary.run_id})", title_justify="left")
        table.add_column("source", no_wrap=True, max_width=28, overflow="ellipsis")
        table.add_column("kind", no_wrap=True)
        table.add_column("status", no_wrap=True)
        for column in ("papers", "new", "updated", "time"):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("note", overflow="fold", min_width=30, ratio=1)
        for result in summary.results:
            table.add_row(
                Text(result.name),
                result.kind.value,
                Text(result.status, style=STATUS_STYLE.get(result.status, "")),
                str(len(result.listed)),
                str(result.new),
                str(result.updated),
                f"{result.duration_ms / 1000:.1f}s",
                Text(result.reason),
            )
        console.print(table)
    else:
        console.print(Text(f"Fetch for {summary.day} (run {summary.run_id}):"), soft_wrap=True)
        for result in summary.results:
            line = (
                f"  {result.name} [{result.kind.value}]: {result.status}, {len(result.listed)} papers "
                f"({result.new} new, {result.updated} updated) in {result.duration_ms / 1000:.1f}s"
            )
            if result.reason:
                line += f" — {result.reason}"
            console.print(Text(line), soft_wrap=True)
    if summary.empty_reason:
        console.print(
            Text(f"No papers for {summary.day}: {summary.empty_reason}", style="yellow"),
            soft_wrap=True,
        )
    failed = [result for result in summary.results if result.failed]
    if failed and len(failed) < len(summary.results):
        console.print(Text(f"{len(failed)} source(s) failed; the others were stored.", style="red"))


# --- run --------------------------------------------------------------------------------


def command_run(args: argparse.Namespace) -> int:
    from core.pipeline import all_steps, run_pipeline

    day = _day(args)
    steps = tuple(step for step in all_steps() if not getattr(args, f"no_{step}", False))
    services = _services(args)
    try:
        requested = _requested_sources(args)
        specs = source_specs(services.config, requested) if requested else None
        console = Console(stderr=True)
        with _step_reporter(console) as report:
            result = asyncio.run(
                run_pipeline(
                    services, day, steps=steps, specs=specs, on_progress=report, today=current_day()
                )
            )
        print_run_summary(result, Console())
        return result.exit_code
    finally:
        services.close()


class _step_reporter(_LiveReporter):
    """Progress of a pipeline run: a rich status line on a terminal, plain lines otherwise."""

    def live(self) -> Any:
        return self.console.status("starting…")

    def report(self, event: Any) -> None:
        step = getattr(event, "step", "")
        done, total = getattr(event, "done", 0), getattr(event, "total", 0)
        eta = getattr(event, "eta_seconds", None)
        parts = [f"{step}:", getattr(event, "message", "")]
        if total:
            parts.append(f"[{done}/{total}]")
        if eta:
            parts.append(f"ETA {format_duration(eta)}")
        line = " ".join(part for part in parts if part)
        if self.progress is not None:
            self.progress.update(Text(line))
        else:
            self.line(line)


def print_run_summary(result: Any, console: Console) -> None:
    """One line per step of a pipeline run, what was published, and why a day is empty."""
    if result.fetch is not None:
        print_fetch_summary(result.fetch, console)
    console.print(Text(f"Run {result.run_id} for {result.day}: {result.status}"), soft_wrap=True)
    for outcome in result.steps:
        line = f"  {outcome.step}: {outcome.status}"
        if outcome.reason:
            line += f" — {outcome.reason}"
        console.print(Text(line, style=STATUS_STYLE.get(outcome.status, "")), soft_wrap=True)
    feeds = [path for path in result.published if path.suffix in (".rss", ".atom")]
    for path in result.published:
        if path not in feeds:
            console.print(Text(f"  wrote {path}"), soft_wrap=True)
    if feeds:
        folder = os.path.commonpath([str(path.parent) for path in feeds])
        console.print(Text(f"  wrote {len(feeds)} feeds in {folder}"), soft_wrap=True)
    if result.log_path:
        console.print(Text(f"  log: {result.log_path}"), soft_wrap=True)


# --- export and search -------------------------------------------------------------------


def command_export(args: argparse.Namespace) -> int:
    services = _services(args)
    try:
        day = None if args.all else _day(args)
        rows = list(services.store.export_rows(day))
        write_export(rows, args.format, sys.stdout)
        if not rows:
            print(f"dailyai: no papers stored for {day or 'any day'}", file=sys.stderr)
        return 0
    finally:
        services.close()


def write_export(rows: list[dict[str, Any]], fmt: str, out: TextIO) -> None:
    """Papers as JSON lines, one JSON array, or CSV (lists joined, tables as JSON)."""
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        if not rows:
            return
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    key: "; ".join(value)
                    if isinstance(value, list) and all(isinstance(v, str) for v in value)
                    else json.dumps(value, ensure_ascii=False)
                    if isinstance(value, dict | list)
                    else value
                    for key, value in row.items()
                }
            )


def command_search(args: argparse.Namespace) -> int:
    services = _services(args)
    try:
        query = " ".join(args.query)
        papers = services.store.search(query, limit=args.limit)
        console = Console()
        if not papers:
            console.print(Text(f"No stored paper matches {query!r}."))
            return 0
        table = Table(
            show_header=True, title=f"{len(papers)} papers matching {query!r}", title_justify="left"
        )
        table.add_column("id", no_wrap=True)
        table.add_column("title", overflow="fold")
        table.add_column("link", overflow="fold")
        for paper in papers:
            table.add_row(Text(paper.id), Text(paper.title), Text(paper.url))
        console.print(table)
        return 0
    finally:
        services.close()


# --- doctor ------------------------------------------------------------------------------


def command_doctor(args: argparse.Namespace) -> int:
    from core.doctor import run_checks

    console = Console()
    problems = 0
    for check in asyncio.run(run_checks(args.config)):
        mark = Text("✓ ", style="green") if check.ok else Text("✗ ", style="bold red")
        console.print(mark + Text(f"{check.name}: {check.detail}"))
        problems += 0 if check.ok else 1
    if problems:
        console.print(Text(f"{problems} problem(s) found.", style="red"))
    return 1 if problems else 0


# --- the model: classify and summarize --------------------------------------------------


def _add_model_commands(commands: Any) -> None:
    classify = commands.add_parser(
        "classify",
        help="sort the day's papers into the taxonomy's categories",
        description="Give each stored paper of the day one category of the taxonomy in "
        "config.toml, with a confidence and the method that set it. auto: the digest "
        "selection by the model when Ollama answers, the rest (and everything when Ollama is "
        "down) by rules; llm: every paper by the model; rules: every paper by rules. A category "
        "you set in the TUI is never changed. With --titles, classify the papers of a JSON "
        "file instead (a list of objects with title, optional abstract and url) and write one "
        "JSON line per paper to stdout, without touching the store.",
    )
    _add_date(classify)
    classify.add_argument("--method", choices=["auto", "llm", "rules"], default=None,
                          help="how to classify (default: classify.method in config, auto)")  # fmt: skip
    classify.add_argument("--titles", metavar="FILE.json",
                          help="classify the papers listed in this JSON file ('-' for stdin)")  # fmt: skip
    classify.add_argument("--force", action="store_true",
                          help="classify again papers already classified (never yours)")  # fmt: skip
    classify.set_defaults(handler=command_classify)

    summarize = commands.add_parser(
        "summarize",
        help="write Korean summaries and category reports with the local model",
        description="Write the Korean summary of each paper in the day's digest selection, "
        "then each category's synthesis report, with the Ollama model in config.toml. Only "
        "what is missing, failed or stale is written; the run time is estimated from the "
        "measured speed before starting. Exit 0 when everything passed, 3 when some summaries "
        "failed the Korean gate or the run stopped part way (the rest stays pending), 1 when "
        "nothing could be written.",
    )
    _add_date(summarize)
    summarize.add_argument("--category", metavar="NAME",
                           help="only this category's papers and report")  # fmt: skip
    summarize.add_argument("--paper", action="append", metavar="ID",
                           help="only this paper (any stored paper, by id); repeatable")  # fmt: skip
    summarize.add_argument("--force", action="store_true",
                           help="write again summaries and reports that are current")  # fmt: skip
    summarize.set_defaults(handler=command_summarize)


def command_classify(args: argparse.Namespace) -> int:
    if args.titles:
        return _classify_titles(args)
    from core.classify import classify_day

    day = _day(args)
    services = _services(args)
    try:
        method = args.method or services.config.classify.method
        console = Console(stderr=True)
        run_id = services.store.start_run("classify", day)
        if _held_elsewhere(services, day, run_id):
            return EXIT_CODES["skipped"]
        try:
            with _step_reporter(console) as report:
                stats = asyncio.run(
                    classify_day(
                        services.store,
                        services.config,
                        day,
                        method=method,
                        on_progress=report,
                        force=args.force,
                        run_id=run_id,
                    )
                )
        except BaseException as error:
            record_stop(services.store, run_id, error)
            raise
        services.store.finish_run(run_id, stats.status, stats.fallback_reason)
        out = Console()
        out.print(
            Text(
                f"Categories for {day}: {stats.total} papers — {stats.by_llm} by the model, "
                f"{stats.by_rules} by rules, {stats.kept_user} set by you, "
                f"{stats.unchanged} already done."
            ),
            soft_wrap=True,
        )
        if stats.total == 0:
            out.print(Text(f"No papers stored for {day} — run `dailyai fetch` first."))
        for name, count in sorted(stats.categories.items(), key=lambda item: -item[1]):
            out.print(Text(f"  {name}: {count}"), soft_wrap=True)
        if stats.invalid_answers:
            out.print(
                Text(
                    f"  {stats.invalid_answers} papers the model's answers left out were "
                    "classified by rules.",
                    style="yellow",
                ),
                soft_wrap=True,
            )
        if stats.fallback_reason:
            out.print(
                Text(
                    f"Rules were used instead of the model: {stats.fallback_reason}", style="yellow"
                ),
                soft_wrap=True,
            )
        return 0
    finally:
        services.close()


def _held_elsewhere(services: Services, day: date, run_id: int) -> bool:
    """Claim the day's model work for this run; when another run holds it, say so and
    record this run as skipped."""
    from core.pipeline import hold_model_work

    busy = hold_model_work(services.store, day, run_id)
    if busy:
        services.store.finish_run(run_id, "skipped", busy)
        Console().print(Text(busy, style="yellow"), soft_wrap=True)
    return bool(busy)


def _classify_titles(args: argparse.Namespace) -> int:
    from core.classify import classify_titles
    from core.config import load_config

    config = load_config(args.config)
    source = args.titles
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise DailyAIError(f"{source}: cannot read ({error.strerror}) — check the path") from None
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise DailyAIError(f"{source}: not valid JSON ({error}) — fix the file") from None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("title"), str) for entry in entries
    ):
        raise DailyAIError(f'{source}: expected a JSON list of objects, each with a "title" string')
    verdicts, reason = asyncio.run(
        classify_titles(entries, config, method=args.method or config.classify.method)
    )
    for verdict in verdicts:
        line = {
            "title": verdict.title,
            "category": verdict.category,
            "confidence": verdict.confidence,
            "method": verdict.method,
        }
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    if reason:
        print(f"dailyai: rules were used instead of the model: {reason}", file=sys.stderr)
    return 0


def command_summarize(args: argparse.Namespace) -> int:
    from core.summarize import summarize_day

    day = _day(args)
    services = _services(args)
    try:
        console = Console(stderr=True)
        run_id = services.store.start_run("summarize", day)
        if _held_elsewhere(services, day, run_id):
            return EXIT_CODES["skipped"]
        try:
            with _summary_reporter(console) as report:
                stats = asyncio.run(
                    summarize_day(
                        services.store,
                        services.config,
                        day,
                        category=args.category,
                        paper_ids=args.paper,
                        force=args.force,
                        on_progress=report,
                        run_id=run_id,
                    )
                )
        except BaseException as error:
            record_stop(services.store, run_id, error)
            raise
        services.store.finish_run(run_id, stats.status, stats.stopped_reason)
        print_summarize_stats(stats, services.config.ollama.model, Console())
        return EXIT_CODES[stats.status]
    finally:
        services.close()


class _summary_reporter(_LiveReporter):
    """Summarize progress: a bar with the ETA on a terminal, plain lines otherwise."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.task: Any = None

    def live(self) -> Any:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        return Progress(
            TextColumn("summarize", style="bold"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("ETA {task.fields[eta]}", style="cyan"),
            TextColumn("{task.fields[message]}", style="dim"),
            console=self.console,
            transient=True,
        )

    def report(self, event: Any) -> None:
        message = Text(event.message).plain
        if event.done == 0:
            # The first event carries the estimate made before any request.
            line = message
            if event.total:
                line += f" — estimated {format_duration(event.eta_seconds)}"
            self.line(line)
        if self.progress is None:
            if event.done:
                eta = format_duration(event.eta_seconds)
                self.line(f"[{event.done}/{event.total}] {message} (ETA {eta})")
            return
        if self.task is None:
            self.task = self.progress.add_task("", total=event.total or None, eta="", message="")
        self.progress.update(
            self.task,
            completed=event.done,
            total=event.total or None,
            eta=format_duration(event.eta_seconds),
            message=message[:50],
        )


def print_summarize_stats(stats: Any, model: str, console: Console) -> None:
    """What a summarize run wrote, left alone, and (if it stopped) why."""
    retried = f", {stats.retried} after a retry" if stats.retried else ""
    flagged = f", {stats.flagged} flagged" if stats.flagged else ""
    console.print(
        Text(
            f"Summaries for {stats.day} by {model}: {stats.passed} written{retried}{flagged}, "
            f"{stats.failed} failed, {stats.cached} already current, {stats.pending} pending."
        ),
        soft_wrap=True,
    )
    if stats.others_done or stats.others_left:
        console.print(
            Text(
                f"Other papers of the day (time budget): {stats.others_done} summarized, "
                f"{stats.others_left} left for later."
            ),
            soft_wrap=True,
        )
    console.print(
        Text(
            f"Category reports: {stats.reports_written} written, {stats.reports_failed} failed, "
            f"{stats.reports_cached} already current, {stats.reports_pending} pending."
        ),
        soft_wrap=True,
    )
    speed = f" at {stats.tokens_per_second:.1f} tokens/s" if stats.tokens_per_second else ""
    console.print(
        Text(
            f"{stats.requests} model requests{speed} in {format_duration(stats.duration_ms / 1000)}"
            f" (estimated {format_duration(stats.estimate_seconds)})."
            if stats.requests
            else "No model requests: nothing was missing, failed or stale."
        ),
        soft_wrap=True,
    )
    if stats.failed:
        console.print(
            Text(
                "Failed summaries keep their reason (see the TUI or `dailyai report`); the next "
                "run tries them again.",
                style="yellow",
            ),
            soft_wrap=True,
        )
    if stats.stopped_reason:
        console.print(
            Text(
                f"Stopped: {stats.stopped_reason}. What was written is kept; run again to resume.",
                style="bold red",
            ),
            soft_wrap=True,
        )


# --- publishing: report, feeds, email, serve ---------------------------------------------


def _add_publish_commands(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="write the day's Markdown report and its category chart",
        description="Write reports/YYYY-MM-DD/Papers_YYYY-MM-DD_report.md and "
        "paper_YYYY-MM-DD.png (the seed's format, plus each paper's Korean summary) from what "
        "the store holds; missing, failed or stale summaries are marked, never left out.",
    )
    _add_date(report)
    _add_out(report)
    report.set_defaults(handler=command_report)

    rss = commands.add_parser(
        "rss",
        help="write the RSS and Atom feeds (daily, and one per category)",
        description="Re-render feeds/daily.{rss,atom} (one item per day) and "
        "feeds/category/<slug>.{rss,atom} (one item per paper) over the last output.feed_days "
        "days in the store.",
    )
    _add_out(rss)
    rss.set_defaults(handler=command_rss)

    email = commands.add_parser(
        "email",
        help="send the day's digest by email (each recipient their own message)",
        description="Send the day's digest to email.to (or --to) over TLS or STARTTLS. A "
        "recipient who already got this day's digest is skipped unless --force. The password "
        "comes from $DAILYAI_SMTP_PASSWORD (email.password_env) or email.password_command. "
        "Exit 1 if any recipient failed.",
    )
    _add_date(email)
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
    serve.add_argument("--port", type=int, help="port (default: serve.port, 8484)")
    _add_out(serve)
    serve.set_defaults(handler=command_serve)


def _add_out(parser: Any) -> None:
    parser.add_argument(
        "--out", metavar="DIR", help="output dir (default: output.dir, else the data dir's output)"
    )


def command_report(args: argparse.Namespace) -> int:
    from core.channels.report import publish_day

    services = _services(args)
    try:
        result = publish_day(
            services.store, services.config, _day(args), out_dir=args.out, feeds=False
        )
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
    from core.channels.layout import output_dir

    services = _services(args)
    try:
        paths = publish_feeds(
            services.store, services.config, output_dir(services.config, args.out)
        )
        console = Console()
        console.print(
            Text(f"Wrote {len(paths)} feed files under {output_dir(services.config, args.out)}")
        )
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

    services = _services(args)
    console = Console()
    try:
        day = _day(args)
        if args.dry_run:
            recipients = recipients_from(services.config, args.to)
            digest = build_digest(services.store, services.config, day)
            chart = render_chart_png(digest) if not digest.is_empty else None
            message = build_message(digest, services.config, recipients[0], chart)
            path = write_eml(message, args.dry_run)
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
                _print_delivery(error.report, console)
            raise
        _print_delivery(report, console)
        return 0 if report.ok else 1
    finally:
        services.close()


def _print_delivery(report: Any, console: Console) -> None:
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
    from core.channels.layout import configured_site_url, output_dir
    from core.serve import base_url, is_loopback, make_server, serve_forever

    services = _services(args)
    try:
        config = services.config
        host = args.host or config.serve.host
        port = args.port if args.port is not None else config.serve.port
        directory = output_dir(config, args.out)
        published_at = configured_site_url(config)
        try:
            server = make_server(
                directory,
                host,
                port,
                log=lambda line: print(line, file=sys.stderr),
                rewrite_links=not published_at,
            )
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


# --- demo and the TUI --------------------------------------------------------------------


def command_demo(args: argparse.Namespace) -> int:
    from core.demo import run_demo

    services = _services(args, demo=True)
    try:
        console = Console(stderr=True)
        with _step_reporter(console) as report:
            demo = asyncio.run(run_demo(services, on_progress=report))
        out = Console()
        for result in demo.runs:
            print_run_summary(result, out)
        if demo.ollama_ok:
            out.print(
                Text(f"Ollama: {demo.ollama_detail}; the newest sample day was summarized."),
                soft_wrap=True,
            )
        else:
            out.print(
                Text(
                    f"Ollama is not available ({demo.ollama_detail}). The demo classified the "
                    "papers by rules and published everything else; no Korean summaries were "
                    'made. See README "Ollama setup" to get them.',
                    style="yellow",
                ),
                soft_wrap=True,
            )
        days = services.store.days()
        out.print(
            Text(
                f"Demo store {services.config.dirs.database}: {services.store.count_papers()} papers "
                f"on {len(days)} days ({', '.join(day for day, _ in days)}); reports and feeds in "
                f"{services.config.output_dir}."
            ),
            soft_wrap=True,
        )
        if sys.stdout.isatty() and sys.stdin.isatty() and not args.no_tui:
            return _open_tui(services)
        return 0 if all(result.status != "failed" for result in demo.runs) else 1
    finally:
        services.close()


def command_tui(args: argparse.Namespace) -> int:
    services = _services(args)
    try:
        return _open_tui(services)
    finally:
        services.close()


def _open_tui(services: Services) -> int:
    from tui.app import DailyAIApp

    app = DailyAIApp(services)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(main())
