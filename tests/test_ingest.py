"""The fetch step end to end: real HTTP server, real parsers, real store, the run ledger."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import socket
from datetime import date

import pytest

from core.fetch import Fetcher
from core.ingest import SourceSpec, fetch_day, source_specs
from core.sources.arxiv_api import ARXIV_API
from core.sources.arxiv_rss import ARXIV_RSS
from core.sources.feed import FEED
from core.sources.hf_daily import HF_DAILY
from tests.conftest import fixture_path
from tests.http_server import FakeClock, Reply
from tests.raw_sql import run_sql

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
        specs=[SourceSpec("hf", url, HF_DAILY)],
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
        specs=[SourceSpec("hf", hf_url, HF_DAILY)],
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
            HF_DAILY,
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
    assert summary.results[1].kind == ARXIV_RSS  # detected
    entries = {e.paper.id: e for e in store.day_papers(date(2026, 9, 24))}
    assert len(entries) == 4
    merged = entries["2609.26811"]
    assert merged.sources == ["arxiv", "hf"]
    assert merged.paper.hf_upvotes == item["paper"]["upvotes"] and merged.paper.categories


async def test_one_failing_source_does_not_sink_the_others(config, store, http_server):
    specs = [
        SourceSpec("good", http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes())), None),
        SourceSpec("broken", http_server.route("/down", Reply(500, b"oops")), FEED),
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
    specs = [SourceSpec("broken", http_server.route("/down", Reply(503)), FEED)]
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store, config, date(2026, 9, 24), specs=specs, fetcher=fetcher(config)
    )
    assert summary.exit_code == 1
    # The day is empty because the source failed; its cause is said once, in its own result.
    assert summary.empty_reason == "every source failed: broken"
    assert summary.results[0].reason.startswith("broken: HTTP 503, 1 attempts")
    assert store.runs()[0].status == "failed"


async def test_an_empty_weekend_is_explained(config, store, http_server):
    saturday = date(2024, 11, 30)
    empty_rss = fixture_path("arxiv_rss_empty_test_category_2024-11-28_aioarxiv.xml").read_bytes()
    empty_rss = empty_rss.replace(b"Thu, 28 Nov 2024", b"Sat, 30 Nov 2024")
    specs = [
        SourceSpec("arxiv", http_server.route("/rss", Reply(200, empty_rss)), ARXIV_RSS),
        SourceSpec("hf", http_server.route("/hf", Reply(200, b"[]")), HF_DAILY),
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
        specs=[SourceSpec("arxiv", path.as_uri(), ARXIV_RSS)],
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
    spec = [SourceSpec("arxiv", url, ARXIV_RSS)]
    await fetch_day(store, config, day, specs=spec, fetcher=fetcher(config))
    before = list(store.export_rows())
    summary = await fetch_day(store, config, day, specs=spec, fetcher=fetcher(config))
    assert summary.results[0].status == "failed"
    assert "cut off" in summary.results[0].reason
    assert list(store.export_rows()) == before
    # The failed body was not remembered, so the next fetch tries again.
    assert (
        store.http_cache_get(url).body_sha256 != __import__("hashlib").sha256(truncated).hexdigest()
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
        ("hf-daily", HF_DAILY),
        ("arxiv", ARXIV_RSS),
    ]
    assert specs[1].url == "https://rss.arxiv.org/rss/cs.CV+cs.CL+cs.LG+cs.AI"
    (named,) = source_specs(config, [("arxiv", None)])
    assert named.name == "arxiv"
    (adhoc,) = source_specs(config, [("file:///tmp/feed.xml", "feed")])
    assert (adhoc.name, adhoc.kind) == ("feed.xml", FEED)
    (lookup,) = source_specs(config, [("arXiv:2411.09009v2", None)])
    assert (lookup.name, lookup.kind) == ("arxiv:2411.09009", ARXIV_API)
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


# --- one broken source never sinks the others ---------------------------------------------


@pytest.fixture
def unresolvable(monkeypatch):
    """Names under .invalid fail to resolve at once (RFC 6761), even without a network."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _hostile_hf() -> bytes:
    item = copy.deepcopy(json.loads(fixture_path(HF_FIXTURE).read_bytes())[0])
    item["paper"]["summary"] = 5  # a number where text belongs
    item["paper"]["authors"] = [{"name": ["not", "a", "name"]}, {"name": "Real Name"}]
    return json.dumps([item]).encode()


