"""The Textual app: a minimal browser of stored days and papers (built out by the TUI work)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, ListItem, ListView, Static

from core.services import Services


class DailyAIApp(App[int]):
    """Browse the papers in the store, day by day."""

    TITLE = "Daily AI Insights"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        yield Header()
        days = self.services.store.days()
        if not days:
            yield Static(
                "No papers stored yet.\n\nRun `dailyai fetch` to fetch today's papers, "
                "or `dailyai demo` to try the app on shipped sample days.",
                id="empty",
                markup=False,
            )
        else:
            day = days[0][0]
            self.sub_title = day
            papers = self.services.store.day_papers(day)
            yield ListView(*(ListItem(Static(Text(p.paper.title))) for p in papers))
        yield Footer()
