"""The detail pane: one paper's Korean summary (or its state), abstract, authors and links."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.channels.wording import interface_text
from core.config import Config
from core.digest import DigestPaper
from core.i18n import _
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
    if item.update is not None:
        text.append_text(Text("↻ ", style="bold magenta"))
        text.append_text(safe_line(item.update.line, style="bold magenta"))
        text.append("\n")
    # The Korean summary comes first: it is what the reader opens a paper for, and on a
    # small terminal (80×24) it is then on screen without scrolling.
    text.append_text(_summary(item, config, streaming, keys))
    text.append("\n\n")
    text.append_text(_meta(item))
    text.append("\n")
    text.append_text(_classification(item, config, keys))
    if item.why:
        text.append("\n")
        text.append(_("Why it is here") + "  ", style="dim")
        text.append_text(safe_line(item.why))
    if item.rank_reason and not item.selected:
        text.append("\n")
        text.append(_("Not in the digest") + "  ", style="dim")
        text.append_text(safe(item.rank_reason, style="dim"))
    text.append("\n\n")
    text.append(_("Abstract") + "\n", style="bold underline")
    if paper.abstract:
        text.append_text(safe(paper.abstract))
    else:
        text.append(_("The source gave no abstract."), style="dim")
    if paper.authors:
        text.append("\n\n")
        text.append(_("Authors") + "  ", style="bold")
        shown = ", ".join(paper.authors[:MAX_AUTHORS])
        text.append_text(safe(shown))
        if len(paper.authors) > MAX_AUTHORS:
            more = len(paper.authors) - MAX_AUTHORS
            text.append(" " + _("and {count} more").format(count=more), style="dim")
    if paper.ai_keywords:
        text.append("\n")
        text.append(_("Keywords") + "  ", style="bold")
        text.append_text(safe(", ".join(paper.ai_keywords[:12]), style="dim"))
    links = paper.labelled_links()
    if links:
        text.append("\n\n")
        text.append(_("Links") + "\n", style="bold underline")
        for name, url in links:
            text.append(f"{name:<13}", style="dim")
            text.append_text(safe_line(url, style="underline"))
            text.append("\n")
    return text


def _meta(item: DigestPaper) -> Text:
    paper = item.paper
    parts: list[Text] = []
    if item.starred:
        parts.append(Text("★ " + _("starred"), style="bold yellow"))
    if item.disliked:
        parts.append(Text("⊘ " + _("not interested"), style="red"))
    parts.append(
        Text(_("read"), style="dim") if item.read else Text(_("unread"), style="bold cyan")
    )
    if paper.hf_upvotes is not None:
        upvotes = _("{count} upvotes").format(count=paper.hf_upvotes)
        parts.append(Text(f"▲ {upvotes}", style="magenta"))
    if paper.arxiv_id:
        version = f"v{paper.version}" if paper.version else ""
        parts.append(safe_line(f"arXiv {paper.arxiv_id}{version}"))
    categories = paper.categories or ([paper.primary_category] if paper.primary_category else [])
    if categories:
        parts.append(safe_line(" ".join(categories[:6]), style="dim"))
    if item.entry.sources:
        sources = _("from {sources}").format(sources=", ".join(item.entry.sources))
        parts.append(safe_line(sources, style="dim"))
    return Text(" · ", style="dim").join(parts)


def _classification(item: DigestPaper, config: Config, keys: Mapping[str, str]) -> Text:
    text = Text()
    classification = item.classification
    if classification is None:
        text.append(_("No category yet"), style="dim")
        text.append(
            " — " + _("press {key} to choose one").format(key=keys["set_category"]), style="dim"
        )
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
    method = {"llm": _("by the model"), "rules": _("by rules"), "user": _("set by you")}.get(
        classification.method, classification.method
    )
    confidence = _("confidence {percent}").format(percent=f"{classification.confidence:.0%}")
    details = f"{confidence} · {method}"
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
    text.append(_("Korean summary"), style="bold underline")
    summary = item.summary
    if streaming is not None:
        text.append(
            "  " + _("generating with {model}…").format(model=config.llm.model) + "\n",
            style="bold cyan",
        )
        text.append_text(safe(streaming))
        text.append("▍", style="bold cyan")
        return text
    if summary.status == "ok":
        text.append("\n")
        text.append_text(safe(summary.text))
    elif summary.status == "stale":
        text.append(
            "  " + _("out of date — press {key} to write it again").format(key=again) + "\n",
            style="yellow",
        )
        text.append_text(safe(summary.text))
    elif summary.status == "failed":
        text.append("  " + _("failed") + "\n", style="bold red")
        text.append_text(
            safe(interface_text(summary.reason) or _("no reason recorded"), style="red")
        )
        text.append(
            "\n"
            + _("The English abstract below is the original; press {key} to try again.").format(
                key=again
            ),
            style="dim",
        )
    else:
        text.append("  " + _("not written yet") + "\n", style="dim")
        text.append(
            _(
                "Press {key} to summarize this paper now, or {run} to run the day's pipeline."
            ).format(key=again, run=keys["run_pipeline"]),
            style="dim",
        )
    if summary.flags and summary.status in ("ok", "stale"):
        text.append("\n")
        text.append_text(safe_line("⚠ " + "; ".join(summary.flags), style="yellow"))
    return text
