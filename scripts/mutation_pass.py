"""A curated mutation pass: break one piece of important behaviour, run its tests, expect a failure.

    python scripts/mutation_pass.py                  # every mutation, its own test files
    python scripts/mutation_pass.py -k merge -k ids  # only mutations whose name contains a word
    python scripts/mutation_pass.py --full           # the whole suite for each mutation (slow)
    python scripts/mutation_pass.py --list           # the mutations and their tests
    python scripts/mutation_pass.py --check          # only check every snippet still applies

Each mutation names a file, an exact snippet of today's code, what replaces it, and the test
files that guard that behaviour. The pass copies the repository (tracked and untracked files,
as they are in the worktree, minus what .gitignore ignores) to a temporary directory, checks
that the tests pass there unchanged, then applies one mutation at a time, runs its tests with
`-x`, and restores the file. The worktree itself is never written.

- killed: the tests failed (or hung past --timeout): the behaviour is guarded.
- SURVIVED: the tests passed with the behaviour broken — a test is missing or cannot fail.
- NOT APPLICABLE: the snippet is no longer in the file exactly once (the code moved on): update
  the mutation. This fails the pass, so a stale list cannot look like a clean one.
- BROKEN: the mutated code did not even import or collect (a bad mutation, not a kill).

Exit status: 0 when every mutation was killed, 1 when any survived, 2 when any was not
applicable or broken. To add a mutation, append a `Mutation` to MUTATIONS below; keep the
snippet short but unique, and list the test files that should notice.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parent.parent

# The test files that guard each area; the cheap, direct ones first (pytest runs files in the
# order given, and -x stops at the first failure, so a killed mutation costs little).
GATE = ("tests/test_quality.py", "tests/test_summarize.py")
SUMMARIES = ("tests/test_summarize.py", "tests/test_pipeline.py")
SANITIZE = (
    "tests/test_sanitizers.py",
    "tests/test_hostile.py",
    "tests/test_report.py",
    "tests/test_feeds.py",
    "tests/test_mail.py",
)
TUI = ("tests/test_sanitizers.py", "tests/test_tui.py")
IDS = ("tests/test_store.py", "tests/test_sources.py", "tests/test_ingest.py")
MERGE = ("tests/test_store.py", "tests/test_ingest.py", "tests/test_sources.py")
MAIL = ("tests/test_store.py", "tests/test_mail.py", "tests/test_pipeline.py")
NOTIFY = ("tests/test_notify.py",)
CHANNELS = ("tests/test_channels.py", "tests/test_pipeline.py")
RUNS = ("tests/test_store.py", "tests/test_pipeline.py", "tests/test_resilience.py")
HTTP = ("tests/test_fetch.py", "tests/test_ingest.py")
FETCH = (
    "tests/test_fetch.py",
    "tests/test_ingest.py",
    "tests/test_sources.py",
    "tests/test_source_registry.py",
)
SEARCH = ("tests/test_search.py", "tests/test_cli.py")
WEEKLY = ("tests/test_weekly.py",)
WEEK_PAGE = ("tests/test_week_page.py",)
CURRENCY = (
    "tests/test_summarize.py",
    "tests/test_report.py",
    "tests/test_publish.py",
    "tests/test_pipeline.py",
)
CLAIMS = (
    "tests/test_store.py",
    "tests/test_mail.py",
    "tests/test_pipeline.py",
    "tests/test_resilience.py",
)
FEEDS = ("tests/test_feeds.py", "tests/test_publish.py")
SERVE = ("tests/test_serve.py", "tests/test_publish.py")
CLI = ("tests/test_cli.py", "tests/test_cli_hostile.py")
CONFIG = ("tests/test_config.py", "tests/test_cli.py", "tests/test_cli_hostile.py")
RULES = ("tests/test_rules_model.py", "tests/test_classify.py")


@dataclass(frozen=True)
class Mutation:
    """One deliberate break: `original` (found exactly once in `file`) becomes `replacement`."""

    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    breaks: str
    """What a user would lose if this shipped (shown for survivors)."""


MUTATIONS: list[Mutation] = [
    # --- the Korean quality gate (core/quality.py) and what the summarizer does with it -----
    Mutation(
        "gate-hanja-allowed",
        "core/quality.py",
        '(HANJA, _HAN, "Han characters (Hanja)"),',
        "",
        GATE,
        "Hanja such as 重大한 pass the gate",
    ),
    Mutation(
        "gate-english-allowed",
        "core/quality.py",
        "if result.hangul_ratio < min_hangul_ratio:",
        "if False:",
        GATE,
        "an English answer passes as a Korean summary",
    ),
    Mutation(
        "gate-too-short-allowed",
        "core/quality.py",
        "and hangul_chars < min_hangul_chars:",
        "and False:",
        GATE,
        "a one-word answer passes as a summary",
    ),
    Mutation(
        "gate-glued-latin-allowed",
        "core/quality.py",
        "        if mixed:\n",
        "        if False:\n",
        GATE,
        "dân족 (Vietnamese letters glued to Hangul) passes",
    ),
    Mutation(
        "gate-quotes-count-against",
        "core/quality.py",
        'lambda match: " " if _is_term(match.group(0), known) else match.group(0), text',
        "lambda match: match.group(0), text",
        GATE,
        "quoted English titles and (terms) make a good Korean answer fail",
    ),
    Mutation(
        "gate-invented-numbers-unflagged",
        "core/quality.py",
        "if _number_value(number) not in known and number not in invented:",
        "if False:",
        GATE,
        "numbers the abstract never gave are not flagged",
    ),
    Mutation(
        "gate-report-sections-unchecked",
        "core/quality.py",
        "missing = [section for section in REPORT_SECTIONS if section not in text]",
        "missing = []",
        GATE,
        "a report without the four sections is stored",
    ),
    Mutation(
        "gate-quoted-sentence-exempt",
        "core/quality.py",
        "if len(_LATIN_WORD.findall(inner)) <= MAX_TERM_WORDS:",
        "if True:",
        GATE,
        "a whole English sentence in quotes or parentheses passes as a Korean answer",
    ),
    Mutation(
        "gate-quoted-long-title-counts",
        "core/quality.py",
        'return bool(words) and any(f" {words} " in f" {title} " for title in titles)',
        "return False",
        GATE,
        "a good Korean answer quoting the paper's long title fails as not Korean enough",
    ),
    Mutation(
        "gate-copied-abstract-allowed",
        "core/quality.py",
        "    if copied:\n",
        "    if False:\n",
        GATE,
        "an answer that copies the abstract's sentences passes as a Korean summary",
    ),
    Mutation(
        "gate-copied-title-counts",
        "core/quality.py",
        "if gram in source_grams and gram not in title_grams:",
        "if gram in source_grams:",
        GATE,
        "quoting the paper's long title counts as copying the abstract",
    ),
    Mutation(
        "gate-small-counts-flagged",
        "core/quality.py",
        'if not (_number_value(number) < 10 and "." not in number)',
        "if True",
        GATE,
        "'2가지 방법' is flagged as an invented number",
    ),
    Mutation(
        "report-numbers-not-checked-against-abstracts",
        "core/quality.py",
        'source = "\\n".join([str(paper_count), *titles, *abstracts])',
        'source = "\\n".join([str(paper_count), *titles])',
        GATE,
        "every figure a report takes from its papers' abstracts is flagged as invented",
    ),
    Mutation(
        "report-numbers-checked-against-summaries",
        "core/summarize.py",
        "abstracts=[item.abstract for item in sent],",
        "abstracts=[item.summary for item in sent],",
        GATE,
        "a report quoting an abstract's figure that no summary kept is flagged as invented",
    ),
    Mutation(
        "faithful-sentences-keep-invented",
        "core/quality.py",
        "if not any(number in invented for number in numbers_in(sentence))",
        "if True",
        GATE,
        "a summary's invented figure reaches the category report",
    ),
    Mutation(
        "report-inputs-not-faithful",
        "core/digest.py",
        'text, left_out = faithful_sentences(state.text, f"{paper.title}\\n{paper.abstract}")',
        "text, left_out = state.text, []",
        CURRENCY,
        "the report is written from summaries with their invented figures",
    ),
    Mutation(
        "summary-stored-despite-gate",
        "core/summarize.py",
        "        if gate.ok and (best is None or len(gate.flags) < len(best[1].flags)):\n"
        "            best = (text, gate, result)",
        "        if best is None or len(gate.flags) < len(best[1].flags):\n"
        "            best = (text, gate, result)",
        GATE,
        "an answer that failed the gate is stored as an ok summary",
    ),
    Mutation(
        "summary-headings-kept",
        "core/summarize.py",
        'text = _HEADING.sub(r"\\1", text)',
        "text = text",
        GATE,
        "a heading the model was steered into writing stays in the summary",
    ),
    Mutation(
        "report-headings-not-lowered",
        "core/summarize.py",
        'text = _HEADING.sub(lambda m: f"#### {m.group(1)}" if m.group(1) else "", text)',
        "text = text",
        GATE,
        "a model's `#` heading opens a fake section of the published page",
    ),
    # --- currency: summaries and reports (core/digest.py decides), conditional GET ----------
    Mutation(
        "summary-key-ignores-abstract",
        "core/digest.py",
        "abstract_hash(paper.title, paper.abstract))",
        'abstract_hash(paper.title, ""))',
        SUMMARIES,
        "a revised abstract keeps the old summary",
    ),
    Mutation(
        "summary-key-ignores-prompt-version",
        "core/digest.py",
        "            self.prompt_version,\n",
        "            summary.prompt_version,\n",
        SUMMARIES,
        "a new summary prompt never rewrites the summaries made with the old one",
    ),
    Mutation(
        "summary-stale-counts-as-current",
        "core/digest.py",
        "            summary = stored[-1]\n            status = (\n"
        "                SummaryStatus.STALE if summary.status == SummaryStatus.OK"
        " else SummaryStatus.PENDING\n            )",
        "            summary = stored[-1]\n            status = summary.status",
        CURRENCY,
        "a summary of an older abstract or prompt is shown and kept as current",
    ),
    Mutation(
        "summary-cache-serves-failures",
        "core/summarize.py",
        "if force or item.summary.status != SummaryStatus.OK:",
        "if force or item.summary.status not in (SummaryStatus.OK, SummaryStatus.FAILED):",
        SUMMARIES,
        "a failed summary is never tried again by `dailyai summarize`",
    ),
    Mutation(
        "summary-on-demand-serves-failures",
        "core/summarize.py",
        "if state.status != SummaryStatus.OK:",
        "if state.status not in (SummaryStatus.OK, SummaryStatus.FAILED):",
        SUMMARIES,
        "asking for one paper's summary returns its stored failure instead of trying again",
    ),
    Mutation(
        "report-key-ignores-summaries",
        "core/digest.py",
        "return text_hash(category, *parts)",
        "return text_hash(category)",
        CURRENCY,
        "a category report is not rebuilt when its papers' summaries change",
    ),
    Mutation(
        "report-key-ignores-unsummarized-papers",
        "core/digest.py",
        'parts.append(f"{item.paper_id}\\x1e{item.title}\\x1e\\x00{item.summary_status}")',
        "pass",
        CURRENCY,
        "a paper joining a category (before its summary) leaves the old report current",
    ),
    Mutation(
        "report-key-ignores-prompt-version",
        "core/digest.py",
        "if report.prompt_version == prompt_version and report.inputs_hash == wanted",
        "if report.inputs_hash == wanted",
        CURRENCY,
        "a new report prompt never rewrites the reports made with the old one",
    ),
    Mutation(
        "report-stale-counts-as-current",
        "core/digest.py",
        "        report = reports[-1]\n"
        "        status = SummaryStatus.STALE if report.status == SummaryStatus.OK"
        " else SummaryStatus.PENDING",
        "        report = reports[-1]\n        status = report.status",
        CURRENCY,
        "a report written from other papers or summaries is shown as current",
    ),
    Mutation(
        "report-stale-not-rewritten",
        "core/summarize.py",
        "if not waiting and not force and section.report.status == SummaryStatus.OK:",
        "if not waiting and not force:",
        CURRENCY,
        "`dailyai summarize` leaves a stale or failed report as it is",
    ),
    Mutation(
        "report-stale-summary-used",
        "core/digest.py",
        "if state.status == SummaryStatus.OK and state.text.strip():",
        "if state.text.strip():",
        CURRENCY,
        "a stale summary (older abstract) is written into the report as if current",
    ),
    Mutation(
        "report-rewritten-when-inputs-came-out-same",
        "core/summarize.py",
        "if not self.force and await asyncio.to_thread(self._report_current, job.key, inputs):",
        "if False:",
        CURRENCY,
        "a report whose summaries failed again the same way is written again (a model call)",
    ),
    Mutation(
        "http-cache-never-written",
        "core/ingest.py",
        "        for page in pages:\n            await asyncio.to_thread(\n"
        "                store.http_cache_put,",
        "        for page in pages[:0]:\n            await asyncio.to_thread(\n"
        "                store.http_cache_put,",
        HTTP,
        "every fetch downloads the whole feed again",
    ),
    Mutation(
        "http-etag-not-sent",
        "core/fetch.py",
        'headers["If-None-Match"] = validators.etag',
        "pass",
        HTTP,
        "the ETag is stored but never sent back",
    ),
    Mutation(
        "http-last-modified-not-sent",
        "core/fetch.py",
        'headers["If-Modified-Since"] = validators.last_modified',
        "pass",
        HTTP,
        "Last-Modified is stored but never sent back",
    ),
    Mutation(
        "http-same-body-not-unchanged",
        "core/ingest.py",
        "cached.body_sha256 == fetched.sha256",
        "False",
        HTTP,
        "a server without conditional GET makes every fetch re-parse the same body",
    ),
    Mutation(
        "unchanged-ignores-detected-kind",
        "core/ingest.py",
        "                and (spec.kind or detect_kind(fetched.body, fetched.content_type, spec.name))\n"
        "                == cached.kind\n",
        "",
        HTTP,
        "the same bytes read as another kind (a source's kind set now) are skipped as unchanged",
    ),
    Mutation(
        "unchanged-ignores-configured-kind",
        "core/ingest.py",
        "    if spec.kind is not None and spec.kind != kind:\n        return False",
        "    if spec.kind is not None and spec.kind != kind:\n        pass",
        HTTP,
        "a source whose kind was corrected is skipped as unchanged, keeping the wrong parse",
    ),
    Mutation(
        "unchanged-ignores-parser-version",
        "core/ingest.py",
        "if cached.parser_version != kind_of(kind).parser_version:",
        "if False:",
        HTTP,
        "a fixed parser never re-reads the feed it misread (skipped as unchanged)",
    ),
    Mutation(
        "unchanged-though-nothing-stored",
        "core/ingest.py",
        "if not cached.listed:",
        "if False:",
        HTTP,
        "a feed that gave no papers is skipped as unchanged on the next fetch",
    ),
    Mutation(
        "unchanged-though-day-not-stored",
        "core/ingest.py",
        "return store.source_listed_on(spec.name, day)",
        "return True",
        HTTP,
        "a feed fetched for another day (or a wiped store) is skipped and the day stays empty",
    ),
    Mutation(
        "http-refresh-uses-cache",
        "core/ingest.py",
        "first = not refresh and index == 0",
        "first = index == 0",
        HTTP,
        "`fetch --refresh` still answers 'unchanged'",
    ),
    # --- fetching: one failure stays in its source, bounded reads, no pointless retries ------
    Mutation(
        "fetch-surprise-sinks-all",
        "core/ingest.py",
        "except Exception as error:  # a surprise in one source must not sink the others",
        "except SourceError as error:  # a surprise in one source must not sink the others",
        FETCH,
        "a bug in one source's parser fails the whole fetch, losing the other sources",
    ),
    Mutation(
        "fetch-file-read-unbounded",
        "core/fetch.py",
        "                    if len(body) > self.max_bytes:\n",
        "                    if False:\n",
        FETCH,
        "a file:// source on a device or a huge file is read into memory whole",
    ),
    Mutation(
        "fetch-body-cap-ignored",
        "core/fetch.py",
        "if len(self.body) + len(data) > self.limit:",
        "if False:",
        FETCH,
        "a chunked or compressed body larger than fetch.max_body_mb is read whole",
    ),
    Mutation(
        "fetch-inflate-unbounded",
        "core/fetch.py",
        "output = self.decompressor.decompress(data, limit - self.produced + 1)",
        "output = self.decompressor.decompress(data)",
        FETCH,
        "a gzip bomb is inflated whole in memory before the size cap is checked",
    ),
    Mutation(
        "fetch-inflate-cap-ignored",
        "core/fetch.py",
        "if self.produced > limit or self.decompressor.unconsumed_tail:",
        "if False:",
        FETCH,
        "a compressed body past the cap is cut silently instead of refused",
    ),
    Mutation(
        "fetch-declared-length-ignored",
        "core/fetch.py",
        "if declared and declared.isdigit() and int(declared) > self.max_bytes:",
        "if False:",
        FETCH,
        "a body declared larger than the cap is downloaded up to the cap before refusing",
    ),
    Mutation(
        "fetch-dns-retried",
        "core/fetch.py",
        "if isinstance(error, httpx.ConnectError) and _caused_by(error, socket.gaierror):",
        "if False:",
        FETCH,
        "a host name that does not resolve is retried with backoff and said as 'connection failed'",
    ),
    Mutation(
        "enrich-retries-unbounded",
        "core/ingest.py",
        "max_attempts=None if refresh else ENRICH_MAX_ATTEMPTS,",
        "max_attempts=None,",
        FETCH,
        "a paper the arXiv API never finds is asked for on every fetch, forever",
    ),
    Mutation(
        "enrich-failure-not-counted",
        "core/ingest.py",
        "await asyncio.to_thread(store.record_enrichment_attempt, ids, message)",
        "pass",
        FETCH,
        "a failed look-up is not counted, so the retry bound never applies to it",
    ),
    Mutation(
        "enrich-success-not-counted",
        "core/ingest.py",
        "await asyncio.to_thread(store.record_enrichment_attempt, ids)\n",
        "pass\n",
        FETCH,
        "ids the arXiv API does not know are looked up again on every fetch",
    ),
    Mutation(
        "enrich-attempted-offline",
        "core/ingest.py",
        "reachable = not results or any(not result.failed for result in results)",
        "reachable = True",
        FETCH,
        "an offline fetch spends each paper's bounded look-ups for nothing",
    ),
    Mutation(
        "source-unread-items-look-empty",
        "core/sources/__init__.py",
        "        if items:\n",
        "        if False:\n",
        FETCH,
        "a feed whose items the parser cannot read looks like an empty day, not an error",
    ),
    # --- sanitizers ------------------------------------------------------------------------
    Mutation(
        "clean-text-keeps-controls",
        "core/sanitize.py",
        'text = _UNSAFE_CHARS.sub("", text)',
        "text = text",
        SANITIZE,
        "ESC, NUL and bidi overrides are stored and reach terminals and feeds",
    ),
    Mutation(
        "one-line-keeps-controls",
        "core/sanitize.py",
        'return truncate(_WHITESPACE.sub(" ", _UNSAFE_CHARS.sub(" ", text)).strip(), limit)',
        'return truncate(_WHITESPACE.sub(" ", text).strip(), limit)',
        SANITIZE,
        "titles keep escape sequences",
    ),
    Mutation(
        "html-to-text-keeps-scripts",
        "core/sanitize.py",
        "        if not self._skip:\n",
        "        if True:\n",
        SANITIZE,
        "a feed's <script> body becomes abstract text",
    ),
    Mutation(
        "xml-text-does-nothing",
        "core/channels/feeds.py",
        'return _XML_UNSAFE.sub("", text or "")',
        'return text or ""',
        SANITIZE,
        "ESC and NUL reach the feed XML",
    ),
    Mutation(
        "feed-html-skips-nh3",
        "core/channels/feeds.py",
        "    return xml_text(\n        nh3.clean(\n            xml_text(fragment),",
        "    return xml_text(\n        fragment or nh3.clean(\n            xml_text(fragment),",
        SANITIZE,
        "a javascript: href or a <script> survives in a feed item",
    ),
    Mutation(
        "feed-html-any-scheme",
        "core/channels/feeds.py",
        'url_schemes={"http", "https"},',
        'url_schemes={"http", "https", "javascript", "data"},',
        SANITIZE,
        "javascript: and data: links survive in feed items",
    ),
    Mutation(
        "escape-markdown-does-nothing",
        "core/channels/render.py",
        'escaped = _MARKDOWN_INLINE.sub(r"\\\\\\1", one_line(text))',
        "escaped = one_line(text)",
        SANITIZE,
        "a title opens links, images and raw HTML in the report",
    ),
    Mutation(
        "escape-markdown-block-starts",
        "core/channels/render.py",
        "return _no_autolinks(_BLOCK_START.sub(_escape_block_start, escaped, 1))",
        "return _no_autolinks(escaped)",
        SANITIZE,
        "a title starting with `# ` or `1. ` becomes a heading or a list in the sources",
    ),
    Mutation(
        "autolinks-kept",
        "core/channels/render.py",
        "return _AUTOLINK.sub(escape, text)",
        "return text",
        SANITIZE,
        "bare URLs in untrusted text become links on GitHub",
    ),
    Mutation(
        "safe-url-any-scheme",
        "core/channels/render.py",
        'if scheme not in ("http", "https"):',
        "if False:",
        SANITIZE,
        "a javascript: paper link is printed as a link",
    ),
    Mutation(
        "safe-url-not-encoded",
        "core/channels/render.py",
        'return quote(url, safe="/:?#@!$&\'*+,;=%-._~")',
        "return url",
        SANITIZE,
        "a link with ) or a space breaks out of Markdown (...) and href",
    ),
    Mutation(
        "model-markdown-keeps-links",
        "core/channels/render.py",
        'return _no_autolinks(_MARKDOWN_LINKS.sub(r"\\\\\\1", model_markdown_source(text))).strip()',
        "return model_markdown_source(text).strip()",
        SANITIZE,
        "the model's links, images and raw HTML go into the report",
    ),
    Mutation(
        "model-headings-not-lowered",
        "core/channels/render.py",
        "if heading and len(heading.group(2)) < 3:",
        "if False:",
        SANITIZE,
        "a model's `#` heading poses as one of our sections",
    ),
    Mutation(
        "plain-markdown-block-starts",
        "core/channels/render.py",
        "lines.append(_no_autolinks(_BLOCK_START.sub(_escape_block_start, escaped, 1)))",
        "lines.append(_no_autolinks(escaped))",
        SANITIZE,
        "a summary line starting with # or - becomes a heading or list",
    ),
    Mutation(
        "model-html-raw-html",
        "core/channels/render.py",
        'MarkdownIt("commonmark", {"html": False})',
        'MarkdownIt("commonmark", {"html": True})',
        SANITIZE,
        "the model's raw HTML is interpreted (nh3 then silently drops it) instead of shown",
    ),
    Mutation(
        "feed-title-not-shown",
        "core/channels/templates/feed_paper.html",
        '<a href="{{ paper.url }}">{{ paper.title }}</a>',
        '<a href="{{ paper.url }}">{{ paper.id }}</a>',
        SANITIZE,
        "a feed item's paper has no title (only its escaped summary mentions <script>)",
    ),
    Mutation(
        "report-title-not-shown",
        "core/channels/report.py",
        'head = f"- **{escape_markdown(view.title)}**"',
        'head = f"- **{escape_markdown(view.id)}**"',
        SANITIZE,
        "the report's paper heading has no title",
    ),
    Mutation(
        "mail-title-not-shown",
        "core/channels/templates/email.html",
        '<div style="font-size:15px;line-height:1.45;font-weight:bold;">{% if paper.url %}<a href="{{ paper.url }}" style="color:#1a56db;text-decoration:none;">{{ paper.title }}</a>',
        '<div style="font-size:15px;line-height:1.45;font-weight:bold;">{% if paper.url %}<a href="{{ paper.url }}" style="color:#1a56db;text-decoration:none;">{{ paper.id }}</a>',
        SANITIZE,
        "the email's paper heading has no title",
    ),
    Mutation(
        "prompt-delimiters-not-defused",
        "core/prompts.py",
        'return _DELIMITER.sub(lambda match: f"[{match.group(1)}]", text).strip()',
        "return text.strip()",
        GATE,
        "an abstract can close <abstract> and speak as the prompt",
    ),
    Mutation(
        "tui-safe-keeps-controls",
        "tui/text.py",
        "return Text(clean_text(text), style=style)",
        'return Text(text or "", style=style)',
        TUI,
        "escape sequences in an abstract reach the terminal",
    ),
    Mutation(
        "tui-safe-parses-markup",
        "tui/text.py",
        "return Text(clean_text(text), style=style)",
        "return Text.from_markup(clean_text(text), style=style)",
        TUI,
        "[@click=app.quit] in a title becomes an action",
    ),
    Mutation(
        "tui-safe-line-keeps-controls",
        "tui/text.py",
        "return Text(one_line(text), style=style",
        'return Text(text or "", style=style',
        TUI,
        "escape sequences and newlines in a title reach the terminal",
    ),
    # --- the command line: CSV cells, closed pipes, error lines, --date bounds ---------------
    Mutation(
        "csv-formulas-kept",
        "cli/papers.py",
        "if isinstance(value, str) and value.startswith(FORMULA_STARTS):",
        "if False:",
        CLI,
        "a feed title =HYPERLINK(…) runs as a formula when the CSV export is opened",
    ),
    Mutation(
        "csv-tab-and-cr-formulas-kept",
        "cli/papers.py",
        'FORMULA_STARTS = ("=", "+", "-", "@", "\\t", "\\r")',
        'FORMULA_STARTS = ("=", "+", "-", "@")',
        CLI,
        "a cell starting with a tab or carriage return before = runs as a formula",
    ),
    Mutation(
        "cli-closed-pipe-reported-as-error",
        "cli/__init__.py",
        "        if _stdout_reader_gone():\n",
        "        if False:\n",
        CLI,
        "`dailyai export | head` ends with an error line and exit 1 instead of quietly",
    ),
    Mutation(
        "cli-any-broken-pipe-quiet",
        "cli/__init__.py",
        "        if _stdout_reader_gone():\n",
        "        if True:\n",
        CLI,
        "a connection that breaks mid-command ends quietly, as if the user closed the pipe",
    ),
    Mutation(
        "cli-closed-pipe-flushed-again-at-exit",
        "cli/__init__.py",
        "            _drop_stdout()\n",
        "            pass\n",
        CLI,
        "after a closed pipe Python's exit flush prints 'Exception ignored … BrokenPipeError'",
    ),
    Mutation(
        "cli-error-line-keeps-controls",
        "cli/common.py",
        'print(f"dailyai: {one_line(message, limit=MAX_MESSAGE_CHARS)}", file=sys.stderr)',
        'print(f"dailyai: {message}", file=sys.stderr)',
        CLI,
        "a --date or path echoed in an error can clear the screen or set the clipboard",
    ),
    Mutation(
        "date-future-admitted",
        "core/announcements.py",
        "if day > today + timedelta(days=1):",
        "if False:",
        CLI,
        "--date 2999-01-01 is taken: a day with no papers, and date windows past its range",
    ),
    Mutation(
        "date-tomorrow-refused",
        "core/announcements.py",
        "if day > today + timedelta(days=1):",
        "if day > today:",
        CLI,
        "in Korea's morning the UTC day Hugging Face already lists is refused as the future",
    ),
    Mutation(
        "date-before-arxiv-admitted",
        "core/announcements.py",
        '    if day < FIRST_DAY:\n        raise ConfigError(\n            _(\n                "--date',
        '    if False:\n        raise ConfigError(\n            _(\n                "--date',
        CLI,
        "--date 0001-01-01 is taken and date arithmetic before it overflows (a traceback)",
    ),
    # --- config: numeric keys in range (core/config.py) -------------------------------------
    Mutation(
        "config-range-unchecked",
        "core/config.py",
        "if bounds is not None and not bounds.admits(value):",
        "if False:",
        CONFIG,
        "a port of 99999 or a timeout of -1 in config.toml fails later with a traceback",
    ),
    # Range.admits' `math.isfinite` check cannot be broken to effect today: every numeric
    # key has a finite high bound (test_every_numeric_key_declares_its_range), and `inf` and
    # `nan` both fail `value <= high`. What a refused value's line tells the user can break:
    Mutation(
        "config-range-offers-refused-low",
        "core/config.py",
        "        if self.above and high is not None:\n"
        '            return _("{kind} more than {low} and at most {high}").format(\n'
        "                kind=kind, low=low, high=high\n            )\n        if self.above:\n",
        "        if False:\n"
        '            return _("{kind} more than {low} and at most {high}").format(\n'
        "                kind=kind, low=low, high=high\n            )\n        if False:\n",
        CONFIG,
        "timeout_seconds = 0 is refused with 'use a number from 0 to 3600', offering 0 again",
    ),
    Mutation(
        "config-open-low-bound-admitted",
        "core/config.py",
        "value <= self.low if self.above else value < self.low",
        "value < self.low",
        CONFIG,
        "a timeout of 0 seconds is taken: every request times out at once",
    ),
    Mutation(
        "config-high-bound-unchecked",
        "core/config.py",
        "return self.high is None or value <= self.high",
        "return True",
        CONFIG,
        "a ratio above 1 or a port above 65535 is taken from config.toml",
    ),
    # --- feeds: the day's stamps, what an item carries; serve's links ---------------------
    # Leaving UTC out of READER_ZONES changes nothing (the day in New York and in Seoul
    # overlap only within the UTC day, and every IANA zone's day meets that overlap), so the
    # UTC mutation moves the stamp off 12:00 UTC instead.
    Mutation(
        "feed-day-noon-not-utc",
        "core/channels/feeds.py",
        "moment = datetime.combine(day, time(12), UTC)",
        "moment = datetime.combine(day, time(12), ZoneInfo(config.general.timezone))",
        FEEDS,
        "items are stamped at noon of the configured zone, not the middle of the UTC day",
    ),
    Mutation(
        "feed-day-new-york-ignored",
        "core/channels/feeds.py",
        'READER_ZONES = ("UTC", "America/New_York", "Asia/Seoul")',
        'READER_ZONES = ("UTC", "Asia/Seoul")',
        FEEDS,
        "items read as another day in New York, where arXiv announces",
    ),
    Mutation(
        "feed-day-seoul-ignored",
        "core/channels/feeds.py",
        'READER_ZONES = ("UTC", "America/New_York", "Asia/Seoul")',
        'READER_ZONES = ("UTC", "America/New_York")',
        FEEDS,
        "items read as another day in Seoul, where our readers are",
    ),
    # day_window's "zone that does not overlap" guard never fires for a real zone (checked
    # for every IANA zone): no mutation there. Its caller's clamp of `updated` can break:
    Mutation(
        "feed-updated-leaves-its-day",
        "core/channels/feeds.py",
        "moment = min(max(newest, published), end - timedelta(seconds=1))",
        "moment = max(newest, published)",
        FEEDS,
        "a summary written again days later moves the item's updated stamp to that day",
    ),
    Mutation(
        "feed-day-dated-in-the-future",
        "core/channels/feeds.py",
        "        moment = min(moment, first_listed)\n",
        "        pass\n",
        FEEDS,
        "a run early in the day dates its items hours ahead (readers hide them until then)",
    ),
    Mutation(
        "feed-day-stamp-unclamped",
        "core/channels/feeds.py",
        "moment = min(max(moment, start), end - timedelta(seconds=1))",
        "moment = moment",
        FEEDS,
        "a day listed the evening before is dated on the previous day",
    ),
    Mutation(
        "feed-hostile-category-kept",
        "core/channels/feeds.py",
        "if ARXIV_CATEGORY.match(term) and term not in found:",
        "if term and term not in found:",
        FEEDS,
        "a source's made-up category text goes into the feed as an arXiv category",
    ),
    Mutation(
        "feed-hostile-link-kept",
        "core/channels/feeds.py",
        "safe = safe_url(url)",
        "safe = url",
        FEEDS,
        "a javascript: link of a paper reaches the feed item",
    ),
    Mutation(
        "serve-host-header-unchecked",
        "core/serve.py",
        "if _HOST_HEADER.match(host):",
        "if host:",
        SERVE,
        "a request's hostile Host header is written into the feed's links",
    ),
    Mutation(
        "serve-host-header-ignored",
        "core/serve.py",
        "if _HOST_HEADER.match(host):",
        "if False:",
        SERVE,
        "a feed reached under the machine's name links to 127.0.0.1",
    ),
    Mutation(
        "serve-links-not-rewritten",
        "core/serve.py",
        "data = rewrite_feed_links(data, base)",
        "pass",
        SERVE,
        "a feed served on another port links to where it was written for",
    ),
    Mutation(
        "serve-etag-same-for-every-host",
        "core/serve.py",
        'variant = f"-{zlib.crc32(base.encode()):x}" if base else ""',
        'variant = ""',
        SERVE,
        "a cache revalidates a feed rewritten for one host as current for another",
    ),
    # --- ids --------------------------------------------------------------------------------
    Mutation(
        "ids-version-dropped",
        "core/ids.py",
        "version = int(match.group(2)) if match.group(2) else None",
        "version = None",
        IDS,
        "a new arXiv version is not recognised as newer",
    ),
    Mutation(
        "ids-http-and-https-differ",
        "core/ids.py",
        'if scheme == "http":',
        "if False:",
        IDS,
        "the same page over http and https is two papers",
    ),
    Mutation(
        "ids-trailing-slash-differs",
        "core/ids.py",
        'path = parts.path.rstrip("/") or "/"',
        'path = parts.path or "/"',
        IDS,
        "a link with a trailing slash is another paper",
    ),
    Mutation(
        "ids-fragment-kept",
        "core/ids.py",
        'path, parts.query, ""))',
        "path, parts.query, parts.fragment))",
        IDS,
        "a link with #anchor is another paper",
    ),
    Mutation(
        "ids-hf-link-not-read",
        "core/ids.py",
        r"huggingface\.co/papers/|",
        "",
        IDS,
        "a feed item linking a Hugging Face paper page is not matched to its arXiv paper",
    ),
    Mutation(
        "ids-link-before-arxiv-id",
        "core/ids.py",
        "    if arxiv_id:\n        return arxiv_id",
        "    if arxiv_id and not link:\n        return arxiv_id",
        IDS,
        "a paper from HF and arXiv is stored twice",
    ),
    Mutation(
        "safe-slug-accepts-paths",
        "core/ids.py",
        'if not text or not _SLUG.match(text) or ".." in text:',
        "if not text:",
        IDS,
        "a Hugging Face id like ../../x climbs out of the paper URL's path",
    ),
    # --- merging ----------------------------------------------------------------------------
    Mutation(
        "merge-batch-last-wins",
        "core/store/papers.py",
        "batch[paper.id] = merge_paper(batch[paper.id], paper)",
        "batch[paper.id] = paper",
        MERGE,
        "a paper listed twice in one feed loses the first entry's categories, upvotes, links",
    ),
    Mutation(
        "merge-stored-replaced",
        "core/store/papers.py",
        "merged = merge_paper(stored, incoming)",
        "merged = incoming",
        MERGE,
        "a second source's copy replaces what the first one gave",
    ),
    Mutation(
        "merge-text-last-wins",
        "core/store/papers.py",
        "takes_text = newer or (not older and incoming.text_rank >= stored.text_rank)",
        "takes_text = True",
        MERGE,
        "an old version or HF's copy replaces arXiv's current text",
    ),
    Mutation(
        "merge-categories-replaced",
        "core/store/papers.py",
        "merged.categories = list(dict.fromkeys([*stored.categories, *incoming.categories]))",
        "merged.categories = incoming.categories or stored.categories",
        MERGE,
        "a cross-list's categories replace the paper's own",
    ),
    Mutation(
        "merge-links-replaced",
        "core/store/papers.py",
        "{**incoming.links, **stored.links} if not takes_text else {**stored.links, **incoming.links}",
        "incoming.links or stored.links",
        MERGE,
        "the HF link or the arXiv link is lost",
    ),
    Mutation(
        "merge-signals-erased",
        "core/store/papers.py",
        "        if getattr(incoming, name) is not None:\n            setattr(merged, name,",
        "        if True:\n            setattr(merged, name,",
        MERGE,
        "an arXiv copy (no upvotes) erases Hugging Face's upvotes",
    ),
    Mutation(
        "merge-version-not-raised",
        "core/store/papers.py",
        "        merged.version = incoming.version\n",
        "        pass\n",
        MERGE,
        "the stored version stays old, so the old text comes back",
    ),
    # --- search: Korean words inside compounds, the backlog of Korean text, snippets -------
    Mutation(
        "search-korean-morphemes-unused",
        "core/store/search.py",
        "    if not terms or terms == [word]:\n        return prefix",
        "    if True:\n        return prefix",
        SEARCH,
        "학습 no longer finds 강화학습을: Korean words match only at the start of a word",
    ),
    Mutation(
        "search-particle-kept",
        "core/store/search.py",
        "    for ending in PARTICLES_AND_ENDINGS:",
        "    for ending in ():",
        SEARCH,
        "모델의 or 제안하는 finds only text written exactly so",
    ),
    Mutation(
        "search-compounds-left-whole",
        "core/korean.py",
        "found.extend(self.split(form) if tag in NOUN_TAGS and len(form) >= 3 else [form])",
        "found.append(form)",
        SEARCH,
        "where Kiwi keeps 강화학습 whole (강화학습과), 학습 does not find it",
    ),
    Mutation(
        "search-stale-morphemes-stored",
        "core/store/search.py",
        "if row is None or _korean_text(row[0], row[1], row[2]) != text:",
        "if row is None:",
        SEARCH,
        "a summary rewritten during the analysis keeps the old one's morphemes for good",
    ),
    Mutation(
        "search-summary-not-queued",
        "core/store/search_index.py",
        '"INSERT OR IGNORE INTO search_backlog (paper_rowid) SELECT rowid FROM papers WHERE id = ?",',
        '"SELECT ?",',
        SEARCH,
        "a new summary is never analysed: its compounds are not found",
    ),
    Mutation(
        "search-analyser-failure-silent",
        "core/korean.py",
        "    if len(results) < len(texts) and not stopped:",
        "    if False:",
        SEARCH,
        "without kiwipiepy the index quietly stays incomplete, nobody is told why",
    ),
    Mutation(
        "search-two-enters",
        "tui/screens/search.py",
        '        self._open(self.query_one("#search-results", OptionList).highlighted)',
        '        self.query_one("#search-results", OptionList).focus()',
        ("tests/test_tui.py",),
        "opening a search result takes two Enter presses again",
    ),
    Mutation(
        "search-tui-never-analyses",
        "tui/screens/search.py",
        "        self._index_korean()\n",
        "",
        ("tests/test_tui.py",),
        "in the TUI, Korean words are never found inside compounds",
    ),
    # --- ledgers ----------------------------------------------------------------------------
    Mutation(
        "mail-ledger-ignored",
        "core/store/deliveries.py",
        "                    not force\n                    and db.execute(",
        "                    False\n                    and db.execute(",
        MAIL,
        "every `dailyai email` sends the day again to everyone",
    ),
    Mutation(
        "mail-ledger-failed-counts-as-sent",
        "core/store/deliveries.py",
        " AND status = 'sent'\",\n                        (channel, day_text(day), recipient_key(channel, address)),",
        '",\n                        (channel, day_text(day), recipient_key(channel, address)),',
        MAIL,
        "a recipient whose send failed is never retried",
    ),
    Mutation(
        "mail-ledger-sent-not-recorded",
        "core/channels/mail.py",
        "                status=DeliveryStatus.SENT,\n                message_id=message_id,\n",
        "                status=DeliveryStatus.FAILED,\n                message_id=message_id,\n",
        MAIL,
        "a recipient who got the digest is recorded as not sent, so the next run mails again",
    ),
    Mutation(
        "mail-ledger-case-sensitive",
        "core/store/claims.py",
        "return recipient.lower() if channel in (EMAIL_CHANNEL, WEEKLY_EMAIL_CHANNEL) else recipient",
        "return recipient",
        MAIL,
        "Alice@x and alice@x get the digest twice",
    ),
    # --- claims: one holder at a time (core/store/claims.py, core/owners.py) ----------------------
    Mutation(
        "mail-claim-not-taken",
        "core/store/deliveries.py",
        "other = self._take_claim(db, delivery_claim(channel, day, address), holder, None)",
        "other = None",
        CLAIMS,
        "two senders at once (a run and `dailyai email`) both mail the same recipient",
    ),
    Mutation(
        "mail-claim-case-sensitive",
        "core/store/claims.py",
        "return recipient.lower() if channel in (EMAIL_CHANNEL, WEEKLY_EMAIL_CHANNEL) else recipient",
        "return recipient",
        CLAIMS,
        "two senders at once mail Alice@x and alice@x, one person, twice",
    ),
    Mutation(
        "claim-live-holder-overridden",
        "core/store/claims.py",
        "            if _claim_alive(row):\n",
        "            if False:\n",
        CLAIMS,
        "a second process takes work a live holder is doing (two summarize runs, two senders)",
    ),
    Mutation(
        "claim-dead-holder-kept",
        "core/store/claims.py",
        "            if _claim_alive(row):\n",
        "            if True:\n",
        CLAIMS,
        "work held by a killed process is never taken over: the day is stuck",
    ),
    Mutation(
        "owner-reused-pid-alive",
        "core/owners.py",
        "return not started or ticks == started",
        "return True",
        CLAIMS,
        "an unrelated process that got the dead holder's pid keeps its claim forever",
    ),
    Mutation(
        "owner-zombie-alive",
        "core/owners.py",
        'if status in ("Z", "X"):',
        "if False:",
        CLAIMS,
        "a killed holder not yet reaped by its parent keeps its claim",
    ),
    Mutation(
        "owner-remote-heartbeat-never-stale",
        "core/owners.py",
        "return (now or datetime.now(UTC)) - seen < STALE_AFTER",
        "return True",
        CLAIMS,
        "a holder on another host that died keeps its run running and its claim forever",
    ),
    Mutation(
        "model-work-claim-ignored",
        "core/pipeline.py",
        "busy = await asyncio.to_thread(hold_model_work, services.store, day, run_id)",
        'busy = ""',
        CLAIMS,
        "two runs of a day summarize the same papers at once",
    ),
    Mutation(
        "model-work-held-while-publishing",
        "core/pipeline.py",
        "await asyncio.to_thread(services.store.release_claims, _holder(run_id))",
        "pass",
        CLAIMS,
        "a run still publishing or mailing blocks every other run's summaries",
    ),
    Mutation(
        "email-sent-while-another-summarizes",
        "core/pipeline.py",
        "if summarizing is not None and _delivers_later(summarizing, channel, result.run_id):",
        "if False:",
        CLAIMS,
        "a second run mails the digest with summaries still missing",
    ),
    Mutation(
        "run-ledger-never-finished",
        "core/pipeline.py",
        "run.finish(result.status, result.empty_reason)",
        "pass",
        RUNS,
        "every run looks unfinished (crashed) in the ledger",
    ),
    Mutation(
        "run-killed-never-interrupted",
        "core/store/ledger.py",
        'and not is_alive(row["host"], row["pid"], row["process_started"], row["seen"])',
        "and False",
        RUNS,
        "a killed run shows as running forever",
    ),
    Mutation(
        "run-closed-never-interrupted",
        "core/store/ledger.py",
        "            if self._own_runs:\n",
        "            if False:\n",
        RUNS,
        "a run whose process stopped without finishing it shows as running",
    ),
    Mutation(
        "run-ctrl-c-recorded-as-failed",
        "core/runs.py",
        "if isinstance(error, KeyboardInterrupt | asyncio.CancelledError):",
        "if False:",
        RUNS,
        "a run the user stopped is recorded as failed, not interrupted",
    ),
    Mutation(
        "run-ledger-steps-not-recorded",
        "core/runs.py",
        "await asyncio.to_thread(self._record_lines, outcome.lines or [outcome])",
        "await asyncio.to_thread(self._record_lines, [outcome])",
        RUNS,
        "the ledger does not say which source failed and why",
    ),
    Mutation(
        "chat-mentions-live",
        "core/channels/notify.py",
        'return _MENTION.sub("@" + ZERO_WIDTH_SPACE, escape_markdown(text))',
        "return escape_markdown(text)",
        NOTIFY,
        "a paper titled '@everyone …' pings the whole Slack or Discord channel",
    ),
    Mutation(
        "chat-inline-token-accepted",
        "core/channels/notify.py",
        'if text.strip(" :/@-_."):',
        "if False:",
        NOTIFY,
        "a chat token written into config.toml is accepted, and ends up in backups and repos",
    ),
    Mutation(
        "chat-ledger-ignored",
        "core/channels/notify.py",
        "wanted, holder, force=force, channel=NAME",
        "wanted, holder, force=True, channel=NAME",
        NOTIFY,
        "every run posts the day's digest to every chat again",
    ),
    Mutation(
        "chat-secret-in-error",
        "core/channels/notify.py",
        'text = text.replace(piece, "***")',
        "pass",
        NOTIFY,
        "a service's error quotes the token, and it lands in the ledger and on screen",
    ),
    Mutation(
        "chat-message-unsized",
        "core/channels/notify.py",
        "if message.length(target.title_in_body) <= target.limit:",
        "if True:",
        NOTIFY,
        "Discord and Telegram cut the digest mid-line instead of pointing at the report",
    ),
    Mutation(
        "channel-essential-ignored",
        "core/pipeline.py",
        "publish_failed = any(o.essential and o.status == RunStatus.FAILED for o in self.steps)",
        "publish_failed = False",
        CHANNELS,
        "a run that published nothing exits 3 (partial) instead of 1",
    ),
    # --- the weekly digest (core/weekly.py, core/channels/week.py) -------------------------
    Mutation(
        "week-number-unchecked",
        "core/weekly.py",
        "        if not 1 <= number <= last:\n",
        "        if False:\n",
        WEEKLY,
        "--week 2026-W54 is taken (as a week of 2027) instead of named as a bad week",
    ),
    Mutation(
        "week-report-under-the-day-prompt",
        "core/weekly.py",
        "            prompt_version=WEEKLY_PROMPT_VERSION,\n        )\n        sections.append(",
        "        )\n        sections.append(",
        WEEKLY,
        "a weekly report is never current: every run asks the model for the week again",
    ),
    Mutation(
        "week-keeps-invented-numbers",
        "core/weekly.py",
        "    invented = invented_numbers(text, source)\n    if not invented:\n        return text, []",
        "    invented = []\n    if not invented:\n        return text, []",
        WEEKLY,
        "a day report's invented figure is handed on to the week",
    ),
    Mutation(
        "week-gate-ignored",
        "core/weekly.py",
        "        if gate.ok and (best is None or len(gate.flags) < len(best[1].flags)):",
        "        if best is None or len(gate.flags) < len(best[1].flags):",
        WEEKLY,
        "a weekly report in Hanja or English is published as if it passed the gate",
    ),
    Mutation(
        "week-built-from-unusable-days",
        "core/weekly.py",
        "    usable = [item for item in section.inputs if item.usable]\n    if not usable:",
        "    usable = list(section.inputs)\n    if not usable:",
        WEEKLY,
        "a week is 'written' from days whose reports are pending or failed",
    ),
    Mutation(
        "week-email-shares-the-day-ledger",
        "core/channels/week.py",
        "        channel=WEEKLY_EMAIL_CHANNEL,\n",
        "",
        WEEKLY,
        "the week's email marks the Monday's daily email as sent (or is skipped because of it)",
    ),
    Mutation(
        "week-feed-unsanitized",
        "core/channels/week.py",
        "    return sanitize_feed_html(rendered)",
        "    return rendered",
        WEEKLY,
        "a hostile title's markup reaches feed readers raw",
    ),
    Mutation(
        "week-missing-day-unexplained",
        "core/weekly.py",
        '            return "missing", f"수집하지 않은 날입니다 ({command})", f"not fetched ({command})"',
        '            return "empty", "", ""',
        WEEKLY,
        "a day never fetched looks like an ordinary empty day in the weekly digest",
    ),
    Mutation(
        "week-page-unescaped",
        "core/channels/templates/week_page.html",
        '<a href="{{ paper.url }}">{{ paper.title }}</a>{% else %}{{ paper.title }}{% endif %}</strong>',
        '<a href="{{ paper.url }}">{{ paper.title|safe }}</a>{% else %}{{ paper.title }}{% endif %}</strong>',
        WEEK_PAGE,
        "a hostile title among the week's top papers runs its script on the week's page",
    ),
    Mutation(
        "week-links-the-markdown",
        "core/channels/layout.py",
        '    relative = week_dir(Path("."), week) / week_page_file_name(week)',
        '    relative = week_dir(Path("."), week) / f"Weekly_{week}_report.md"',
        WEEK_PAGE,
        "the weekly feed and email open the raw Markdown (no chart) instead of the week's page",
    ),
    Mutation(
        "index-forgets-the-weeks",
        "core/channels/page.py",
        "weeks=index_weeks(out_dir), days",
        "weeks=[], days",
        WEEK_PAGE,
        "the index served at / lists no week: the weekly pages cannot be found",
    ),
    # --- the rules method's learned layer (core/classify.py, core/rules_model.py) ------------
    Mutation(
        "rules-learned-overrides-hints",
        "core/classify.py",
        "(name for name, score in evidence.items() if best - score < 1e-9),",
        "(name for name in evidence),",
        RULES,
        "the labels' taste overrides a clear keyword: a quadruped-locomotion paper is not Robotics",
    ),
    Mutation(
        "rules-learned-hash-order",
        "core/rules_model.py",
        "seen = sorted(f for f in features(title) if f in self.vocabulary)",
        "seen = list({f for f in features(title) if f in self.vocabulary})",
        RULES,
        "the same title gets different odds from one run to the next (set order)",
    ),
]


@dataclass
class Outcome:
    mutation: Mutation
    verdict: str  # killed, timeout, SURVIVED, NOT APPLICABLE, BROKEN
    seconds: float = 0.0
    detail: str = ""


def workspace_files(root: Path) -> list[str]:
    """The worktree's files as git sees them: tracked and untracked, minus ignored ones."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def copy_workspace(root: Path, files: list[str], target: Path) -> None:
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination)


