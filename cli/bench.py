"""`dailyai bench-model`: which model to use, measured on this machine."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from rich.text import Text

from cli.common import Console
from core.progress import format_duration
from core.sanitize import one_line


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    bench = commands.add_parser(
        "bench-model",
        help="measure how well and how fast models write the Korean summaries here",
        description="Write Korean summaries of a fixed sample of 10 shipped abstracts with "
        "each MODEL (default: llm.model in config) through the same prompts and Korean gate "
        "as a daily run, in a temporary store (yours is not touched), and print per model: "
        "the gate's first-try pass rate and retries, answers with invented numbers, tokens "
        "per second, seconds per summary and the estimated time of your digest "
        "(digest.size papers and their category reports). Exit 1 when a model could not be "
        "measured.",
    )
    bench.add_argument("models", nargs="*", metavar="MODEL",
                       help="model names as the server knows them (e.g. gemma3:4b)")  # fmt: skip
    bench.add_argument("--json", action="store_true",
                       help="print the figures as one JSON list instead")  # fmt: skip
    bench.set_defaults(handler=command_bench_model)


def command_bench_model(args: argparse.Namespace) -> int:
    from core.bench_model import bench_models, sample_papers
    from core.config import load_config

    config = load_config(args.config)
    sample = sample_papers()
    progress = Console(stderr=True)

    def on_progress(model: str, done: int, total: int, summary: Any) -> None:
        outcome = "ok" if summary.status == "ok" else f"failed ({summary.reason})"
        retried = f" after {summary.attempts} attempts" if summary.attempts > 1 else ""
        progress.print(
            Text(f"[{one_line(model, limit=60)} {done}/{total}] {outcome}{retried}"),
            soft_wrap=True,
        )

    results = asyncio.run(bench_models(config, args.models, papers=sample, on_progress=on_progress))
    if args.json:
        sys.stdout.write(
            json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2) + "\n"
        )
    else:
        out = Console()
        for result in results:
            print_bench(result, len(sample), out)
    return 1 if any(result.error for result in results) else 0


def print_bench(result: Any, sample_size: int, console: Console) -> None:
    """One model's figures, as a block of labelled lines."""
    name = one_line(result.model, limit=80)
    if result.error and not result.papers:
        console.print(Text(f"{name}: {result.error}", style="bold red"), soft_wrap=True)
        return
    how = "category and summary in one request" if result.with_category else "summary requests"
    console.print(
        Text(f"{name} on {result.papers} of {sample_size} sample abstracts ({how}):", "bold"),
        soft_wrap=True,
    )
    rate = f"{result.first_try_rate:.0%}" if result.first_try_rate is not None else "?"
    speed = f"{result.tokens_per_second:.1f}" if result.tokens_per_second else "?"
    prompt = (
        f" ({result.prompt_tokens_per_paper:.0f} prompt tokens)"
        if result.prompt_tokens_per_paper
        else ""
    )
    numbers = "answer" if result.invented_numbers == 1 else "answers"
    rows = [
        ("Korean gate, first try", f"{result.first_try}/{result.papers} ({rate})"),
        ("retries", str(result.retries)),
        ("failed after retries", str(result.failed)),
        ("invented numbers flagged", f"{result.invented_numbers} {numbers}"),
        ("writing speed", f"{speed} tokens/s"),
        ("per summary", f"{format_duration(result.seconds_per_summary)}{prompt}"),
        (
            f"your digest ({result.digest_size} papers + {result.reports} "
            + ("report)" if result.reports == 1 else "reports)"),
            f"about {format_duration(result.digest_seconds)}",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        console.print(Text(f"  {label.ljust(width)}  {value}"), soft_wrap=True)
    for reason in dict.fromkeys(result.reasons):
        console.print(Text(f"  failed: {reason}", style="yellow"), soft_wrap=True)
    if result.error:
        console.print(Text(f"  {result.error}", style="bold red"), soft_wrap=True)
