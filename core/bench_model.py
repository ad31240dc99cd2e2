"""`dailyai bench-model`: how well and how fast each model writes the app's Korean summaries
on this machine, from a fixed sample of shipped abstracts.

Every sample paper is summarized through the real path (core.summarize: the same prompts,
the same request per paper as a daily run — with its category when `classify.combined` is
on and the model classifies — and the Korean gate with its retries) into a temporary store,
so the user's store is never touched. Per model it measures what the gate let through at
the first try, the retries, the answers with numbers that are not in their abstract, the
output tokens per second, the seconds per summary (prompt reading and retries included)
and, from those, the time the configured digest (`digest.size` papers and their category
reports) would take.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from core.classify import RuleClassifier
from core.config import Config
from core.errors import ModelError
from core.llm import HostDown, ModelClient
from core.models import Listed, Paper
from core.store import Store
from core.summarize import REPORT_UNITS, PaperSummary, summarize_paper

SAMPLE = "bench_abstracts.json"
SAMPLE_DAY = date(2026, 5, 8)
"""The day the sample's papers were listed (Hugging Face Daily Papers)."""

ProgressCallback = Callable[[str, int, int, PaperSummary], None]
"""(model, papers done, papers in the sample, the summary just written)."""


@dataclass
class ModelBench:
    """What one model did with the sample, and what it means for the digest."""

    model: str
    papers: int = 0
    first_try: int = 0
    """Summaries that passed the gate with nothing to flag at the first attempt."""
    passed: int = 0
    """Summaries that passed the gate in the end (retries included)."""
    failed: int = 0
    retries: int = 0
    """Attempts beyond the first, over every paper."""
    invented_numbers: int = 0
    """Answers with numbers that are not in the abstract (each is retried)."""
    tokens_per_second: float | None = None
    """Output tokens per second, measured over every answer."""
    seconds_per_summary: float | None = None
    """Wall time per paper: reading the prompt, writing, retries."""
    prompt_tokens_per_paper: float | None = None
    """Prompt tokens per paper as the server counted them (retries included)."""
    with_category: bool = False
    """Each paper was asked for its category in the same request (classify.combined)."""
    digest_size: int = 0
    reports: int = 0
    """Category reports assumed for the digest: as many as the sample's categories."""
    digest_seconds: float | None = None
    """Estimated time of the configured digest: its summaries and reports."""
    reasons: list[str] = field(default_factory=list)
    """Why summaries failed the gate (one line each)."""
    error: str = ""
    """Why the model could not be measured (not pulled, server down); empty when it was."""

    @property
    def first_try_rate(self) -> float | None:
        return self.first_try / self.papers if self.papers else None

    def as_dict(self) -> dict[str, object]:
        """The figures as plain JSON values (`dailyai bench-model --json`)."""
        data = dataclasses.asdict(self)
        data["first_try_rate"] = self.first_try_rate
        return data


def sample_papers() -> list[Paper]:
    """The fixed sample of shipped abstracts (core/samples/bench_abstracts.json)."""
    text = resources.files("core").joinpath("samples", SAMPLE).read_text(encoding="utf-8")
    return [
        Paper(id=entry["id"], title=entry["title"], abstract=entry["abstract"])
        for entry in json.loads(text)
    ]


async def bench_models(
    config: Config,
    models: Sequence[str] = (),
    *,
    papers: Sequence[Paper] | None = None,
    on_progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[ModelBench]:
    """Measure each of `models` (default: the configured one) on the sample, in turn.

    A model that is not there gets its `error` (e.g. the `ollama pull` to run) and the
    others are measured; when no model host answers at all, ModelError says so at once.
    """
    names = list(dict.fromkeys(models)) or [config.llm.model]
    sample = list(papers) if papers is not None else sample_papers()
    probe = ModelClient(config.llm)
    try:
        answers = await probe.statuses(details=False)
    finally:
        await probe.aclose()
    if all(isinstance(answer, HostDown) for _, answer in answers):
        raise ModelError(str(answers[0][1]))  # no server to ask: the same for every model
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="dailyai-bench-model-") as scratch,
        Store(Path(scratch) / "bench.sqlite3") as store,
    ):
        store.merge_listed([Listed(paper, SAMPLE_DAY) for paper in sample], "bench-model")
        for name in names:
            results.append(await _bench_one(store, config, name, sample, on_progress, clock))
    return results


async def _bench_one(
    store: Store,
    config: Config,
    model: str,
    sample: Sequence[Paper],
    on_progress: ProgressCallback | None,
    clock: Callable[[], float],
) -> ModelBench:
    config = dataclasses.replace(config, llm=dataclasses.replace(config.llm, model=model))
    with_category = config.classify.combined and config.classify.method in ("auto", "llm")
    bench = ModelBench(model, with_category=with_category, digest_size=config.digest.size)
    client = ModelClient(config.llm)
    categories: set[str] = set()
    seconds = 0.0
    prompt_tokens = 0
    try:
        try:
            await client.ensure_ready()
            await client.measure_speed()  # loads the model, so its load time is not counted
        except ModelError as error:
            bench.error = str(error)
            return bench
        warm_tokens, warm_ns = client.eval_tokens, client.eval_ns
        for index, paper in enumerate(sample, start=1):
            started = clock()
            try:
                summary = await summarize_paper(
                    store, config, paper.id, client=client, force=True, with_category=with_category
                )
            except ModelError as error:
                bench.error = f"stopped after {index - 1} papers: {error}"
                break
            seconds += clock() - started
            prompt_tokens += summary.prompt_tokens
            _count(bench, summary)
            categories.add(summary.category or "")
            if on_progress is not None:
                on_progress(model, index, len(sample), summary)
    finally:
        await client.aclose()
    if not bench.papers:
        return bench
    if client.eval_ns > warm_ns:  # the summaries' answers alone, not the warm-up's
        bench.tokens_per_second = (
            (client.eval_tokens - warm_tokens) / (client.eval_ns - warm_ns) * 1e9
        )
    bench.seconds_per_summary = seconds / bench.papers
    bench.prompt_tokens_per_paper = prompt_tokens / bench.papers
    if not with_category:
        rules = RuleClassifier(config.taxonomy)
        categories = {rules.classify_paper(paper).category for paper in sample}
    categories.discard("")
    bench.reports = min(len(categories) or 1, bench.digest_size)
    work = bench.digest_size + REPORT_UNITS * bench.reports
    bench.digest_seconds = work * bench.seconds_per_summary / max(1, client.parallel)
    return bench


def _count(bench: ModelBench, summary: PaperSummary) -> None:
    bench.papers += 1
    codes = summary.attempt_codes
    if codes and not codes[0]:
        bench.first_try += 1
    bench.retries += max(0, summary.attempts - 1)
    bench.invented_numbers += sum(1 for attempt in codes if "numbers" in attempt)
    if summary.status == "ok":
        bench.passed += 1
    else:
        bench.failed += 1
        bench.reasons.append(summary.reason)


__all__ = ["SAMPLE", "ModelBench", "bench_models", "sample_papers"]
