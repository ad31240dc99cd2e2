"""The kinds of paper sources, found by themselves: bytes in, papers (with their days) out.

Each module of this package that defines `KIND` (an instance of `core.sources.base.Kind`)
is a kind, registered under its name; adding a kind is adding such a module, and nothing
else. `detect_kind` tells the kinds apart from the content alone, for sources configured as
`auto`; `parse_source` reads a body with a kind's parser. A response whose items none could
be read is an error naming the format, never an empty day.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from datetime import date

from core.errors import SourceError
from core.i18n import _
from core.models import SourceKind
from core.sources.base import Kind, Sniffed
from core.sources.common import ParsedSource

AUTO = "auto"
"""The `kind` of a source whose kind is detected from its content."""


@functools.cache
def kinds() -> dict[str, Kind]:
    """Every kind by name: the `KIND` of each module of this package."""
    found: dict[str, Kind] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        kind = getattr(module, "KIND", None)
        if kind is None:
            continue  # a helper module (base, common)
        if not isinstance(kind, Kind):
            raise TypeError(f"{module.__name__}.KIND must be an instance of a Kind subclass")
        if kind.name in found or kind.name == AUTO:
            raise TypeError(f"{module.__name__}: the kind name {kind.name!r} is already taken")
        found[kind.name] = kind
    return found


def kind_names() -> list[str]:
    """The names of every kind, sorted (the values `kind` and `--kind` accept, with auto)."""
    return sorted(kinds())


def kind_of(name: str) -> Kind:
    """The kind called `name` (one of `kind_names()`)."""
    try:
        return kinds()[name]
    except KeyError:
        known = ", ".join([AUTO, *kind_names()])
        raise SourceError(
            _("source kind {name!r} is not known — use one of {known}").format(
                name=name, known=known
            )
        ) from None


def detect_kind(body: bytes, content_type: str, label: str) -> SourceKind:
    """The kind of a source from its content (and its declared content type): the kind
    whose `detect` is surest, or a SourceError saying what the content is instead."""
    sniffed = Sniffed.of(body, content_type, label)
    # Equal scores go to the later name, so detection never depends on discovery order.
    scored = [(kind.detect(sniffed), name) for name, kind in kinds().items()]
    score, name = max(scored, default=(0, ""))
    if score > 0:
        return SourceKind(name)
    if sniffed.is_json:
        readers = [k.format_name for k in kinds().values() if k.body_format == "json"]
        raise SourceError(
            _("{label}: JSON that is not a {value} — set the source's kind").format(
                label=label, value=" or ".join(readers) or "format any kind reads"
            )
        )
    if sniffed.is_html_page:
        raise SourceError(
            _(
                "{label}: got an HTML page, not a feed — the URL may point at a web page; use the"
                " feed's own URL"
            ).format(label=label)
        )
    if not body.strip():
        raise SourceError(
            _("{label}: the response is empty — the source sent no content").format(label=label)
        )
    raise SourceError(
        _(
            "{label}: neither a feed nor Daily Papers JSON (content type {value}) — check the URL"
        ).format(label=label, value=content_type or "unknown")
    )


_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
# Item elements in any XML feed format (RSS <item>, Atom <entry>, with or without a prefix),
# counted apart from the parsers so a format a parser does not understand cannot look empty.
_XML_ITEM = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")


def parse_source(kind: str, body: bytes, *, day: date, label: str, source: str) -> ParsedSource:
    """Papers from one response body of the given kind; `day` is the day asked for."""
    reader = kind_of(kind)
    xml = reader.body_format == "xml"
    if xml and _ENTITY_DECLARATION.search(body[:65536]):
        # Feeds never need their own entities; declaring them is how entity-expansion
        # ("billion laughs") and external-entity attacks start.
        raise SourceError(
            _(
                "{label}: the feed declares its own XML entities (<!ENTITY …>), which feeds never"
                " need and which can exhaust memory — refused; check the URL is the feed you "
                "meant"
            ).format(label=label)
        )
    parsed = reader.parse(body, day=day, label=label, source=source)
    if not parsed.listed:
        items = parsed.entries
        if xml:
            items = max(items, len(_XML_ITEM.findall(body)))
        if items:
            name = parsed.format or reader.format_name
            raise SourceError(
                _(
                    "{label}: read none of the {items} items of this {name} — the format is not one "
                    "the {name2} parser reads; try another --kind (e.g. feed), or report it"
                ).format(label=label, items=items, name=name, name2=reader.name)
            )
    return parsed


__all__ = [
    "AUTO",
    "Kind",
    "ParsedSource",
    "detect_kind",
    "kind_names",
    "kind_of",
    "kinds",
    "parse_source",
]
