"""Versions and hashes that decide when a stored summary or report is still current.

A summary is stored under (paper, model, prompt version, abstract hash): changing the prompt
text must bump its version here, so every summary written with the old prompt becomes stale
and is written again on the next run.
"""

from __future__ import annotations

import hashlib

SUMMARY_PROMPT_VERSION = "paper-ko-1"
REPORT_PROMPT_VERSION = "report-ko-1"
CLASSIFY_PROMPT_VERSION = "classify-1"


def text_hash(*parts: str) -> str:
    """A short, stable hash of some text (an abstract, or the inputs of a report)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


def abstract_hash(title: str, abstract: str) -> str:
    """What a paper's summary depends on: its title and abstract."""
    return text_hash(title, abstract)