@pytest.mark.parametrize(
    ("reply", "url", "expected"),
    [
        (Reply(302, b"", {"Location": "/broken"}), None, "broken: the server redirects in a loop"),
        (
            Reply(200, b"<rss/>", {"Content-Encoding": "gzip"}),
            None,
            "broken: the body is not valid gzip although its Content-Encoding says so",
        ),
        (
            None,
            "https://feeds.name.invalid/rss",
            "broken: cannot resolve host feeds.name.invalid — check the URL or your network",
        ),
        (Reply(200, b"<rss>" + b"x" * 200_000 + b"</rss>"), None, "broken: response is larger"),
        (
            Reply(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"}),
            None,
            "broken: got an HTML page, not a feed",
        ),
    ],
    ids=["redirect-loop", "bad-content-encoding", "dns", "too-big", "html"],
)
async def test_any_failing_source_is_its_own_failure_and_the_others_are_stored(
    config, store, http_server, unresolvable, reply, url, expected
):
    specs = [
        SourceSpec("good", http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes())), None),
        SourceSpec("broken", url or http_server.route("/broken", reply), None),
    ]  # fmt: skip
    config = quick(config, enrich_with_arxiv_api=False, max_body_mb=0.1)
    summary = await fetch_day(
        store, config, date(2026, 9, 24), specs=specs, fetcher=fetcher(config)
    )
    assert summary.exit_code == 3
    good, broken = summary.results
    assert good.status == "ok" and store.count_papers() == 4  # the healthy source is stored
    assert broken.status == "failed" and broken.reason.startswith(expected), broken.reason
    assert "\n" not in broken.reason
    steps = {s.target: (s.status, s.reason) for s in store.runs()[0].steps}
    assert steps == {"good": ("ok", ""), "broken": ("failed", broken.reason)}


async def test_an_unforeseen_error_in_one_source_is_reported_and_the_others_are_stored(
    config, store, http_server
):
    specs = [
        SourceSpec("good", http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes())), None),
        SourceSpec("hostile", http_server.route("/hf", Reply(200, _hostile_hf())), HF_DAILY),
        SourceSpec("gone", http_server.route("/gone", Reply(302, b"", {"Location": "ftp://x.org/f"})), None),
    ]  # fmt: skip
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(store, config, HF_DAY, specs=specs, fetcher=fetcher(config))
    status = {r.name: (r.status, r.reason) for r in summary.results}
    assert status["good"][0] == "ok"
    assert status["hostile"][0] == "ok"  # numbers where text belongs are read as missing text
    assert store.get_paper(summary.results[1].listed[0].paper.id).authors == ["Real Name"]
    assert status["gone"][0] == "failed"
    assert status["gone"][1].startswith("gone: the server sent us to an unsupported URL")
    assert summary.exit_code == 3


async def test_a_bug_in_one_source_is_contained_and_named(config, store, http_server, monkeypatch):
    import core.ingest

    real = core.ingest.parse_source

    def buggy(kind, body, *, day, label, source):
        if label == "buggy":
            raise KeyError("categories")  # stands in for a bug nobody has found yet
        return real(kind, body, day=day, label=label, source=source)

    monkeypatch.setattr(core.ingest, "parse_source", buggy)
    body = fixture_path(RSS4).read_bytes()
    specs = [
        SourceSpec("good", http_server.route("/rss", Reply(200, body)), None),
        SourceSpec("buggy", http_server.route("/bug", Reply(200, body)), None),
    ]
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store, config, date(2026, 9, 24), specs=specs, fetcher=fetcher(config)
    )
    assert [r.status for r in summary.results] == ["ok", "failed"]
    assert summary.results[1].reason == (
        "buggy: unexpected error (KeyError: 'categories') — please report it"
    )
    assert store.count_papers() == 4 and summary.exit_code == 3


