"""`dailyai profile` (the interest profile) and `dailyai rank` (the day "For you")."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from cli.common import Console, add_date, day_of, open_for, run_async, say, whole_number
from core.i18n import _

SHOWN_PER_GROUP = 10
"""Entries listed per group by `profile show` (all with --all)."""


def register(commands: Any) -> None:
    """Add this module's commands to `dailyai`."""
    profile = commands.add_parser(
        "profile",
        help=_("your interest profile: import seeds, like, dislike, forget, show"),
        description=_(
            "The interest profile that ranks the digest for you: papers you like (seeds imported "
            "from a file, stars in the TUI) and papers you marked not interesting."
        ),
    )
    actions = profile.add_subparsers(title=_("actions"), metavar="ACTION", required=True)
    importing = actions.add_parser(
        "import",
        help=_("add the papers of a file as seeds"),
        description=_(
            "Add the papers of FILE to the profile as liked seeds: a BibTeX export (Zotero, "
            "Mendeley, Google Scholar), CSL-JSON, a JSON list of {title, abstract?, url?}, or a "
            "text file of arXiv ids or URLs, one per line (looked up through the arXiv API). A "
            "file with an unreadable entry is refused whole, naming it; entries without a title "
            "are skipped and counted. Importing the same file again adds nothing."
        ),
    )
    importing.add_argument("file", metavar="FILE", help=_("the file to import"))
    importing.set_defaults(handler=command_import)
    show = actions.add_parser(
        "show",
        help=_("what the profile holds, by source, with counts and dates"),
        description=_(
            "What the profile holds, by source (each imported file, your stars, not "
            "interested), with counts and dates, and how the digest is ranked with it."
        ),
    )
    show.add_argument("--all", action="store_true", help=_("list every entry, not the newest ten"))
    show.set_defaults(handler=command_show)
    for name, stance, verb, description in (
        (
            "like",
            "like",
            _("like a stored paper (as a star in the TUI does)"),
            _("Like a stored paper (as a star in the TUI does)."),
        ),
        (
            "dislike",
            "dislike",
            _("mark a stored paper not interesting"),
            _("Mark a stored paper not interesting."),
        ),
        (
            "forget",
            None,
            _("take a paper out of the profile (a seed, a like or a dislike)"),
            _("Take a paper out of the profile (a seed, a like or a dislike)."),
        ),
    ):
        action = actions.add_parser(name, help=verb, description=description)
        action.add_argument(
            "id", metavar="ID", help=_("a paper id (as `dailyai search` shows it) or arXiv URL")
        )
        action.set_defaults(handler=command_feedback, stance=stance, action=name)

    rank = commands.add_parser(
        "rank",
        help=_("the day's papers ranked for you, as JSON lines"),
        description=_(
            "Write the day's digest-eligible papers best first, one JSON line each with id, "
            "title, score and why (the Korean line saying why it ranks there). With --titles, "
            "rank the papers of a JSON file (a list of {title, abstract?, url?}) against the "
            "profile instead, storing nothing. Which method ranked is said on stderr."
        ),
    )
    add_date(rank)
    rank.add_argument("--titles", metavar="FILE.json",
                      help=_("rank the papers listed in this JSON file ('-' for stdin)"))  # fmt: skip
    rank.add_argument("--limit", type=whole_number(1, 100_000), default=None,
                      help=_("at most this many papers (default: all)"))  # fmt: skip
    rank.set_defaults(handler=command_rank)


def command_import(args: argparse.Namespace) -> int:
    from core.profile import import_profile

    services = open_for(args)
    try:
        path = Path(args.file).expanduser()
        result = run_async(
            services,
            lambda: import_profile(
                services.store,
                services.config,
                path,
                fetcher=services.fetcher(),
                client=services.llm,
            ),
        )
        parts = [
            _("{count} new").format(count=result.added),
            _("{count} already in the profile").format(count=result.already),
        ]
        if result.untitled:
            parts.append(_("{count} without a title skipped").format(count=result.untitled))
        if result.not_found:
            parts.append(_("{count} arXiv ids not found").format(count=result.not_found))
        console = Console()
        console.print(
            Text(
                _("Imported {file} ({format}): {parts}.").format(
                    file=path.name, format=result.format, parts=", ".join(parts)
                )
            ),
            soft_wrap=True,
        )
        embedding = result.embedding
        if embedding is not None and embedding.error:
            say(
                _("not embedded: {error}; the lexical method ranks until it is").format(
                    error=embedding.error
                )
            )
        elif embedding is not None and embedding.embedded:
            console.print(
                Text(
                    _("Embedded {count} papers with {model}.").format(
                        count=embedding.embedded, model=services.config.rank.embedding_model
                    )
                )
            )
        return 0
    finally:
        services.close()


