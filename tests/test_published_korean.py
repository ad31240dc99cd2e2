"""Published outputs speak Korean: no English status phrase from the ledger reaches them.

The reasons are produced by the code that writes them (the source kinds, the ingest, the
digest), so a reworded English reason that the Korean wording does not know fails here,
naming it, rather than leaking into the next morning's email.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from core.channels import channels
from core.channels.mail import render_preview
from core.channels.page import render_page
from core.channels.wording import korean, local_time, status_word
from core.config import Config
from core.digest import build_digest
from core.ingest import why_empty
from core.models import SourceResult
from core.sources.arxiv_rss import ARXIV_HOLIDAYS
from core.sources.arxiv_rss import KIND as ARXIV
from core.sources.feed import KIND as FEED
from core.sources.hf_daily import KIND as HF
from core.store import RunStep, Store
from tests.publish_data import DAY, populate_day

SATURDAY = date(2026, 5, 9)
WEEKDAY = date(2026, 5, 12)
HOLIDAY_AFTER = next(day for day in sorted(ARXIV_HOLIDAYS) if day.weekday() < 4) + timedelta(1)
HANGUL = re.compile("[가-힣]")
# Status words and phrases the ledger writes in English (as whole words).
ENGLISH = re.compile(
    r"\b(ok|failed|empty|unchanged|nothing fetched|announces nothing|no submissions|"
    r"every source|listed nothing|not out yet|retries|attempts|in the answer)\b",
    re.IGNORECASE,
)


def _result(name: str, status: str, reason: str) -> SourceResult:
    return SourceResult(name=name, kind=HF, url="https://example.org", status=status, reason=reason)


ENGLISH_REASONS = [
    ARXIV.empty_reason(SATURDAY),
    ARXIV.empty_reason(HOLIDAY_AFTER),
    ARXIV.empty_reason(WEEKDAY),
    ARXIV.empty_reason(WEEKDAY, today=WEEKDAY),
    HF.empty_reason(SATURDAY),
    HF.empty_reason(WEEKDAY),
    HF.empty_reason(WEEKDAY, today=WEEKDAY),
    FEED.empty_reason(WEEKDAY),
    FEED.empty_reason(SATURDAY, skip_days=["Saturday"]),
    why_empty([_result("hf-daily", "empty", HF.empty_reason(SATURDAY))]),
    why_empty([_result("hf-daily", "failed", "HTTP 503"), _result("arxiv", "failed", "x")]),
    why_empty([]),
    "nothing fetched for this day yet — run `dailyai fetch`",
    "every paper listed this day was seen before or is only a new version",
    "rss.arxiv.org: HTTP 503 after 3 retries",
    "Han characters (Hanja) in the answer: 重大",
    "not Korean enough: 31% Hangul among its letters (at least 50% needed)",
    "numbers not in the source: 93.7, 12",
]


@pytest.mark.parametrize("reason", ENGLISH_REASONS)
def test_every_reason_the_code_writes_has_korean_wording(reason):
    said = korean(reason)
    assert HANGUL.search(said), reason
    assert not ENGLISH.search(said), (reason, said)


def test_a_reason_no_rule_knows_is_kept_after_its_source_name():
    assert korean("my-lab: Connection reset by peer") == "my-lab: Connection reset by peer"
    assert korean("hf-daily: HTTP 429; arxiv: arXiv announces nothing on Sundays") == (
        "hf-daily: HTTP 429 응답; arxiv: arXiv는 일요일에 새 논문을 발표하지 않습니다"
    )
    assert status_word("unchanged") == "변경 없음" and status_word("odd") == "odd"


def test_local_time_is_in_the_configured_zone():
    assert local_time("2026-05-08T00:30:00+00:00", "Asia/Seoul") == "2026-05-08 09:30 KST"
    assert local_time("2026-01-08T00:30:00", "America/New_York") == "2026-01-07 19:30 EST"
    assert local_time("not a time", "Asia/Seoul") == ""


def _visible(text: str) -> str:
    """What a reader sees: no stylesheet, no tags, one space between words."""
    text = re.sub(r"(?s)<style>.*?</style>|<[^>]+>", " ", text)
    return " ".join(text.split())


def _outputs(digest, config: Config) -> dict[str, str]:
    outputs = {name: channel.render(digest, config) for name, channel in channels().items()}
    outputs["email.html"] = render_preview(digest, config)[1]
    outputs["page"] = render_page(digest, config)
    return {name: _visible(output) for name, output in outputs.items()}


@pytest.mark.parametrize(
    "steps, note",
    [
        ([("arxiv", "empty", ARXIV.empty_reason(SATURDAY))], ARXIV.empty_reason(SATURDAY)),
        (
            [("hf-daily", "failed", "HTTP 503"), ("arxiv", "failed", "HTTP 503 after 3 retries")],
            why_empty([_result("hf-daily", "failed", "x"), _result("arxiv", "failed", "y")]),
        ),
        ([], ""),
    ],
    ids=["weekend", "every-source-failed", "never-fetched"],
)
def test_an_empty_day_is_said_in_korean_everywhere(store: Store, config: Config, steps, note):
    if steps or note:
        run = store.start_run("fetch", SATURDAY)
        for target, status, reason in steps:
            store.record_step(run, RunStep("fetch", target, status, reason=reason))
        store.finish_run(run, "failed" if steps else "ok", note)
    digest = build_digest(store, config, SATURDAY)
    for name, output in _outputs(digest, config).items():
        assert not ENGLISH.search(output), (name, ENGLISH.search(output))
        assert "발행할 논문" in output or "발행할 논문이 없습니다" in output, name


def test_a_published_day_says_its_sources_in_korean_with_local_time(store, config):
    populate_day(store, config, hostile=False)
    run = store.runs(day=DAY, kinds=("fetch",), limit=1)[0]
    config.general.timezone = "America/New_York"
    digest = build_digest(store, config, DAY)
    expected = f"마지막 수집: {local_time(run.started_at, 'America/New_York')}"
    for name, output in _outputs(digest, config).items():
        if name in ("notify",):
            continue  # the chat message has no status section
        text = output
        assert re.search(r"수집 출처 hf-daily: 정상 — 논문 \d+편", text), name
        assert "수집 출처 arxiv: 실패 — rss.arxiv.org: HTTP 503 (3번 다시 시도했지만 실패)" in text
        assert expected in text, name
        assert "ok — " not in text and ": failed" not in text, name
