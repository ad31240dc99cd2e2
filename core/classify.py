"""Sorting papers into the fixed taxonomy of `config.toml`: by the model, by rules, or by you.

Every paper gets exactly one category, a confidence and the method that set it:

- `llm`: several papers per request; structured outputs (Ollama's `format`, an OpenAI-compatible
  server's `response_format`) constrain the answer to
  a JSON schema whose category is an enum of the taxonomy's names, and the answer is
  validated (every paper exactly once, a known name). Papers are referred to by number,
  never joined back by title.
- `rules`: the paper's arXiv categories and the keyword hints of each category in its
  title and abstract (the `rules` method, also the fallback when no model host answers).
  Overlapping keywords resolve to the longest match ("vision-language model" is
  Multimodal, not Computer Vision or LLM). The hints are the fields' own vocabulary, not
  words of particular titles. Where none matches or the best tie, a learned layer
  (core/rules_model.py, trained on the shipped labeled titles) chooses;
  bench/bench_rules.py scores both against labeled titles split by date.
- `user`: a correction made in the TUI; it wins over everything and survives re-runs.

`auto` classifies the day's digest selection with the model when a model host answers (rules
otherwise) and the rest of the day's papers with rules, so a day of hundreds of arXiv
papers never waits on a laptop model; `llm` uses the model for every paper asked.

With `classify.combined` (the default), a run that summarizes next leaves the digest papers
still to be summarized to core.summarize, which asks for each one's category and summary in
one request (`wants_combined`, `parse_combined`): the abstract is read once, not twice.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from core.config import Config, TaxonomyConfig
from core.digest import DigestPaper, build_digest
from core.errors import DailyAIError, ModelError
from core.i18n import _
from core.llm import ModelClient, make_client
from core.models import Paper
from core.progress import StepProgress
from core.prompts import classify_messages, classify_schema
from core.rules_model import LexicalModel, shipped_model
from core.sanitize import one_line
from core.store import Store

METHODS = ("auto", "llm", "rules")
# Tokens of a classification answer per paper ({"id": 3, "category": …, "confidence": …}).
_ANSWER_TOKENS_PER_PAPER = 40
_ABSTRACT_CHARS = 1200
# Evidence for a category, per keyword word: the title names the topic, the abstract's
# opening mostly restates it in more (and more generic) words.
_TITLE_WEIGHT = 3
_ABSTRACT_WEIGHT = 1
# The primary arXiv category is the authors' own choice, but coarse for this taxonomy
# (cs.CL holds LLM, NLP and much Multimodal work; cs.LG holds RL and inference work too):
# it decides when the text says little, and one keyword in the title outweighs it.
_PRIMARY_ARXIV_WEIGHT = 2.5
_ARXIV_WEIGHT = 1

ProgressCallback = Callable[[Any], None]


@dataclass
class Verdict:
    """A paper's category, how sure, and which method decided."""

    category: str
    confidence: float
    method: str
    model: str | None = None


@dataclass
class ClassifyStats:
    """What one classification run did."""

    total: int = 0
    """Papers asked about."""
    classified: int = 0
    """Papers given a category now."""
    by_llm: int = 0
    by_rules: int = 0
    kept_user: int = 0
    """Papers whose category a user set (never changed)."""
    unchanged: int = 0
    """Papers already classified (under this taxonomy, by this method or a better one)."""
    invalid_answers: int = 0
    """Papers the model's answer left out or got wrong (classified by rules instead)."""
    with_summaries: int = 0
    """Digest papers left to be classified with their summaries (classify.combined)."""
    requests: int = 0
    prompt_tokens: int = 0
    """Prompt tokens of the model's requests, as the server counted them."""
    fallback_reason: str = ""
    """Why rules were used where the model was asked for (auto mode)."""
    duration_ms: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    target: str = ""
    """What was classified: the day, or "papers" (the run ledger's target)."""

    @property
    def status(self) -> str:
        """Partial when rules stood in for the model, else ok."""
        return "partial" if self.fallback_reason or self.invalid_answers else "ok"

    @property
    def reason(self) -> str:
        """Why the status is not ok (the run ledger's reason)."""
        return self.fallback_reason

    def as_counts(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "classified": self.classified,
            "llm": self.by_llm,
            "rules": self.by_rules,
            "user": self.kept_user,
            "unchanged": self.unchanged,
            "invalid_answers": self.invalid_answers,
            "with_summaries": self.with_summaries,
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
        }


