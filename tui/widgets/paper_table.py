"""The paper list: one row per paper with its state, title, sources (or why it is there),
upvotes and summary.

Rows are drawn here, cell by cell, as literal `Text` (a string would be read as markup),
so the columns line up whatever the titles hold (Hangul takes two cells) and the title gets
exactly the width that is left, ending in "…" when it is longer. An OptionList of whole
rows repaints several times faster than a DataTable of cells, which keeps a day switch
well under 100 ms on a 300-paper day.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from core.digest import DigestPaper
from core.i18n import _
from tui.text import emoji_cell, fit, safe_line

SUMMARY_MARKS = {
    "ok": ("✓", "green"),
    "stale": ("~", "yellow"),
    "failed": ("✗", "bold red"),
    "pending": ("·", "dim"),
    "generating": ("…", "bold cyan"),
}
GAP = 1
"""Cells between two columns."""


def source_badges(paper: DigestPaper) -> str:
    """Short badges for where a paper comes from: HF (Daily Papers), AX (arXiv), GH (code)."""
    info = paper.paper
    badges = []
    if info.hf_upvotes is not None or "hf" in info.links:
        badges.append("HF")
    if info.arxiv_id:
        badges.append("AX")
    if info.github_repo:
        badges.append("GH")
    return " ".join(badges)


def compact_count(count: int | None) -> str:
    """An upvote count in at most five cells: 842, 12.3k, 120k."""
    if count is None:
        return ""
    if count < 10_000:
        return str(count)
    if count < 100_000:
        return f"{count / 1000:.1f}k"
    return f"{count // 1000}k"


class PaperTable(OptionList):
    """The papers of the selected group; the highlighted one is shown in the detail pane."""

    @dataclass
    class ColumnsChanged(Message):
        """The columns were laid out again (a resize, or a group with other columns)."""

        header: Text
        """The column titles, aligned with the rows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.papers: list[DigestPaper] = []
        self.emojis: dict[str, str] = {}
        self.show_category = False
        self.show_why = False
        self.generating: set[str] = set()
        self.columns: list[tuple[str, str, int]] = []
        """(key, header, width) of each column, as last drawn."""
        self._width = 0

    def show_papers(
        self,
        papers: list[DigestPaper],
        *,
        emojis: dict[str, str],
        show_category: bool,
        generating: set[str],
        keep: str | None = None,
        show_why: bool = False,
    ) -> None:
        """Show `papers`; `keep` (a paper id) stays highlighted if it is among them.

        With `show_why` (the "For you" list), a wide list shows each paper's why line in
        place of its sources.
        """
        self.papers = papers
        self.emojis = emojis
        self.show_category = show_category
        self.show_why = show_why
        self.generating = generating
        self._fill(keep)

    @property
    def row_count(self) -> int:
        return len(self.papers)

    @property
    def selected_paper(self) -> DigestPaper | None:
        """The highlighted paper."""
        index = self.highlighted
        if index is None or not 0 <= index < len(self.papers):
            return None
        return self.papers[index]

    def select_paper(self, paper_id: str) -> bool:
        """Highlight a paper by id; False when it is not in the list."""
        for index, paper in enumerate(self.papers):
            if paper.paper.id == paper_id:
                self.highlighted = index
                return True
        return False

    def refresh_paper(self, paper_id: str) -> None:
        """Redraw one paper's row after its state changed."""
        for index, paper in enumerate(self.papers):
            if paper.paper.id == paper_id:
                self.replace_option_prompt_at_index(index, self._row(self.cells(index)))

    def header(self) -> Text:
        """The column titles, aligned with the rows."""
        return self._row(
            [
                fit(Text(label.rjust(width) if key == "upvotes" else label, style="bold"), width)
                for key, label, width in self.columns
            ]
        )

    def cells(self, index: int) -> list[Text]:
        """The cells of row `index`, each exactly its column's width."""
        return self._cells(self.papers[index])

    def on_resize(self, event: events.Resize) -> None:
        if self.size.width != self._width:
            self._fill(self.selected_paper.paper.id if self.selected_paper else None)

    def _layout(self, width: int) -> list[tuple[str, str, int]]:
        """(key, header, width) of each column for rows `width` cells wide."""
        columns = [("mark", "", 1)]
        if self.show_category:
            columns.append(("category", "", 2))
        columns.append(("title", _("Title"), 0))
        if self.show_why and width >= 60:
            columns.append(("why", _("Why"), -1))  # two fifths of what the title would have
        elif width >= 60:
            columns.append(("sources", _("Src"), 8))
        columns.append(("upvotes", "▲", 5))
        summary = _("KO")  # the Korean summary's state; Hangul headers take two cells a letter
        columns.append(("summary", summary, max(2, cell_len(summary))))
        fixed = sum(max(w, 0) for _, _, w in columns) + GAP * (len(columns) + 1)
        left = max(12, width - fixed)
        why_width = left * 2 // 5 if self.show_why and width >= 60 else 0
        title_width = max(12, left - why_width)
        sized = {0: title_width, -1: why_width}
        return [(key, label, sized.get(w, w)) for key, label, w in columns]

    def _fill(self, keep: str | None) -> None:
        self._width = self.size.width
        # The scrollbar's gutter is always reserved (app.tcss), so the width is stable.
        width = self.scrollable_content_region.width
        columns = self._layout(width if width > 0 else 80)
        if columns != self.columns:
            self.columns = columns
            self.post_message(self.ColumnsChanged(self.header()))
        self.set_options(
            Option(self._row(self._cells(paper)), id=str(index))
            for index, paper in enumerate(self.papers)
        )
        if not (keep is not None and self.select_paper(keep)) and self.papers:
            self.highlighted = 0

    def _row(self, cells: list[Text]) -> Text:
        row = Text(" " * GAP, no_wrap=True, end="")
        for cell in cells:
            row.append_text(cell)
            row.append(" " * GAP)
        return row

    def _cells(self, item: DigestPaper) -> list[Text]:
        paper = item.paper
        cells: dict[str, Text] = {}
        if item.update is not None:
            cells["mark"] = Text("↻", style="bold magenta")  # a starred paper that changed
        elif item.starred:
            cells["mark"] = Text("★", style="bold yellow")
        elif item.disliked:
            cells["mark"] = Text("⊘", style="dim red")
        elif not item.read:
            cells["mark"] = Text("•", style="bold cyan")
        else:
            cells["mark"] = Text(" ")
        cells["category"] = Text(emoji_cell(self.emojis.get(item.category or "", "")))
        cells["title"] = safe_line(paper.title, style="dim" if item.read else "")
        cells["sources"] = Text(source_badges(item), style="dim")
        why = item.update.line if item.update is not None else item.why
        cells["why"] = safe_line(why, style="magenta" if item.update is not None else "dim")
        cells["upvotes"] = Text(compact_count(paper.hf_upvotes).rjust(5), style="magenta")
        status = "generating" if paper.id in self.generating else item.summary.status
        mark, style = SUMMARY_MARKS.get(status, ("?", "yellow"))
        cells["summary"] = Text(f" {mark}", style=style)
        return [fit(cells[key], width) for key, _, width in self.columns]