def pytest_command(tests: tuple[str, ...] | list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]


def run_tests(copy: Path, tests: tuple[str, ...] | list[str], timeout: float) -> tuple[str, str]:
    """Run `tests` in `copy`: ("passed" | "failed" | "broken" | "timeout", output tail).

    Test files that do not exist (renamed since the list was written) are left out.
    """
    tests = [test for test in tests if (copy / test).exists()]
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            pytest_command(tests),
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", ""
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    if done.returncode == 0:
        return "passed", tail
    if done.returncode == 1:
        return "failed", tail
    return "broken", tail  # 2 interrupted (collection error), 3 internal, 4 usage, 5 no tests


def apply(copy: Path, mutation: Mutation) -> str | None:
    """Write the mutated file into `copy`; the original text, or None if not applicable."""
    path = copy / mutation.file
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if text.count(mutation.original) != 1:
        return None
    path.write_text(text.replace(mutation.original, mutation.replacement), encoding="utf-8")
    return text


def _applies(root: Path, mutation: Mutation) -> bool:
    path = root / mutation.file
    return path.is_file() and path.read_text(encoding="utf-8").count(mutation.original) == 1


def not_applicable_detail(root: Path, mutation: Mutation) -> str:
    path = root / mutation.file
    if not path.is_file():
        return f"{mutation.file} does not exist"
    found = path.read_text(encoding="utf-8").count(mutation.original)
    return f"snippet found {found} times in {mutation.file} (needs exactly 1): update it"