# --- rules -------------------------------------------------------------------------------


@dataclass
class _Keyword:
    category: str
    pattern: re.Pattern[str]
    weight: int
    needle: str
    """Text every match starts with: a keyword whose needle is absent cannot match."""


class RuleClassifier:
    """The `rules` method: arXiv categories and keyword hints from the taxonomy, and a
    learned layer (core/rules_model.py) where the hints say nothing or tie."""

    def __init__(
        self,
        taxonomy: TaxonomyConfig,
        learned: LexicalModel | Literal["shipped"] | None = "shipped",
    ) -> None:
        """`learned`: the model trained on the shipped labeled titles, another one (the
        benchmark trains one per fold), or None for the keyword hints alone."""
        self.taxonomy = taxonomy
        self.fallback = taxonomy.fallback
        self.learned = shipped_model() if learned == "shipped" else learned
        # What the learned layer may choose when no hint matches: any named category.
        self.named = [c.name for c in taxonomy.categories if c.name != taxonomy.fallback]
        self.keywords: list[_Keyword] = []
        self.arxiv: dict[str, list[str]] = {}
        for category in taxonomy.categories:
            for keyword in category.keywords:
                self.keywords.append(
                    _Keyword(
                        category.name,
                        _keyword_pattern(keyword),
                        _specificity(keyword),
                        _needle(keyword),
                    )
                )
            for code in category.arxiv:
                self.arxiv.setdefault(code.lower(), []).append(category.name)
        # Ties go to the higher priority, then to the category listed first.
        self.order = {
            category.name: (-category.priority, index)
            for index, category in enumerate(taxonomy.categories)
        }

    def scores(
        self, title: str, abstract: str = "", arxiv_categories: Sequence[str] = ()
    ) -> dict[str, float]:
        """Each category's score for a paper (only categories with any evidence)."""
        scores: dict[str, float] = {}
        for text, weight in (
            (title, _TITLE_WEIGHT),
            (abstract[:_ABSTRACT_CHARS], _ABSTRACT_WEIGHT),
        ):
            if not text:
                continue
            for category, keyword_weight in self._matches(text.lower()):
                scores[category] = scores.get(category, 0.0) + weight * keyword_weight
        for position, code in enumerate(arxiv_categories):
            weight = _PRIMARY_ARXIV_WEIGHT if position == 0 else _ARXIV_WEIGHT
            for category in self.arxiv.get(code.lower(), []):
                scores[category] = scores.get(category, 0.0) + weight
        return scores

    def _matches(self, text: str) -> list[tuple[str, int]]:
        """(category, weight) of each keyword match, the longest match winning overlaps."""
        found = []
        for keyword in self.keywords:
            # A substring test is far cheaper than the search, and most keywords are absent.
            if keyword.needle not in text:
                continue
            for match in keyword.pattern.finditer(text):
                found.append((match.start(), match.end(), keyword))
        found.sort(key=lambda item: (-(item[1] - item[0]), item[0]))
        taken: list[tuple[int, int]] = []
        counted: set[tuple[str, str]] = set()
        result = []
        for start, end, keyword in found:
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            # A keyword counts once per text, however often it appears.
            key = (keyword.category, keyword.pattern.pattern)
            if key in counted:
                continue
            counted.add(key)
            result.append((keyword.category, keyword.weight))
        return result

    def classify(
        self, title: str, abstract: str = "", arxiv_categories: Sequence[str] = ()
    ) -> Verdict:
        """The best-scoring category (`arxiv_categories` primary first). Where no hint
        matches, or the best categories tie, the learned layer chooses; the fallback when
        it has no opinion either."""
        scores = self.scores(title, abstract, arxiv_categories)
        return self._learned_choice(title, scores) or self.decide(scores)

    def _learned_choice(self, title: str, scores: dict[str, float]) -> Verdict | None:
        """The learned layer's verdict where the hints leave the choice open, else None.

        The hints decide whenever one category leads: they are the fields' vocabulary and
        reach categories the training labels never use. The layer fills in when nothing
        matched (less sure than any keyword verdict) and breaks exact ties (as sure as a
        tie), choosing among the tied categories only.
        """
        if self.learned is None:
            return None
        evidence = {name: score for name, score in scores.items() if score > 0}
        if not evidence:
            guess = self.learned.guess(title, among=self.named)
            if guess is None:
                return None
            return Verdict(guess.category, round(0.2 + 0.1 * guess.probability, 2), "rules")
        best = max(evidence.values())
        # In tie-break order, so that equal odds keep the hints' own tie-break.
        tied = sorted(
            (name for name, score in evidence.items() if best - score < 1e-9),
            key=lambda name: self.order.get(name, (0, 99)),
        )
        if len(tied) < 2:
            return None
        guess = self.learned.guess(title, among=tied)
        return Verdict(guess.category, 0.35, "rules") if guess else None

    def decide(self, scores: dict[str, float]) -> Verdict:
        """The verdict for a paper's category scores: the best, ties to the higher priority;
        the fallback when no category has evidence."""
        if not any(score > 0 for score in scores.values()):
            return Verdict(self.fallback, 0.2, "rules")
        ranked = sorted(
            scores.items(), key=lambda item: (-item[1], self.order.get(item[0], (0, 99)))
        )
        best_name, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        # Sure in proportion to the margin over the runner-up, never fully sure.
        confidence = round(0.35 + 0.5 * (best - second) / best, 2)
        return Verdict(best_name, confidence, "rules")

    def classify_paper(self, paper: Paper) -> Verdict:
        """A stored paper's verdict: its title, abstract and arXiv categories, primary first."""
        return self.classify(paper.title, paper.abstract, primary_first(paper))


