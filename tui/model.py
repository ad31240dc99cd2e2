"""The day as the TUI shows it: the digest cut into the groups of the category panel.

`build_digest` (core.digest) decides what is in the day's digest and in which category; this
module only arranges it for the screen: the day ranked for the reader ("For you", when they
have an interest profile), one group for the whole digest, one per category in taxonomy
order, the selected papers that have no category yet, and the rest of the day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.config import Config
from core.digest import Digest, DigestPaper, ReportState
from core.i18n import _
from tui.text import CATEGORY_COLORS, OTHER_COLOR

FOR_YOU = "for_you"
ALL = "all"
UNCLASSIFIED = "unclassified"
OTHERS = "others"


@dataclass
class Group:
    """One row of the category panel: a set of the day's papers."""

    key: str
    """The category's name, or FOR_YOU, ALL, UNCLASSIFIED or OTHERS."""
    emoji: str
    label: str
    papers: list[DigestPaper]
    color: str
    report: ReportState | None = None
    """The category's synthesis report (category groups only)."""

    @property
    def is_category(self) -> bool:
        return self.key not in (FOR_YOU, ALL, UNCLASSIFIED, OTHERS)

    @property
    def charted(self) -> bool:
        """Whether the group is part of the day's category distribution."""
        return self.is_category or self.key == UNCLASSIFIED


@dataclass
class Filters:
    """Which papers of a group the list shows."""

    unread_only: bool = False
    starred_only: bool = False

    def apply(self, papers: Iterable[DigestPaper]) -> list[DigestPaper]:
        return [
            paper
            for paper in papers
            if (not self.unread_only or not paper.read) and (not self.starred_only or paper.starred)
        ]

    def describe(self) -> str:
        """The active filters in words ("unread, starred"), or "" when none."""
        return ", ".join(
            name
            for name, active in ((_("unread"), self.unread_only), (_("starred"), self.starred_only))
            if active
        )


def category_color(config: Config, name: str | None) -> str:
    """The colour of a category, by its place in the taxonomy."""
    for index, category in enumerate(config.taxonomy.categories):
        if category.name == name:
            return CATEGORY_COLORS[index % len(CATEGORY_COLORS)]
    return OTHER_COLOR


def day_groups(digest: Digest, config: Config) -> list[Group]:
    """The category panel's rows for one day's digest."""
    groups: list[Group] = []
    if digest.ranking.personal or digest.followed:
        # Papers that changed come first: the reader follows them.
        followed = [p for p in (*digest.selected, *digest.others) if p.update is not None]
        ranked = [p for p in digest.for_you if p.update is None]
        groups.append(Group(FOR_YOU, "✨", _("For you"), [*followed, *ranked], OTHER_COLOR))
    if digest.selected:
        groups.append(Group(ALL, "📋", _("Whole digest"), list(digest.selected), OTHER_COLOR))
    for section in digest.sections:
        groups.append(
            Group(
                section.category.name,
                section.category.emoji,
                section.category.name,
                list(section.papers),
                category_color(config, section.category.name),
                section.report,
            )
        )
    if digest.unclassified:
        groups.append(
            Group(
                UNCLASSIFIED, "❔", _("Not classified yet"), list(digest.unclassified), OTHER_COLOR
            )
        )
    if digest.others:
        groups.append(Group(OTHERS, "🗂", _("Rest of the day"), list(digest.others), OTHER_COLOR))
    return groups
