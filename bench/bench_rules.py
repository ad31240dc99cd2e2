"""Benchmark: how often the rules method agrees with labeled titles it was not written from.

The labeled set (tests/fixtures/categories_labeled_dev.json: 134 titles, each with the
category a person gave it) is sorted by the day each paper was listed and cut into K folds
of consecutive days. Anything learned from the labels is fitted on the older folds only and
scored on the next one (expanding window: fit on folds 1..i, score fold i+1), the way the
rules meet tomorrow's papers with what they learned up to today.

The rules have two parts. The keyword hints (config.toml) learn nothing from labels: they
are written from the fields' own vocabulary (arXiv category descriptions, the venues' topic
lists), not from these titles, so every fold is out of sample for them. While the lists were
written, only the disagreements in folds 1-3 were read (for spelling mechanics such as
"multi-modal" = "multimodal"), never those of folds 4-5. The learned layer
(core/rules_model.py: naive Bayes over title words, which fills in where no hint matches
and breaks exact ties) is trained for each fold on the older folds' titles only; the
product trains it on all 134. Its design (fill the gaps and break ties, never override a
leading hint; add-one smoothing) was fixed before it was scored, not chosen by these folds.

Printed figures, before (the keyword hints alone, as shipped until now) and after (hints
and learned layer, as shipped now):
- in sample: agreement on all 134 titles (what the old, title-tuned lists reported: 77.6 %);
  after, the layer has seen every title it is scored on, so this figure flatters it.
- out of sample: agreement on folds 2..K, mean ± standard deviation over the folds (the
  headline; target ≥ 70 %), and pooled over every scored title.
- speed: classifying 1,000 titles, before and after.
- the labeler's question: the labels use 7 of the taxonomy's 11 categories (no Robotics,
  Audio & Speech, AI Safety & Ethics or Other), so a robot-locomotion paper the rules call
  Robotics counts as a disagreement. Here the rules choose, like the labeler, among the
  categories the older folds' labels use (learned from them), out of sample as above.
- tuning on labels: the tie-break priorities fitted to the labels (the only knob of the
  rules that labels could set), in sample and out of sample. Not shipped: it does not
  carry over to newer titles.

The set has titles only (no abstracts, no arXiv categories), so these are the rules' floor:
a paper's primary category and abstract add evidence.

Run: python bench/bench_rules.py [--folds 5] [--errors N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import record  # noqa: E402 - bench/ is not a package

from core.classify import RuleClassifier  # noqa: E402
from core.config import TaxonomyConfig, load_config  # noqa: E402
from core.rules_model import LexicalModel  # noqa: E402

LABELED = ROOT / "tests" / "fixtures" / "categories_labeled_dev.json"
TARGET = 0.70
IN_SAMPLE_TARGET = 0.65

# arXiv numbers papers in the order they are submitted, month by month (YYMM.NNNNN);
# autumn 2024 ran at about 800 a day (2410.11795 was submitted on 15 October, 2410.18084
# on 23 October, 2410.23279 on 30 October). A later version (v2 …) keeps the number, so
# its paper is placed at its first version.
_ARXIV_ID = re.compile(r"arxiv\.org/abs/(\d{2})(\d{2})\.(\d{4,5})")
_ARXIV_PER_DAY = 800
# deeplearn.org numbers the papers it lists in the order it lists them. Its pages give the
# day for two of them: 537216 = arXiv 2410.11795 (15 Oct 2024) and 542981 = 2410.23279
# (30 Oct); 540398 = 2410.18084 (23 Oct) falls on the line between them, so the line is
# extended to the others.
_DEEPLEARN_ID = re.compile(r"deeplearn\.org/arxiv/(\d+)/")
_DEEPLEARN_ANCHORS = ((537216, date(2024, 10, 15)), (542981, date(2024, 10, 30)))


@dataclass
class Labeled:
    """One labeled title and the day its paper was listed."""

    title: str
    category: str
    url: str
    listed: date


def listed_day(url: str) -> date:
    """The day a labeled paper was listed, from its URL (arXiv or deeplearn.org number)."""
    match = _ARXIV_ID.search(url)
    if match:
        year, month, number = (int(part) for part in match.groups())
        return date(2000 + year, month, 1) + timedelta(days=number // _ARXIV_PER_DAY)
    match = _DEEPLEARN_ID.search(url)
    if match:
        (first, first_day), (last, last_day) = _DEEPLEARN_ANCHORS
        per_day = (last - first) / (last_day - first_day).days
        return first_day + timedelta(days=round((int(match.group(1)) - first) / per_day))
    raise ValueError(f"no listing date in {url!r}: expected an arXiv or deeplearn.org URL")


def load_labeled(path: Path = LABELED) -> list[Labeled]:
    """The labeled titles, oldest first (same day in URL order, so the order is fixed)."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    items = [Labeled(e["title"], e["category"], e["url"], listed_day(e["url"])) for e in entries]
    return sorted(items, key=lambda item: (item.listed, item.url))