def test_fetch_source_with_a_redirect_loop_prints_one_line(capsys, http_server):
    from cli import main

    url = http_server.route("/loop", Reply(302, b"", {"Location": "/loop"}))
    code = main(["fetch", "--date", "2026-09-24", "--source", url, "--no-enrich"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err and "internal error" not in out + err
    assert "the server redirects in a loop" in out


def test_an_unforeseen_error_is_one_line_on_the_command_line(isolated_home):
    import os
    import subprocess
    import sys

    # A process of its own: pytest's log capture would hide a traceback printed by logging.
    script = (
        "import sys, core.ingest\n"
        "from cli import main\n"
        "def buggy(*args, **kwargs):\n"
        "    raise KeyError('categories')  # stands in for a bug nobody has found yet\n"
        "core.ingest.parse_source = buggy\n"
        f"sys.exit(main(['fetch', '--date', '2026-09-24', '--source', {fixture_path(RSS4).as_uri()!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ)
    )
    assert done.returncode == 1, done.stderr
    assert "unexpected error (KeyError: 'categories') — please report it" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


# --- formats are never silently empty ------------------------------------------------------

RSS1 = "arxiv_rss1_rdf_cs.LG_2021-11-01_written-after-format.xml"


async def test_an_arxiv_rss_1_0_feed_is_detected_and_stored_with_its_announce_types(
    config, store, http_server
):
    url = http_server.route("/rss/cs.LG", Reply(200, fixture_path(RSS1).read_bytes()))
    config = quick(config, enrich_with_arxiv_api=False)
    day = date(2021, 11, 2)
    summary = await fetch_day(
        store, config, day, specs=[SourceSpec("arxiv", url, None)], fetcher=fetcher(config)
    )
    (result,) = summary.results
    assert (result.kind, result.status, result.new) == (ARXIV_RSS, "ok", 5)
    assert not summary.empty_reason
    entries = {e.paper.id: e for e in store.day_papers(day)}
    assert {i: e.announce_types for i, e in entries.items()} == {
        "2111.01127": ["new"],
        "2111.00986": ["new"],
        "2111.01003": ["cross"],
        "2110.14001": ["replace"],
        "2106.05931": ["replace"],
    }
    from core.digest import build_digest

    digest = build_digest(store, config, day)  # new and cross enter the digest; updates do not
    assert sorted(p.paper.id for p in digest.selected) == ["2111.00986", "2111.01003", "2111.01127"]


# --- unchanged means unchanged for the same parse ----------------------------------------------


async def test_the_same_body_asked_for_as_another_kind_is_parsed_again(config, store, http_server):
    url = http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes(), {"ETag": '"v1"'}))
    config = quick(config, enrich_with_arxiv_api=False)
    day = date(2026, 9, 24)
    first = await fetch_day(
        store, config, day, specs=[SourceSpec("arxiv", url, None)], fetcher=fetcher(config)
    )
    assert first.results[0].kind == ARXIV_RSS
    again = await fetch_day(
        store, config, day, specs=[SourceSpec("arxiv", url, None)], fetcher=fetcher(config)
    )
    assert again.results[0].status == "unchanged" and again.results[0].kind == ARXIV_RSS
    as_feed = await fetch_day(
        store,
        config,
        day,
        specs=[SourceSpec("arxiv", url, FEED)],
        fetcher=fetcher(config),
    )
    assert (as_feed.results[0].status, as_feed.results[0].kind) == ("ok", FEED)
    assert len(as_feed.results[0].listed) == 4
    # The kind changed, so the validators were not sent: a 304 would have hidden the body.
    assert "If-None-Match" not in http_server.hits("/rss")[-1].headers
    # Back to auto: the same bytes are detected as arXiv RSS again, not the feed parse kept.
    auto = await fetch_day(
        store, config, day, specs=[SourceSpec("arxiv", url, None)], fetcher=fetcher(config)
    )
    assert (auto.results[0].status, auto.results[0].kind) == ("ok", "arxiv-rss")


