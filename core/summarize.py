"""Korean summaries: 2–4 sentences per paper, and a synthesis report per category per day.

What this module guarantees:

- Every answer passes the Korean gate (core.quality) or is retried with a stricter prompt
  that names what was wrong, a bounded number of times; then it is stored as failed with
  its reason. The English abstract is never stored or shown in its place.
- Each summary is stored under (paper, model, prompt version, abstract hash) and committed
  the moment it is made, so a killed run loses nothing; a re-run does only what is missing,
  failed or stale, and with nothing changed it sends no request at all.
- The day's digest selection is summarized first, category by category (largest first,
  in rank order within each); a category's report is written as soon as its papers'
  summaries are done, from those summaries (not the abstracts), shortened to fit
  `num_ctx` when a category is large. A summary's sentences with numbers not in its
  abstract stay out of it, and the report's own numbers are checked against the abstracts.
  A report is current only for its category's papers and summaries of now
  (core.digest.report_state decides, for this plan and for every view). Other papers are
  summarized on demand (`summarize_paper`) or within `digest.time_budget_minutes`.
- Up to `llm.parallel` requests per host run at once; answers stream to `on_token`; progress
  events carry an ETA from the measured speed (`StepProgress` from core.pipeline).
- Model output never changes what is stored structurally: a summary is one plain
  paragraph, a report's headings are folded to the report's own level, and the papers a
  report draws on are the ones that were sent, not what the model claims.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.classify import RuleClassifier, parse_combined, record_verdict, wants_combined
from core.config import Config
from core.digest import (
    DigestPaper,
    ReportInput,
    SummaryKey,
    build_digest,
    report_inputs,
    report_inputs_hash,
    report_state,
    summary_states,
)
from core.errors import DailyAIError, ModelError
from core.i18n import _, status_name
from core.llm import (
    ChatResult,
    HostReport,
    ModelClient,
    PromptTooLongError,
    estimate_tokens,
    make_client,
    messages_tokens,
)
from core.models import Paper, SummaryStatus
from core.progress import StepProgress
from core.prompts import (
    REPORT_PROMPT_VERSION,
    RETRY_REASONS,
    combined_messages,
    combined_schema,
    report_messages,
    report_paper_block,
    report_title_block,
    short_name,
    summary_messages,
)
from core.quality import GateResult, Problem, check_report, check_summary
from core.sanitize import clean_text, one_line
from core.store import Store

# A summary is 2–4 sentences (about 150–250 tokens); the cap stops a rambling model early.
SUMMARY_MAX_TOKENS = 512
# A combined answer's JSON around the summary: its keys, the category and the confidence.
COMBINED_EXTRA_TOKENS = 48
# For the ETA: a report costs about as much as this many summaries.
REPORT_UNITS = 3.0
# Before any summary by this model was timed: output tokens per summary, and the share of
# time spent reading the prompt on top of writing the answer.
EXPECTED_SUMMARY_TOKENS = 200
PROMPT_OVERHEAD = 1.25
MAX_SUMMARY_CHARS = 2000
MAX_REPORT_CHARS = 12000

ProgressCallback = Callable[[Any], None]
ModelWorkCallback = Callable[[list[tuple[str, str, str, str]]], None]
"""Receives (host, work, outcome, detail) rows for the run's ledger of model work."""
TokenCallback = Callable[[str], None]


@dataclass
class HostTrail:
    """Which model host wrote a summary or report, and the hosts that failed it first."""

    host: str = ""
    """The host whose answer was kept (or, when no answer passed the gate, the last one)."""
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(host, why) for each time a host failed a request and the work moved on."""
    kept: bool = False
    prompt_tokens: int = 0
    """Prompt tokens of every answer, as the servers counted them."""

    def add(self, result: ChatResult) -> None:
        """Note an answer (and the hosts that failed before it)."""
        self.failures.extend(result.failed_hosts)
        self.prompt_tokens += result.prompt_tokens or 0
        if not self.kept:
            self.host = result.host

    def keep(self, result: ChatResult) -> None:
        """The answer that is stored came from `result`'s host."""
        self.host, self.kept = result.host, True

    def rows(self, work: str, status: str) -> list[tuple[str, str, str, str]]:
        """(host, work, outcome, detail) rows for the run ledger (Store.record_model_work)."""
        rows = [(host, work, "failed", why) for host, why in self.failures]
        if self.host:
            rows.append((self.host, work, "wrote", status))
        return rows


@dataclass
class PaperSummary:
    """One paper's summary as a run left it (the fields of digest.SummaryState and more)."""

    paper_id: str
    status: str
    """Either ok (passed the gate) or failed (the reason says why; the text is empty)."""
    text: str = ""
    reason: str = ""
    flags: list[str] = field(default_factory=list)
    model: str | None = None
    attempts: int = 0
    cached: bool = False
    """Already stored under the current key: no request was made."""
    output_tokens: int | None = None
    duration_ms: int | None = None
    trail: HostTrail = field(default_factory=HostTrail)
    """Which host wrote it, and which failed on the way."""
    prompt_tokens: int = 0
    """Prompt tokens of every request it took, as the server counted them."""
    attempt_codes: list[list[str]] = field(default_factory=list)
    """The gate's problem and flag codes of each attempt ([] for a clean answer)."""
    category: str | None = None
    """The category it was given when asked together with its summary."""
    classified_by: str = ""
    """Who gave that category: "llm" (in the same answer) or "rules" (the answer had none)."""