def primary_first(paper: Paper) -> list[str]:
    """A paper's arXiv categories with its primary one first (known or not listed)."""
    categories = [code for code in paper.categories if code != paper.primary_category]
    return [paper.primary_category, *categories] if paper.primary_category else categories


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A keyword as a whole word or phrase (plural allowed); `tokeniz*` matches a prefix.

    A space in a keyword matches a space or a hyphen in the text; a hyphen matches a
    hyphen, a space or nothing, since compounds are spelled all three ways
    ("multi-modal" also finds "multimodal" and "multi modal").
    """
    text = keyword.lower().strip()
    prefix = text.endswith("*")
    words = [
        r"[\s\-]?".join(re.escape(part) for part in word.split("-") if part)
        for word in text.rstrip("*").split()
    ]
    body = r"[\s\-]+".join(word for word in words if word)
    end = "" if prefix else r"(?:s|es)?(?![a-z0-9])"
    return re.compile(rf"(?<![a-z0-9]){body}{end}")


def _needle(keyword: str) -> str:
    """The keyword up to its first space or hyphen: every match begins with it."""
    parts = [part for part in re.split(r"[\s\-]+", keyword.lower().strip().rstrip("*")) if part]
    return parts[0] if parts else ""


def _specificity(keyword: str) -> int:
    """A phrase says more than a word: its weight is its number of words.

    A hyphenated compound counts as one word ("chain-of-thought").
    """
    return max(1, len(keyword.strip("* ").split()))


# --- the model ---------------------------------------------------------------------------


@dataclass
class _Item:
    """One paper to classify, by whatever source (store or a titles file)."""

    key: str
    title: str
    abstract: str = ""
    arxiv: list[str] = field(default_factory=list)


def _balanced_batches(items: list[_Item], batch_size: int, parallel: int) -> list[list[_Item]]:
    """Batches of at most `batch_size`, evenly sized, as many as the request slots allow.

    Small days are split over every slot; larger ones into a multiple of the slots, so the
    batches finish together and no slot idles while one big batch ends.
    """
    if not items:
        return []
    count = -(-len(items) // max(1, batch_size))
    # Use every slot while batches keep at least two papers; then a multiple of the slots.
    count = max(count, min(parallel, len(items) // 2))
    if count > parallel:
        count = -(-count // parallel) * parallel
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    batches, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        batches.append(items[start:end])
        start = end
    return batches


def parse_answer(text: str, numbers: Iterable[int], names: Sequence[str]) -> dict[int, Verdict]:
    """The valid verdicts in a model's JSON answer, by paper number.

    Entries for unknown numbers or categories are dropped; a number given twice keeps its
    first entry. The caller decides what to do about papers left without a verdict.
    """
    wanted = set(numbers)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}
    entries = data.get("papers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return {}
    verdicts: dict[int, Verdict] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        number, category = entry.get("id"), entry.get("category")
        if isinstance(number, str) and number.isdigit():
            number = int(number)
        if not isinstance(number, int) or number not in wanted or number in verdicts:
            continue
        if category not in names:
            continue
        confidence = entry.get("confidence")
        if not isinstance(confidence, int | float) or isinstance(confidence, bool):
            confidence = 0.5
        verdicts[number] = Verdict(category, round(min(1.0, max(0.0, float(confidence))), 2), "llm")
    return verdicts


async def _classify_with_model(
    items: list[_Item],
    config: Config,
    client: ModelClient,
    on_batch: Callable[[list[_Item], dict[str, Verdict]], Awaitable[None]] | None = None,
) -> tuple[dict[str, Verdict], int, int]:
    """Verdicts by the model for `items` (batched, concurrent); (verdicts, invalid count,
    prompt tokens the server counted).

    Papers the answer leaves out or gets wrong are asked again once in a batch of their
    own; those still without a verdict are left to the caller (rules).
    """
    names = [category.name for category in config.taxonomy.categories]
    described = [(c.name, c.description) for c in config.taxonomy.categories]
    schema = classify_schema(names)
    verdicts: dict[str, Verdict] = {}
    invalid = 0
    prompt_tokens = 0

    async def ask(batch: list[_Item]) -> list[_Item]:
        nonlocal prompt_tokens
        numbered = [
            (number, item.title, item.abstract[:_ABSTRACT_CHARS])
            for number, item in enumerate(batch, start=1)
        ]
        messages = classify_messages(described, config.taxonomy.fallback, numbered)
        result = await client.chat(
            messages,
            format=schema,
            num_predict=_ANSWER_TOKENS_PER_PAPER * len(batch) + 64,
            temperature=0.0,
        )
        prompt_tokens += result.prompt_tokens or 0
        found = parse_answer(result.text, range(1, len(batch) + 1), names)
        done = {}
        for number, item in enumerate(batch, start=1):
            if number in found:
                verdict = found[number]
                verdict.model = client.model
                done[item.key] = verdict
        verdicts.update(done)
        if on_batch is not None:
            await on_batch(batch, done)
        return [item for item in batch if item.key not in done]

    batches = _balanced_batches(items, config.classify.batch_size, client.parallel)
    left_out = [item for rest in await _all_or_none(ask(b) for b in batches) for item in rest]
    if left_out:
        retry = _balanced_batches(left_out, config.classify.batch_size, client.parallel)
        still = [item for rest in await _all_or_none(ask(b) for b in retry) for item in rest]
        invalid = len(still)
    return verdicts, invalid, prompt_tokens


def parse_combined(text: str, names: Sequence[str]) -> tuple[Verdict | None, str | None]:
    """The category verdict and the summary text of a combined answer (core.prompts
    combined_schema); None for a part that is missing or invalid (an unknown category)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    summary = data.get("summary")
    category = data.get("category")
    verdict = None
    if isinstance(category, str) and category in names:
        confidence = data.get("confidence")
        if not isinstance(confidence, int | float) or isinstance(confidence, bool):
            confidence = 0.5
        verdict = Verdict(category, round(min(1.0, max(0.0, float(confidence))), 2), "llm")
    return verdict, summary if isinstance(summary, str) else None


