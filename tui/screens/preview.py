"""The day's email (plain text and HTML) and RSS item, exactly as they would go out."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Footer, Label, TabbedContent, TabPane, TextArea

from core.config import Config
from core.digest import Digest
from core.errors import DailyAIError
from core.i18n import _, ngettext
from core.sanitize import clean_text
from core.services import Services
from tui import bindings
from tui.messages import PreviewRendered
from tui.screens.base import AppScreen

PREVIEW_CHARS = 1_000_000


def rss_item(digest: Digest, config: Config) -> str:
    """The day's item of the main RSS feed, as the feed file would carry it."""
    from core.channels.feeds import FeedDay, build_main_feed, feed_files

    feed = build_main_feed([FeedDay.of(digest)], config, feed_files(config.output_dir, config))
    xml = feed.rss_str(pretty=True).decode("utf-8")
    start, end = xml.find("<item>"), xml.rfind("</item>")
    return xml[start : end + len("</item>")] if start >= 0 and end >= 0 else xml


class PreviewScreen(AppScreen[None]):
    """Read-only views of what publishing would produce for the day shown."""

    BINDINGS = bindings.PREVIEW

    def __init__(self, services: Services, digest: Digest) -> None:
        super().__init__()
        self.services = services
        self.digest = digest

    def compose(self) -> ComposeResult:
        yield Label(
            Text(" " + _("Preview of {day}: rendering…").format(day=self.digest.day), style="bold"),
            id="preview-title",
        )
        with TabbedContent(id="preview-tabs"):
            with TabPane(_("Email · text"), id="tab-text"):
                yield TextArea(id="preview-text", read_only=True, soft_wrap=True)
            with TabPane(_("Email · HTML"), id="tab-html"):
                yield TextArea(id="preview-html", read_only=True, soft_wrap=True)
            with TabPane(_("RSS item"), id="tab-rss"):
                yield TextArea(id="preview-rss", read_only=True, soft_wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self._render_preview()

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _render_preview(self) -> None:
        """Render the email and the RSS item in a thread (templates, a chart, the store)."""
        config = self.services.config
        notes: list[str] = []
        text = html = rss = ""
        from core.channels.mail import render_preview

        try:
            text, html = render_preview(self.digest, config)
        except DailyAIError as error:
            notes.append(str(error))
            text = html = str(error)
        try:
            rss = rss_item(self.digest, config)
        except DailyAIError as error:
            notes.append(str(error))
            rss = str(error)
        self.post_message(PreviewRendered(self.digest.day, text, html, rss, notes))

    def on_preview_rendered(self, message: PreviewRendered) -> None:
        # TextArea shows text literally; control characters are still removed first.
        self.query_one("#preview-text", TextArea).load_text(
            clean_text(message.text, limit=PREVIEW_CHARS)
        )
        self.query_one("#preview-html", TextArea).load_text(
            clean_text(message.html, limit=PREVIEW_CHARS)
        )
        self.query_one("#preview-rss", TextArea).load_text(
            clean_text(message.rss, limit=PREVIEW_CHARS)
        )
        title = Text(" " + _("Preview of {day}").format(day=message.day), style="bold")
        if message.notes:
            missing = ngettext(
                "{count} part not available", "{count} parts not available", len(message.notes)
            ).format(count=len(message.notes))
            title.append(f"  ·  {missing}", style="yellow")
        else:
            title.append("  ·  " + _("what the email and the feed would carry today"), style="dim")
        self.query_one("#preview-title", Label).update(title)

    def action_send_test_email(self) -> None:
        self.app.confirm_send_email(self.digest.day)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss(None)
