"""What a kind of paper source declares: everything the app knows about it, in one place.

A kind is one module of `core/sources/` holding a subclass of `Kind` and one instance of it
named `KIND`; the registry (`core.sources`) finds the module by itself. The methods here
behave as a plain feed does, so a kind overrides only what differs: how to recognise its
content, how to read it, how to page through it, why a day of it can be empty, what
`dailyai doctor` fetches to probe it, and the keys a `[[sources]]` table of it may hold.

Kinds do no I/O and import only the bottom of the app (`core.models`, `core.errors`,
`core.ids`, `core.sanitize`), because the config checks each source against its kind: bytes
and settings come in, papers, URLs and messages go out.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

from core.errors import SourceError
from core.i18n import _
from core.models import SourceKind
from core.sources.common import WEEKDAYS, ParsedSource

GENERIC = 1
"""A `detect` score: the kind reads any document of its format (any RSS or Atom feed)."""
SPECIFIC = 10
"""A `detect` score: the content carries the service's own marks (its host, its fields)."""


@dataclass(frozen=True)
class Sniffed:
    """A response body as every kind's `detect` sees it, looked at once for all of them."""

    body: bytes
    head: bytes
    """The first 4 KiB, leading blanks removed, lower-cased."""
    content_type: str
    is_json: bool
    json: Any
    """The parsed body when it is JSON (None otherwise)."""
    is_html_page: bool
    """A web page rather than a feed (HTML with no feed element)."""
    is_xml: bool
    """An XML document that is not a web page: an RSS, RDF or Atom feed, or an API's answer."""

    @classmethod
    def of(cls, body: bytes, content_type: str, label: str) -> Sniffed:
        """Look at a body; JSON that does not parse is refused here, for every kind at once."""
        head = body[:4096].lstrip()
        lowered = head.lower()
        is_json = head.startswith((b"[", b"{"))
        data = None
        if is_json:
            try:
                data = json.loads(body)
            except ValueError as error:
                raise SourceError(
                    _("{label}: looks like JSON but is not valid ({error})").format(
                        label=label, error=error
                    )
                ) from None
        has_feed = b"<rss" in lowered or b"<feed" in lowered
        is_html_page = (
            not is_json
            and not has_feed
            and (
                lowered.startswith((b"<!doctype html", b"<html"))
                or "text/html" in content_type.lower()
            )
        )
        is_xml = (
            not is_json
            and not is_html_page
            and (has_feed or b"<rdf" in lowered or b"<?xml" in lowered)
        )
        return cls(body, lowered, content_type, is_json, data, is_html_page, is_xml)


@dataclass(frozen=True)
class Paging:
    """How far a paged source is read: `page_size` items a page, at most `max_pages` pages."""

    page_size: int
    max_pages: int


@dataclass
class NoOptions:
    """The keys of a kind that has none besides every source's name, url, kind and enabled."""


class Kind(ABC):
    """One kind of paper source. Subclass it in a module of `core/sources/`, set `name`, and
    create the instance `KIND = YourKind()` there; override what differs from a plain feed."""

    name: ClassVar[str]
    """The kind's name: the `kind` value in config.toml and `--kind` (e.g. "hf-daily")."""
    format_name: ClassVar[str] = "feed"
    """What its responses are called in messages ("Hugging Face Daily Papers list")."""
    body_format: ClassVar[Literal["xml", "json"]] = "xml"
    """XML bodies are refused when they declare entities, and their items are counted apart
    from the parser so a format it does not read never looks like an empty day."""
    text_rank: ClassVar[int] = 0
    """Whose title, abstract and authors win when two sources describe the same paper
    version: the higher rank (arXiv's own metadata over copies of it, over any other feed)."""
    parser_version: ClassVar[int] = 1
    """Bump it when the same bytes would be read differently, so cached bodies are parsed
    again instead of being skipped as unchanged."""
    Options: ClassVar[type[Any]] = NoOptions
    """A dataclass whose fields are the keys a `[[sources]]` table of this kind may hold
    besides name, url, kind and enabled; the config checks them (types, typos, lines)."""
    url_hint: ClassVar[str] = ""
    """When `url` can build a URL from the kind's keys, what to tell a user who gave none
    ("an arxiv-rss source may give categories instead")."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            cls.name = SourceKind(cls.name)

    def detect(self, sniffed: Sniffed) -> int:
        """How surely a body is of this kind: 0 not at all, GENERIC for any document of the
        format, SPECIFIC (or more) for the service's own marks. The highest score wins; a kind
        that answers 0 to everything is only used when configured by name."""
        return 0

    @abstractmethod
    def parse(self, body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
        """The papers of one response body, each listed on its day (`day` is the day asked
        for); a body that is not of this kind is a SourceError naming `label`."""

    def url(self, url: str, options: Any) -> str:
        """The URL to fetch for a configured source: its `url`, or one built from `options`
        (an instance of `Options`); "" when neither gives one."""
        return url

    def page_urls(self, url: str, day: date, paging: Paging) -> list[str]:
        """The URLs to fetch for `day`, in order; fetching stops early at `is_last_page`."""
        return [url]

    def is_last_page(self, body: bytes, paging: Paging) -> bool:
        """Whether no page follows the one with this body."""
        return True

    def probe_url(self, url: str) -> str:
        """The URL `dailyai doctor` fetches to check that the source answers and is readable
        (the smallest answer that still holds a paper)."""
        return url

    def empty_reason(
        self, day: date, skip_days: list[str] | None = None, today: date | None = None
    ) -> str:
        """One line saying why the source listed nothing for `day` (`today` is the current
        day; `skip_days` the weekdays the feed says it is not updated on)."""
        weekday = WEEKDAYS[day.weekday()]
        if skip_days and weekday in skip_days:
            return f"the feed says it is not updated on {weekday}s"
        return "the feed has no entries for this day"

    def day_warnings(self, parsed: ParsedSource, day: date) -> list[str]:
        """Warnings about a whole response read for `day` (a feed of another day, say)."""
        return []


__all__ = ["GENERIC", "SPECIFIC", "Kind", "NoOptions", "Paging", "Sniffed"]
