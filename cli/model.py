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
from core.channels.wording import interface_text
from core.config import decode_utf8, read_text_file
from core.errors import ConfigError, DailyAIError
from core.i18n import _, ngettext, step_name
from core.models import EXIT_CODES
from core.progress import format_duration
from core.runs import RecordedRun, recorded_run
from core.services import Services


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    classify = commands.add_parser(
        "classify",
        help=_("sort the day's papers into the taxonomy's categories"),
        description=_(
            "Give each stored paper of the day one category of the taxonomy in config.toml, "
            "with a confidence and the method that set it. auto: the digest selection by the "
            "model when Ollama answers, the rest (and everything when Ollama is down) by rules; "
            "llm: every paper by the model; rules: every paper by rules. A category you set in "
            "the TUI is never changed. With --titles, classify the papers of a JSON file instead "
            "(a list of objects with title, optional abstract and url) and write one JSON line "
            "per paper to stdout, without touching the store."
        ),
    )
    add_date(classify)
    classify.add_argument("--method", choices=["auto", "llm", "rules"], default=None,
                          help=_("how to classify (default: classify.method in config, auto)"))  # fmt: skip
    classify.add_argument("--titles", metavar="FILE.json",
                          help=_("classify the papers listed in this JSON file ('-' for stdin)"))  # fmt: skip
    classify.add_argument("--force", action="store_true",
                          help=_("classify again papers already classified (never yours)"))  # fmt: skip
    classify.set_defaults(handler=command_classify)

    summarize = commands.add_parser(
        "summarize",
        help=_("write Korean summaries and category reports with the local model"),
        description=_(
            "Write the Korean summary of each paper in the day's digest selection, then each "
            "category's synthesis report, with the Ollama model in config.toml. Only what is "
            "missing, failed or stale is written; the run time is estimated from the measured "
            "speed before starting. Exit 0 when everything passed, 3 when some summaries failed "
            "the Korean gate or the run stopped part way (the rest stays pending), 1 when nothing "
            "could be written."
        ),
    )
    add_date(summarize)
    summarize.add_argument("--category", metavar="NAME",
                           help=_("only this category's papers and report"))  # fmt: skip
    summarize.add_argument("--paper", action="append", metavar="ID",
                           help=_("only this paper (any stored paper, by id); repeatable"))  # fmt: skip
    summarize.add_argument("--force", action="store_true",
                           help=_("write again summaries and reports that are current"))  # fmt: skip
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
                _(
                    "Categories for {day}: {total} papers — {by_llm} by the model, {by_rules} by "
                    "rules, {kept} set by you, {unchanged} already done."
                ).format(
                    day=day,
                    total=stats.total,
                    by_llm=stats.by_llm,
                    by_rules=stats.by_rules,
                    kept=stats.kept_user,
                    unchanged=stats.unchanged,
                )
            ),
            soft_wrap=True,
        )
        if stats.total == 0:
            out.print(
                Text(_("No papers stored for {day} — run `dailyai fetch` first.").format(day=day))
            )
        for name, count in sorted(stats.categories.items(), key=lambda item: -item[1]):
            out.print(Text(f"  {name}: {count}"), soft_wrap=True)
        if stats.invalid_answers:
            out.print(
                Text(
                    "  "
                    + ngettext(
                        "{count} paper the model's answers left out was classified by rules.",
                        "{count} papers the model's answers left out were classified by rules.",
                        stats.invalid_answers,
                    ).format(count=stats.invalid_answers),
                    style="yellow",
                ),
                soft_wrap=True,
            )
        if stats.fallback_reason:
            out.print(
                Text(
                    _("Rules were used instead of the model: {reason}").format(
                        reason=interface_text(stats.fallback_reason)
                    ),
                    style="yellow",
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
        say(
            _("rules were used instead of the model: {reason}").format(
                reason=interface_text(reason)
            )
        )
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
        raise DailyAIError(
            _("{what}: not valid JSON ({error}) — fix the file").format(what=what, error=error)
        ) from None
    except RecursionError:
        raise DailyAIError(
            _("{what}: JSON nested too deeply — give a list of papers").format(what=what)
        ) from None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("title"), str) for entry in entries
    ):
        raise DailyAIError(
            _('{what}: expected a JSON list of objects, each with a "title" string').format(
                what=what
            )
        )
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
            TextColumn(step_name("summarize"), style="bold"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn(_("ETA {time}").format(time="{task.fields[eta]}"), style="cyan"),
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
                line += _(" — estimated {time}").format(time=format_duration(event.eta_seconds))
            self.line(line)
        if self.progress is None:
            if event.done:
                eta = format_duration(event.eta_seconds)
                eta_text = _("ETA {time}").format(time=eta)
                self.line(f"[{event.done}/{event.total}] {message} ({eta_text})")
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
    retried = _(", {count} after a retry").format(count=stats.retried) if stats.retried else ""
    flagged = _(", {count} flagged").format(count=stats.flagged) if stats.flagged else ""
    console.print(
        Text(
            _(
                "Summaries for {day} by {model}: {passed} written{retried}{flagged}, {failed} "
                "failed, {cached} already current, {pending} pending."
            ).format(
                day=stats.day,
                model=model,
                passed=stats.passed,
                retried=retried,
                flagged=flagged,
                failed=stats.failed,
                cached=stats.cached,
                pending=stats.pending,
            )
        ),
        soft_wrap=True,
    )
    if stats.others_done or stats.others_left:
        console.print(
            Text(
                _(
                    "Other papers of the day (time budget): {done} summarized, {left} left for "
                    "later."
                ).format(done=stats.others_done, left=stats.others_left)
            ),
            soft_wrap=True,
        )
    console.print(
        Text(
            _(
                "Category reports: {written} written, {failed} failed, {cached} already current, "
                "{pending} pending."
            ).format(
                written=stats.reports_written,
                failed=stats.reports_failed,
                cached=stats.reports_cached,
                pending=stats.reports_pending,
            )
        ),
        soft_wrap=True,
    )
    speed = (
        _(" at {speed:.1f} tokens/s").format(speed=stats.tokens_per_second)
        if stats.tokens_per_second
        else ""
    )
    console.print(
        Text(
            ngettext(
                "{count} model request{speed} in {time} (estimated {estimate}).",
                "{count} model requests{speed} in {time} (estimated {estimate}).",
                stats.requests,
            ).format(
                count=stats.requests,
                speed=speed,
                time=format_duration(stats.duration_ms / 1000),
                estimate=format_duration(stats.estimate_seconds),
            )
            if stats.requests
            else _("No model requests: nothing was missing, failed or stale.")
        ),
        soft_wrap=True,
    )
    if len(stats.hosts) > 1 or stats.host_failures:
        for host in stats.hosts:
            speed = (
                _(" at {speed:.1f} tokens/s").format(speed=host.tokens_per_second)
                if host.tokens_per_second
                else ""
            )
            failed = (
                ngettext(
                    ", failed once ({error})",
                    ", failed {count} times ({error})",
                    host.failures,
                ).format(count=host.failures, error=host.last_error)
                if host.failures
                else ""
            )
            answers = ngettext("{count} answer", "{count} answers", host.answered).format(
                count=host.answered
            )
            console.print(Text(f"  {host.url}: {answers}{speed}{failed}"))
    if stats.failed:
        console.print(
            Text(
                _(
                    "Failed summaries keep their reason (see the TUI or `dailyai report`); the "
                    "next run tries them again."
                ),
                style="yellow",
            ),
            soft_wrap=True,
        )
    if stats.stopped_reason:
        console.print(
            Text(
                _("Stopped: {reason}. What was written is kept; run again to resume.").format(
                    reason=interface_text(stats.stopped_reason)
                ),
                style="bold red",
            ),
            soft_wrap=True,
        )