def date_folds(items: Sequence[Labeled], k: int) -> list[list[Labeled]]:
    """`items` (oldest first) cut into `k` runs of consecutive days, as even as can be."""
    size, extra = divmod(len(items), k)
    folds, start = [], 0
    for index in range(k):
        end = start + size + (1 if index < extra else 0)
        folds.append(list(items[start:end]))
        start = end
    return folds


def agreement(rules: RuleClassifier, items: Sequence[Labeled]) -> float:
    """Share of `items` whose rules category (from the title) is the labeled one."""
    agree = sum(rules.classify(item.title).category == item.category for item in items)
    return agree / len(items)


# What a way of using the labels makes of the hand-written taxonomy, given training titles.
Fit = Callable[[TaxonomyConfig, Sequence[Labeled]], RuleClassifier]


def keywords_only(taxonomy: TaxonomyConfig, train: Sequence[Labeled]) -> RuleClassifier:
    """Before: the hand-written hints as they are, nothing taken from labels."""
    return RuleClassifier(taxonomy, learned=None)


def with_learned_layer(taxonomy: TaxonomyConfig, train: Sequence[Labeled]) -> RuleClassifier:
    """After (as shipped): the hints, and the learned layer trained on `train` only."""
    return RuleClassifier(taxonomy, LexicalModel((item.title, item.category) for item in train))


def labels_categories(taxonomy: TaxonomyConfig, train: Sequence[Labeled]) -> RuleClassifier:
    """The hints of only the categories the training labels use (and the fallback)."""
    used = {item.category for item in train} | {taxonomy.fallback}
    kept = [category for category in taxonomy.categories if category.name in used]
    return RuleClassifier(dataclasses.replace(taxonomy, categories=kept), learned=None)


def tuned_priorities(taxonomy: TaxonomyConfig, train: Sequence[Labeled]) -> RuleClassifier:
    """The priorities that make the rules agree most with the training labels.

    Coordinate ascent: each category's priority in turn is set to the value in -1..4 that
    agrees most (keeping the current one on a tie), until a pass changes nothing.
    """
    scores = [RuleClassifier(taxonomy, learned=None).scores(item.title) for item in train]
    labels = [item.category for item in train]

    def agree(priorities: dict[str, int]) -> int:
        rules = RuleClassifier(_with_priorities(taxonomy, priorities), learned=None)
        pairs = zip(scores, labels, strict=True)
        return sum(rules.decide(score).category == label for score, label in pairs)

    priorities = {category.name: category.priority for category in taxonomy.categories}
    best = agree(priorities)
    changed = True
    while changed:
        changed = False
        for name in priorities:
            for value in range(-1, 5):
                trial = {**priorities, name: value}
                count = agree(trial)
                if count > best:
                    best, priorities, changed = count, trial, True
    return RuleClassifier(_with_priorities(taxonomy, priorities), learned=None)


def _with_priorities(taxonomy: TaxonomyConfig, priorities: dict[str, int]) -> TaxonomyConfig:
    categories = [
        dataclasses.replace(category, priority=priorities[category.name])
        for category in taxonomy.categories
    ]
    return dataclasses.replace(taxonomy, categories=categories)


@dataclass
class Measured:
    """One way of using the labels, scored in and out of sample."""

    in_sample: float
    """Fitted on all titles, scored on all."""
    folds: list[float]
    """Fitted on folds 1..i, scored on fold i+1, for i = 1..K-1."""
    pooled: float
    """Out of sample over every scored title."""

    @property
    def mean(self) -> float:
        return statistics.fmean(self.folds)

    @property
    def spread(self) -> str:
        sd = statistics.stdev(self.folds) if len(self.folds) > 1 else 0.0
        per_fold = " ".join(f"{share:.0%}" for share in self.folds)
        return f"{self.mean:.1%} ± {sd:.1%} (folds: {per_fold}); pooled {self.pooled:.1%}"


def measure(taxonomy: TaxonomyConfig, folds: list[list[Labeled]], fit: Fit) -> Measured:
    """`fit` scored in sample and out of sample by date (expanding window)."""
    everything = [item for fold in folds for item in fold]
    in_sample = agreement(fit(taxonomy, everything), everything)
    shares, agree, scored = [], 0.0, 0
    for index in range(1, len(folds)):
        train = [item for fold in folds[:index] for item in fold]
        share = agreement(fit(taxonomy, train), folds[index])
        shares.append(share)
        agree += share * len(folds[index])
        scored += len(folds[index])
    return Measured(in_sample, shares, agree / scored)


def print_disagreements(rules: RuleClassifier, items: Sequence[Labeled]) -> None:
    confusion: Counter[tuple[str, str]] = Counter()
    for item in items:
        verdict = rules.classify(item.title).category
        if verdict != item.category:
            confusion[item.category, verdict] += 1
            print(f"    {item.category[:16]:16} → {verdict[:16]:16} {item.title[:80]}")
    for (label, verdict), count in confusion.most_common():
        print(f"    {count:2d} × labeled {label}, rules say {verdict}")


