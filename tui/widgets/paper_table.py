"""The paper list: one row per paper with its state, title, sources, upvotes and summary.

Every cell is a `Text` (a `str` cell would be read as markup), and the title column gets
the width that is left, so long and Korean titles end in "…" instead of pushing the other
columns off screen.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from core.digest import DigestPaper
from tui.text import emoji_cell, fit, safe_line

SUMMARY_MARKS = {
    "ok": ("✓", "green"),
    "stale": ("~", "yellow"),
    "failed": ("✗", "bold red"),
    "pending": ("·", "dim"),
    "generating": ("…", "bold cyan"),
}


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


class PaperTable(DataTable):
    """The papers of the selected group; the highlighted row is shown in the detail pane."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.papers: list[DigestPaper] = []
        self.emojis: dict[str, str] = {}
        self.show_category = False
        self.generating: set[str] = set()
        self._width = 0

    def show_papers(
        self,
        papers: list[DigestPaper],
        *,
        emojis: dict[str, str],
        show_category: bool,
        generating: set[str],
        keep: str | None = None,
    ) -> None:
        """Show `papers`; `keep` (a paper id) stays highlighted if it is among them."""
        self.papers = papers
        self.emojis = emojis
        self.show_category = show_category
        self.generating = generating
        self._fill(keep)

    @property
    def selected_paper(self) -> DigestPaper | None:
        """The highlighted paper."""
        if not self.papers or not 0 <= self.cursor_row < len(self.papers):
            return None
        return self.papers[self.cursor_row]

    def select_paper(self, paper_id: str) -> bool:
        """Highlight a paper by id; False when it is not in the list."""
        for index, paper in enumerate(self.papers):
            if paper.paper.id == paper_id:
                self.move_cursor(row=index, animate=False, scroll=True)
                return True
        return False

    def refresh_paper(self, paper_id: str) -> None:
        """Redraw one paper's row after its state changed."""
        self._fill(self.selected_paper.paper.id if self.selected_paper else paper_id)

    def on_resize(self, event: events.Resize) -> None:
        if self.size.width != self._width:
            self._fill(self.selected_paper.paper.id if self.selected_paper else None)

    def _columns(self, width: int) -> list[tuple[str, str, int]]:
        """(key, label, width) of each column for a table `width` cells wide."""
        columns = [("mark", "", 1)]
        if self.show_category:
            columns.append(("category", "", 2))
        columns.append(("title", "Title", 0))
        if width >= 60:
            columns.append(("sources", "Src", 8))
        columns.append(("upvotes", "▲", 5))
        columns.append(("summary", "KO", 2))
        fixed = sum(w + 2 * self.cell_padding for _, _, w in columns)
        title_width = max(12, width - fixed)  # fixed includes the title's padding
        return [(key, label, w or title_width) for key, label, w in columns]

    def _fill(self, keep: str | None) -> None:
        self._width = self.size.width
        # The scrollbar's gutter is always reserved (app.tcss), so the width is stable.
        width = self.size.width - self.styles.scrollbar_size_vertical
        columns = self._columns(width if width > 0 else 80)
        self.clear(columns=True)
        for key, label, width in columns:
            self.add_column(Text(label, style="bold"), width=width, key=key)
        title_width = next(width for key, _, width in columns if key == "title")
        keys = [key for key, _, _ in columns]
        self.add_rows(
            [self._cells(paper, keys, title_width) for paper in self.papers],
        )
        if keep is not None:
            self.select_paper(keep)

    def _cells(self, item: DigestPaper, keys: list[str], title_width: int) -> list[Text]:
        paper = item.paper
        cells: dict[str, Text] = {}
        if item.starred:
            cells["mark"] = Text("★", style="bold yellow")
        elif not item.read:
            cells["mark"] = Text("•", style="bold cyan")
        else:
            cells["mark"] = Text(" ")
        cells["category"] = Text(emoji_cell(self.emojis.get(item.category or "", "")))
        cells["title"] = fit(safe_line(paper.title, style="dim" if item.read else ""), title_width)
        cells["sources"] = Text(source_badges(item), style="dim")
        upvotes = paper.hf_upvotes
        cells["upvotes"] = Text(compact_count(upvotes), style="magenta", justify="right")
        status = "generating" if paper.id in self.generating else item.summary.status
        mark, style = SUMMARY_MARKS.get(status, ("?", "yellow"))
        cells["summary"] = Text(mark, style=style, justify="center")
        return [cells[key] for key in keys]