@dataclass
class SummarizeStats:
    """What one summarize run did (recorded in the run ledger)."""

    day: str = ""
    total: int = 0
    """Summaries in scope: the selection (or the papers asked for)."""
    passed: int = 0
    """Summaries made now that passed the gate (other papers' included)."""
    retried: int = 0
    """Summaries that needed more than one attempt (passed or not)."""
    failed: int = 0
    cached: int = 0
    flagged: int = 0
    pending: int = 0
    """Summaries of the selection left undone (the run stopped part way)."""
    others_done: int = 0
    """Other papers of the day summarized within `digest.time_budget_minutes`."""
    others_left: int = 0
    """Other papers the time budget did not reach (summarized on demand, or next time)."""
    reports_written: int = 0
    reports_failed: int = 0
    reports_cached: int = 0
    reports_pending: int = 0
    requests: int = 0
    classified: int = 0
    """Digest papers the model classified in the same request as their summary."""
    classified_by_rules: int = 0
    """… and those whose answer had no valid category, or that the run did not reach."""
    prompt_tokens: int = 0
    """Prompt tokens of the summary requests (their categories' too), as servers counted."""
    report_prompt_tokens: int = 0
    host_failures: int = 0
    """Requests a host failed that then went to another host (or the same, later)."""
    hosts: list[HostReport] = field(default_factory=list)
    """What each model host answered and how often it failed."""
    tokens_per_second: float | None = None
    estimate_seconds: float | None = None
    """The run time estimated before starting."""
    stopped_reason: str = ""
    duration_ms: int = 0
    target: str = ""
    """What was summarized: the digest, a category, or "papers" (the run ledger's target)."""

    @property
    def status(self) -> str:
        if self.stopped_reason and not (self.passed or self.reports_written):
            return "failed"
        if self.stopped_reason or self.failed or self.reports_failed:
            return "partial"
        return "ok"

    @property
    def reason(self) -> str:
        """Why the status is not ok, when the run stopped (the run ledger's reason)."""
        return self.stopped_reason

    def as_counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            "total": self.total,
            "passed": self.passed,
            "retried": self.retried,
            "failed": self.failed,
            "cached": self.cached,
            "flagged": self.flagged,
            "pending": self.pending,
            "others_done": self.others_done,
            "others_left": self.others_left,
            "reports_written": self.reports_written,
            "reports_failed": self.reports_failed,
            "reports_cached": self.reports_cached,
            "reports_pending": self.reports_pending,
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "report_prompt_tokens": self.report_prompt_tokens,
        }
        if self.classified or self.classified_by_rules:
            counts["classified"] = self.classified
            counts["classified_by_rules"] = self.classified_by_rules
        if len(self.hosts) > 1 or self.host_failures:
            counts["hosts"] = len(self.hosts)
            counts["host_failures"] = self.host_failures
        if self.tokens_per_second:
            counts["tokens_per_second"] = round(self.tokens_per_second, 1)
        if self.estimate_seconds is not None:
            counts["estimate_seconds"] = round(self.estimate_seconds)
        return counts


def _progress(message: str, done: int, total: int, eta: float | None = None) -> StepProgress:
    return StepProgress("summarize", message, done, total, eta)


# --- cleaning model output -----------------------------------------------------------------

_FENCE = re.compile(r"^[ \t]*```.*$", re.MULTILINE)
_LABEL = re.compile(r"^\s*(?:\*\*)?(?:요약|한국어 요약|summary)(?:\*\*)?\s*[:：]\s*", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*|__")
_LIST_MARK = re.compile(r"^[ \t]*(?:[-*•]|\d+[.)])[ \t]+", re.MULTILINE)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)


def clean_summary(text: str) -> str:
    """A model's summary as one plain paragraph (labels, lists, Markdown and quotes dropped)."""
    text = clean_text(text)
    text = _FENCE.sub("", text)
    text = _HEADING.sub(r"\1", text)
    text = _LIST_MARK.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _LABEL.sub("", text)
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”「":
        text = text[1:-1].strip()
    return text[:MAX_SUMMARY_CHARS]