def changed_verdicts(taxonomy: TaxonomyConfig, folds: list[list[Labeled]]) -> tuple[int, int, int]:
    """Out of sample, the titles whose verdict the learned layer changed: (changed, now
    agreeing, no longer agreeing)."""
    before = keywords_only(taxonomy, [])
    changed = gained = lost = 0
    for index in range(1, len(folds)):
        after = with_learned_layer(taxonomy, [item for fold in folds[:index] for item in fold])
        for item in folds[index]:
            old, new = before.classify(item.title).category, after.classify(item.title).category
            if old != new:
                changed += 1
                gained += new == item.category
                lost += old == item.category
    return changed, gained, lost


def per_thousand_titles(rules: RuleClassifier, titles: Sequence[str]) -> float:
    """Best of 5: milliseconds to classify 1,000 titles (the labeled ones, repeated)."""
    batch = [titles[index % len(titles)] for index in range(1000)]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for title in batch:
            rules.classify(title)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5, help="folds by date (default 5)")
    parser.add_argument(
        "--errors", type=int, default=0, metavar="N", help="list the disagreements in folds 1..N"
    )
    args = parser.parse_args()
    if not 2 <= args.folds <= 20:
        parser.error("--folds must be between 2 and 20")
    taxonomy = load_config().taxonomy
    items = load_labeled()
    folds = date_folds(items, args.folds)
    rules = keywords_only(taxonomy, [])
    print(f"{len(items)} labeled titles (titles only), {args.folds} folds by listing date:")
    for index, fold in enumerate(folds, start=1):
        print(
            f"  fold {index}: {fold[0].listed} … {fold[-1].listed}, {len(fold):3d} titles, "
            f"keyword hints agree {agreement(rules, fold):.1%}"
        )
    before = measure(taxonomy, folds, keywords_only)
    print("before: the keyword hints alone (nothing fitted to labels):")
    print(f"  in sample, all {len(items)} titles:        {before.in_sample:.1%}")
    print(f"  out of sample, folds 2..{args.folds} by date: {before.spread}")
    used = {item.category for item in items}
    verdicts = [rules.classify(item.title).category for item in items]
    missed = [v for v, item in zip(verdicts, items, strict=True) if v != item.category]
    outside = Counter(verdict for verdict in missed if verdict not in used)
    named = ", ".join(f"{name} {count}" for name, count in outside.most_common())
    print(
        f"  of its {len(missed)} disagreements, {outside.total()} are a category the labels "
        f"never use ({named}; Other = no keyword in the title)"
    )
    after = measure(taxonomy, folds, with_learned_layer)
    reached = "reached" if after.mean >= TARGET else "NOT reached"
    print("after: the hints and the learned layer (as shipped; per fold, trained on older titles):")
    print(
        f"  in sample (the layer trained on all {len(items)}, so flattered): {after.in_sample:.1%}"
    )
    print(
        f"  out of sample, folds 2..{args.folds} by date: {after.spread}  "
        f"(target ≥ {TARGET:.0%}: {reached})"
    )
    changed, gained, lost = changed_verdicts(taxonomy, folds)
    print(
        f"  out of sample the layer changed {changed} verdicts: {gained} now agree with the "
        f"label, {lost} agreed before and no longer do"
    )
    question = measure(taxonomy, folds, labels_categories)
    print(f"the labeler's question (choosing among the {len(used)} categories the labels use):")
    print(f"  in sample {question.in_sample:.1%}; out of sample {question.spread}")
    tuned = measure(taxonomy, folds, tuned_priorities)
    print("tie-break priorities tuned to the labels (not shipped):")
    print(f"  in sample {tuned.in_sample:.1%}; out of sample {tuned.spread}")
    titles = [item.title for item in items]
    started = time.perf_counter()
    shipped = with_learned_layer(taxonomy, items)
    training_ms = (time.perf_counter() - started) * 1000
    keywords_ms = per_thousand_titles(rules, titles)
    learned_ms = per_thousand_titles(shipped, titles)
    print(
        f"speed: 1,000 titles in {keywords_ms:.0f} ms by the hints alone, {learned_ms:.0f} ms "
        f"with the learned layer (training it on {len(items)} titles: {training_ms:.1f} ms)"
    )
    if args.errors:
        print(f"disagreements of the keyword hints in folds 1..{args.errors}:")
        print_disagreements(rules, [item for fold in folds[: args.errors] for item in fold])
    record(
        "rules",
        {
            "in_sample": after.in_sample,
            "out_of_sample": after.mean,
            "out_of_sample_pooled": after.pooled,
            "in_sample_before": before.in_sample,
            "out_of_sample_before": before.mean,
            "out_of_sample_labels_categories": question.mean,
            "ms_per_1000_titles": learned_ms,
        },
    )
    return 0 if after.mean >= TARGET and after.in_sample >= IN_SAMPLE_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