def check_import_path(copy: Path) -> None:
    """The copy's own `core` must be the one imported, not the installed worktree's."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    found = subprocess.run(
        [sys.executable, "-c", "import core, tui; print(core.__file__); print(tui.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not all(Path(path).resolve().is_relative_to(copy.resolve()) for path in found):
        raise SystemExit(f"the copy imports core/tui from elsewhere ({found}); cannot mutate")


def run_one(copy: Path, mutation: Mutation, root: Path, timeout: float, full: bool) -> Outcome:
    original = apply(copy, mutation)
    if original is None:
        return Outcome(mutation, "NOT APPLICABLE", detail=not_applicable_detail(root, mutation))
    started = time.monotonic()
    try:
        result, tail = run_tests(copy, [] if full else mutation.tests, timeout)
    finally:
        (copy / mutation.file).write_text(original, encoding="utf-8")
    seconds = time.monotonic() - started
    verdict = {"failed": "killed", "timeout": "timeout", "passed": "SURVIVED"}.get(result, "BROKEN")
    detail = mutation.breaks if verdict == "SURVIVED" else (tail if verdict == "BROKEN" else "")
    return Outcome(mutation, verdict, seconds, detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-k", action="append", default=[], help="only names containing this")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--check", action="store_true", help="only check the snippets apply")
    parser.add_argument("--full", action="store_true", help="run the whole suite per mutation")
    parser.add_argument("--jobs", type=int, default=1, help="mutations run at once (copies)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per test run")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)

    chosen = [m for m in MUTATIONS if not args.k or any(word in m.name for word in args.k)]
    if args.list:
        for mutation in chosen:
            print(f"{mutation.name:36} {mutation.file:20} {' '.join(mutation.tests)}")
        return 0
    if not chosen:
        print("no mutation matches", file=sys.stderr)
        return 2
    if args.check:
        stale = [m for m in chosen if not _applies(ROOT, m)]
        for mutation in stale:
            print(f"NOT APPLICABLE  {mutation.name}: {not_applicable_detail(ROOT, mutation)}")
        print(f"{len(chosen) - len(stale)} of {len(chosen)} mutations apply")
        return 2 if stale else 0

    missing = sorted({t for m in chosen for t in m.tests if not (ROOT / t).exists()})
    if missing:
        print(f"warning: test files not found, left out: {' '.join(missing)}", flush=True)
    files = workspace_files(ROOT)
    with tempfile.TemporaryDirectory(prefix="dailyai-mutation-") as scratch:
        copies: Queue[Path] = Queue()
        for index in range(max(1, args.jobs)):
            copy = Path(scratch) / f"copy{index}"
            copy_workspace(ROOT, files, copy)
            copies.put(copy)
        first = copies.queue[0]
        check_import_path(first)
        if not args.no_baseline:
            tests = [] if args.full else sorted({t for m in chosen for t in m.tests})
            print(f"baseline: {' '.join(tests) or 'the whole suite'} ...", flush=True)
            result, tail = run_tests(first, tests, args.timeout * 4)
            if result != "passed":
                print(f"the tests fail without any mutation ({result}):\n{tail}")
                return 2

        lock = threading.Lock()
        outcomes: list[Outcome] = []

        def work(mutation: Mutation) -> None:
            copy = copies.get()
            try:
                outcome = run_one(copy, mutation, ROOT, args.timeout, args.full)
            finally:
                copies.put(copy)
            with lock:
                outcomes.append(outcome)
                print(
                    f"{outcome.verdict:15} {mutation.name:36} {outcome.seconds:6.1f} s"
                    + (f"\n    {outcome.detail}" if outcome.detail else ""),
                    flush=True,
                )

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(work, chosen))

    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    others = {v: n for v, n in counts.items() if v not in ("killed", "timeout")}
    print(
        f"\n{killed} of {len(outcomes)} killed"
        + (f" ({counts['timeout']} by timeout)" if counts.get("timeout") else "")
        + "".join(f", {count} {verdict}" for verdict, count in sorted(others.items()))
    )
    order = {m.name: i for i, m in enumerate(MUTATIONS)}
    for verdict in ("SURVIVED", "NOT APPLICABLE", "BROKEN"):
        for outcome in sorted(outcomes, key=lambda o: order[o.mutation.name]):
            if outcome.verdict == verdict:
                print(f"  {verdict}: {outcome.mutation.name} — {outcome.mutation.breaks}")
    if counts.get("NOT APPLICABLE") or counts.get("BROKEN"):
        return 2
    return 1 if counts.get("SURVIVED") else 0


if __name__ == "__main__":
    sys.exit(main())
