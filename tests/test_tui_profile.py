"""Pilot tests of "For you" in the TUI: star and "not interested" on any paper, the day
ranked for the reader with its why lines, the profile screen, followed papers."""

from __future__ import annotations

from core.models import Listed, Paper
from core.store import ProfileEntry
from tests.test_tui import (
    DAY,
    HOSTILE_TITLE,
    OLDER_DAY,
    make_app,
    settle,
)
from tests.test_tui import services as services  # the fixture
from tui.model import ALL, FOR_YOU
from tui.screens.profile import ProfileScreen
from tui.screens.search import SearchScreen
from tui.widgets.category_list import CategoryList
from tui.widgets.paper_detail import PaperDetail, describe
from tui.widgets.paper_table import PaperTable


def group_keys(app) -> list[str]:
    return [group.key for group in app.screen.groups]


async def test_not_interested_is_saved_undone_and_replaces_a_star(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        table = app.screen.query_one(PaperTable)
        paper_id = table.papers[0].paper.id
        await pilot.press("x")
        await settle(pilot)
        assert services.store.profile_stances([paper_id]) == {paper_id: "dislike"}
        row = next(i for i, p in enumerate(table.papers) if p.paper.id == paper_id)
        assert table.cells(row)[0].plain == "⊘"
        assert (
            "not interested"
            in app.screen.query_one(PaperDetail).query_one("#detail-body").render().plain
        )

        await pilot.press("x")  # undo
        await settle(pilot)
        assert services.store.profile_stances([paper_id]) == {}

        await pilot.press("s", "x")  # a star, then not interested after all
        await settle(pilot)
        assert services.store.profile_stances([paper_id]) == {paper_id: "dislike"}
        assert not services.store.reader_states([paper_id]).get(paper_id, None) or not (
            services.store.reader_states([paper_id])[paper_id].starred
        )


async def test_a_star_brings_for_you_ranked_with_why_lines(services):
    app = make_app(services)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert FOR_YOU not in group_keys(app)  # an empty profile: the digest as it was
        table = app.screen.query_one(PaperTable)
        liked = table.papers[3].paper
        await pilot.press("down", "down", "down", "s")
        await settle(pilot)

        assert group_keys(app)[:2] == [FOR_YOU, ALL]
        app.screen.query_one(CategoryList).highlighted = 0
        await settle(pilot)
        assert app.screen.current_group.key == FOR_YOU
        title = str(app.screen.query_one("#papers-pane").border_title)
        assert "For you" in title and "lexical (BM25)" in title
        assert [key for key, _, _ in table.columns].count("why") == 1
        whys = [p.why for p in table.papers]
        assert all(whys)
        category = table.papers[0].category
        assert category == services.store.classifications([liked.id])[liked.id].category
        assert whys[0].startswith(f"관심 분야 {category}")  # the liked paper's category
        assert [p.score for p in table.papers] == sorted(
            (p.score for p in table.papers), reverse=True
        )


async def test_why_lines_show_hostile_titles_literally(services):
    store = services.store
    day_papers = store.day_papers(OLDER_DAY)
    target = max(day_papers, key=lambda e: len(e.paper.abstract)).paper
    store.add_profile_entries(
        [
            ProfileEntry(
                key="title:hostile",
                stance="like",
                origin="import",
                title=HOSTILE_TITLE,
                abstract=target.abstract,
                source="evil.bib",
            )
        ]
    )
    app = make_app(services)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        item = next(p for p in app.screen.digest.for_you if p.paper.id == target.id)
        text = describe(item, services.config)
        assert "관심 논문 '[@click=app.quit]Click me[/]" in text.plain
        assert "\x1b" not in text.plain and "\x9b" not in text.plain
        assert not text.spans or all("click" not in str(span.style) for span in text.spans)
        assert app.is_running  # the markup did nothing


async def test_profile_screen_lists_and_forgets(services):
    store = services.store
    first = store.day_papers(OLDER_DAY)[0].paper
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProfileScreen)
        assert [entry.key for entry in screen.rows if entry] == [first.id]
        await pilot.press("d")
        await settle(pilot)
        assert store.profile_size() == 0
        await pilot.press("escape")
        await settle(pilot)
        assert FOR_YOU not in group_keys(app)
        assert not app.screen.query_one(PaperTable).papers[0].starred


async def test_star_a_search_result_of_another_day(services):
    app = make_app(services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("slash", *"agent")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press("tab", "s")  # in the results (in the query, `s` is typed)
        await settle(pilot)
        paper = screen.hits[0].paper
        assert services.store.profile_stances([paper.id]) == {paper.id: "like"}
        await pilot.press("escape")
        await settle(pilot)
        assert FOR_YOU in group_keys(app)


async def test_a_followed_paper_is_badged_on_the_day_it_changed(services):
    store = services.store
    liked = next(e.paper for e in store.day_papers(DAY) if e.paper.arxiv_id)
    store.set_feedback(
        ProfileEntry(
            key=liked.id,
            stance="like",
            origin="feedback",
            title=liked.title,
            paper_id=liked.id,
            version=liked.version or 1,
        )
    )
    v2 = Paper(
        id=liked.id,
        arxiv_id=liked.arxiv_id,
        version=(liked.version or 1) + 1,
        title=liked.title,
        abstract=liked.abstract.rstrip(".") + ". We add a new benchmark.",
        comment="Accepted at ICLR 2027",
        text_rank=9,
    )
    store.merge_listed([Listed(v2, OLDER_DAY, "replace")], "arxiv")
    app = make_app(services)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert group_keys(app)[0] == FOR_YOU
        table = app.screen.query_one(PaperTable)
        app.screen.query_one(CategoryList).highlighted = 0
        await settle(pilot)
        assert table.papers[0].paper.id == liked.id  # followed papers come first
        assert table.cells(0)[0].plain == "↻"
        detail = describe(table.papers[0], services.config).plain
        assert (
            "ICLR 2027 채택" in detail
            and "새 버전" in detail
            and "초록 변경(문장 1개 추가)" in detail
        )
