"""Canonical paper ids: one id per paper whichever source listed it.

A paper with an arXiv id is known by that id without its version (`2411.09009`,
old-style `astro-ph/0601001`); anything else by a stable hash of its normalised link.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

# New-style ids since 2007 (YYMM.NNNN or YYMM.NNNNN) and old-style archive/YYMMNNN ids,
# each with an optional version.
_NEW_STYLE = r"\d{4}\.\d{4,5}"
_OLD_STYLE = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID_WITH_VERSION = re.compile(rf"(?<![\w.])({_NEW_STYLE}|{_OLD_STYLE})(?:v(\d+))?(?![\w])")

# Where an arXiv id may sit inside a URL or a guid.
_ARXIV_URL = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|oai:arXiv\.org:|huggingface\.co/papers/|hf\.co/papers/|"
    rf"arxiv:)({_NEW_STYLE}|{_OLD_STYLE})(?:v(\d+))?",
    re.IGNORECASE,
)
_BARE_ID = re.compile(rf"^\s*(?:arXiv:)?({_NEW_STYLE}|{_OLD_STYLE})(?:v(\d+))?\s*$", re.IGNORECASE)


def parse_arxiv_id(text: str | None) -> tuple[str, int | None] | None:
    """(version-less id, version) for an arXiv id, abs/pdf URL, HF paper URL or OAI guid."""
    if not text:
        return None
    match = _BARE_ID.match(text) or _ARXIV_URL.search(text)
    if not match:
        return None
    version = int(match.group(2)) if match.group(2) else None
    return match.group(1), version


def find_arxiv_id(*candidates: str | None) -> tuple[str, int | None] | None:
    """The first arXiv id found among guid, link and similar fields, in order."""
    for candidate in candidates:
        found = parse_arxiv_id(candidate)
        if found:
            return found
    return None


_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")


def safe_slug(text: str | None) -> str | None:
    """`text` when it is a plain id that is safe inside a URL path or a file name, else None.

    Letters, digits, `.`, `_` and `-` only, starting and ending with a letter or digit, no
    `..`: an id from a source can never climb a path (`../../etc/passwd`) or add a query.
    """
    if not text or not _SLUG.match(text) or ".." in text:
        return None
    return text


def normalise_url(url: str) -> str:
    """The form of a link used for hashing: scheme and host lower-cased, no fragment."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"  # the same page served over both must be one paper
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, parts.netloc.lower(), path, parts.query, ""))


def link_id(url: str) -> str:
    """A stable id for a paper known only by its link."""
    digest = hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()
    return f"url:{digest[:16]}"


def canonical_id(arxiv_id: str | None, link: str | None, fallback: str | None = None) -> str:
    """The id a paper is stored under: its arXiv id if known, else a hash of its link."""
    if arxiv_id:
        return arxiv_id
    if link:
        return link_id(link)
    if fallback:
        return link_id(fallback)
    raise ValueError("a paper needs an arXiv id, a link or a guid to be identified")


def abs_url(arxiv_id: str) -> str:
    """The arXiv abstract page of a paper."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    """The arXiv PDF of a paper."""
    return f"https://arxiv.org/pdf/{arxiv_id}"