def wants_combined(config: Config, method: str, paper: DigestPaper) -> bool:
    """Should this digest paper get its category and its summary in one request?

    Yes when classify.combined is on, the model classifies (`auto` or `llm`), the paper is
    in the digest selection, has no category under the current taxonomy yet and its summary
    is still to be written. (A rules' verdict, e.g. from a run without the model, is asked
    about again by the classify step, in a batch; a user's choice is never asked about.)
    """
    if not (config.classify.combined and method in ("auto", "llm") and paper.selected):
        return False
    if paper.summary.status == "ok":
        return False
    found = paper.classification
    if found is None:
        return True
    return found.method != "user" and found.taxonomy_version != config.taxonomy.version


async def _all_or_none(coroutines: Iterable[Any]) -> list[Any]:
    """Run the requests together; if one fails, cancel the rest before raising its error."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


# --- runs over the store -----------------------------------------------------------------


def _progress(
    step: str, message: str, done: int, total: int, eta: float | None = None
) -> StepProgress:
    return StepProgress(step, message, done, total, eta)


def _pending(
    store: Store, config: Config, ids: list[str], method: str, force: bool
) -> tuple[list[str], int, int]:
    """(papers to classify with `method`, kept user choices, already done).

    Done means classified under the current taxonomy; for `llm`, a paper classified by
    rules (the model was unavailable then, or not asked) is not done. `force` redoes
    everything except a user's choice.
    """
    stored = store.classifications(ids)
    todo, users, done = [], 0, 0
    for paper_id in ids:
        found = stored.get(paper_id)
        if found is not None and found.method == "user":
            users += 1
        elif (
            force
            or found is None
            or found.taxonomy_version != config.taxonomy.version
            or (method == "llm" and found.method == "rules")
        ):
            todo.append(paper_id)
        else:
            done += 1
    return todo, users, done


async def _model_available(client: ModelClient) -> str:
    """Empty when the model can be asked, else why not (for the rules fallback)."""
    try:
        await client.ensure_ready()
    except ModelError as error:
        return str(error)
    return ""


async def classify_papers(
    store: Store,
    config: Config,
    paper_ids: Iterable[str],
    *,
    method: str = "auto",
    client: ModelClient | None = None,
    on_progress: ProgressCallback | None = None,
    force: bool = False,
    stats: ClassifyStats | None = None,
) -> ClassifyStats:
    """Classify stored papers with `method` (auto, llm or rules); a user's choice is kept.

    Papers already classified under the current taxonomy are left alone (with `llm`, those
    classified by rules are asked again) unless `force`. `auto` uses the model when it
    answers and rules otherwise; `llm` raises ModelError when the model cannot be asked.
    Each batch's verdicts are stored as soon as they arrive. The counts go into `stats`
    (new ones when not given) as the run goes, so a caller recording the step sees them
    even when it fails.
    """
    return await _classify_ids(
        store,
        config,
        list(dict.fromkeys(paper_ids)),
        model_ids=None,
        method=method,
        client=client,
        on_progress=on_progress,
        force=force,
        target="papers",
        stats=stats,
    )


async def classify_day(
    store: Store,
    config: Config,
    day: date,
    *,
    method: str = "auto",
    client: ModelClient | None = None,
    on_progress: ProgressCallback | None = None,
    force: bool = False,
    stats: ClassifyStats | None = None,
    summaries_follow: bool = False,
) -> ClassifyStats:
    """Classify every paper of `day`: with `auto`, the digest selection by the model (when
    it answers) and the rest by rules; with `llm` or `rules`, every paper by that method.
    The counts go into `stats` as for `classify_papers`.

    `summaries_follow` (a run that summarizes next): the digest papers that `wants_combined`
    are left to core.summarize, which classifies each with its summary, when the model
    answers (without it they get rules' verdicts here, as before)."""
    digest = await asyncio.to_thread(build_digest, store, config, day)
    ids = [p.paper.id for p in digest.selected] + [p.paper.id for p in digest.others]
    model_ids = {p.paper.id for p in digest.selected} if method == "auto" else None
    combined: set[str] = set()
    if summaries_follow and not force:
        combined = {p.paper.id for p in digest.selected if wants_combined(config, method, p)}
    return await _classify_ids(
        store,
        config,
        ids,
        model_ids=model_ids,
        method=method,
        client=client,
        on_progress=on_progress,
        force=force,
        target=str(day),
        stats=stats,
        combined=combined,
    )


async def _classify_ids(
    store: Store,
    config: Config,
    ids: list[str],
    *,
    model_ids: set[str] | None,
    method: str,
    client: ModelClient | None,
    on_progress: ProgressCallback | None,
    force: bool,
    target: str,
    stats: ClassifyStats | None,
    combined: Collection[str] = (),
) -> ClassifyStats:
    if method not in METHODS:
        raise DailyAIError(
            _("unknown classification method '{method}' — use auto, llm or rules").format(
                method=method
            )
        )
    started = time.monotonic()
    report = on_progress or (lambda event: None)
    stats = stats if stats is not None else ClassifyStats()
    stats.total, stats.target = len(ids), target
    wants_model = method in ("auto", "llm")
    in_model_scope = set(ids) if model_ids is None else model_ids
    model_scope = [i for i in ids if wants_model and i in in_model_scope]
    rules_scope = [i for i in ids if not (wants_model and i in in_model_scope)]
    todo_model, users_model, done_model = await asyncio.to_thread(
        _pending, store, config, model_scope, "llm", force
    )
    todo_rules, users_rules, done_rules = await asyncio.to_thread(
        _pending, store, config, rules_scope, "rules", force
    )
    stats.kept_user = users_model + users_rules
    stats.unchanged = done_model + done_rules

    own_client = client is None and bool(todo_model)
    if own_client:
        client = make_client(config)
    total_todo = len(todo_model) + len(todo_rules)
    done_count = 0
    by_model: set[str] = set()
    try:
        rules = RuleClassifier(config.taxonomy)
        papers = await asyncio.to_thread(_papers, store, todo_model + todo_rules)
        if todo_model:
            assert client is not None
            reason = await _model_available(client)
            if reason and method == "llm":
                raise ModelError(reason)
            if reason:
                stats.fallback_reason = reason
                todo_rules = todo_model + todo_rules
                todo_model = []
        if todo_model and combined:
            # The model answers: these are classified with their summaries, one request each.
            stats.with_summaries = sum(1 for paper_id in todo_model if paper_id in combined)
            todo_model = [paper_id for paper_id in todo_model if paper_id not in combined]
            total_todo -= stats.with_summaries
        if todo_model:
            assert client is not None
            requests_before = client.requests
            items = [_item(paper_id, papers[paper_id]) for paper_id in todo_model]

            async def on_batch(batch: list[_Item], verdicts: dict[str, Verdict]) -> None:
                nonlocal done_count
                answered = [(i.key, verdicts[i.key]) for i in batch if i.key in verdicts]
                await asyncio.to_thread(_store_all, store, config, answered, stats)
                by_model.update(key for key, _ in answered)
                done_count += len(verdicts)
                report(
                    _progress(
                        "classify",
                        _("{count} papers by {model}").format(
                            count=len(verdicts), model=client.model
                        ),
                        done_count,
                        total_todo,
                    )
                )

            try:
                _verdicts, stats.invalid_answers, stats.prompt_tokens = await _classify_with_model(
                    items, config, client, on_batch
                )
            except ModelError as error:
                if method == "llm":
                    raise
                # The model hosts failed part way: what it answered is kept, rules do the rest.
                stats.fallback_reason = str(error)
            stats.requests = client.requests - requests_before
            todo_rules.extend(paper_id for paper_id in todo_model if paper_id not in by_model)
        done_count += await asyncio.to_thread(
            _classify_by_rules, store, config, rules, todo_rules, papers, stats
        )
        if todo_rules:
            report(
                _progress(
                    "classify",
                    _("{count} papers by rules").format(count=len(todo_rules)),
                    done_count,
                    total_todo,
                )
            )
    finally:
        if own_client and client is not None:
            await client.aclose()
    stats.duration_ms = int((time.monotonic() - started) * 1000)
    return stats


def _item(paper_id: str, paper: Paper | None) -> _Item:
    if paper is None:
        return _Item(paper_id, "")
    return _Item(paper_id, paper.title, paper.abstract, list(paper.categories))


def _papers(store: Store, ids: list[str]) -> dict[str, Paper | None]:
    return {paper_id: store.get_paper(paper_id) for paper_id in ids}


def _classify_by_rules(
    store: Store,
    config: Config,
    rules: RuleClassifier,
    ids: list[str],
    papers: dict[str, Paper | None],
    stats: ClassifyStats,
) -> int:
    """Classify and store `ids` by rules (in a worker thread: it writes); how many it did."""
    done = 0
    for paper_id in ids:
        paper = papers.get(paper_id) or store.get_paper(paper_id)
        if paper is None:
            continue
        _store(store, config, paper_id, rules.classify_paper(paper), stats)
        done += 1
    return done


def _store_all(
    store: Store, config: Config, verdicts: list[tuple[str, Verdict]], stats: ClassifyStats
) -> None:
    for paper_id, verdict in verdicts:
        _store(store, config, paper_id, verdict, stats)


def record_verdict(store: Store, config: Config, paper_id: str, verdict: Verdict) -> bool:
    """Store a paper's verdict under the current taxonomy; False when a user's choice stays."""
    return store.set_classification(
        paper_id,
        category=verdict.category,
        confidence=verdict.confidence,
        method=verdict.method,
        taxonomy_version=config.taxonomy.version,
        model=verdict.model,
    )


def _store(
    store: Store, config: Config, paper_id: str, verdict: Verdict, stats: ClassifyStats
) -> None:
    if record_verdict(store, config, paper_id, verdict):
        stats.classified += 1
        stats.categories[verdict.category] = stats.categories.get(verdict.category, 0) + 1
        if verdict.method == "llm":
            stats.by_llm += 1
        else:
            stats.by_rules += 1
    else:
        stats.kept_user += 1


def set_user_category(store: Store, config: Config, paper_id: str, category: str) -> None:
    """A user's correction: the paper's category from now on, whatever later runs decide."""
    names = [c.name for c in config.taxonomy.categories]
    if category not in names:
        raise DailyAIError(
            _("unknown category '{category}' — one of: {items}").format(
                category=one_line(category, limit=80), items=", ".join(names)
            )
        )
    if store.get_paper(paper_id) is None:
        raise DailyAIError(
            _("no stored paper '{paper_id}' — check the id").format(
                paper_id=one_line(paper_id, limit=80)
            )
        )
    store.set_classification(
        paper_id,
        category=category,
        confidence=1.0,
        method="user",
        taxonomy_version=config.taxonomy.version,
    )


# --- titles without the store ------------------------------------------------------------


@dataclass
class TitleVerdict:
    """One line of `dailyai classify --titles`."""

    title: str
    category: str
    confidence: float
    method: str
    url: str = ""


async def classify_titles(
    entries: Sequence[dict[str, Any]],
    config: Config,
    *,
    method: str = "auto",
    client: ModelClient | None = None,
) -> tuple[list[TitleVerdict], str]:
    """Categories for `entries` (dicts with title; optional abstract, url, arXiv categories
    with the primary first or a primary_category), without touching the store. Returns
    the verdicts in input order and, in auto mode, why rules were used instead of the
    model (empty when they were not)."""
    if method not in METHODS:
        raise DailyAIError(
            _("unknown classification method '{method}' — use auto, llm or rules").format(
                method=method
            )
        )
    items = []
    for index, entry in enumerate(entries):
        title = one_line(str(entry.get("title") or ""))
        abstract = str(entry.get("abstract") or "")
        listed = entry.get("categories") or []
        paper = Paper(
            id=str(index),
            title=title,
            categories=[str(code) for code in (listed if isinstance(listed, list) else [listed])],
            primary_category=str(entry.get("primary_category") or "") or None,
        )
        items.append(_Item(str(index), title, abstract, primary_first(paper)))
    rules = RuleClassifier(config.taxonomy)
    verdicts: dict[str, Verdict] = {}
    reason = ""
    if method in ("auto", "llm") and items:
        own = client is None
        client = client or make_client(config)
        try:
            reason = await _model_available(client)
            if reason and method == "llm":
                raise ModelError(reason)
            if not reason:
                try:
                    verdicts, *_rest = await _classify_with_model(items, config, client)
                except ModelError as error:
                    if method == "llm":
                        raise
                    reason = str(error)
        finally:
            if own:
                await client.aclose()
    result = []
    for item, entry in zip(items, entries, strict=True):
        verdict = verdicts.get(item.key) or rules.classify(item.title, item.abstract, item.arxiv)
        result.append(
            TitleVerdict(
                item.title,
                verdict.category,
                verdict.confidence,
                verdict.method,
                str(entry.get("url") or ""),
            )
        )
    return result, reason


__all__ = [
    "METHODS",
    "ClassifyStats",
    "RuleClassifier",
    "TitleVerdict",
    "Verdict",
    "classify_day",
    "classify_papers",
    "classify_titles",
    "parse_answer",
    "parse_combined",
    "primary_first",
    "record_verdict",
    "set_user_category",
    "wants_combined",
]
