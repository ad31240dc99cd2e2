"""Following the papers the reader starred: a new arXiv version, an announced acceptance.

The store keeps every revision a listing brings to a stored paper (a higher version, a new
comment) with the day of that listing. A paper the reader likes is flagged on that day
when the revision brought a version later than the one the reader liked, or a comment
that announces an acceptance ("Accepted at ICLR 2026") not announced before. What changed
is said in one Korean line from the revision itself (versions, venue, which sentences of
the abstract were added or dropped); a changed abstract also makes the paper's summary
out of date, so the summarize step writes it again (`core.summarize.plan_day`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.sanitize import one_line
from core.store import PaperRevision, ProfileEntry, Store

_ACCEPTED = re.compile(
    r"\b(?:accepted|to\s+appear|camera[\s-]*ready|published)"
    r"(?:\s+as\s+(?:an?\s+)?[\w-]+(?:\s+[\w-]+)?)?"  # "as a poster", "as an oral paper"
    r"(?:\s+for\s+(?:publication|presentation))?"
    r"\s+(?:at|to|in|by|for)\s+(?:the\s+)?"
    r"(?P<venue>[^.;,()\[\]\n]{2,80})",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def acceptance(comment: str | None) -> str | None:
    """The venue an arXiv comment announces an acceptance at ("ICLR 2026"), if any."""
    if not comment:
        return None
    match = _ACCEPTED.search(comment)
    if not match:
        return None
    venue = one_line(match.group("venue"), limit=60).strip(" -:")
    return venue or None


@dataclass
class FollowUpdate:
    """A starred paper that changed on one day, and what changed."""

    paper_id: str
    title: str
    day: str
    old_version: int | None = None
    new_version: int | None = None
    venue: str | None = None
    """The acceptance newly announced in the comment."""
    title_changed: bool = False
    added_sentences: int = 0
    removed_sentences: int = 0

    @property
    def new_version_out(self) -> bool:
        return (self.new_version or 0) > (self.old_version or 0)

    @property
    def abstract_changed(self) -> bool:
        return bool(self.added_sentences or self.removed_sentences)

    @property
    def badge(self) -> str:
        """A short mark for lists: "v2", "ICLR 2026 채택", "v3 · NeurIPS 2025 채택"."""
        parts = []
        if self.new_version_out:
            parts.append(f"v{self.new_version}")
        if self.venue:
            parts.append(f"{self.venue} 채택")
        return " · ".join(parts)

    @property
    def line(self) -> str:
        """What changed, in Korean: "새 버전 v1→v2 · ICLR 2026 채택 · 초록 변경(문장 2개 추가)"."""
        parts = []
        if self.new_version_out:
            old = f"v{self.old_version}→" if self.old_version else ""
            parts.append(f"새 버전 {old}v{self.new_version}")
        if self.venue:
            parts.append(f"{self.venue} 채택")
        if self.title_changed:
            parts.append("제목 변경")
        if self.abstract_changed:
            counts = []
            if self.added_sentences:
                counts.append(f"문장 {self.added_sentences}개 추가")
            if self.removed_sentences:
                counts.append(f"{self.removed_sentences}개 삭제")
            parts.append(f"초록 변경({', '.join(counts)})")
        return " · ".join(parts)


def followed_updates(
    store: Store, day: date, entries: Sequence[ProfileEntry] | None = None
) -> dict[str, FollowUpdate]:
    """The liked papers flagged on `day`, by paper id (see the module docstring)."""
    # What the reader had seen is the version and comment the paper had when they liked
    # it, not a time: a like and a listing may fall in the same second.
    listed_on = day.isoformat()  # as the store's revisions name their day
    if entries is None:
        entries = store.profile_entries()
    liked = {e.paper_id: e for e in entries if e.stance == "like" and e.paper_id}
    if not liked:
        return {}
    by_paper: dict[str, list[PaperRevision]] = {}
    for revision in store.paper_revisions(liked):
        if revision.day == listed_on:
            by_paper.setdefault(revision.paper_id, []).append(revision)
    updates = {}
    for paper_id, revisions in by_paper.items():
        update = _update(liked[paper_id], listed_on, revisions)
        if update is not None:
            updates[paper_id] = update
    return updates


def _update(entry: ProfileEntry, day: str, revisions: list[PaperRevision]) -> FollowUpdate | None:
    """The day's revisions of one liked paper taken together, if they are news to the
    reader: a version after the one they liked, an acceptance not announced before."""
    first, last = revisions[0], revisions[-1]
    venue = acceptance(last.new_comment)
    if venue is not None and venue in (acceptance(first.old_comment), acceptance(entry.comment)):
        venue = None  # announced before
    seen = max(first.old_version or 0, entry.version or 0)
    newer = (last.new_version or 0) > seen
    if not newer and venue is None:
        return None
    paper_id = entry.paper_id or entry.key
    added, removed = sentence_changes(first.old_abstract, last.new_abstract)
    return FollowUpdate(
        paper_id=paper_id,
        title=last.new_title,
        day=day,
        old_version=first.old_version,
        new_version=last.new_version,
        venue=venue,
        title_changed=first.old_title != last.new_title,
        added_sentences=added,
        removed_sentences=removed,
    )


def sentence_changes(old: str, new: str) -> tuple[int, int]:
    """(sentences added, sentences removed) between two abstracts (spacing ignored)."""
    if " ".join(old.split()) == " ".join(new.split()):
        return 0, 0
    before = [s for s in _SENTENCE.split(" ".join(old.split())) if s]
    after = [s for s in _SENTENCE.split(" ".join(new.split())) if s]
    added = removed = 0
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


__all__ = ["FollowUpdate", "acceptance", "followed_updates", "sentence_changes"]
