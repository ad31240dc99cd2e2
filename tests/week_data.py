"""A stored week for the weekly digest's tests: real papers, summarized by the stand-in.

`store_week` lists distinct real papers (from the recorded fixtures) on each weekday of
WEEK, records a fetch run for each of those days (and an empty weekend), classifies them by
rules and writes their Korean summaries and category reports through the real summarizer
against the stand-in model server — so the week is built from daily reports made exactly as
`dailyai run` makes them.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from datetime import date

from core.classify import classify_day
from core.config import Config
from core.models import Listed
from core.store import RunStep, Store
from core.summarize import summarize_day
from core.weekly import IsoWeek
from tests.paper_fixtures import fixture_listings

WEEK = IsoWeek(2026, 38)
"""Monday 2026-09-14 to Sunday 2026-09-20, before the tests' TODAY (2026-10-05)."""
PER_DAY = 6


def model_config(config: Config, url: str, **weekly: object) -> Config:
    """`config` pointed at the stand-in (two slots), with `[weekly]` keys changed."""
    llm = dataclasses.replace(config.llm, hosts=[url], parallel=2)
    config = dataclasses.replace(config, llm=llm)
    config.sections = {**config.sections, "weekly": {**config.sections["weekly"], **weekly}}
    return config


def store_week(
    store: Store,
    config: Config,
    *,
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
    fetched: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6),
    summarize: bool = True,
    per_day: int = PER_DAY,
    skip: int = 0,
) -> dict[date, list[str]]:
    """List `per_day` papers on each of `weekdays` (0 = Monday) of WEEK; the ids by day.

    `skip` leaves out the fixtures' first papers (ones a test also fetches for another day,
    whose classification there would change the week's).

    Days in `fetched` get a fetch run (a weekend's says arXiv announced nothing); the
    others were never fetched. With `summarize`, each day is classified by rules and
    summarized (summaries and category reports) through the stand-in `config` points at.
    """
    days = WEEK.days
    listings = fixture_listings(skip + per_day * len(weekdays))
    pool = [item for _, listed in listings for item in listed][skip:]
    by_day: dict[date, list[str]] = {}
    for position, weekday in enumerate(weekdays):
        day = days[weekday]
        chunk = pool[position * per_day : (position + 1) * per_day]
        listed = [Listed(copy.deepcopy(item.paper), day, item.announce_type) for item in chunk]
        store.merge_listed(listed, "hf-daily")
        by_day[day] = [item.paper.id for item in listed]
    for weekday in fetched:
        day = days[weekday]
        run_id = store.start_run("fetch", day)
        count = len(by_day.get(day, []))
        note = "" if count else "arXiv announces nothing on Saturdays and Sundays"
        store.record_step(
            run_id,
            RunStep("fetch", "hf-daily", "ok" if count else "empty", note, {"listed": count}),
        )
        store.finish_run(run_id, "ok", note)
    if summarize:
        for day in by_day:
            asyncio.run(classify_day(store, config, day, method="rules"))
            asyncio.run(summarize_day(store, config, day))
    return by_day
