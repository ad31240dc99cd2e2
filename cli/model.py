"""`dailyai classify` and `dailyai summarize`: the local model's work on the day."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text

from cli.common import (
    Console,
    LiveReporter,
    StepReporter,
    add_date,
    day_of,
    open_for,
    run_async,
    say,
)
from core.config import decode_utf8, read_text_file
from core.errors import ConfigError, DailyAIError
from core.models import EXIT_CODES
from core.progress import format_duration
from core.runs import RecordedRun, recorded_run
from core.services import Services


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
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
    add_date(classify)
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
    add_date(summarize)
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
    from core.classify import ClassifyStats, classify_day

    day = day_of(args)
    services = open_for(args)
    try:
        method = args.method or services.config.classify.method
        console = Console(stderr=True)

        async def classify() -> ClassifyStats | None:
            async with recorded_run(services.store, "classify", day) as run:
                if await _held_elsewhere(services, day, run):
                    return None
                with StepReporter(console) as report:
                    async with run.step("classify") as step:
                        stats = await classify_day(
                            services.store,
                            services.config,
                            day,
                            method=method,
                            client=services.llm,
                            on_progress=report,
                            force=args.force,
                            stats=step.counting(ClassifyStats()),
                        )
                await run.finish(stats.status, stats.fallback_reason)
                return stats

        stats = run_async(services, classify)
        if stats is None:
            return EXIT_CODES["skipped"]
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


async def _held_elsewhere(services: Services, day: date, run: RecordedRun) -> bool:
    """Claim the day's model work for this run; when another run holds it, say so and
    record this run as skipped."""
    from core.pipeline import hold_model_work

    busy = await asyncio.to_thread(hold_model_work, services.store, day, run.id)
    if busy:
        await run.finish("skipped", busy)
        Console().print(Text(busy, style="yellow"), soft_wrap=True)
    return bool(busy)


def _classify_titles(args: argparse.Namespace) -> int:
    from core.classify import classify_titles
    from core.config import load_config

    config = load_config(args.config)
    entries = _read_titles(args.titles, max_bytes=int(config.fetch.max_body_mb * 1_000_000))
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
        say(f"rules were used instead of the model: {reason}")
    return 0


def _read_titles(source: str, *, max_bytes: int) -> list[dict[str, Any]]:
    """The papers of a --titles file ('-' for stdin); a file that cannot be used exits 1."""
    what = f"--titles {source}"
    try:
        if source == "-":
            text = decode_utf8(sys.stdin.buffer.read(max_bytes + 1), what, max_bytes=max_bytes)
        else:
            text = read_text_file(Path(source).expanduser(), what, max_bytes=max_bytes)
        entries = json.loads(text)
    except ConfigError as error:
        raise DailyAIError(str(error)) from None
    except json.JSONDecodeError as error:
        raise DailyAIError(f"{what}: not valid JSON ({error}) — fix the file") from None
    except RecursionError:
        raise DailyAIError(f"{what}: JSON nested too deeply — give a list of papers") from None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("title"), str) for entry in entries
    ):
        raise DailyAIError(f'{what}: expected a JSON list of objects, each with a "title" string')
    return entries


def command_summarize(args: argparse.Namespace) -> int:
    from core.summarize import SummarizeStats, summarize_day

    day = day_of(args)
    services = open_for(args)
    try:
        console = Console(stderr=True)

        async def summarize() -> SummarizeStats | None:
            async with recorded_run(services.store, "summarize", day) as run:
                if await _held_elsewhere(services, day, run):
                    return None
                with _summary_reporter(console) as report:
                    async with run.step("summarize") as step:
                        stats = await summarize_day(
                            services.store,
                            services.config,
                            day,
                            client=services.llm,
                            clock=services.clock.monotonic,
                            category=args.category,
                            paper_ids=args.paper,
                            force=args.force,
                            on_progress=report,
                            on_model_work=run.record_model_work,
                            stats=step.counting(SummarizeStats()),
                        )
                await run.finish(stats.status, stats.stopped_reason)
                return stats

        stats = run_async(services, summarize)
        if stats is None:
            return EXIT_CODES["skipped"]
        print_summarize_stats(stats, services.config.llm.model, Console())
        return EXIT_CODES[stats.status]
    finally:
        services.close()


class _summary_reporter(LiveReporter):
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
    if len(stats.hosts) > 1 or stats.host_failures:
        for host in stats.hosts:
            speed = f" at {host.tokens_per_second:.1f} tokens/s" if host.tokens_per_second else ""
            times = "once" if host.failures == 1 else f"{host.failures} times"
            failed = f", failed {times} ({host.last_error})" if host.failures else ""
            console.print(Text(f"  {host.url}: {host.answered} answers{speed}{failed}"))
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
