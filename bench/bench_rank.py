"""Benchmark: the "For you" ranking, as simulated readers and against the clock.

Quality. The labeled dev set (tests/fixtures/categories_labeled_dev.json: 134 titles, each
with the category a person gave it, dated as bench/bench_rules.py dates them) stands in for
readers: for each category with at least 10 titles, a reader who follows that category
likes the older 60 % of its titles (on the days they were listed, so older likes weigh
less). Every other title is then ranked with the shipped code (`core.rank.Ranker`, the
lexical method, the default weights), and the top 10 are scored against the category:
- precision@10 and nDCG@10 of the profile's ranking;
- the base rate (the category's share of the titles ranked: what a random order gets);
- the signals-only ranking (the digest without a profile; the titles carry no upvotes,
  code or interest matches, so it is the listing order).
Each title's category, as the ranking sees it, is the one the rules' keyword hints give it
(what the store holds without a model, less the learned layer, which was trained on these
labels), never its label. The headline is the mean over the
categories whose held-out titles number 10 or more, so that a precision@10 of 1 is
possible (target ≥ 0.6 where the base rate is ≤ 0.3); the mean over every simulated reader
is printed as well. The set has titles only, no abstracts: the ranking's floor.

Speed. 2,000 papers ranked against a 500-paper profile (titles and abstracts of the
recorded arXiv day, recombined to reach the counts): the BM25 index over both is built
once, then the ranking (similarities, relevance, blend, why lines) is timed (target
≤ 200 ms; the best of 5 runs).

Cache. A day of 300 papers and a 50-paper profile embedded through the Ollama stand-in,
then again: the rerun must send no embedding request.

Run: python bench/bench_rank.py
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_rules import Labeled, load_labeled  # noqa: E402 - bench/ is not a package
from figures import record  # noqa: E402

from core.classify import RuleClassifier  # noqa: E402
from core.config import Config, load_config  # noqa: E402
from core.rank import Feedback, LexicalSimilarity, Ranker, RankingInfo, RankText  # noqa: E402
from core.store import ProfileEntry, Store  # noqa: E402

MIN_TITLES = 10
"""A category takes part when it has at least this many labeled titles."""
LIKED_SHARE = 0.6
K = 10
TARGET_PRECISION = 0.6
TARGET_MS = 200


def ranked_order(ranker: Ranker, items: list[RankText]) -> list[int]:
    """Positions of `items`, best first, as the digest orders them."""
    scored = ranker.score(items)
    if not ranker.personal:
        return list(range(len(items)))  # no signals on titles: the listing order
    return sorted(range(len(items)), key=lambda i: (scored[i].disliked, -scored[i].score, i))


def precision_ndcg(relevant: list[bool], order: list[int], k: int = K) -> tuple[float, float]:
    top = order[:k]
    hits = [relevant[i] for i in top]
    dcg = sum(hit / math.log2(rank + 2) for rank, hit in enumerate(hits))
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, sum(relevant))))
    return sum(hits) / k, dcg / ideal if ideal else 0.0


@dataclasses.dataclass
class Reader:
    category: str
    liked: int
    held_out: int
    ranked: int
    precision: float
    ndcg: float
    base_rate: float
    signals_precision: float
    signals_ndcg: float


def simulate(config: Config, items: list[Labeled]) -> list[Reader]:
    # The keyword hints alone: the rules' learned layer was trained on these very labels.
    rules = RuleClassifier(config.taxonomy, learned=None)
    category_of = {item.url: rules.classify(item.title).category for item in items}
    readers = []
    for category in sorted({item.category for item in items}):
        members = [item for item in items if item.category == category]
        if len(members) < MIN_TITLES:
            continue
        liked = members[: round(len(members) * LIKED_SHARE)]
        liked_urls = {item.url for item in liked}
        rest = [item for item in items if item.url not in liked_urls]
        day = max(item.listed for item in items)
        feedback = [
            Feedback(
                ProfileEntry(
                    key=item.url,
                    stance="like",
                    origin="import",
                    title=item.title,
                    added_at=datetime.combine(item.listed, day_time(), UTC).isoformat(),
                ),
                RankText(key=item.url, title=item.title, category=category_of[item.url]),
                weight=0.5 ** ((day - item.listed).days / config.rank.like_half_life_days),
            )
            for item in liked
        ]
        candidates = [
            RankText(key=item.url, title=item.title, category=category_of[item.url])
            for item in rest
        ]
        relevant = [item.category == category for item in rest]
        ranker = Ranker(
            config, feedback, LexicalSimilarity(), RankingInfo(True, "lexical", likes=len(liked))
        )
        precision, ndcg = precision_ndcg(relevant, ranked_order(ranker, candidates))
        signals_p, signals_n = precision_ndcg(relevant, ranked_order(Ranker(config), candidates))
        readers.append(
            Reader(
                category,
                len(liked),
                sum(relevant),
                len(rest),
                precision,
                ndcg,
                sum(relevant) / len(rest),
                signals_p,
                signals_n,
            )
        )
    return readers


def corpus(count: int) -> list[tuple[str, str]]:
    """`count` (title, abstract) pairs: the recorded arXiv day, recombined past its size."""
    from tests.paper_fixtures import DAY, _parsed

    hf, arxiv = _parsed(DAY)
    real = [(i.paper.title, i.paper.abstract) for i in [*hf, *arxiv] if i.paper.abstract]
    rng = random.Random(11)
    texts = list(real[:count])
    while len(texts) < count:
        (t1, a1), (t2, a2) = rng.sample(real, 2)
        half1, half2 = a1.split(". "), a2.split(". ")
        abstract = ". ".join(half1[: len(half1) // 2] + half2[len(half2) // 2 :])
        texts.append((f"{t1.split(':')[0]}: {t2.split(':')[-1].strip()}", abstract))
    return texts


def speed(config: Config) -> tuple[float, float]:
    """(seconds to build the index, best seconds to rank 2,000 papers after it)."""
    texts = corpus(2500)
    rules = RuleClassifier(config.taxonomy)
    categories = [rules.classify(title).category for title, _ in texts]
    candidates = [
        RankText(key=f"c{i}", title=t, abstract=a, category=categories[i], hf_upvotes=i % 7 or None)
        for i, (t, a) in enumerate(texts[:2000])
    ]
    feedback = [
        Feedback(
            ProfileEntry(
                key=f"p{i}", stance="like" if i % 5 else "dislike", origin="import", title=t
            ),
            RankText(key=f"p{i}", title=t, abstract=a, category=categories[2000 + i]),
            weight=0.5 ** (i / 250),
        )
        for i, (t, a) in enumerate(texts[2000:])
    ]
    similarity = LexicalSimilarity()
    started = time.perf_counter()
    similarity.prepare(candidates, [f.item for f in feedback])
    built = time.perf_counter() - started
    ranker = Ranker(config, feedback, similarity, RankingInfo(True, "lexical"))
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        ranked_order(ranker, candidates)
        runs.append(time.perf_counter() - started)
    return built, min(runs)


def rerun_requests(config: Config) -> tuple[int, int]:
    """(embedding requests of the first run, of the rerun) for a 300-paper day."""
    from core.profile import embed_day
    from tests.ollama_standin import OllamaStandin
    from tests.paper_fixtures import DAY, store_fixture_day

    with OllamaStandin() as standin, tempfile.TemporaryDirectory() as tmp:
        llm = dataclasses.replace(config.llm, hosts=[standin.url])
        config = dataclasses.replace(
            config, llm=llm, rank=dataclasses.replace(config.rank, method="embeddings")
        )
        with Store(Path(tmp) / "bench.sqlite3") as store:
            ids = store_fixture_day(store, 350)
            seeds = [store.get_paper(paper_id) for paper_id in ids[300:]]
            store.add_profile_entries(
                ProfileEntry(key=p.id, stance="like", origin="import", title=p.title,
                             abstract=p.abstract, paper_id=p.id)
                for p in seeds if p is not None
            )  # fmt: skip
            asyncio.run(embed_day(store, config, DAY))
            first = len(standin.embed_requests)
            asyncio.run(embed_day(store, config, DAY))
            return first, len(standin.embed_requests) - first


def main() -> int:
    config = load_config()
    items = load_labeled()
    readers = simulate(config, items)
    print(
        f"Simulated readers on {len(items)} labeled titles (likes: the older "
        f"{LIKED_SHARE:.0%} of a category's titles; lexical method, default weights)\n"
    )
    print(f"{'category':<30} {'liked':>5} {'held':>4} {'base':>5}  {'P@10':>5} {'nDCG':>5}"
          f"  {'signals P@10':>12} {'nDCG':>5}")  # fmt: skip
    for r in readers:
        print(
            f"{r.category:<30} {r.liked:>5} {r.held_out:>4} {r.base_rate:>5.2f}  "
            f"{r.precision:>5.2f} {r.ndcg:>5.2f}  {r.signals_precision:>12.2f} {r.signals_ndcg:>5.2f}"
        )
    headline = [r for r in readers if r.held_out >= K and r.base_rate <= 0.3]
    mean = statistics.mean
    figures = {
        "precision_at_10": mean(r.precision for r in headline),
        "ndcg_at_10": mean(r.ndcg for r in headline),
        "base_rate": mean(r.base_rate for r in headline),
        "signals_precision_at_10": mean(r.signals_precision for r in headline),
        "precision_at_10_every_reader": mean(r.precision for r in readers),
        "ndcg_at_10_every_reader": mean(r.ndcg for r in readers),
        "base_rate_every_reader": mean(r.base_rate for r in readers),
    }
    print(
        f"\nreaders with ≥ {K} held-out titles ({', '.join(r.category for r in headline)}): "
        f"P@10 {figures['precision_at_10']:.2f}, nDCG@10 {figures['ndcg_at_10']:.2f}, "
        f"base rate {figures['base_rate']:.2f}, signals only "
        f"{figures['signals_precision_at_10']:.2f} (target P@10 ≥ {TARGET_PRECISION})"
    )
    print(
        f"every simulated reader ({len(readers)}): P@10 "
        f"{figures['precision_at_10_every_reader']:.2f}, nDCG@10 "
        f"{figures['ndcg_at_10_every_reader']:.2f}, base rate "
        f"{figures['base_rate_every_reader']:.2f}"
    )
    built, ranked = speed(config)
    figures["index_seconds"] = built
    figures["rank_seconds"] = ranked
    print(
        f"\n2,000 papers against a 500-paper profile, lexical: index built in {built * 1000:.0f} "
        f"ms, then ranked in {ranked * 1000:.0f} ms (target ≤ {TARGET_MS} ms)"
    )
    first, rerun = rerun_requests(config)
    figures["rerun_embed_requests"] = rerun
    print(f"embedding requests: {first} for a 300-paper day and 50 seeds, {rerun} on the rerun")
    record("rank", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
