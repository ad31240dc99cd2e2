"""The fetch step end to end: real HTTP server, real parsers, real store, the run ledger."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date

import pytest

from core.fetch import Fetcher
from core.ingest import SourceSpec, fetch_day, source_specs
from core.models import SourceKind
from tests.conftest import fixture_path
from tests.http_server import FakeClock, Reply

HF_DAY = date(2026, 5, 8)
HF_FIXTURE = "hf_daily_papers_date_2026-05-08_llm-paper-radar.json"
RSS4 = "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed4_laya-reader_FROM-INDEX-TEXT.xml"


def quick(config, **changes):
    """The config with fast retries, so failing-source tests stay quick."""
    fetch = dataclasses.replace(config.fetch, retries=0, backoff_seconds=0.0, **changes)
    return dataclasses.replace(config, fetch=fetch)


def fetcher(config) -> Fetcher:
    return Fetcher(config.fetch, clock=FakeClock())


def hf_pages(items: list, limit_seen: list):
    """A Daily Papers endpoint that pages with p/limit like the real one."""

    def reply(request):
        page = int(request.query["p"][0])
        limit = int(request.query["limit"][0])
        limit_seen.append((request.query["date"][0], page, limit))
        body = json.dumps(items[page * limit : (page + 1) * limit]).encode()
        return Reply(200, body, {"Content-Type": "application/json"})

    return reply


async def test_hf_daily_is_paged_by_date_and_stored(config, store, http_server):
    items = json.loads(fixture_path(HF_FIXTURE).read_bytes())
    seen: list = []
    url = http_server.route("/api/daily_papers", hf_pages(items, seen))
    config = quick(config, hf_page_size=10, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store,
        config,
        HF_DAY,
        specs=[SourceSpec("hf", url, SourceKind.HF_DAILY)],
        fetcher=fetcher(config),
    )
    assert seen == [
        ("2026-05-08", 0, 10),
        ("2026-05-08", 1, 10),
        ("2026-05-08", 2, 10),
        ("2026-05-08", 3, 10),
    ]
    assert summary.exit_code == 0 and summary.results[0].new == 37
    assert len(store.day_papers(HF_DAY)) == 37
    (run,) = store.runs(day=HF_DAY)
    assert run.status == "ok" and run.steps[0].counts["listed"] == 37


async def test_hf_papers_are_enriched_with_arxiv_categories(config, store, http_server, tmp_path):
    item = copy.deepcopy(json.loads(fixture_path(HF_FIXTURE).read_bytes())[0])
    item["paper"]["id"] = "1605.08386"
    hf_url = http_server.route("/hf", Reply(200, json.dumps([item]).encode()))
    api_url = http_server.route(
        "/api/query",
        Reply(200, fixture_path("arxiv_api_id_1605.08386_2026-04-12.xml").read_bytes()),
    )
    config = quick(config, arxiv_api_url=api_url)
    summary = await fetch_day(
        store,
        config,
        HF_DAY,
        specs=[SourceSpec("hf", hf_url, SourceKind.HF_DAILY)],
        fetcher=fetcher(config),
    )
    assert [r.name for r in summary.results] == ["hf", "arxiv-api"]
    (request,) = http_server.hits("/api/query")
    assert request.query["id_list"] == ["1605.08386"]
    paper = store.get_paper("1605.08386")
    assert paper.categories and paper.primary_category == paper.categories[0]
    assert paper.hf_upvotes == item["paper"]["upvotes"]  # HF's signal kept beside arXiv's data


async def test_same_paper_from_both_sources_in_one_fetch(config, store, http_server):
    item = copy.deepcopy(json.loads(fixture_path(HF_FIXTURE).read_bytes())[0])
    item["paper"]["id"] = "2609.26811"
    item["paper"]["submittedOnDailyAt"] = "2026-09-24T09:00:00.000Z"
    specs = [
        SourceSpec(
            "hf",
            http_server.route("/hf", Reply(200, json.dumps([item]).encode())),
            SourceKind.HF_DAILY,
        ),
        SourceSpec(
            "arxiv", http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes())), None
        ),
    ]
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store, config, date(2026, 9, 24), specs=specs, fetcher=fetcher(config)
    )
    assert summary.exit_code == 0
    assert summary.results[1].kind == SourceKind.ARXIV_RSS  # detected
    entries = {e.paper.id: e for e in store.day_papers(date(2026, 9, 24))}
    assert len(entries) == 4
    merged = entries["2609.26811"]
    assert merged.sources == ["arxiv", "hf"]
    assert merged.paper.hf_upvotes == item["paper"]["upvotes"] and merged.paper.categories


async def test_one_failing_source_does_not_sink_the_others(config, store, http_server):
    specs = [
        SourceSpec("good", http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes())), None),
        SourceSpec("broken", http_server.route("/down", Reply(500, b"oops")), SourceKind.FEED),
        SourceSpec("html", http_server.route("/page", Reply(200, b"<html><body>hi</body></html>",
                                                            {"Content-Type": "text/html"})), None),
    ]  # fmt: skip
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store, config, date(2026, 9, 24), specs=specs, fetcher=fetcher(config)
    )
    assert summary.exit_code == 3
    status = {r.name: (r.status, r.reason) for r in summary.results}
    assert status["good"][0] == "ok"
    assert status["broken"] == (
        "failed",
        "broken: HTTP 500, 1 attempts — the source may be down; try again later",
    )
    assert "HTML page, not a feed" in status["html"][1]
    assert store.count_papers() == 4
    (run,) = store.runs(day=date(2026, 9, 24))
    assert run.status == "partial"
    assert {s.target: s.status for s in run.steps} == {
        "good": "ok",
        "broken": "failed",
        "html": "failed",
    }


async def test_every_source_failing_exits_1(config, store, http_server):
    specs = [SourceSpec("broken", http_server.route("/down", Reply(503)), SourceKind.FEED)]
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store, config, date(2026, 9, 24), specs=specs, fetcher=fetcher(config)
    )
    assert summary.exit_code == 1
    assert "broken: HTTP 503" in summary.empty_reason
    assert store.runs()[0].status == "failed"


async def test_an_empty_weekend_is_explained(config, store, http_server):
    saturday = date(2024, 11, 30)
    empty_rss = fixture_path("arxiv_rss_empty_test_category_2024-11-28_aioarxiv.xml").read_bytes()
    empty_rss = empty_rss.replace(b"Thu, 28 Nov 2024", b"Sat, 30 Nov 2024")
    specs = [
        SourceSpec("arxiv", http_server.route("/rss", Reply(200, empty_rss)), SourceKind.ARXIV_RSS),
        SourceSpec("hf", http_server.route("/hf", Reply(200, b"[]")), SourceKind.HF_DAILY),
    ]
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(store, config, saturday, specs=specs, fetcher=fetcher(config))
    assert summary.exit_code == 0
    assert [r.status for r in summary.results] == ["empty", "empty"]
    assert "arXiv announces nothing on Saturdays" in summary.empty_reason
    assert "Hugging Face Daily Papers takes no submissions on Saturdays" in summary.empty_reason
    assert store.runs(day=saturday)[0].note == summary.empty_reason


async def test_a_holiday_is_explained(config, store, tmp_path):
    holiday_feed = fixture_path(
        "arxiv_rss_empty_test_category_2024-11-28_aioarxiv.xml"
    ).read_bytes()
    path = tmp_path / "rss.xml"
    path.write_bytes(holiday_feed.replace(b"Thu, 28 Nov 2024", b"Thu, 26 Dec 2024"))
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store,
        config,
        date(2024, 12, 26),
        specs=[SourceSpec("arxiv", path.as_uri(), SourceKind.ARXIV_RSS)],
    )
    assert "arXiv holiday (Christmas, 2024-12-25)" in summary.empty_reason


async def test_unchanged_sources_are_not_parsed_again(config, store, http_server):
    body = fixture_path(RSS4).read_bytes()

    def etagged(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, body, {"ETag": '"v1"'})

    specs = [
        SourceSpec("etag", http_server.route("/etag", etagged), None),
        SourceSpec("plain", http_server.route("/plain", Reply(200, body)), None),
    ]
    config = quick(config, enrich_with_arxiv_api=False)
    day = date(2026, 9, 24)
    first = await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config))
    assert [r.status for r in first.results] == ["ok", "ok"]
    second = await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config))
    assert [r.status for r in second.results] == ["unchanged", "unchanged"]
    assert second.exit_code == 0 and not second.empty_reason  # the day still has its papers
    forced = await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config), refresh=True)
    assert [r.status for r in forced.results] == ["ok", "ok"]
    assert [r.new for r in forced.results] == [0, 0]


async def test_a_broken_download_loses_nothing_already_stored(config, store, http_server):
    good = fixture_path(
        "arxiv_rss_atom_cs.AI_2025-08-20_trimmed7_zotero-arxiv-daily.xml"
    ).read_bytes()
    truncated = fixture_path(
        "malformed_truncated_arxiv_atom_cs.AI_2025-08-20_zotero-arxiv-daily.xml"
    ).read_bytes()
    url = http_server.route("/rss", Reply(200, good), Reply(200, truncated))
    config = quick(config, enrich_with_arxiv_api=False)
    day = date(2025, 8, 20)
    spec = [SourceSpec("arxiv", url, SourceKind.ARXIV_RSS)]
    await fetch_day(store, config, day, specs=spec, fetcher=fetcher(config))
    before = list(store.export_rows())
    summary = await fetch_day(store, config, day, specs=spec, fetcher=fetcher(config))
    assert summary.results[0].status == "failed"
    assert "cut off" in summary.results[0].reason
    assert list(store.export_rows()) == before
    # The failed body was not remembered, so the next fetch tries again.
    assert (
        store.http_cache_get(url)["body_sha256"]
        != __import__("hashlib").sha256(truncated).hexdigest()
    )


async def test_stale_arxiv_feed_is_noted(config, store, http_server):
    url = http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes()))
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store,
        config,
        date(2026, 9, 25),
        specs=[SourceSpec("arxiv", url, None)],
        fetcher=fetcher(config),
    )
    assert "announcement of 2026-09-24, not 2026-09-25" in summary.results[0].reason
    assert "no source listed" in summary.empty_reason or "2026-09-24" in summary.empty_reason


async def test_malformed_feed_is_stored_with_a_warning(config, store, tmp_path):
    name = "malformed_rss_unescaped_ampersand_in_title_2025-05-06_dzdydx-arxiv-rss-filter.xml"
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store,
        config,
        date(2025, 5, 6),
        specs=[SourceSpec("filter", fixture_path(name).as_uri(), None)],
    )
    (result,) = summary.results
    assert result.status == "ok" and len(result.listed) == 55
    assert "malformed XML" in result.reason
    assert store.runs()[0].steps[0].reason == result.reason


def test_source_specs_from_config_and_command_line(config):
    specs = source_specs(config)
    assert [(s.name, s.kind) for s in specs] == [
        ("hf-daily", SourceKind.HF_DAILY),
        ("arxiv", SourceKind.ARXIV_RSS),
    ]
    assert specs[1].url == "https://rss.arxiv.org/rss/cs.CV+cs.CL+cs.LG+cs.AI"
    (named,) = source_specs(config, [("arxiv", None)])
    assert named.name == "arxiv"
    (adhoc,) = source_specs(config, [("file:///tmp/feed.xml", "feed")])
    assert (adhoc.name, adhoc.kind) == ("feed.xml", SourceKind.FEED)
    (lookup,) = source_specs(config, [("arXiv:2411.09009v2", None)])
    assert (lookup.name, lookup.kind) == ("arxiv:2411.09009", SourceKind.ARXIV_API)
    assert lookup.url == "https://export.arxiv.org/api/query?id_list=2411.09009&max_results=1"
    (path,) = source_specs(config, [(str(fixture_path(RSS4)), None)])
    assert path.url == fixture_path(RSS4).resolve().as_uri() and path.kind is None
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="neither a configured source"):
        source_specs(config, [("arxvi", None)])
    with pytest.raises(ConfigError, match="kind 'rss' is not known"):
        source_specs(config, [("https://x.org/feed", "rss")])


def test_the_default_day_is_the_latest_announced_one():
    from datetime import UTC, datetime

    from core.announcements import current_day, parse_day

    # 09:30 in Seoul on Tuesday is Monday evening in New York: Monday's papers are complete.
    assert current_day(datetime(2026, 11, 24, 0, 30, tzinfo=UTC)) == date(2026, 11, 23)
    # 15:00 in Seoul: arXiv's Tuesday feed is out (midnight US Eastern has passed).
    assert current_day(datetime(2026, 11, 24, 6, 0, tzinfo=UTC)) == date(2026, 11, 24)
    assert parse_day("yesterday", today=date(2026, 11, 24)) == date(2026, 11, 23)


async def test_a_paper_is_looked_up_by_its_arxiv_id(config, store, http_server):
    api = http_server.route(
        "/api/query",
        Reply(200, fixture_path("arxiv_api_id_1605.08386_2026-04-12.xml").read_bytes()),
    )
    config = quick(config, arxiv_api_url=api)
    (spec,) = source_specs(config, [("1605.08386", None)])
    summary = await fetch_day(
        store, config, HF_DAY, specs=[spec], fetcher=fetcher(config), enrich=False
    )
    assert summary.exit_code == 0
    assert http_server.hits("/api/query")[0].query["id_list"] == ["1605.08386"]
    paper = store.get_paper("1605.08386")
    assert paper.title.startswith("Heat-bath random walks") and paper.categories
