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
    say,
    whole_number,
)
from core.errors import DailyAIError
from core.i18n import _, ngettext
from core.korean import has_hangul
from core.store import Snippet, Store


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    export = commands.add_parser(
        "export",
        help=_("write stored papers with every field to stdout"),
        description=_(
            "Write stored papers (of one day, or all) with every stored field to stdout."
        ),
    )
    scope = export.add_mutually_exclusive_group()
    add_date(scope)
    scope.add_argument("--all", action="store_true", help=_("every stored paper"))
    export.add_argument("--format", choices=["jsonl", "json", "csv"], default="jsonl")
    export.set_defaults(handler=command_export)

    search = commands.add_parser(
        "search",
        help=_("full-text search over every stored paper"),
        description=_("Search titles, abstracts and summaries of every stored paper."),
    )
    search.add_argument(
        "query",
        nargs="+",
        help=_("words to look for (each matches as a prefix; a Korean word also inside compounds)"),
    )
    search.add_argument(
        "--limit",
        type=whole_number(1, 10_000),
        default=20,
        help=_("most results to show (default 20)"),
    )
    search.set_defaults(handler=command_search)


def command_export(args: argparse.Namespace) -> int:
    services = open_for(args)
    try:
        day = None if args.all else day_of(args)
        rows = list(services.store.export_rows(day))
        write_export(rows, args.format, sys.stdout)
        if not rows:
            say(
                _("no papers stored for {day}").format(day=day)
                if day
                else _("no papers stored for any day")
            )
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
        if has_hangul(query):
            index_korean_text(services.store)
        hits = services.store.search(query, limit=args.limit)
        console = Console()
        if not hits:
            console.print(Text(_("No stored paper matches {query!r}.").format(query=query)))
            return 0
        table = Table(
            show_header=True,
            title=ngettext(
                "{count} paper matching {query!r}", "{count} papers matching {query!r}", len(hits)
            ).format(count=len(hits), query=query),
            title_justify="left",
        )
        table.add_column(_("id"), no_wrap=True)
        table.add_column(_("day"), no_wrap=True)
        table.add_column(_("title, where it matched, link"), overflow="fold")
        for hit in hits:
            paper = marked(hit.title, "bold")
            if hit.snippet is not None:
                paper.append("\n")
                paper.append_text(marked(hit.snippet, ""))
            paper.append("\n")
            paper.append(hit.paper.url, style="dim")
            table.add_row(Text(hit.paper.id), Text(hit.days[-1] if hit.days else ""), paper)
        console.print(table)
        return 0
    finally:
        services.close()


def index_korean_text(store: Store) -> None:
    """Analyse Korean text stored since the last Korean search, so it is found inside
    compounds; without the analyser, say why and search by whole words."""
    waiting = store.korean_backlog()
    if not waiting:
        return
    say(
        ngettext(
            "analysing the Korean text of {count} paper for search (once)…",
            "analysing the Korean text of {count} papers for search (once)…",
            waiting,
        ).format(count=waiting)
    )
    try:
        store.update_korean_index()
    except DailyAIError as error:
        say(_("{error}; searching by the start of words only").format(error=error))


def marked(snippet: Snippet, style: str) -> Text:
    """A hit's title or snippet as literal text, its matches highlighted."""
    text = Text(snippet.text, style=style)
    for start, end in snippet.highlights:
        text.stylize("bold yellow", start, end)
    return text
