"""Category shares over the last N days: a plotext chart, and a table of what is rising.

The papers are counted as the day view counts them (core.digest.category_trend): each
day's digest by default — the papers of the day view's categories and chart — or, with
`a`, every paper listed that day. The title says which.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Label

from core.digest import TREND_SCOPES, category_trend
from core.i18n import N_, _, ngettext
from core.services import Services
from tui import bindings
from tui.messages import TrendsLoaded
from tui.model import category_color
from tui.screens.base import AppScreen
from tui.text import OTHER_COLOR, emoji_cell, safe_line, sparkline
from tui.widgets.trend_chart import TrendChart

WINDOWS = (7, 14, 30, 90)


SCOPE_LABELS = {
    "digest": N_("Category shares in each day's digest"),
    "listed": N_("Category shares among all papers listed each day"),
}
"""Which papers the shares are of, said in the title (the day view's are the digest's)."""


class TrendsScreen(AppScreen[None]):
    """Shares of each category among the papers of the window ending at `end`."""

    BINDINGS = bindings.TRENDS

    def __init__(self, services: Services, end: date) -> None:
        super().__init__()
        self.services = services
        self.config = services.config
        self.end = end
        self.window = services.config.tui.trend_days
        self.scope = TREND_SCOPES[0]

    def compose(self) -> ComposeResult:
        with Vertical(id="trends-box"):
            yield Label(id="trends-title")
            yield TrendChart(id="trends-chart")
            yield DataTable(id="trends-table", cursor_type="none", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    def _load(self) -> None:
        self.query_one(TrendChart).loading = True
        self._read(self.window, self.scope)

    @work(thread=True, exclusive=True, group="trends", exit_on_error=False)
    def _read(self, window: int, scope: str) -> None:
        """Read this window's and the previous window's counts in a thread."""
        first = self.end - timedelta(days=2 * window - 1)
        counts = category_trend(self.services.store, self.config, first, self.end, scope=scope)
        start = (self.end - timedelta(days=window - 1)).isoformat()
        days = sorted(day for day in counts if day >= start)
        previous: dict[str, int] = {}
        for day, by_category in counts.items():
            if day < start:
                for category, count in by_category.items():
                    previous[category] = previous.get(category, 0) + count
        self.post_message(TrendsLoaded(days, {d: counts[d] for d in days}, previous, scope, window))

    def on_trends_loaded(self, message: TrendsLoaded) -> None:
        # A thread worker replaced by a newer choice still posts its answer, and under load
        # it can arrive last: only the answer for the current window and scope is shown.
        if (message.window, message.scope) != (self.window, self.scope):
            return
        days, counts = message.days, message.counts
        self.query_one(TrendChart).loading = False
        title = Text(" " + _(SCOPE_LABELS[message.scope]), style="bold")
        title.append(
            "  ·  "
            + ngettext(
                "{count} day with papers in the {window} days to {end}  ·  vs the {window} days "
                "before",
                "{count} days with papers in the {window} days to {end}  ·  vs the {window} days "
                "before",
                len(days),
            ).format(count=len(days), window=self.window, end=self.end),
            style="dim",
        )
        self.query_one("#trends-title", Label).update(title)
        # Categories outside the taxonomy are counted as not classified, as in the day view.
        names = [category.name for category in self.config.taxonomy.categories]
        if any("" in day for day in counts.values()):
            names.append("")
        totals = {day: sum(counts[day].values()) or 1 for day in days}
        series = []
        for name in names:
            shares = [100 * counts[day].get(name, 0) / totals[day] for day in days]
            if any(shares):
                color = category_color(self.config, name) if name else OTHER_COLOR
                series.append((name, color, shares))
        self.query_one(TrendChart).plot(days, series)
        self._fill_table(names, days, counts, message.previous)

    def _fill_table(
        self,
        names: list[str],
        days: list[str],
        counts: dict[str, dict[str, int]],
        previous: dict[str, int],
    ) -> None:
        table = self.query_one("#trends-table", DataTable)
        table.clear(columns=True)
        for key, label in (
            ("color", ""),
            ("category", _("Category")),
            ("papers", _("Papers")),
            ("share", _("Share")),
            ("change", _("Change")),
            ("per_day", _("Per day")),
        ):
            table.add_column(Text(label, style="bold"), key=key)
        total = sum(sum(day.values()) for day in counts.values())
        previous_total = sum(previous.values())
        emojis = {c.name: c.emoji for c in self.config.taxonomy.categories}
        rows = []
        for name in names:
            papers = sum(counts[day].get(name, 0) for day in days)
            if not papers and not previous.get(name):
                continue
            share = 100 * papers / total if total else 0.0
            before = 100 * previous.get(name, 0) / previous_total if previous_total else None
            rows.append((share, name, papers, before))
        rows.sort(key=lambda row: -row[0])
        for share, name, papers, before in rows:
            color = category_color(self.config, name) if name else OTHER_COLOR
            label = Text(emoji_cell(emojis.get(name, "")) + " ")
            label.append_text(safe_line(name or _("Not classified yet")))
            if before is None:
                change = Text(_("new"), style="dim")
            else:
                delta = share - before
                arrow, style = (
                    ("▲", "green")
                    if delta > 0.5
                    else ("▼", "red")
                    if delta < -0.5
                    else ("·", "dim")
                )
                change = Text(f"{arrow} {delta:+.1f} pt", style=style)
            table.add_row(
                Text("██", style=color),
                label,
                Text(str(papers), justify="right"),
                Text(f"{share:.1f}%", justify="right"),
                change,
                Text(sparkline([counts[day].get(name, 0) for day in days]), style=color),
            )
        if not rows:
            table.add_row(
                Text(""), Text(_("No papers in these days."), style="dim"), *[Text("")] * 4
            )

    def action_cycle_window(self) -> None:
        """Cover 7, 14, 30 or 90 days."""
        later = [w for w in WINDOWS if w > self.window]
        self.window = later[0] if later else WINDOWS[0]
        self._load()

    def action_cycle_scope(self) -> None:
        """Count each day's digest, or every paper listed that day."""
        index = TREND_SCOPES.index(self.scope)
        self.scope = TREND_SCOPES[(index + 1) % len(TREND_SCOPES)]
        self._load()

    def action_back(self) -> None:
        self.dismiss(None)
