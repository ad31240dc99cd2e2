"""Every key binding of the TUI, as data: an id, a key, a short footer verb and a tooltip.

Screens take their `BINDINGS` from here, the help screen lists them from here, and
`[tui.keymap]` in config.toml remaps any of them by id (`next_day = "n"`). The footer shows
only the few that matter on each screen (`show=True`); the help screen shows all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from textual.binding import Binding
from textual.dom import DOMNode

from core.i18n import N_, _

_DAY = Binding.Group(N_("Day"), compact=True)


def _bind(
    key: str,
    action: str,
    verb: str,
    tooltip: str,
    id: str,
    *,
    show: bool = False,
    group: Binding.Group | None = None,
    priority: bool = False,
) -> Binding:
    return Binding(
        key, action, verb, show=show, tooltip=tooltip, id=id, group=group, priority=priority
    )


APP = [
    _bind(
        "f1,question_mark",
        "help",
        N_("Help"),
        N_("List every key and what it does"),
        "help",
        show=True,
    ),
]

MAIN = [
    _bind("left_square_bracket", "previous_day", N_("Prev"), N_("Show the previous day with papers"),
          "previous_day", show=True, group=_DAY),
    _bind("right_square_bracket", "next_day", N_("Next"), N_("Show the next day with papers"),
          "next_day", show=True, group=_DAY),
    _bind("g", "jump_to_date", N_("Go to date"), N_("Jump to a date, or pick one of the stored days"),
          "jump_to_date"),
    _bind("slash", "search", N_("Search"), N_("Full-text search over every stored day"), "search",
          show=True),
    _bind("r", "category_report", N_("Report"), N_("The day's Korean report for this category"),
          "category_report", show=True),
    _bind("t", "trends", N_("Trends"), N_("Category shares over the last days"), "trends", show=True),
    _bind("s", "toggle_star", N_("Star"), N_("Star (like) the selected paper, or unstar it: likes "
          "rank the digest for you"), "toggle_star", show=True),
    _bind("x", "toggle_not_interested", N_("Not interested"), N_("Mark the selected paper not "
          "interesting (again: undo): similar papers rank lower"), "not_interested"),
    _bind("i", "profile", N_("Profile"), N_("Your interest profile: seeds, likes, dislikes"),
          "profile"),
    _bind("m", "toggle_read", N_("Read"), N_("Mark the selected paper read or unread"), "toggle_read"),
    _bind("u", "filter_unread", N_("Unread only"), N_("Show only unread papers (again: show all)"),
          "filter_unread"),
    _bind("f", "filter_starred", N_("Starred only"), N_("Show only starred papers (again: show all)"),
          "filter_starred"),
    _bind("o", "open_link", N_("Open"), N_("Open the selected paper in the browser (marks it read)"),
          "open_link"),
    _bind("y", "copy_link", N_("Copy link"), N_("Copy the selected paper's link to the clipboard"),
          "copy_link"),
    _bind("c", "set_category", N_("Category"), N_("Move the selected paper to another category"),
          "set_category"),
    _bind("z", "resummarize", N_("Summarize"), N_("Write the selected paper's Korean summary again"),
          "resummarize"),
    _bind("R", "run_pipeline", N_("Run"), N_("Fetch, classify and summarize today's papers in the "
          "background"), "run_pipeline", show=True),
    _bind("X", "stop_run", N_("Stop run"), N_("Stop the running pipeline (what is done is kept)"),
          "stop_run", show=True),
    _bind("l", "run_log", N_("Run log"), N_("What the last run of this day did, source by source"),
          "run_log"),
    _bind("p", "preview", N_("Preview"), N_("Preview the day's email and RSS item"), "preview"),
    _bind("E", "send_test_email", N_("Send test"), N_("Send the day's digest email now (asks first)"),
          "send_test_email"),
    _bind("f5", "reload", N_("Reload"), N_("Read the day again (after `dailyai run` changed it)"),
          "reload"),
    _bind("v", "toggle_maximize", N_("Enlarge"), N_("Enlarge the focused pane to the whole "
          "screen (again, or Esc: back)"), "enlarge", show=True),
    _bind("q", "quit", N_("Quit"), N_("Quit the app"), "quit"),
]  # fmt: skip

BACK = [_bind("escape", "back", N_("Back"), N_("Back to the day's papers"), "back", show=True)]

TRENDS = [
    *BACK,
    _bind("w", "cycle_window", N_("Window"), N_("Change how many days the trends cover"), "trends_window",
          show=True),
    _bind("a", "cycle_scope", N_("Digest/all"), N_("Count each day's digest, or every paper listed that "
          "day"), "trends_scope", show=True),
]  # fmt: skip

REPORT = [
    *BACK,
    _bind("left_square_bracket", "previous_category", N_("Prev"), N_("The previous category's report"),
          "previous_category", show=True, group=Binding.Group(N_("Category"), compact=True)),
    _bind("right_square_bracket", "next_category", N_("Next"), N_("The next category's report"),
          "next_category", show=True, group=Binding.Group(N_("Category"), compact=True)),
]  # fmt: skip

PREVIEW = [
    *BACK,
    _bind("E", "send_test_email", N_("Send test"), N_("Send the day's digest email now (asks first)"),
          "send_test_email", show=True),
]  # fmt: skip

SEARCH = [
    *BACK,
    _bind("down", "next_result", N_("Next"), N_("Highlight the next result (while typing too)"),
          "next_result"),
    _bind("up", "previous_result", N_("Previous"), N_("Highlight the previous result (while typing too)"),
          "previous_result"),
    _bind(
        "s",
        "toggle_star",
        N_("Star"),
        N_("Star (like) the highlighted result, or unstar it"),
        "toggle_star",
        show=True,
    ),
    _bind(
        "x",
        "toggle_not_interested",
        N_("Not interested"),
        N_("Mark the highlighted result not interesting (again: undo)"),
        "not_interested",
        show=True,
    ),
]  # fmt: skip

PROFILE = [
    *BACK,
    _bind(
        "d,delete",
        "forget",
        N_("Forget"),
        N_("Take the highlighted paper out of your profile"),
        "forget_entry",
        show=True,
    ),
]


@dataclass(frozen=True)
class Scope:
    """Where a set of bindings works, for the help screen."""

    name: str
    bindings: list[Binding]


SCOPES = [
    Scope(N_("Everywhere"), APP),
    Scope(N_("Day view"), MAIN),
    Scope(N_("Category report"), REPORT[1:]),
    Scope(N_("Trends"), TRENDS[1:]),
    Scope(N_("Email and RSS preview"), PREVIEW[1:]),
    Scope(N_("Search"), SEARCH[1:]),
    Scope(N_("Interest profile"), PROFILE[1:]),
    Scope(N_("Sub-screens and dialogs"), BACK),
]


def translated(binding: Binding) -> Binding:
    """`binding` with its verb, tooltip and group in the interface language."""
    group = binding.group
    if group is not None:
        group = replace(group, description=_(group.description))
    return replace(
        binding,
        description=_(binding.description) if binding.description else "",
        tooltip=_(binding.tooltip) if binding.tooltip else "",
        group=group,
    )


def localize(node: DOMNode) -> None:
    """Show `node`'s bindings (footer, help) in the interface language.

    Bindings are class data, built once at import in English; each screen translates its own
    copy when it is created, so the language set from config.toml applies to all of them.
    """
    key_to_bindings = node._bindings.key_to_bindings
    for key, bound in key_to_bindings.items():
        key_to_bindings[key] = [translated(binding) for binding in bound]


def binding_ids() -> set[str]:
    """Every id a keymap may remap."""
    return {binding.id for scope in SCOPES for binding in scope.bindings if binding.id}


def normalize_keymap(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The keymap with ids as the app knows them, and the ids it does not know.

    Ids may be written with dashes or underscores (`next-day` or `next_day`).
    """
    known = binding_ids()
    normalized: dict[str, str] = {}
    unknown: list[str] = []
    for binding_id, keys in keymap.items():
        name = binding_id.replace("-", "_")
        if name in known:
            normalized[name] = keys
        else:
            unknown.append(binding_id)
    return normalized, unknown
