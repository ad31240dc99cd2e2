"""The header: the day shown, how the last run went per source, and whether Ollama answers."""

from __future__ import annotations

from datetime import date

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from core.i18n import _, weekday
from core.store import Run
from tui.text import fit, safe_line

STATUS_MARKS = {
    "ok": ("✓", "green"),
    "empty": ("∅", "yellow"),
    "unchanged": ("=", "cyan"),
    "failed": ("✗", "bold red"),
}


class DayHeader(Widget):
    """One line at the top: the day on the left, run and model status on the right."""

    DEFAULT_CSS = """
    DayHeader { height: 1; dock: top; }
    """

    day: reactive[date | None] = reactive(None)
    """The day shown (None: no papers stored yet)."""
    position: reactive[tuple[int, int]] = reactive((0, 0))
    """Which stored day this is (1 = the newest) and how many days are stored."""
    counts: reactive[tuple[int, int]] = reactive((0, 0))
    """Papers in the day's digest, and papers listed that day."""
    run: reactive[Run | None] = reactive(None)
    """The day's last recorded run, with a step per source."""
    ollama: reactive[tuple[bool, str, float | None] | None] = reactive(None)
    """Ollama's reachability, its detail and tokens per second (None: being checked)."""

    def render(self) -> Text:
        width = self.size.width
        for compact_left, compact_right in ((False, False), (True, False), (True, True)):
            left, right = self._left(compact_left), self._right(compact_right)
            if cell_len(left.plain) + cell_len(right.plain) + 1 <= width:
                break
        gap = max(1, width - cell_len(left.plain) - cell_len(right.plain))
        line = left + Text(" " * gap) + right
        return fit(line, width)

    def _left(self, compact: bool) -> Text:
        text = Text(" Daily AI Insights" if not compact else " ", style="bold")
        if self.day is None:
            return text + Text(
                "  " + _("no papers stored yet") if not compact else _("no papers yet")
            )
        text.append("  " if not compact else "")
        text.append(
            f"{self.day.isoformat()} {weekday(self.day)}",
            style=f"bold {self.app.current_theme.accent or 'cyan'}",
        )
        index, total = self.position
        digest, listed = self.counts
        if index:
            position = _("day {index} of {total}").format(index=index, total=total)
            text.append(f"  {position}" if not compact else f" {index}/{total}")
        if compact:
            text.append(f"  {digest}/{listed}")
        else:
            counts = _("{digest} in digest · {listed} listed").format(digest=digest, listed=listed)
            text.append(f"  {counts}", style="dim")
        return text

    def _right(self, compact: bool) -> Text:
        text = Text()
        run = self.run
        sources = [step for step in run.steps if step.step == "fetch"] if run else []
        if not sources:
            text.append(_("no run recorded") if not compact else _("no run"), style="dim")
        elif compact:
            ok = sum(1 for step in sources if step.status != "failed")
            mark, style = ("✓", "green") if ok == len(sources) else ("✗", "bold red")
            text.append(_("sources {ok}/{total}").format(ok=ok, total=len(sources)) + " ")
            text.append(mark, style=style)
        else:
            for step in sources:
                mark, style = STATUS_MARKS.get(step.status, ("?", "yellow"))
                text.append_text(safe_line(step.target[:18]))
                text.append(f" {mark} ", style=style)
        text.append(" │ ", style="dim")
        text.append("Ollama ")
        if self.ollama is None:
            text.append("…", style="dim")
        else:
            ok, _detail, speed = self.ollama
            if ok:
                text.append("✓", style="green")
                if speed and not compact:
                    text.append(f" {speed:.0f} tok/s", style="dim")
            else:
                text.append("✗", style="bold red")
        text.append(" ")
        return text