async def test_a_body_whose_last_parse_stored_nothing_is_parsed_again(config, store, http_server):
    body = fixture_path(RSS1).read_bytes()
    url = http_server.route("/rss", Reply(200, body, {"ETag": '"rdf"'}))
    # What an older version left behind: the body's hash, and nothing stored from it.
    store.http_cache_put(
        url, etag='"rdf"', last_modified=None, body_sha256=hashlib.sha256(body).hexdigest()
    )
    config = quick(config, enrich_with_arxiv_api=False)
    summary = await fetch_day(
        store,
        config,
        date(2021, 11, 2),
        specs=[SourceSpec("arxiv", url, None)],
        fetcher=fetcher(config),
    )
    assert (summary.results[0].status, summary.results[0].new) == ("ok", 5)
    assert "If-None-Match" not in http_server.hits("/rss")[0].headers


async def test_a_feed_that_emptied_is_not_hidden_as_unchanged(config, store, http_server):
    empty = fixture_path("arxiv_rss_empty_test_category_2024-11-28_aioarxiv.xml").read_bytes()
    url = http_server.route(
        "/rss", Reply(200, fixture_path(RSS4).read_bytes()), Reply(200, empty, {"ETag": '"e"'})
    )
    config = quick(config, enrich_with_arxiv_api=False)
    day = date(2026, 9, 24)
    specs = [SourceSpec("arxiv", url, ARXIV_RSS)]
    statuses = [
        (await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config)))
        .results[0]
        .status
        for _ in range(3)
    ]
    # The day keeps the papers stored first; the feed's own emptiness is still reported.
    assert statuses == ["ok", "empty", "empty"]
    assert len(store.day_papers(day)) == 4


async def test_a_store_from_before_m006_keeps_its_cache_and_parses_once_more(
    config, http_server, tmp_path, monkeypatch
):
    from core.store import Store
    from core.store.migrations import MIGRATIONS

    body = fixture_path(RSS4).read_bytes()
    url = http_server.route("/rss", Reply(200, body))
    before = [m for m in MIGRATIONS if m[0] < "m006_fetch_state"]
    monkeypatch.setattr("core.store.migrations.MIGRATIONS", before)
    with Store(tmp_path / "old.sqlite3"):
        pass
    run_sql(
        tmp_path / "old.sqlite3",
        "INSERT INTO http_cache (url, body_sha256, checked_at) VALUES (?, ?, 'then')",
        (url, hashlib.sha256(body).hexdigest()),
    )
    monkeypatch.setattr("core.store.migrations.MIGRATIONS", MIGRATIONS)
    with Store(tmp_path / "old.sqlite3") as store:
        assert "m006_fetch_state" in store.applied_migrations
        assert store.http_cache_get(url).kind is None  # kept, parse unknown
        config = quick(config, enrich_with_arxiv_api=False)
        specs = [SourceSpec("arxiv", url, None)]
        day = date(2026, 9, 24)
        first = await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config))
        again = await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config))
    assert (first.results[0].status, first.results[0].new) == ("ok", 4)
    assert again.results[0].status == "unchanged"


async def test_a_new_parser_version_parses_an_unchanged_body_again(
    config, store, http_server, monkeypatch
):
    url = http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes()))
    config = quick(config, enrich_with_arxiv_api=False)
    day = date(2026, 9, 24)
    specs = [SourceSpec("arxiv", url, ARXIV_RSS)]
    await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config))
    again = await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config))
    assert again.results[0].status == "unchanged"
    from core.sources import kind_of

    arxiv = kind_of(ARXIV_RSS)
    monkeypatch.setattr(arxiv, "parser_version", arxiv.parser_version + 1)
    upgraded = await fetch_day(store, config, day, specs=specs, fetcher=fetcher(config))
    assert upgraded.results[0].status == "ok"