def clean_report(text: str) -> str:
    """A model's report as Markdown whose headings are all at the report's own level.

    The published page owns the higher levels (the day, the category); a `#` or `##` from
    the model would open a fake section there.
    """
    text = clean_text(text)
    text = _FENCE.sub("", text)
    text = _HEADING.sub(lambda m: f"#### {m.group(1)}" if m.group(1) else "", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text[:MAX_REPORT_CHARS]


def first_sentence(text: str) -> str:
    """The first sentence of a Korean summary (for compact report inputs)."""
    match = re.search(r"(?<!\d)[.!?。](?=\s|$)", text)
    return text[: match.end()].strip() if match else text.strip()


_SUMMARY_VALUE = re.compile(r'"summary"\s*:\s*"')
_OPEN_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\(?:u[0-9a-fA-F]{0,3})?$")


class SummaryStream:
    """Passes on only the summary's text of a streamed combined (JSON) answer.

    The reader watching a summary stream in should see Korean sentences, not JSON: the
    pieces are collected, and what has arrived of the "summary" string, unescaped, goes to
    `sink` as it grows.
    """

    def __init__(self, sink: TokenCallback) -> None:
        self.sink = sink
        self.text = ""
        self.sent = 0

    def __call__(self, piece: str) -> None:
        self.text += piece
        start = _SUMMARY_VALUE.search(self.text)
        if start is None:
            return
        raw = self.text[start.end() :]
        end = re.search(r'(?<!\\)(?:\\\\)*"', raw)
        raw = raw[: end.end() - 1] if end else _OPEN_ESCAPE.sub("", raw)
        try:
            value = json.loads(f'"{raw}"')
        except ValueError:
            return
        if len(value) > self.sent:
            self.sink(value[self.sent :])
            self.sent = len(value)


# --- one summary -------------------------------------------------------------------------


def _summary_key(paper: Paper, config: Config) -> dict[str, str]:
    return dataclasses.asdict(SummaryKey.of(paper, config.llm.model))


def cached_summary(store: Store, config: Config, paper: Paper) -> PaperSummary | None:
    """The stored summary that passed the gate under the paper's current key, if any."""
    state = summary_states(store, config.llm.model, [paper])[paper.id]
    if state.status != SummaryStatus.OK:
        return None
    return PaperSummary(
        paper.id,
        SummaryStatus.OK,
        state.text,
        state.reason,
        state.flags,
        state.model,
        state.attempts,
        cached=True,
    )


def _retry_problems(gate: GateResult) -> list[tuple[str, str]]:
    return [(problem.code, _detail(problem)) for problem in (*gate.problems, *gate.flags)]


def _detail(problem: Problem) -> str:
    """The part of a problem's detail the retry prompt quotes (e.g. the invented numbers)."""
    return problem.detail.split(": ", 1)[-1]


def _fitting_abstract(
    client: ModelClient, title: str, abstract: str, config: Config, with_category: bool = False
) -> tuple[str, bool]:
    """The abstract, cut at the end if needed so the prompt fits num_ctx; (text, was cut)."""
    budget = min(config.llm.num_predict, SUMMARY_MAX_TOKENS)
    # Room for the longest prompt a retry can send: the glossary and every retry reason.
    worst = [(code, "") for code in RETRY_REASONS]
    glossary = config.summaries.glossary
    names = [category.name for category in config.taxonomy.categories]

    def fits(text: str) -> bool:
        if with_category and not client.fits(
            combined_messages(names, config.taxonomy.fallback, title, text, glossary=glossary),
            budget + COMBINED_EXTRA_TOKENS,
        ):
            return False
        return client.fits(
            summary_messages(title, text, glossary=glossary, retry_problems=worst), budget
        )

    cut = False
    while abstract and not fits(abstract):
        abstract = abstract[: int(len(abstract) * 0.8)]
        cut = True
    return abstract, cut


async def _write_summary(
    store: Store,
    config: Config,
    client: ModelClient,
    paper: Paper,
    *,
    on_token: TokenCallback | None = None,
    on_attempt: Callable[[int], None] | None = None,
    with_category: bool = False,
) -> PaperSummary:
    """Ask for a paper's summary until it passes the gate (or attempts run out); store it.

    An attempt whose only problems are soft (numbers not in the abstract, a glossary term,
    too many sentences) is kept as the answer if no later attempt is clean. With
    `with_category` the first request also asks for the paper's category (one JSON answer,
    classify.combined): the category is stored at once, the summary goes through the gate,
    and a retry asks for the summary alone; without a valid category from the model the
    rules decide it. Raises ModelError when the model cannot be asked; nothing is stored
    then (a category already answered stays).
    """
    key = _summary_key(paper, config)
    taxonomy = config.taxonomy
    names = [category.name for category in taxonomy.categories]
    outcome = PaperSummary(paper.id, SummaryStatus.FAILED, model=client.model)
    if not paper.abstract.strip():
        outcome.reason = "no abstract to summarize (the source gave none)"
        await asyncio.to_thread(
            store.save_summary,
            paper.id,
            **key,
            status=SummaryStatus.FAILED,
            reason=outcome.reason,
            attempts=0,
        )
        await asyncio.to_thread(_classify_by_rules, store, config, paper, outcome, with_category)
        return outcome
    glossary = config.summaries.glossary
    abstract, cut = _fitting_abstract(client, paper.title, paper.abstract, config, with_category)
    if not abstract:
        outcome.reason = (
            "the prompt does not fit llm.num_ctx even without the abstract — raise num_ctx"
        )
        await asyncio.to_thread(
            store.save_summary,
            paper.id,
            **key,
            status=SummaryStatus.FAILED,
            reason=outcome.reason,
            attempts=0,
        )
        await asyncio.to_thread(_classify_by_rules, store, config, paper, outcome, with_category)
        return outcome
    attempts = max(1, config.summaries.max_attempts)
    trail = outcome.trail
    best: tuple[str, GateResult, ChatResult] | None = None
    last_reason = ""
    retry: list[tuple[str, str]] = []
    duration_ms = 0
    attempt = 0
    budget = min(config.llm.num_predict, SUMMARY_MAX_TOKENS)
    for attempt in range(1, attempts + 1):
        if on_attempt is not None:
            on_attempt(attempt)
        combined = with_category and attempt == 1
        if combined:
            messages = combined_messages(
                names, taxonomy.fallback, paper.title, abstract, glossary=glossary
            )
        else:
            messages = summary_messages(
                paper.title, abstract, glossary=glossary, retry_problems=retry
            )
        sink = SummaryStream(on_token) if combined and on_token is not None else on_token
        try:
            result = await client.chat(
                messages,
                format=combined_schema(names) if combined else None,
                on_token=sink,
                num_predict=budget + (COMBINED_EXTRA_TOKENS if combined else 0),
                on_restart=(lambda a=attempt: on_attempt(a)) if on_attempt is not None else None,
            )
        except PromptTooLongError as error:
            last_reason = str(error)
            break
        trail.add(result)
        duration_ms += result.duration_ms or 0
        answer = result.text
        if combined:
            verdict, answer = parse_combined(result.text, names)
            if verdict is not None:
                verdict.model = client.model
                recorded = await asyncio.to_thread(record_verdict, store, config, paper.id, verdict)
                outcome.category = verdict.category if recorded else None
                outcome.classified_by = "llm"
            answer = answer or ""
        text = clean_summary(answer)
        gate = check_summary(
            text,
            title=paper.title,
            abstract=paper.abstract,
            min_hangul_ratio=config.summaries.min_hangul_ratio,
            glossary=glossary,
        )
        if result.truncated:
            gate.problems.append(prompt_cut(result))
            # The model's tokenizer counts more than estimated: send less next time.
            abstract, cut = abstract[: int(len(abstract) * 0.6)], True
        if result.done_reason == "length":
            gate.flags.append(Problem("sentences", "the answer hit num_predict and was cut off"))
        outcome.attempt_codes.append([problem.code for problem in (*gate.problems, *gate.flags)])
        if gate.ok and (best is None or len(gate.flags) < len(best[1].flags)):
            best = (text, gate, result)
            trail.keep(result)
        if gate.clean:
            break
        last_reason = gate.reason or "; ".join(gate.flag_texts)
        retry = _retry_problems(gate)
    await asyncio.to_thread(_classify_by_rules, store, config, paper, outcome, with_category)
    outcome.attempts = attempt
    outcome.duration_ms = duration_ms
    outcome.prompt_tokens = trail.prompt_tokens
    if best is None:
        outcome.reason = last_reason
        await asyncio.to_thread(
            store.save_summary,
            paper.id,
            **key,
            status=SummaryStatus.FAILED,
            reason=last_reason,
            attempts=attempt,
            prompt_tokens=trail.prompt_tokens or None,
            duration_ms=duration_ms,
        )
        return outcome
    text, gate, result = best
    flags = gate.flag_texts + (["abstract shortened to fit num_ctx"] if cut else [])
    await asyncio.to_thread(
        store.save_summary,
        paper.id,
        **key,
        status=SummaryStatus.OK,
        text=text,
        flags=flags,
        attempts=attempt,
        # Every request this summary took (its category's too, when asked together).
        prompt_tokens=trail.prompt_tokens or None,
        output_tokens=result.output_tokens,
        duration_ms=duration_ms,
    )
    outcome.status, outcome.text, outcome.flags = SummaryStatus.OK, text, flags
    outcome.output_tokens = result.output_tokens
    return outcome


def _classify_by_rules(
    store: Store, config: Config, paper: Paper, outcome: PaperSummary, with_category: bool
) -> None:
    """A paper asked with its category that the model did not classify gets rules' verdict
    (a blocking write: called in a worker thread)."""
    if not with_category or outcome.classified_by:
        return
    verdict = RuleClassifier(config.taxonomy).classify_paper(paper)
    outcome.category = (
        verdict.category if record_verdict(store, config, paper.id, verdict) else None
    )
    outcome.classified_by = "rules"


async def summarize_paper(
    store: Store,
    config: Config,
    paper_id: str,
    *,
    client: ModelClient | None = None,
    force: bool = False,
    on_token: TokenCallback | None = None,
    on_attempt: Callable[[int], None] | None = None,
    with_category: bool = False,
) -> PaperSummary:
    """One paper's Korean summary, streaming its text to `on_token` as it arrives.

    Returns the stored summary without a request when it is current (unless `force`).
    `on_attempt(n)` is called when attempt n starts (the text starts again then).
    `with_category` asks for its category in the same request (as a daily run does for a
    digest paper without one). Raises DailyAIError for an unknown paper and ModelError when
    the model cannot answer.
    """
    paper = await asyncio.to_thread(store.get_paper, paper_id)
    if paper is None:
        raise DailyAIError(
            _("no stored paper '{paper_id}' — check the id").format(
                paper_id=one_line(paper_id, limit=80)
            )
        )
    found = None if force else await asyncio.to_thread(cached_summary, store, config, paper)
    if found is not None:
        return found
    own = client is None
    client = client or make_client(config)
    try:
        return await _write_summary(
            store,
            config,
            client,
            paper,
            on_token=on_token,
            on_attempt=on_attempt,
            with_category=with_category,
        )
    finally:
        if own:
            await client.aclose()


# --- one category report -------------------------------------------------------------------


def _fit_report(
    client: ModelClient,
    category: str,
    inputs: Sequence[ReportInput],
    glossary: dict[str, str],
    retry: list[tuple[str, str]],
    scale: float,
) -> tuple[list[dict[str, str]], list[str], list[str]]:
    """Messages for a report that fit num_ctx; (messages, paper ids sent, flags).

    A large category is shortened step by step: every summary cut to its first sentence,
    then the lowest-ranked papers named by title only, then those titles left out. A paper
    whose summary has nothing left to give (every sentence held an invented number) is
    named by title only.
    `scale` (below 1 after Ollama reported a cut prompt) shrinks the room the prompt may
    take. Sizes are estimated per paper once, so a category of hundreds stays quick.
    """
    room = (client.config.num_ctx - client.config.num_predict) * scale
    ratio = max(1.0, client.token_ratio)
    base = messages_tokens(report_messages(category, [], glossary=glossary, retry_problems=retry))
    full = [estimate_tokens(report_paper_block(i.title, i.summary)) + 1 for i in inputs]
    short = [
        estimate_tokens(report_paper_block(i.title, first_sentence(i.summary))) + 1 for i in inputs
    ]
    titles = [estimate_tokens(report_title_block(i.title)) + 1 for i in inputs]

    def build(summarized: int, named: int, shorten: bool) -> list[dict[str, str]]:
        pairs = [
            (i.title, first_sentence(i.summary) if shorten else i.summary)
            for i in inputs[:summarized]
            if i.summary
        ]
        return report_messages(
            category,
            pairs,
            title_only=[i.title for i in inputs[:summarized] if not i.summary]
            + [i.title for i in inputs[summarized:named]],
            glossary=glossary,
            retry_problems=retry,
        )

    def fits(messages: list[dict[str, str]]) -> bool:
        return client.prompt_size(messages) <= room

    count = len(inputs)
    if (base + sum(full)) * ratio <= room and fits(messages := build(count, count, False)):
        return messages, [i.paper_id for i in inputs], []
    # The most papers with a shortened summary, the rest by title.
    summarized = 0
    running = base + sum(titles)
    while summarized < count and (running + short[summarized] - titles[summarized]) * ratio <= room:
        running += short[summarized] - titles[summarized]
        summarized += 1
    named = count
    running = base + sum(short[:summarized]) + sum(titles[summarized:])
    while named > 1 and running * ratio > room:
        named -= 1
        running -= titles[named] if named >= summarized else short[named]
        summarized = min(summarized, named)
    summarized = max(1, min(summarized, named))
    while True:  # the per-paper sums are estimates too: check the real prompt
        messages = build(summarized, named, True)
        if fits(messages):
            break
        if summarized > 1:
            summarized -= 1
        elif named > 1:
            named -= 1
        else:
            raise PromptTooLongError(
                _(
                    "even one paper does not fit llm.num_ctx = {num_ctx} for a report — raise num_ctx"
                ).format(num_ctx=client.config.num_ctx)
            )
    flags = ["built from shortened summaries to fit num_ctx"]
    if named > summarized:
        flags.append(f"{named - summarized} papers named by title only to fit num_ctx")
    if named < count:
        flags.append(f"{count - named} papers left out to fit num_ctx")
    return messages, [i.paper_id for i in inputs[:named]], flags


async def _write_report(
    store: Store,
    config: Config,
    client: ModelClient,
    day: date,
    category: str,
    inputs: Sequence[ReportInput],
    *,
    on_token: TokenCallback | None = None,
) -> tuple[str, HostTrail]:
    """Write (and store) a category's report from its papers' summaries; its status, and
    which host wrote it.

    `inputs` are all the category's papers (digest.report_inputs): those with a summary
    that passed the gate are sent, without the sentences that hold numbers not in their
    abstracts; the report's own numbers are checked against those abstracts.
    """
    key = {
        "model": config.llm.model,
        "prompt_version": REPORT_PROMPT_VERSION,
        "inputs_hash": report_inputs_hash(category, inputs),
        "inputs": [(item.paper_id, item.state) for item in inputs],
    }
    usable = [item for item in inputs if item.usable]
    if not usable:
        reason = "no summary of this category passed the gate, so there is nothing to build from"
        await asyncio.to_thread(
            store.save_category_report,
            day,
            category,
            **key,
            status=SummaryStatus.FAILED,
            reason=reason,
            attempts=0,
        )
        return SummaryStatus.FAILED, HostTrail()
    glossary = config.summaries.glossary
    names = [short_name(item.title) for item in usable]
    retry: list[tuple[str, str]] = []
    scale = 1.0
    trail = HostTrail()
    best: tuple[str, GateResult, list[str], list[str]] | None = None
    last_reason = ""
    attempt = 0
    for _attempt in range(max(1, config.summaries.max_attempts)):
        attempt += 1
        messages, sent_ids, fit_flags = _fit_report(
            client, category, usable, glossary, retry, scale
        )
        result = await client.chat(messages, on_token=on_token)
        trail.add(result)
        text = clean_report(result.text)
        sent = [item for item in usable if item.paper_id in set(sent_ids)]
        gate = check_report(
            text,
            titles=[item.title for item in sent],
            abstracts=[item.abstract for item in sent],
            # The prompt gives the number of papers sent, so the report may name it.
            paper_count=len(sent_ids),
            paper_names=names,
            min_hangul_ratio=config.summaries.min_hangul_ratio,
            glossary=glossary,
        )
        if result.truncated:
            # The model's tokenizer counts more than estimated: send less next time.
            scale *= 0.6
            gate.problems.append(prompt_cut(result))
        if gate.ok and (best is None or len(gate.flags) < len(best[1].flags)):
            best = (text, gate, sent_ids, fit_flags)
            trail.keep(result)
        if gate.clean:
            break
        last_reason = gate.reason or "; ".join(gate.flag_texts)
        retry = _retry_problems(gate)
    if best is None:
        await asyncio.to_thread(
            store.save_category_report,
            day,
            category,
            **key,
            status=SummaryStatus.FAILED,
            reason=last_reason,
            paper_ids=[item.paper_id for item in usable],
            attempts=attempt,
        )
        return SummaryStatus.FAILED, trail
    text, gate, sent_ids, fit_flags = best
    await asyncio.to_thread(
        store.save_category_report,
        day,
        category,
        **key,
        status=SummaryStatus.OK,
        text=text,
        flags=gate.flag_texts + fit_flags + _input_flags(usable, sent_ids),
        paper_ids=sent_ids,
        attempts=attempt,
    )
    return SummaryStatus.OK, trail


def _input_flags(usable: Sequence[ReportInput], sent_ids: Sequence[str]) -> list[str]:
    """What the reader should know about the summaries a report was given."""
    cut = [item for item in usable if item.left_out and item.paper_id in sent_ids]
    if not cut:
        return []
    names = ", ".join(f"'{short_name(item.title)}'" for item in cut[:3])
    more = f" and {len(cut) - 3} more" if len(cut) > 3 else ""
    summaries = "1 summary" if len(cut) == 1 else f"{len(cut)} summaries"
    return [
        f"built without the sentences of {summaries} that hold numbers not in their abstracts"
        f" ({names}{more})"
    ]


# --- a day's run ---------------------------------------------------------------------------


@dataclass
class _Job:
    kind: str  # "summary", "other" or "report"
    key: str  # a paper id, or a category name
    paper: Paper | None = None


@dataclass
class _ReportPlan:
    category: str
    members: list[DigestPaper]
    waiting: set[str]


@dataclass
class SummaryPlan:
    """What a summarize run would do: the work pending and what is already current."""

    summaries: list[Paper] = field(default_factory=list)
    """Selected papers (or the papers asked for) to summarize, in the order they are done."""
    others: list[Paper] = field(default_factory=list)
    """The day's other papers to summarize within the time budget."""
    reports: list[_ReportPlan] = field(default_factory=list)
    cached: int = 0
    reports_cached: int = 0
    combined: list[Paper] = field(default_factory=list)
    """Those of `summaries` to be classified in the same request (classify.wants_combined):
    they are done first, and the reports are planned once their categories are known."""

    @property
    def work_units(self) -> float:
        """The selection's work in summary-sized units (reports count more)."""
        return len(self.summaries) + REPORT_UNITS * len(self.reports)

    @property
    def empty(self) -> bool:
        return not (self.summaries or self.others or self.reports)


def plan_day(
    store: Store,
    config: Config,
    day: date,
    *,
    category: str | None = None,
    paper_ids: Sequence[str] | None = None,
    force: bool = False,
) -> SummaryPlan:
    """The pending work of a summarize run for `day` (see summarize_day)."""
    digest = build_digest(store, config, day)
    plan = SummaryPlan()
    if paper_ids is not None:
        known = {p.paper.id: p for p in (*digest.selected, *digest.others)}
        for paper_id in dict.fromkeys(paper_ids):
            item = known.get(paper_id)
            paper = item.paper if item is not None else store.get_paper(paper_id)
            if paper is None:
                raise DailyAIError(
                    _("no stored paper '{paper_id}' — check the id").format(
                        paper_id=one_line(paper_id, limit=80)
                    )
                )
            if item is not None:
                status = item.summary.status
            else:
                status = summary_states(store, config.llm.model, [paper])[paper.id].status
            if force or status != SummaryStatus.OK:
                plan.summaries.append(paper)
            else:
                plan.cached += 1
        return plan
    if category is not None:
        names = [c.name for c in config.taxonomy.categories]
        if category not in names:
            raise DailyAIError(
                _("unknown category '{category}' — one of: {items}").format(
                    category=one_line(category, limit=80), items=", ".join(names)
                )
            )
    selected = [p for p in digest.selected if category is None or p.category == category]
    # A starred paper whose new version changed its abstract gets its summary written again
    # on the day it changed, whether or not it made the day's selection.
    selected += [
        p
        for p in digest.others
        if p.update is not None
        and p.update.abstract_changed
        and (category is None or p.category == category)
    ]
    # Category by category, the largest first: each category's report can then be written
    # while the other categories' summaries go on, and the run ends on the smallest report.
    # Papers without a category (no report waits for them) come last and fill the slots.
    sizes = {section.category.name: len(section.papers) for section in digest.sections}
    order = {name: index for index, name in enumerate(sorted(sizes, key=lambda n: -sizes[n]))}
    selected.sort(key=lambda p: (order.get(p.category or "", len(order)), p.rank))
    pending_ids: set[str] = set()
    # What is current is decided once, in core.digest, for this plan and for every view.
    for item in selected:
        if force or item.summary.status != SummaryStatus.OK:
            plan.summaries.append(item.paper)
            pending_ids.add(item.paper.id)
            if category is None and wants_combined(config, config.classify.method, item):
                plan.combined.append(item.paper)
        else:
            plan.cached += 1
    for section in digest.sections:
        if category is not None and section.category.name != category:
            continue
        members = section.papers
        waiting = {p.paper.id for p in members if p.paper.id in pending_ids}
        if not waiting and not force and section.report.status == SummaryStatus.OK:
            plan.reports_cached += 1
            continue
        plan.reports.append(_ReportPlan(section.category.name, members, waiting))
    if config.digest.time_budget_minutes > 0:
        for item in digest.others:
            if category is not None and item.category != category:
                continue
            if item.summary.status != SummaryStatus.OK:
                plan.others.append(item.paper)
    return plan


def _report_inputs(
    store: Store, config: Config, members: Sequence[DigestPaper]
) -> list[ReportInput]:
    """The category's papers with their summaries as stored now (after this run's work)."""
    papers = [member.paper for member in members]
    return report_inputs(papers, summary_states(store, config.llm.model, papers))


def seconds_per_summary(
    store: Store, config: Config, tokens_per_second: float | None
) -> float | None:
    """How long one summary takes on this machine, from what was measured.

    The median time of the model's recent summaries when there are some; else the
    expected summary length at the measured speed; None when nothing was measured.
    """
    timings = [ms for ms, _ in store.summary_timings(config.llm.model) if ms]
    if len(timings) >= 3:
        return statistics.median(timings) / 1000
    if tokens_per_second:
        return EXPECTED_SUMMARY_TOKENS / tokens_per_second * PROMPT_OVERHEAD
    return None


def estimate_seconds(plan: SummaryPlan, per_summary: float | None, parallel: float) -> float | None:
    """The selection's run time: its work at the measured pace, spread over `parallel`."""
    if per_summary is None:
        return None
    return plan.work_units * per_summary / max(1, parallel)


class _DayRun:
    """One summarize run: a pool of `parallel` workers over a queue of jobs."""

    def __init__(
        self,
        store: Store,
        config: Config,
        client: ModelClient,
        day: date,
        plan: SummaryPlan,
        stats: SummarizeStats,
        report: ProgressCallback,
        on_token: Callable[[str, str], None] | None,
        clock: Callable[[], float],
        force: bool = False,
        on_model_work: ModelWorkCallback | None = None,
        with_category: bool = False,
    ) -> None:
        self.store, self.config, self.client, self.day = store, config, client, day
        self.force, self.on_model_work = force, on_model_work
        self.with_category = with_category
        """Each summary job also asks for its paper's category (the run's first phase)."""
        self.finished: set[str] = set()
        self.plan, self.stats, self.report, self.on_token = plan, stats, report, on_token
        self.clock = clock
        self.ready: list[_Job] = [_Job("summary", p.id, p) for p in plan.summaries]
        self.ready += [_Job("report", r.category) for r in plan.reports if not r.waiting]
        self.others: list[_Job] = [_Job("other", p.id, p) for p in plan.others]
        self.reports = {r.category: r for r in plan.reports}
        self.total = len(plan.summaries) + len(plan.reports) + len(plan.others)
        self.done = 0
        self.units_done = 0.0
        self.units_total = plan.work_units + len(plan.others)
        self.running = 0
        self.stop_reason = ""
        self.failure: BaseException | None = None
        self.started: float | None = None
        self.other_deadline: float | None = None
        self.changed = asyncio.Condition()

    def carry_on(self, before: _DayRun) -> None:
        """Continue the progress (count, pace, ETA) of the run's first phase."""
        self.done += before.done
        self.units_done += before.units_done
        self.total += before.done
        self.units_total += before.units_done
        self.started = before.started

    def _next(self) -> _Job | None:
        # Reports first (their category is complete), then the selection in plan order,
        # then other papers while the time budget lasts.
        for index, job in enumerate(self.ready):
            if job.kind == "report":
                return self.ready.pop(index)
        if self.ready:
            return self.ready.pop(0)
        if self.others:
            now = self.clock()
            if self.other_deadline is None:
                self.other_deadline = now + self.config.digest.time_budget_minutes * 60
            if now < self.other_deadline:
                return self.others.pop(0)
            self.others.clear()
        return None

    async def run(self) -> None:
        workers = max(1, self.client.parallel)
        await asyncio.gather(*(self._worker() for _ in range(workers)))
        if self.failure is not None:
            raise self.failure

    async def _worker(self) -> None:
        while True:
            async with self.changed:
                while True:
                    if self.stop_reason:
                        return
                    job = self._next()
                    if job is not None:
                        break
                    if self.running == 0:
                        self.changed.notify_all()
                        return
                    await self.changed.wait()
                self.running += 1
                if self.started is None:
                    self.started = self.clock()
            try:
                await self._do(job)
            except ModelError as error:
                if isinstance(error, PromptTooLongError) and job.kind == "report":
                    await asyncio.to_thread(self._save_report_failure, job.key, str(error))
                else:
                    # No host can answer: finish what runs, start nothing new.
                    self.stop_reason = str(error)
            except Exception as error:
                self.stop_reason = one_line(str(error)) or type(error).__name__
                self.failure = error
            finally:
                async with self.changed:
                    self.running -= 1
                    self.changed.notify_all()

    def _save_report_failure(self, category: str, reason: str) -> None:
        inputs = _report_inputs(self.store, self.config, self.reports[category].members)
        self.store.save_category_report(
            self.day,
            category,
            model=self.config.llm.model,
            prompt_version=REPORT_PROMPT_VERSION,
            inputs_hash=report_inputs_hash(category, inputs),
            status=SummaryStatus.FAILED,
            reason=reason,
            paper_ids=[item.paper_id for item in inputs if item.usable],
            inputs=[(item.paper_id, item.state) for item in inputs],
            attempts=0,
        )
        self.stats.reports_failed += 1
        self._finished(
            REPORT_UNITS,
            _("report {category}: failed ({reason})").format(category=category, reason=reason),
        )

    async def _do(self, job: _Job) -> None:
        if job.kind == "report":
            plan = self.reports[job.key]
            inputs = await asyncio.to_thread(_report_inputs, self.store, self.config, plan.members)
            if not self.force and await asyncio.to_thread(self._report_current, job.key, inputs):
                # The summaries it waited for came out as before (failed again, or the
                # same text): the stored report was written from exactly these.
                self.stats.reports_cached += 1
                self._finished(REPORT_UNITS, _("report {key}: current").format(key=job.key))
                return
            status, trail = await _write_report(
                self.store,
                self.config,
                self.client,
                self.day,
                job.key,
                inputs,
                on_token=self._token_sink(f"report:{job.key}"),
            )
            self.stats.report_prompt_tokens += trail.prompt_tokens
            await self._record_hosts(trail, f"report:{job.key}", status)
            if status == SummaryStatus.OK:
                self.stats.reports_written += 1
            else:
                self.stats.reports_failed += 1
            self._finished(
                REPORT_UNITS,
                _("report {key}: {status}").format(key=job.key, status=status_name(status)),
            )
            return
        assert job.paper is not None
        result = await _write_summary(
            self.store,
            self.config,
            self.client,
            job.paper,
            on_token=self._token_sink(job.key),
            with_category=self.with_category,
        )
        self.finished.add(job.key)
        self.stats.prompt_tokens += result.prompt_tokens
        if result.classified_by == "llm":
            self.stats.classified += 1
        elif result.classified_by == "rules":
            self.stats.classified_by_rules += 1
        await self._record_hosts(result.trail, f"summary:{job.key}", result.status)
        if result.status == SummaryStatus.OK:
            self.stats.passed += 1
            self.stats.flagged += 1 if result.flags else 0
        else:
            self.stats.failed += 1
        self.stats.retried += 1 if result.attempts > 1 else 0
        self.stats.others_done += 1 if job.kind == "other" else 0
        title = one_line(job.paper.title, limit=60)
        detail = (
            _("ok")
            if result.status == SummaryStatus.OK
            else _("failed ({reason})").format(reason=result.reason)
        )
        self._finished(1.0, f"{title}: {detail}")
        for category, plan in self.reports.items():
            if job.key in plan.waiting:
                plan.waiting.discard(job.key)
                if not plan.waiting:
                    self.ready.insert(0, _Job("report", category))

    async def _record_hosts(self, trail: HostTrail, work: str, status: str) -> None:
        """Note in the run ledger which host wrote this work and which hosts failed it."""
        self.stats.host_failures += len(trail.failures)
        if self.on_model_work is not None and (rows := trail.rows(work, status)):
            await asyncio.to_thread(self.on_model_work, rows)

    def _report_current(self, category: str, inputs: Sequence[ReportInput]) -> bool:
        reports = [
            report
            for report in self.store.category_reports(self.day, self.config.llm.model)
            if report.category == category
        ]
        return report_state(reports, category, inputs).status == SummaryStatus.OK

    def _token_sink(self, key: str) -> TokenCallback | None:
        if self.on_token is None:
            return None
        sink = self.on_token
        return lambda piece: sink(key, piece)

    def _finished(self, units: float, message: str) -> None:
        self.done += 1
        self.units_done += units
        self.report(_progress(message, self.done, self.total, self.eta()))

    def eta(self) -> float | None:
        """Seconds left, from the pace of this run so far (the estimate before that)."""
        remaining = max(0.0, self.units_total - self.units_done)
        if self.started is None or self.units_done <= 0:
            return self.stats.estimate_seconds
        rate = self.units_done / max(1e-6, self.clock() - self.started)
        return remaining / rate


async def summarize_day(
    store: Store,
    config: Config,
    day: date,
    *,
    client: ModelClient | None = None,
    category: str | None = None,
    paper_ids: Sequence[str] | None = None,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    on_model_work: ModelWorkCallback | None = None,
    on_token: Callable[[str, str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    stats: SummarizeStats | None = None,
) -> SummarizeStats:
    """Summaries for the day's digest selection, then each category's report.

    `category` limits the run to one category; `paper_ids` summarizes exactly those
    papers (no reports); `force` writes again what is current. With
    `digest.time_budget_minutes`, the day's other papers follow within that budget.
    Progress goes to `on_progress` (StepProgress events with an ETA), text as it arrives to
    `on_token(paper_id or "report:<category>", piece)`, and which model host wrote (or
    failed) each piece to `on_model_work` (rows for the run's ledger of model work). The
    counts (passed, retried, failed, …) go into `stats` (new ones when not given) as the
    run goes, so a caller recording the step sees them even when it fails.

    Raises ModelError when no model host can be reached or has the model before
    anything was done; if it fails mid-run, the run stops, keeps what was made, and says
    why in `stopped_reason` (the rest stays pending for the next run).
    """
    if client is None:
        # A caller without the app's services (a script, a test): a client for this run only.
        async with make_client(config) as own_client:
            return await summarize_day(
                store,
                config,
                day,
                client=own_client,
                category=category,
                paper_ids=paper_ids,
                force=force,
                on_progress=on_progress,
                on_model_work=on_model_work,
                on_token=on_token,
                clock=clock,
                stats=stats,
            )
    started = clock()
    report = on_progress or (lambda event: None)
    if paper_ids is None:
        # The day's selection is ranked by the reader's profile: fetch the vectors it lacks
        # first (best effort: without them the lexical method stands in).
        from core.profile import embed_day

        embedded = await embed_day(store, config, day, client=client)
        if embedded.error:
            report(_progress(_("ranking lexically: {error}").format(error=embedded.error), 0, 0))
    stats = stats if stats is not None else SummarizeStats()
    stats.day = day.isoformat()
    stats.target = category or ("papers" if paper_ids is not None else "digest")
    plan = await asyncio.to_thread(
        plan_day, store, config, day, category=category, paper_ids=paper_ids, force=force
    )
    stats.total = len(plan.summaries) + plan.cached
    stats.cached, stats.reports_cached = plan.cached, plan.reports_cached
    if plan.empty:
        report(_progress(_("nothing to do: every summary and report is current"), 0, 0, 0.0))
        stats.duration_ms = int((clock() - started) * 1000)
        return stats
    requests_before = client.requests
    try:
        await client.ensure_ready()
        speed = client.tokens_per_second
        per_summary = seconds_per_summary(store, config, speed)
        if per_summary is None:
            speed = (await client.measure_speed()).tokens_per_second
            per_summary = seconds_per_summary(store, config, speed)
        stats.estimate_seconds = estimate_seconds(plan, per_summary, client.parallel)
        report(
            _progress(
                _("{summaries} summaries and {reports} reports to write").format(
                    summaries=len(plan.summaries), reports=len(plan.reports)
                )
                + (
                    _(" (+ up to {count} other papers)").format(count=len(plan.others))
                    if plan.others
                    else ""
                )
                + (_(" at {speed:.1f} tokens/s").format(speed=speed) if speed else ""),
                0,
                len(plan.summaries) + len(plan.reports) + len(plan.others),
                stats.estimate_seconds,
            )
        )

        def day_run_of(plan: SummaryPlan, **options: bool) -> _DayRun:
            return _DayRun(
                store,
                config,
                client,
                day,
                plan,
                stats,
                report,
                on_token,
                clock,
                force,
                on_model_work,
                **options,
            )

        runs = [day_run_of(plan)]
        if plan.combined:
            # First the papers classified with their summaries (one request each); the
            # reports are planned once every category's papers are known.
            first = day_run_of(SummaryPlan(summaries=plan.combined), with_category=True)
            first.total, first.units_total = runs[0].total, runs[0].units_total
            runs.insert(0, first)
        for index, day_run in enumerate(runs):
            if index:
                plan = await asyncio.to_thread(
                    _plan_after, store, config, day, plan, runs[0].finished, category, force
                )
                stats.reports_cached = plan.reports_cached
                day_run = day_run_of(plan)
                day_run.carry_on(runs[0])
            try:
                await day_run.run()
            finally:
                if day_run.with_category:
                    await asyncio.to_thread(
                        _rules_for_the_rest, store, config, plan.combined, day_run.finished, stats
                    )
            stats.stopped_reason = day_run.stop_reason
            if day_run.stop_reason:
                break
    except BaseException:
        # What was done before the failure is counted, for the caller's record of the step.
        stats.requests = client.requests - requests_before
        _leftover(stats, plan)
        raise
    finally:
        stats.tokens_per_second = client.tokens_per_second
        stats.hosts = client.host_reports()
    stats.requests = client.requests - requests_before
    _leftover(stats, plan)
    stats.duration_ms = int((clock() - started) * 1000)
    return stats


def _plan_after(
    store: Store,
    config: Config,
    day: date,
    plan: SummaryPlan,
    done: set[str],
    category: str | None,
    force: bool,
) -> SummaryPlan:
    """The rest of `plan` once the papers `done` have their categories and summaries.

    The reports are planned again (every category's papers are known now); a summary the
    first phase wrote, or gave up on, is not asked for again in this run.
    """
    again = plan_day(store, config, day, category=category, force=force)
    for report_plan in again.reports:
        report_plan.waiting -= done
    return dataclasses.replace(
        again,
        summaries=[paper for paper in plan.summaries if paper.id not in done],
        cached=plan.cached,
        combined=plan.combined,
    )


def _rules_for_the_rest(
    store: Store,
    config: Config,
    papers: Sequence[Paper],
    finished: set[str],
    stats: SummarizeStats,
) -> None:
    """Papers the first phase did not reach (it stopped) still get a category: rules'."""
    rules = RuleClassifier(config.taxonomy)
    for paper in papers:
        if paper.id not in finished:
            record_verdict(store, config, paper.id, rules.classify_paper(paper))
            stats.classified_by_rules += 1


def _leftover(stats: SummarizeStats, plan: SummaryPlan) -> None:
    """Count what the run left undone (stopped early, or out of time budget)."""
    made = stats.passed + stats.failed - stats.others_done
    stats.pending = max(0, stats.total - stats.cached - made)
    stats.others_left = max(0, len(plan.others) - stats.others_done)
    kept = stats.reports_cached - plan.reports_cached  # found current when their turn came
    done = stats.reports_written + stats.reports_failed + kept
    stats.reports_pending = max(0, len(plan.reports) - done)


def prompt_cut(result: ChatResult) -> Problem:
    """The gate's problem for an answer to a prompt the server cut short (its context was
    smaller than the prompt): the text may not cover what was sent."""
    return Problem(
        "truncated",
        f"Ollama cut the prompt (sent about {result.prompt_estimate} tokens, the model saw "
        f"{result.prompt_tokens}) — raise llm.num_ctx",
    )


__all__ = [
    "REPORT_UNITS",
    "HostTrail",
    "PaperSummary",
    "SummarizeStats",
    "SummaryPlan",
    "SummaryStream",
    "clean_report",
    "clean_summary",
    "estimate_seconds",
    "plan_day",
    "prompt_cut",
    "seconds_per_summary",
    "summarize_day",
    "summarize_paper",
]
