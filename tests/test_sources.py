"""Every recorded response in tests/fixtures parsed: kinds, papers, days, quirks, errors."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import SourceError
from core.models import SourceKind
from core.sources import detect_kind, parse_source
from core.sources.arxiv_api import ARXIV_API
from core.sources.arxiv_rss import ARXIV_RSS
from core.sources.feed import FEED
from core.sources.hf_daily import HF_DAILY
from tests.conftest import fixture_path

ASKED = date(2026, 1, 5)
RSS1 = "arxiv_rss1_rdf_cs.LG_2021-11-01_written-after-format.xml"

# file, detected kind, papers, first paper's (id, day, announce type)
READABLE = [
    (
        "arxiv_rss_all_archives_2024-11-28_aioarxiv.xml",
        "arxiv-rss",
        1504,
        ("2411.17700", "2024-11-28", "new"),
    ),
    (
        "arxiv_rss_atom_cs.AI_2025-08-20_trimmed7_zotero-arxiv-daily.xml",
        "arxiv-rss",
        7,
        ("2508.13426", "2025-08-20", "cross"),
    ),
    (
        "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed4_laya-reader_FROM-INDEX-TEXT.xml",
        "arxiv-rss",
        4,
        ("2609.26811", "2026-09-24", "new"),
    ),
    ("arxiv_rss_empty_test_category_2024-11-28_aioarxiv.xml", "arxiv-rss", 0, None),
    (RSS1, "arxiv-rss", 5, ("2111.01127", "2021-11-02", "new")),
    ("arxiv_api_id_1605.08386_2026-04-12.xml", "arxiv-api", 1, ("1605.08386", "2026-01-05", None)),
    (
        "arxiv_api_id_2104.12255v1_title0_2026-04-12.xml",
        "arxiv-api",
        1,
        ("2104.12255", "2026-01-05", None),
    ),
    (
        "arxiv_api_id_astro-ph_0601001_oldstyle_2026-04-12.xml",
        "arxiv-api",
        1,
        ("astro-ph/0601001", "2026-01-05", None),
    ),
    (
        "arxiv_api_id_quant-ph_0201082v1_2026-04-12.xml",
        "arxiv-api",
        1,
        ("quant-ph/0201082", "2026-01-05", None),
    ),
    (
        "arxiv_api_idlist_partial_0808.05394_1707.08567_2026-04-12.xml",
        "arxiv-api",
        1,
        ("1707.08567", "2026-01-05", None),
    ),
    ("arxiv_api_empty_id_0000.0000_2026-04-12.xml", "arxiv-api", 0, None),
    ("arxiv_api_empty_id_0808.05394_2026-04-12.xml", "arxiv-api", 0, None),
    ("arxiv_api_query_all_nicotine_m10_2026-07-17_arxiv-digest.xml", "arxiv-api", 10, None),
    ("arxiv_api_query_cat_cs.CL_m2_2026-05-11_llm-paper-radar.xml", "arxiv-api", 2, None),
    (
        "arxiv_api_query_cs.AI_LG_CL_sortSubmitted_m25_2026-08-02_personal-news-feed.xml",
        "arxiv-api",
        25,
        None,
    ),
    ("arxiv_api_query_cs.LG_OR_cs.AI_m20_2026-04-30_brevio-ai.xml", "arxiv-api", 20, None),
    ("arxiv_api_query_cs.RO_neural_2025-10-17_legacyformat_xiv.xml", "arxiv-api", 2, None),
    ("arxiv_api_query_testing_s0_m100_2026-04-12.xml", "arxiv-api", 100, None),
    ("arxiv_api_query_testing_s0_m10_2026-04-12.xml", "arxiv-api", 10, None),
    ("arxiv_api_query_transformer_cs.LG_2026-06-14_sotawhat.xml", "arxiv-api", 5, None),
    (
        "hf_daily_papers_date_2026-05-08_llm-paper-radar.json",
        "hf-daily",
        37,
        ("2605.05242", "2026-05-08", None),
    ),
    (
        "hf_daily_papers_2026-07-13_ai-weekly-radar.json",
        "hf-daily",
        25,
        ("2607.07673", "2026-07-13", None),
    ),
    (
        "hf_daily_papers_limit30_fetched-2026-08-02_sunday_personal-news-feed.json",
        "hf-daily",
        30,
        ("2607.23193", "2026-07-31", None),
    ),
    (
        "hf_daily_papers_rss_feedgen_huangboming_2026-04-30_brevio-ai.xml",
        "feed",
        22,
        ("2604.21003", None, None),
    ),
    (
        "hf_daily_papers_rss_feedgen_single_item_2026-08-07_huangboming.xml",
        "feed",
        1,
        ("2608.06374", None, None),
    ),
    (
        "derived_rss_arxiv_filter_llm_summaries_2025-06-23_dzdydx-arxiv-rss-filter.xml",
        "feed",
        4,
        ("2506.16020", "2025-06-23", None),
    ),
    (
        "derived_rss_no_version_attr_dates_without_tz_2025-08-18_Toseic-Arxiv-RSS.xml",
        "feed",
        9,
        ("2508.11159", "2025-08-18", None),
    ),
    ("empty_rss_channel_no_items_2025-08-07_dzdydx-arxiv-rss-filter.xml", "feed", 0, None),
    ("empty_rss_derived_arxivapi_zero_items_2025-07-11_gbrammer-arxiv-to-rss.xml", "feed", 0, None),
    ("empty_rss_no_version_attr_no_tz_2024-12-27_holiday_Toseic-Arxiv-RSS.xml", "feed", 0, None),
    (
        "malformed_rss_control_char_backspace_2025-04-16_dzdydx-arxiv-rss-filter.xml",
        "feed",
        48,
        None,
    ),
    (
        "malformed_rss_unescaped_ampersand_in_title_2025-05-06_dzdydx-arxiv-rss-filter.xml",
        "feed",
        55,
        None,
    ),
]


def parse(name: str, kind: SourceKind | None = None):
    body = fixture_path(name).read_bytes()
    kind = kind or detect_kind(body, "", name)
    return kind, parse_source(kind, body, day=ASKED, label=name, source="test")


@pytest.mark.parametrize(
    ("name", "kind", "count", "first"), READABLE, ids=[r[0][:48] for r in READABLE]
)
def test_every_readable_fixture(name, kind, count, first):
    detected, parsed = parse(name)
    assert detected == kind
    assert len(parsed.listed) == count
    ids = [item.paper.id for item in parsed.listed]
    for item in parsed.listed:
        paper = item.paper
        assert paper.title, f"{paper.id} has no title"
        assert not any(ord(c) < 32 and c not in "\n\t" for c in paper.title + paper.abstract)
        assert "\n" not in paper.title
    if first:
        paper_id, day, announce = first
        assert ids[0] == paper_id
        if day:
            assert parsed.listed[0].day.isoformat() == day
        assert parsed.listed[0].announce_type == announce


def test_arxiv_rss_fields():
    _, parsed = parse("arxiv_rss_all_archives_2024-11-28_aioarxiv.xml")
    assert parsed.feed_day == date(2024, 11, 28)
    assert parsed.skip_days == ["Saturday", "Sunday"]
    types = {item.announce_type for item in parsed.listed}
    assert types == {"new", "replace", "cross"}
    first = parsed.listed[0].paper
    assert first.version == 1
    assert first.categories == ["cs.CY"]
    assert first.abstract.startswith("This study investigates")  # "Announce Type" prefix removed
    assert first.links["abs"] == "https://arxiv.org/abs/2411.17700"
    # Abstracts with `<` in formulas survive intact (feedparser's sanitizer would mangle them).
    assert any("\\frac{1}{3}<s<1$" in item.paper.abstract for item in parsed.listed)
    with_doi = [item.paper for item in parsed.listed if item.paper.doi]
    assert len(with_doi) == 111
    multi = next(item.paper for item in parsed.listed if len(item.paper.authors) > 3)
    assert all("," not in author for author in multi.authors)


def test_arxiv_api_fields_and_quirks():
    _, parsed = parse("arxiv_api_id_2104.12255v1_title0_2026-04-12.xml")
    assert parsed.listed[0].paper.title == "0"  # a falsy title is still the title
    _, old = parse("arxiv_api_id_astro-ph_0601001_oldstyle_2026-04-12.xml")
    paper = old.listed[0].paper
    assert paper.id == "astro-ph/0601001" and paper.journal_ref
    _, legacy = parse("arxiv_api_query_cs.RO_neural_2025-10-17_legacyformat_xiv.xml")
    for item in legacy.listed:
        assert "  " not in item.paper.title and not item.paper.abstract.startswith(" ")
        assert (
            item.paper.primary_category and item.paper.categories[0] == item.paper.primary_category
        )


def test_hf_daily_signals():
    _, parsed = parse("hf_daily_papers_date_2026-05-08_llm-paper-radar.json")
    paper = parsed.listed[0].paper
    assert paper.hf_upvotes == 86 and paper.hf_comments == 3
    assert (
        paper.github_repo == "https://github.com/DCI-Agent/DCI-Agent-Lite"
        and paper.github_stars == 101
    )
    assert "agentic search" in paper.ai_keywords
    assert paper.links["hf"] == "https://huggingface.co/papers/2605.05242"
    assert paper.links["abs"] == "https://arxiv.org/abs/2605.05242"
    with_project = [item.paper for item in parsed.listed if item.paper.project_page]
    assert len(with_project) == 11
    # A listing without a date filter spans two days: each paper keeps its own.
    _, spanning = parse("hf_daily_papers_2026-07-13_ai-weekly-radar.json")
    assert {item.day.isoformat() for item in spanning.listed} == {"2026-07-10", "2026-07-13"}


def test_generic_feed_filters_sentence_categories_and_doubled_guids():
    _, parsed = parse(
        "derived_rss_arxiv_filter_llm_summaries_2025-06-23_dzdydx-arxiv-rss-filter.xml"
    )
    for item in parsed.listed:
        assert all(" " not in category for category in item.paper.categories)
        assert item.paper.arxiv_id and item.paper.id == item.paper.arxiv_id


def test_generic_feed_html_descriptions_become_text():
    _, parsed = parse("hf_daily_papers_rss_feedgen_huangboming_2026-04-30_brevio-ai.xml")
    abstract = parsed.listed[0].paper.abstract
    assert "<p>" not in abstract and "<img" not in abstract
    assert "AI agents are increasingly deployed" in abstract


@pytest.mark.parametrize(
    "name",
    [
        "malformed_rss_control_char_backspace_2025-04-16_dzdydx-arxiv-rss-filter.xml",
        "malformed_rss_unescaped_ampersand_in_title_2025-05-06_dzdydx-arxiv-rss-filter.xml",
    ],
)
def test_malformed_feeds_keep_what_was_read_and_warn(name):
    _, parsed = parse(name)
    assert (
        parsed.warnings and "malformed XML" in parsed.warnings[0] and "line" in parsed.warnings[0]
    )
    assert not any("\x08" in item.paper.title + item.paper.abstract for item in parsed.listed)


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("malformed_truncated_arxiv_atom_cs.AI_2025-08-20_zotero-arxiv-daily.xml", None, "cut off"),
        (
            "arxiv_api_error_bad_id_abc_http400_2026-04-12.xml",
            None,
            "arXiv API reported an error: incorrect id format for abc",
        ),
        (
            "arxiv_rss_error_bad_archive_astroph_2024-11-28_aioarxiv.xml",
            None,
            "arXiv refused the feed",
        ),
        ("categories_labeled_dev.json", None, "not a Hugging Face Daily Papers list"),
        (
            "arxiv_rss_atom_cs.AI_2025-08-20_trimmed7_zotero-arxiv-daily.xml",
            HF_DAILY,
            "not valid JSON",
        ),
    ],
)
def test_unusable_responses_are_one_line_errors(name, kind, message):
    with pytest.raises(SourceError) as error:
        parse(name, kind)
    assert message in str(error.value)
    assert str(error.value).startswith(name) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<!DOCTYPE html><html><body>Login</body></html>", "text/html", "HTML page, not a feed"),
        (b"", "application/xml", "empty"),
        (b"%PDF-1.5 binary", "application/pdf", "neither a feed nor"),
        (b'{"error": "Invalid date"}', "application/json", "not a Hugging Face Daily Papers list"),
        (b"[1, 2", "application/json", "not valid"),
    ],
)
def test_detect_kind_refuses_what_is_not_a_feed(body, content_type, message):
    with pytest.raises(SourceError, match=message):
        detect_kind(body, content_type, "src")


def test_hf_error_object_and_hostile_titles():
    with pytest.raises(SourceError, match="Hugging Face answered Invalid date"):
        parse_source(HF_DAILY, b'{"error": "Invalid date"}', day=ASKED, label="hf", source="hf")
    hostile = (
        b'[{"paper": {"id": "2601.00001", "title": "Evil \\u001b]52;c;ZXZpbA==\\u0007 <script>x</script>'
        b' \\u202eTitle\\u0000", "summary": "a\\u0008b", "upvotes": 3}, "numComments": 1},'
        b' {"paper": {"id": "2601.00001", "title": "dup"}}, {"nope": 1}]'
    )
    parsed = parse_source(HF_DAILY, hostile, day=ASKED, label="hf", source="hf")
    title = parsed.listed[0].paper.title
    assert (
        "\x1b" not in title
        and "\x07" not in title
        and "\u202e" not in title
        and "\x00" not in title
    )
    assert "<script>x</script>" in title  # kept as text; escaping happens at each output
    assert parsed.listed[0].paper.abstract == "ab"
    assert len(parsed.listed) == 2  # the duplicate id is merged by the store, not here
    assert parsed.warnings == ["skipped 1 items without a usable paper id or title"]


def test_arxiv_rss_1_0_reads_new_cross_and_updated_papers():
    kind, parsed = parse(RSS1)
    assert kind == ARXIV_RSS and parsed.format == "arXiv RSS 1.0 (RDF) feed"
    # dc:date is the evening of the announcement (Monday); its papers are Tuesday's.
    assert parsed.feed_day == date(2021, 11, 2)
    rows = [
        (i.paper.id, i.paper.version, i.announce_type, i.paper.categories, i.day.isoformat())
        for i in parsed.listed
    ]
    assert rows == [
        ("2111.01127", 1, "new", ["cs.LG"], "2021-11-02"),
        ("2111.00986", 1, "new", ["cs.LG"], "2021-11-02"),
        ("2111.01003", 1, "cross", ["stat.ML"], "2021-11-02"),
        ("2110.14001", 2, "replace", ["cs.LG"], "2021-11-02"),
        ("2106.05931", 3, "replace", ["cs.CV"], "2021-11-02"),
    ]
    first = parsed.listed[0].paper
    assert first.title == "Routing Sparse Experts for Continual Learning"  # no "(arXiv:…)"
    assert first.authors == ["Jiyoon Kim", "Seojun Park", "Marco Rossi"]  # no HTML links
    assert "buffer of size $k<n$ keeps the" in first.abstract  # unescaped, unwrapped
    assert "<p>" not in first.abstract and "\n" not in first.abstract
    assert first.primary_category == "cs.LG" and first.links["abs"].endswith("/2111.01127")


def test_arxiv_rss_1_0_reads_the_same_when_malformed_and_as_a_generic_feed():
    body = fixture_path(RSS1).read_bytes()
    broken = body.replace(b"Routing Sparse", b"Routing & Sparse")  # a raw &: not well-formed
    recovered = parse_source(ARXIV_RSS, broken, day=ASKED, label="x", source="x")
    assert "malformed XML" in recovered.warnings[0]
    assert [(i.paper.id, i.announce_type, i.day) for i in recovered.listed] == [
        ("2111.01127", "new", date(2021, 11, 2)),
        ("2111.00986", "new", date(2021, 11, 2)),
        ("2111.01003", "cross", date(2021, 11, 2)),
        ("2110.14001", "replace", date(2021, 11, 2)),
        ("2106.05931", "replace", date(2021, 11, 2)),
    ]
    assert recovered.listed[0].paper.authors == ["Jiyoon Kim", "Seojun Park", "Marco Rossi"]
    generic = parse_source(FEED, body, day=ASKED, label="x", source="x")
    assert len(generic.listed) == 5 and generic.format == "RSS 1.0 (RDF) feed"
    assert generic.listed[3].paper.authors == ["Thomas Weber (The Tabular Collaboration)"]


def _rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        (  # arXiv's kind, but no item carries an arXiv id
            ARXIV_RSS,
            _rss("<item><title>a</title><link>https://x.org/1</link></item>" * 2),
            "read none of the 2 items of this arXiv RSS 2.0 feed",
        ),
        (  # a root the arXiv parser does not know, holding items
            ARXIV_RSS,
            b'<?xml version="1.0"?><digest><item><link>https://arxiv.org/abs/2111.01127</link>'
            b"</item></digest>",
            "read none of the 1 items of this arXiv RSS 2.0 feed",
        ),
        (
            FEED,
            _rss("<item><description>no title, link or id</description></item>" * 3),
            "read none of the 3 items of this RSS feed",
        ),
        (
            ARXIV_API,
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title></entry></feed>',
            "read none of the 1 items of this arXiv API response",
        ),
        (
            HF_DAILY,
            b'[{"title": "no paper object"}, {"paper": {"id": "../../etc/passwd", "title": "x"}}]',
            "read none of the 2 items of this Hugging Face Daily Papers list",
        ),
    ],
    ids=["arxiv-rss-no-ids", "arxiv-rss-unknown-root", "feed", "arxiv-api", "hf-daily"],
)
def test_items_that_none_could_be_read_are_an_error_never_an_empty_day(kind, body, message):
    with pytest.raises(SourceError) as error:
        parse_source(kind, body, day=ASKED, label="src", source="src")
    assert str(error.value).startswith(f"src: {message}")
    assert "--kind" in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "raw_id",
    [
        "../../etc/passwd",
        "..",
        "a/b",
        "x?next=https://evil.example",
        "id with space",
        "\u0000x",
        "",
    ],
)
def test_hf_ids_that_are_not_plain_ids_never_become_links(raw_id):
    import json

    items = [
        {"paper": {"id": raw_id, "title": "hostile"}},
        {"paper": {"id": "2601.00001", "title": "fine"}},
        {"paper": {"id": "hf-native_paper.2", "title": "fine too"}},
    ]
    parsed = parse_source(HF_DAILY, json.dumps(items).encode(), day=ASKED, label="hf", source="hf")
    assert [(i.paper.id, i.paper.links["hf"]) for i in parsed.listed] == [
        ("2601.00001", "https://huggingface.co/papers/2601.00001"),
        ("hf:hf-native_paper.2", "https://huggingface.co/papers/hf-native_paper.2"),
    ]
    assert parsed.warnings == ["skipped 1 items without a usable paper id or title"]