async def test_an_unchanged_feed_for_another_day_still_says_why_the_day_is_empty(
    config, store, http_server
):
    url = http_server.route("/rss", Reply(200, fixture_path(RSS4).read_bytes(), {"ETag": '"v"'}))
    config = quick(config, enrich_with_arxiv_api=False)
    specs = [SourceSpec("arxiv", url, ARXIV_RSS)]
    await fetch_day(store, config, date(2026, 9, 24), specs=specs, fetcher=fetcher(config))
    later = await fetch_day(store, config, date(2026, 9, 25), specs=specs, fetcher=fetcher(config))
    assert later.results[0].status == "ok"  # not "unchanged": nothing of the 25th is stored
    assert "announcement of 2026-09-24, not 2026-09-25" in later.empty_reason


# --- failed enrichment is retried ---------------------------------------------------------------


def _hf_with(arxiv_id: str) -> bytes:
    item = copy.deepcopy(json.loads(fixture_path(HF_FIXTURE).read_bytes())[0])
    item["paper"]["id"] = arxiv_id
    return json.dumps([item]).encode()


async def test_failed_enrichment_is_retried_on_the_next_fetch(config, store, http_server):
    hf_url = http_server.route("/hf", Reply(200, _hf_with("1605.08386")))
    api_url = http_server.route(
        "/api/query",
        Reply(503),
        Reply(200, fixture_path("arxiv_api_id_1605.08386_2026-04-12.xml").read_bytes()),
    )
    config = quick(config, arxiv_api_url=api_url)
    specs = [SourceSpec("hf", hf_url, HF_DAILY)]
    first = await fetch_day(store, config, HF_DAY, specs=specs, fetcher=fetcher(config))
    assert [r.status for r in first.results] == ["ok", "failed"]
    assert "asked for again on the next fetch" in first.results[1].reason
    assert store.get_paper("1605.08386").categories == []
    second = await fetch_day(store, config, HF_DAY, specs=specs, fetcher=fetcher(config))
    assert [r.status for r in second.results] == ["unchanged", "ok"]  # HF sent the same list
    assert http_server.hits("/api/query")[-1].query["id_list"] == ["1605.08386"]
    assert store.get_paper("1605.08386").categories
    third = await fetch_day(store, config, HF_DAY, specs=specs, fetcher=fetcher(config))
    assert [r.name for r in third.results] == ["hf"]  # nothing is missing any more
    assert len(http_server.hits("/api/query")) == 2


async def test_enrichment_retries_are_bounded_and_doctor_counts_what_is_missing(
    config, store, http_server
):
    from core.doctor import check_enrichment
    from core.ingest import ENRICH_MAX_ATTEMPTS

    hf_url = http_server.route("/hf", Reply(200, _hf_with("1605.08386")))
    api_url = http_server.route("/api/query", Reply(302, b"", {"Location": "/api/query"}))
    config = quick(config, arxiv_api_url=api_url)
    specs = [SourceSpec("hf", hf_url, HF_DAILY)]
    for _ in range(ENRICH_MAX_ATTEMPTS + 2):
        summary = await fetch_day(store, config, HF_DAY, specs=specs, fetcher=fetcher(config))
        assert summary.results[0].status in ("ok", "unchanged")  # the papers stay stored
    # A redirect loop (not a SourceError from the parser) is contained like any failure.
    assert len(http_server.hits("/api/query")) == ENRICH_MAX_ATTEMPTS * 21
    assert [r.name for r in summary.results] == ["hf"]  # given up: no more requests
    check = check_enrichment(config, store)
    assert not check.ok
    assert check.detail.startswith("1 of 1 papers with an arXiv id lack their arXiv categories")
    assert f"1 given up after {ENRICH_MAX_ATTEMPTS} attempts" in check.detail
    forced = await fetch_day(
        store, config, HF_DAY, specs=specs, fetcher=fetcher(config), refresh=True
    )
    assert [r.name for r in forced.results] == ["hf", "arxiv-api"]  # --refresh asks again