def command_show(args: argparse.Namespace) -> int:
    from core.digest import build_digest
    from core.profile import profile_groups

    services = open_for(args)
    try:
        config = services.config
        entries = services.store.profile_entries()
        console = Console()
        if not entries:
            console.print(
                Text(
                    _(
                        "The profile is empty: the digest is ranked by public signals. Star "
                        "papers in the TUI (s), or `dailyai profile import FILE` (BibTeX, "
                        "CSL-JSON, JSON titles, arXiv ids)."
                    )
                ),
                soft_wrap=True,
            )
            return 0
        groups = profile_groups(entries)
        console.print(
            Text(_("Interest profile: {count} papers").format(count=len(entries)), style="bold")
        )
        labels = {group.label: _(group.label) for group in groups}
        width = max(cell_len(label) for label in labels.values())
        for group in groups:
            dates = group.first_added
            if group.last_added != dates:
                dates += f" … {group.last_added}"
            console.print(
                Text(
                    f"  {labels[group.label]}{' ' * (width - cell_len(labels[group.label]))}  "
                    f"{len(group.entries):>5}  " + _("added {dates}").format(dates=dates)
                ),
                soft_wrap=True,
            )
        days = services.store.days()
        if days:
            newest = date.fromisoformat(days[0][0])
            ranking = build_digest(services.store, config, newest).ranking
            console.print(
                Text(
                    _("Ranking of {day}: {method}").format(
                        day=days[0][0], method=ranking.describe()
                    )
                ),
                soft_wrap=True,
            )
        elif not config.digest.personal:
            console.print(
                Text(_("digest.personal = false: the digest is ranked by public signals"))
            )
        for group in groups:
            console.print(Text(f"\n{labels[group.label]}", style="bold"))
            shown = group.entries[::-1]
            if not args.all:
                shown = shown[:SHOWN_PER_GROUP]
            for entry in shown:
                line = Text(f"  {entry.added_at[:10]}  ")
                line.append(entry.key, style="cyan")
                line.append("  ")
                line.append(entry.title)
                console.print(line, soft_wrap=True, no_wrap=True, overflow="ellipsis")
            if len(shown) < len(group.entries):
                console.print(
                    Text(
                        "  "
                        + _("… and {count} more (--all lists them)").format(
                            count=len(group.entries) - len(shown)
                        )
                    )
                )
        return 0
    finally:
        services.close()


def command_feedback(args: argparse.Namespace) -> int:
    from core.profile import forget, set_feedback

    services = open_for(args)
    try:
        console = Console()
        if args.stance is None:
            if not forget(services.store, args.id):
                say(
                    _("'{id}' is not in the profile — `dailyai profile show` lists it").format(
                        id=args.id
                    )
                )
                return 1
            console.print(
                Text(_("Forgot {id}: it no longer shapes your ranking.").format(id=args.id))
            )
            return 0
        entry = set_feedback(services.store, services.config, args.id, args.stance, source="cli")
        assert entry is not None
        verb = _("Liked") if args.stance == "like" else _("Marked not interesting:")
        line = Text(f"{verb} {entry.key} ")
        line.append(entry.title)
        console.print(line, soft_wrap=True)
        return 0
    finally:
        services.close()


def command_rank(args: argparse.Namespace) -> int:
    services = open_for(args)
    try:
        if args.titles:
            from cli.model import _read_titles
            from core.announcements import current_day
            from core.profile import rank_titles

            config = services.config
            entries = _read_titles(args.titles, max_bytes=int(config.fetch.max_body_mb * 1e6))
            ranked, info = run_async(
                services,
                lambda: rank_titles(
                    services.store, config, entries, current_day(), client=services.llm
                ),
            )
            lines = [
                {"title": item.title, "score": item.scored.score, "why": item.scored.why}
                for item in ranked
            ]
        else:
            from core.digest import build_digest
            from core.profile import embed_day

            day = day_of(args)
            embedded = run_async(
                services,
                lambda: embed_day(services.store, services.config, day, client=services.llm),
            )
            digest = build_digest(services.store, services.config, day)
            info = digest.ranking
            if embedded.error and info.personal:
                info.note = embedded.error
            lines = [
                {"id": p.paper.id, "title": p.paper.title, "score": p.score, "why": p.why}
                for p in digest.for_you
            ]
        if args.limit is not None:
            lines = lines[: args.limit]
        for line in lines:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        say(_("ranked by {method}").format(method=info.describe()))
        return 0
    finally:
        services.close()
