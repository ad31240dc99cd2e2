"""The detail pane: one paper's Korean summary (or its state), abstract, authors and links."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.config import Config
from core.digest import DigestPaper
from tui.model import category_color
from tui.text import emoji_cell, safe, safe_line

MAX_AUTHORS = 12
DEFAULT_KEYS = {"resummarize": "z", "set_category": "c", "run_pipeline": "R"}


class PaperDetail(VerticalScroll, can_focus=True):
    """Everything about the highlighted paper, scrollable."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.paper: DigestPaper | None = None
        self._state: tuple[object, ...] | None = None

    def compose(self):
        yield Static(id="detail-body")

    def show(
        self,
        item: DigestPaper | None,
        config: Config,
        *,
        streaming: str | None = None,
        empty: str = "",
        keys: Mapping[str, str] | None = None,
    ) -> None:
        """Show `item`; `streaming` is the summary being generated right now, if any."""
        changed = self.paper is None or item is None or self.paper.paper.id != item.paper.id
        state = (
            id(item),
            item and (item.starred, item.disliked, item.read, item.summary.status, item.category),
            streaming,
            empty,
        )
        if state == self._state:
            return  # the same paper in the same state: nothing to draw again
        self._state = state
        self.paper = item
        body = self.query_one("#detail-body", Static)
        if item is None:
            body.update(Text(empty, style="dim"))
        else:
            body.update(describe(item, config, streaming, keys))
        if changed:
            self.scroll_home(animate=False)


def describe(
    item: DigestPaper,
    config: Config,
    streaming: str | None = None,
    keys: Mapping[str, str] | None = None,
) -> Text:
    """The detail text of one paper; everything from the feed or the model is literal.

    Args:
        item: The paper as the day's digest has it.
        config: For the taxonomy's emoji and colours and the model's name.
        streaming: The summary being generated right now, if any.
        keys: The key of each binding id mentioned in hints (after the user's keymap).
    """
    keys = {**DEFAULT_KEYS, **(keys or {})}
    paper = item.paper
    text = Text()
    text.append_text(safe(paper.title, style="bold"))
    text.append("\n")
    text.append_text(_meta(item))
    text.append("\n")
    text.append_text(_classification(item, config, keys))
    text.append("\n\n")
    if item.update is not None:
        text.append_text(Text("↻ ", style="bold magenta"))
        text.append_text(safe_line(item.update.line, style="bold magenta"))
        text.append("\n")
    text.append_text(_summary(item, config, streaming, keys))
    if item.why:
        text.append("\n")
        text.append("Why it is here  ", style="dim")
        text.append_text(safe_line(item.why))
    if item.rank_reason and not item.selected:
        text.append("\n")
        text.append("Not in the digest  ", style="dim")
        text.append_text(safe(item.rank_reason, style="dim"))
    text.append("\n\n")
    text.append("Abstract\n", style="bold underline")
    if paper.abstract:
        text.append_text(safe(paper.abstract))
    else:
        text.append("The source gave no abstract.", style="dim")
    if paper.authors:
        text.append("\n\n")
        text.append("Authors  ", style="bold")
        shown = ", ".join(paper.authors[:MAX_AUTHORS])
        text.append_text(safe(shown))
        if len(paper.authors) > MAX_AUTHORS:
            text.append(f" and {len(paper.authors) - MAX_AUTHORS} more", style="dim")
    if paper.ai_keywords:
        text.append("\n")
        text.append("Keywords  ", style="bold")
        text.append_text(safe(", ".join(paper.ai_keywords[:12]), style="dim"))
    links = paper.labelled_links()
    if links:
        text.append("\n\n")
        text.append("Links\n", style="bold underline")
        for name, url in links:
            text.append(f"{name:<13}", style="dim")
            text.append_text(safe_line(url, style="underline"))
            text.append("\n")
    return text


def _meta(item: DigestPaper) -> Text:
    paper = item.paper
    parts: list[Text] = []
    if item.starred:
        parts.append(Text("★ starred", style="bold yellow"))
    if item.disliked:
        parts.append(Text("⊘ not interested", style="red"))
    parts.append(Text("read", style="dim") if item.read else Text("unread", style="bold cyan"))
    if paper.hf_upvotes is not None:
        parts.append(Text(f"▲ {paper.hf_upvotes} upvotes", style="magenta"))
    if paper.arxiv_id:
        version = f"v{paper.version}" if paper.version else ""
        parts.append(safe_line(f"arXiv {paper.arxiv_id}{version}"))
    categories = paper.categories or ([paper.primary_category] if paper.primary_category else [])
    if categories:
        parts.append(safe_line(" ".join(categories[:6]), style="dim"))
    if item.entry.sources:
        parts.append(safe_line("from " + ", ".join(item.entry.sources), style="dim"))
    return Text(" · ", style="dim").join(parts)


def _classification(item: DigestPaper, config: Config, keys: Mapping[str, str]) -> Text:
    text = Text()
    classification = item.classification
    if classification is None:
        text.append("No category yet", style="dim")
        text.append(f" — press {keys['set_category']} to choose one", style="dim")
        return text
    emoji = next(
        (c.emoji for c in config.taxonomy.categories if c.name == classification.category), ""
    )
    if emoji:
        text.append(emoji_cell(emoji) + " ")
    text.append_text(
        safe_line(
            classification.category, style=f"bold {category_color(config, classification.category)}"
        )
    )
    method = {"llm": "by the model", "rules": "by rules", "user": "set by you"}.get(
        classification.method, classification.method
    )
    details = f"confidence {classification.confidence:.0%} · {method}"
    if classification.method == "llm" and classification.model:
        details += f" ({classification.model})"
    text.append("  ")
    text.append_text(safe_line(details, style="dim"))
    return text


def _summary(
    item: DigestPaper, config: Config, streaming: str | None, keys: Mapping[str, str]
) -> Text:
    again = keys["resummarize"]
    text = Text()
    text.append("한국어 요약", style="bold underline")
    summary = item.summary
    if streaming is not None:
        text.append(f"  generating with {config.llm.model}…\n", style="bold cyan")
        text.append_text(safe(streaming))
        text.append("▍", style="bold cyan")
        return text
    if summary.status == "ok":
        text.append("\n")
        text.append_text(safe(summary.text))
    elif summary.status == "stale":
        text.append(f"  out of date — press {again} to write it again\n", style="yellow")
        text.append_text(safe(summary.text))
    elif summary.status == "failed":
        text.append("  failed\n", style="bold red")
        text.append_text(safe(summary.reason or "no reason recorded", style="red"))
        text.append(
            f"\nThe English abstract below is the original; press {again} to try again.",
            style="dim",
        )
    else:
        text.append("  not written yet\n", style="dim")
        text.append(
            f"Press {again} to summarize this paper now, or {keys['run_pipeline']} to run the "
            "day's pipeline.",
            style="dim",
        )
    if summary.flags and summary.status in ("ok", "stale"):
        text.append("\n")
        text.append_text(safe_line("⚠ " + "; ".join(summary.flags), style="yellow"))
    return text
