"""`dailyai export` and `dailyai search`: the stored papers, out of the store."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any, TextIO

from rich.table import Table
from rich.text import Text

from cli.common import (
    Console,
    add_date,
    day_of,
    open_for,
    whole_number,
)


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    export = commands.add_parser(
        "export",
        help="write stored papers with every field to stdout",
        description="Write stored papers (of one day, or all) with every stored field to stdout.",
    )
    scope = export.add_mutually_exclusive_group()
    add_date(scope)
    scope.add_argument("--all", action="store_true", help="every stored paper")
    export.add_argument("--format", choices=["jsonl", "json", "csv"], default="jsonl")
    export.set_defaults(handler=command_export)

    search = commands.add_parser(
        "search",
        help="full-text search over every stored paper",
        description="Search titles, abstracts and summaries of every stored paper.",
    )
    search.add_argument("query", nargs="+", help="words to look for (each matches as a prefix)")
    search.add_argument(
        "--limit",
        type=whole_number(1, 10_000),
        default=20,
        help="most results to show (default 20)",
    )
    search.set_defaults(handler=command_search)


def command_export(args: argparse.Namespace) -> int:
    services = open_for(args)
    try:
        day = None if args.all else day_of(args)
        rows = list(services.store.export_rows(day))
        write_export(rows, args.format, sys.stdout)
        if not rows:
            print(f"dailyai: no papers stored for {day or 'any day'}", file=sys.stderr)
        return 0
    finally:
        services.close()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection)."""


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: a formula-like string gets a leading '.

    Titles and abstracts come from feeds anyone can write to; `=HYPERLINK(…)` in a title
    must not run when the export is opened in Excel or LibreOffice.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_export(rows: list[dict[str, Any]], fmt: str, out: TextIO) -> None:
    """Papers as JSON lines, one JSON array, or CSV (lists joined, tables as JSON, and no
    cell a spreadsheet would run as a formula)."""
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
            writer.writerow({key: spreadsheet_safe(_csv_cell(value)) for key, value in row.items()})


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "; ".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def command_search(args: argparse.Namespace) -> int:
    services = open_for(args)
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
