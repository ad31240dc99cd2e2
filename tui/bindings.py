"""Every key binding of the TUI, as data: an id, a key, a short footer verb and a tooltip.

Screens take their `BINDINGS` from here, the help screen lists them from here, and
`[tui.keymap]` in config.toml remaps any of them by id (`next_day = "n"`). The footer shows
only the few that matter on each screen (`show=True`); the help screen shows all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding

_DAY = Binding.Group("Day", compact=True)


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
    _bind("f1,question_mark", "help", "Help", "List every key and what it does", "help", show=True),
]

MAIN = [
    _bind("left_square_bracket", "previous_day", "Prev", "Show the previous day with papers",
          "previous_day", show=True, group=_DAY),
    _bind("right_square_bracket", "next_day", "Next", "Show the next day with papers",
          "next_day", show=True, group=_DAY),
    _bind("g", "jump_to_date", "Go to date", "Jump to a date, or pick one of the stored days",
          "jump_to_date"),
    _bind("slash", "search", "Search", "Full-text search over every stored day", "search",
          show=True),
    _bind("r", "category_report", "Report", "The day's Korean report for this category",
          "category_report", show=True),
    _bind("t", "trends", "Trends", "Category shares over the last days", "trends", show=True),
    _bind("s", "toggle_star", "Star", "Star (like) the selected paper, or unstar it: likes "
          "rank the digest for you", "toggle_star", show=True),
    _bind("x", "toggle_not_interested", "Not interested", "Mark the selected paper not "
          "interesting (again: undo): similar papers rank lower", "not_interested"),
    _bind("i", "profile", "Profile", "Your interest profile: seeds, likes, dislikes",
          "profile"),
    _bind("m", "toggle_read", "Read", "Mark the selected paper read or unread", "toggle_read"),
    _bind("u", "filter_unread", "Unread only", "Show only unread papers (again: show all)",
          "filter_unread"),
    _bind("f", "filter_starred", "Starred only", "Show only starred papers (again: show all)",
          "filter_starred"),
    _bind("o", "open_link", "Open", "Open the selected paper in the browser (marks it read)",
          "open_link"),
    _bind("y", "copy_link", "Copy link", "Copy the selected paper's link to the clipboard",
          "copy_link"),
    _bind("c", "set_category", "Category", "Move the selected paper to another category",
          "set_category"),
    _bind("z", "resummarize", "Summarize", "Write the selected paper's Korean summary again",
          "resummarize"),
    _bind("R", "run_pipeline", "Run", "Fetch, classify and summarize today's papers in the "
          "background", "run_pipeline", show=True),
    _bind("X", "stop_run", "Stop run", "Stop the running pipeline (what is done is kept)",
          "stop_run", show=True),
    _bind("l", "run_log", "Run log", "What the last run of this day did, source by source",
          "run_log"),
    _bind("p", "preview", "Preview", "Preview the day's email and RSS item", "preview"),
    _bind("E", "send_test_email", "Send test", "Send the day's digest email now (asks first)",
          "send_test_email"),
    _bind("f5", "reload", "Reload", "Read the day again (after `dailyai run` changed it)",
          "reload"),
    _bind("q", "quit", "Quit", "Quit the app", "quit"),
]  # fmt: skip

BACK = [_bind("escape", "back", "Back", "Back to the day's papers", "back", show=True)]

TRENDS = [
    *BACK,
    _bind("w", "cycle_window", "Window", "Change how many days the trends cover", "trends_window",
          show=True),
    _bind("a", "cycle_scope", "Digest/all", "Count each day's digest, or every paper listed that "
          "day", "trends_scope", show=True),
]  # fmt: skip

REPORT = [
    *BACK,
    _bind("left_square_bracket", "previous_category", "Prev", "The previous category's report",
          "previous_category", show=True, group=Binding.Group("Category", compact=True)),
    _bind("right_square_bracket", "next_category", "Next", "The next category's report",
          "next_category", show=True, group=Binding.Group("Category", compact=True)),
]  # fmt: skip

PREVIEW = [
    *BACK,
    _bind("E", "send_test_email", "Send test", "Send the day's digest email now (asks first)",
          "send_test_email", show=True),
]  # fmt: skip

SEARCH = [
    *BACK,
    _bind("down", "next_result", "Next", "Highlight the next result (while typing too)",
          "next_result"),
    _bind("up", "previous_result", "Previous", "Highlight the previous result (while typing too)",
          "previous_result"),
    _bind(
        "s",
        "toggle_star",
        "Star",
        "Star (like) the highlighted result, or unstar it",
        "toggle_star",
        show=True,
    ),
    _bind(
        "x",
        "toggle_not_interested",
        "Not interested",
        "Mark the highlighted result not interesting (again: undo)",
        "not_interested",
        show=True,
    ),
]  # fmt: skip

PROFILE = [
    *BACK,
    _bind(
        "d,delete",
        "forget",
        "Forget",
        "Take the highlighted paper out of your profile",
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
    Scope("Everywhere", APP),
    Scope("Day view", MAIN),
    Scope("Category report", REPORT[1:]),
    Scope("Trends", TRENDS[1:]),
    Scope("Email and RSS preview", PREVIEW[1:]),
    Scope("Search", SEARCH[1:]),
    Scope("Interest profile", PROFILE[1:]),
    Scope("Sub-screens and dialogs", BACK),
]


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
