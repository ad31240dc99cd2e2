"""The learned layer of the `rules` method: a naive Bayes model of paper titles.

The keyword hints say what each field calls itself; they say nothing when a title uses none
of them ("Conformal Structured Prediction") and cannot choose between two categories whose
words a title uses equally. This layer fills those two gaps with what people did with
similar titles: a multinomial naive Bayes over words and word pairs, counted once per text
(binarised, which suits short texts), with add-one smoothing, trained on labeled papers.

It only ever chooses among the categories its training labels use, and only on evidence:
a text with no word the model has seen gets no opinion. Training is counting, so it is
deterministic and takes milliseconds. It reads titles only, as it was trained on titles (an
abstract's hundreds of words would swamp a model of ten-word titles; the keyword hints read
abstracts). The product trains it on the labeled titles shipped in
`core/data/categories_labeled.json` (the tests' dev set, copied so the installed package
never reads tests/); bench/bench_rules.py trains it on older titles only.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise

SHIPPED_LABELS = "categories_labeled.json"
# Add-one smoothing: the textbook default, not fitted to anything.
_SMOOTHING = 1.0
_WORD = re.compile(r"[a-z0-9]+")
# Words that name no topic. A short, general list (function words and the commonest words
# of paper titles in every field), not one drawn from the labeled titles.
_STOPWORD_TEXT = """
a an and are as at be by can do does for from how in into is it its of on or our over the
their this to towards toward under via vs we what when where which while who why with without
your you not all any more most new than then through using use based beyond study approach
method methods paper
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def features(text: str) -> set[str]:
    """The words (plural `s` dropped, function words left out) and adjacent word pairs of
    `text`, each once."""
    words = [_stem(word) for word in _WORD.findall(text.lower())]
    kept = [word for word in words if word not in _STOPWORDS and len(word) > 1]
    pairs = {f"{first} {second}" for first, second in pairwise(kept)}
    return set(kept) | pairs


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Guess:
    """The learned layer's opinion of one text."""

    category: str
    probability: float
    """Its posterior among the categories it knows."""
    known: int
    """How many of the text's features it has seen in training (0: no opinion)."""
    posteriors: dict[str, float]


class LexicalModel:
    """Binarised multinomial naive Bayes over title features."""

    def __init__(self, examples: Iterable[tuple[str, str]]) -> None:
        """Train on (text, category) pairs; the order does not matter."""
        self.documents: Counter[str] = Counter()
        self.counts: dict[str, Counter[str]] = {}
        for text, category in examples:
            self.documents[category] += 1
            self.counts.setdefault(category, Counter()).update(features(text))
        self.vocabulary = {word for counts in self.counts.values() for word in counts}
        self.categories = sorted(self.documents)
        total = sum(self.documents.values())
        size = len(self.vocabulary)
        self._prior = {c: math.log(self.documents[c] / total) for c in self.categories}
        self._denominator = {
            c: math.log(sum(self.counts[c].values()) + _SMOOTHING * size) for c in self.categories
        }

    def guess(self, title: str, among: Sequence[str] | None = None) -> Guess | None:
        """The most probable category for a title among `among` (default: every category
        it learned; on equal odds the one named first), or None when it learned none of
        them or knows none of the title's words."""
        candidates = [c for c in (self.categories if among is None else among) if c in self.counts]
        seen = sorted(f for f in features(title) if f in self.vocabulary)
        if not candidates or not seen:
            return None
        logs = {}
        for category in candidates:
            counts = self.counts[category]
            logs[category] = self._prior[category] + sum(
                math.log(counts[f] + _SMOOTHING) - self._denominator[category] for f in seen
            )
        top = max(logs.values())
        weights = {c: math.exp(value - top) for c, value in logs.items()}
        total = sum(weights.values())
        posteriors = {c: weight / total for c, weight in weights.items()}
        best = max(candidates, key=lambda c: posteriors[c])
        return Guess(best, posteriors[best], len(seen), posteriors)


def load_labeled(text: str) -> list[tuple[str, str]]:
    """(title, category) pairs of a labeled list (JSON: objects with title and category)."""
    return [(entry["title"], entry["category"]) for entry in json.loads(text)]


@lru_cache(maxsize=1)
def shipped_model() -> LexicalModel:
    """The layer trained on the labeled titles shipped with the package (built once)."""
    text = resources.files("core").joinpath("data", SHIPPED_LABELS).read_text(encoding="utf-8")
    return LexicalModel(load_labeled(text))


__all__ = ["Guess", "LexicalModel", "features", "load_labeled", "shipped_model"]