async def test_an_id_the_arxiv_api_does_not_know_is_given_up_after_bounded_look_ups(
    config, store, http_server
):
    from core.ingest import ENRICH_MAX_ATTEMPTS
    from core.models import SourceKind

    hf_url = http_server.route("/hf", Reply(200, _hf_with("1605.08386")))
    empty = fixture_path("arxiv_api_empty_id_0808.05394_2026-04-12.xml").read_bytes()
    api_url = http_server.route("/api/query", Reply(200, empty))  # answers, but without it
    config = quick(config, arxiv_api_url=api_url)
    specs = [SourceSpec("hf", hf_url, SourceKind("hf-daily"))]
    first = await fetch_day(store, config, HF_DAY, specs=specs, fetcher=fetcher(config))
    assert first.results[1].reason == "1 ids not found by the arXiv API"
    for _ in range(ENRICH_MAX_ATTEMPTS + 1):
        summary = await fetch_day(store, config, HF_DAY, specs=specs, fetcher=fetcher(config))
    assert len(http_server.hits("/api/query")) == ENRICH_MAX_ATTEMPTS
    assert [r.name for r in summary.results] == ["hf"]  # given up: no more requests


async def test_enrichment_picks_up_earlier_days_papers_that_are_missing_categories(
    config, store, http_server
):
    api_url = http_server.route(
        "/api/query",
        Reply(200, fixture_path("arxiv_api_id_1605.08386_2026-04-12.xml").read_bytes()),
    )
    config = quick(config, arxiv_api_url=api_url)
    earlier = SourceSpec(
        "hf", http_server.route("/hf1", Reply(200, _hf_with("1605.08386"))), HF_DAILY
    )
    await fetch_day(store, config, HF_DAY, specs=[earlier], fetcher=fetcher(config), enrich=False)
    assert store.get_paper("1605.08386").categories == []
    today = SourceSpec("hf", http_server.route("/hf2", Reply(200, b"[]")), HF_DAILY)
    summary = await fetch_day(
        store, config, date(2026, 5, 9), specs=[today], fetcher=fetcher(config)
    )
    assert [r.name for r in summary.results] == ["hf", "arxiv-api"]
    assert store.get_paper("1605.08386").categories


async def test_doctor_parses_each_source_so_an_unreadable_format_is_found_early(tmp_path):
    from core.config import load_config
    from core.doctor import check_sources

    unreadable = tmp_path / "digest.xml"
    unreadable.write_bytes(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>cs.LG updates on arXiv.org'
        b"</title><item><title>no id</title><link>https://x.org/1</link></item></channel></rss>"
    )
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[sources]]\nname = "old"\nkind = "arxiv-rss"\nurl = "{fixture_path(RSS1).as_uri()}"\n'
        f'[[sources]]\nname = "odd"\nkind = "arxiv-rss"\nurl = "{unreadable.as_uri()}"\n',
        encoding="utf-8",
    )
    checks = {check.name: check for check in await check_sources(load_config(path))}
    assert checks["source old"].ok and checks["source old"].detail.endswith(
        "answers with arxiv-rss: 5 papers readable"
    )
    assert not checks["source odd"].ok
    assert checks["source odd"].detail.startswith("odd: read none of the 1 items")


async def test_an_offline_fetch_spends_none_of_the_papers_enrichment_attempts(
    config, store, http_server
):
    api_url = http_server.route("/api/query", Reply(503))
    config = quick(config, arxiv_api_url=api_url)
    hf = SourceSpec("hf", http_server.route("/hf", Reply(200, _hf_with("1605.08386"))), HF_DAILY)
    await fetch_day(store, config, HF_DAY, specs=[hf], fetcher=fetcher(config))
    assert len(http_server.hits("/api/query")) == 1  # the first look-up failed
    down = SourceSpec("hf", http_server.route("/down", Reply(503)), HF_DAILY)
    summary = await fetch_day(store, config, HF_DAY, specs=[down], fetcher=fetcher(config))
    assert [r.name for r in summary.results] == ["hf"]  # no look-up while nothing answers
    assert len(http_server.hits("/api/query")) == 1
    assert run_sql(store.path, "SELECT attempts FROM enrichment_attempts")[0][0] == 1
