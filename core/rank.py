"""The "For you" ranking: each paper's relevance to the reader's interest profile, blended
with the public signals, and one short Korean line saying why a paper is where it is.

Relevance is similarity to the papers the reader liked minus similarity to those they
marked not interesting, recent feedback weighing more (a like `rank.like_half_life_days`
older than the day ranked counts half). Two parts make it up:
- text: the paper's similarity to its nearest liked paper, minus that to its nearest
  disliked one, by one of two methods with the same interface (`Similarity`):
  **embeddings** (cosine of vectors from the local Ollama server's embedding model, cached
  in the store per paper, model and text) or **lexical** (BM25 over titles and abstracts,
  with bm25s; needs nothing);
- topic (`rank.topic_share` of it): the share of the reader's weighted likes, minus
  dislikes, that lie in the paper's category (its stored classification).
The blended score adds the public signals, each from 0 to 1 and weighted by config:
Hugging Face upvotes, code available, interest keywords and authors from config.

With an empty profile (or `digest.personal = false`) nothing here changes the order: the
digest keeps the signals' order exactly (`core.digest.rank_day`).

Ranking never calls the network: it uses the vectors the store holds, and when some are
missing it ranks lexically and says why (`RankingInfo.note`). `embed_for_ranking` fetches
what is missing; the summarize step, `dailyai rank` and `dailyai profile import` call it.

Why lines are built from the evidence that counted, never by a model:
"관심 논문 'RLHF Done Right'와 비슷함 · 저자 Yann LeCun · 키워드 diffusion · 🤗 47 · 코드 공개".
Titles in them are untrusted: they are cleaned of control characters and shortened, and
every output escapes the line as it escapes any other text.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import numpy as np

from core.config import Config
from core.i18n import _
from core.llm import ModelClient, make_client
from core.sanitize import one_line
from core.store import ProfileEntry, Store

UPVOTES_FULL = 100
"""Hugging Face upvotes that count as the full upvote signal (fewer count on a log scale)."""
EMBEDDING_BASELINE = 0.5
"""Cosine similarity that unrelated texts get from multilingual embedding models such as
bge-m3; similarity counts from there up, so the two methods give comparable numbers."""
WHY_SIMILAR = 0.15
"""Text similarity from which the nearest liked paper is named in the why line."""
WHY_TOPIC = 0.2
"""Share of the reader's feedback in a category from which the category is named."""
WHY_TITLE_CHARS = 40
"""A liked paper's title is shortened to this many characters in a why line."""


@dataclass(frozen=True)
class RankText:
    """One paper as the ranking sees it."""

    key: str
    """The paper's id (or a profile entry's key): what its vector is cached under."""
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    hf_upvotes: int | None = None
    has_code: bool = False
    category: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What is compared: the title and the abstract."""
        return f"{self.title}\n{self.abstract}".strip()

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Feedback:
    """A profile entry as the ranking uses it: its text, stance and recency weight."""

    entry: ProfileEntry
    item: RankText
    weight: float

    @property
    def like(self) -> bool:
        return self.entry.stance == "like"


class Similarity(Protocol):
    """How alike papers are: the one interface of both methods."""

    name: str

    def matrix(self, candidates: Sequence[RankText], profile: Sequence[RankText]) -> np.ndarray:
        """(len(candidates), len(profile)) similarities from 0 (unrelated) to 1."""
        ...


class LexicalSimilarity:
    """BM25 (bm25s) over titles and abstracts.

    The papers ranked and the profile's papers make one corpus (so word weights come from
    the day's papers, not from the profile alone); each profile paper is the query, and its
    score for a candidate is divided by its score for itself: the share of the profile
    paper's BM25 weight that the candidate covers, from 0 to 1.
    """

    name = "lexical"

    def __init__(self) -> None:
        self._built: tuple[tuple[str, ...], LexicalIndex] | None = None

    def prepare(self, candidates: Sequence[RankText], profile: Sequence[RankText]) -> None:
        """Build the index for these papers now (`matrix` then only queries it)."""
        self._index(candidates, profile)

    def matrix(self, candidates: Sequence[RankText], profile: Sequence[RankText]) -> np.ndarray:
        return self._index(candidates, profile).profile_matrix(len(candidates))

    def _index(self, candidates: Sequence[RankText], profile: Sequence[RankText]) -> LexicalIndex:
        items = [*candidates, *profile]
        key = tuple(f"{item.key}\x1f{item.text_hash}" for item in items)
        if self._built is None or self._built[0] != key:
            self._built = (key, LexicalIndex(items))
        return self._built[1]


class LexicalIndex:
    """A BM25 index over papers: building it is the costly part, querying is cheap."""

    def __init__(self, items: Sequence[RankText]) -> None:
        import bm25s  # imported here: only a ranking with a profile needs it

        self.size = len(items)
        self.tokens = bm25s.tokenize(
            [item.text for item in items], stopwords="en", show_progress=False
        )
        self.retriever = bm25s.BM25()
        self.retriever.index(self.tokens, show_progress=False)

    def profile_matrix(self, candidates: int) -> np.ndarray:
        """Similarities of the first `candidates` papers to each of the papers after them."""
        profile = self.size - candidates
        found = np.zeros((candidates, profile), dtype=np.float32)
        for column in range(profile):
            row = candidates + column
            query = list(set(self.tokens.ids[row]))
            if not query or not candidates:
                continue
            scores = self.retriever.get_scores(query)
            own = float(scores[row])
            if own > 0:
                found[:, column] = np.clip(scores[:candidates] / own, 0.0, 1.0)
        return found


class EmbeddingSimilarity:
    """Cosine similarity of embedding vectors, counted from `EMBEDDING_BASELINE` up."""

    name = "embeddings"

    def __init__(self, vectors: dict[tuple[str, str], np.ndarray]) -> None:
        self.vectors = vectors

    def matrix(self, candidates: Sequence[RankText], profile: Sequence[RankText]) -> np.ndarray:
        if not candidates or not profile:
            return np.zeros((len(candidates), len(profile)), dtype=np.float32)
        left = np.stack([self.vectors[(item.key, item.text_hash)] for item in candidates])
        right = np.stack([self.vectors[(item.key, item.text_hash)] for item in profile])
        cosine = left @ right.T
        return np.clip((cosine - EMBEDDING_BASELINE) / (1 - EMBEDDING_BASELINE), 0.0, 1.0)


@dataclass
class RankingInfo:
    """How a day was ranked, for the reader: by the profile (which method) or by signals."""

    personal: bool
    """The profile took part (personal ranking is on and the profile holds something)."""
    method: str = ""
    """"embeddings" or "lexical" when personal; "" for the signals alone."""
    model: str = ""
    """The embedding model, when the embeddings ran."""
    note: str = ""
    """Why the lexical method stands in for the configured embeddings (else empty)."""
    likes: int = 0
    dislikes: int = 0

    def describe(self) -> str:
        """One line: "embeddings (bge-m3)", "lexical (…why…)", "signals only (…)"."""
        if not self.personal:
            return _("public signals only (the profile is empty or digest.personal is off)")
        if self.method == "embeddings":
            return _("embeddings ({model})").format(model=self.model)
        if self.note:
            return _("lexical (BM25) — {note}").format(note=self.note)
        return _("lexical (BM25)")


@dataclass
class Scored:
    """One paper's place in the ranking and the evidence for it."""

    score: float
    relevance: float = 0.0
    signals: float = 0.0
    why: str = ""
    disliked: bool = False
    """The reader marked this very paper not interesting: it ranks last."""
    interests: int = 0
    """How many of the config's interest keywords (1 each) and authors (2 each) it matches."""


@dataclass
class Ranker:
    """Scores papers for one reader on one day (see the module docstring)."""

    config: Config
    feedback: list[Feedback] = field(default_factory=list)
    similarity: Similarity | None = None
    info: RankingInfo = field(default_factory=lambda: RankingInfo(False))

    @property
    def personal(self) -> bool:
        return self.info.personal

    def score(self, items: Sequence[RankText]) -> list[Scored]:
        """Each of `items` scored, in the same order."""
        rank = self.config.rank
        relevance = np.zeros(len(items), dtype=np.float64)
        evidence: list[list[str]] = [[] for _ in items]
        disliked = [False] * len(items)
        if self.personal and items:
            relevance, evidence, disliked = self._relevance(items)
        scored = []
        for index, item in enumerate(items):
            keywords, authors = interest_matches(
                item.title, item.abstract, item.authors, self.config
            )
            signals, pieces = signal_score(item, self.config, (keywords, authors))
            total = rank.profile_weight * float(relevance[index]) + signals
            scored.append(
                Scored(
                    score=round(total, 6),
                    relevance=round(float(relevance[index]), 6),
                    signals=round(signals, 6),
                    why=why_line([*evidence[index], *pieces], item),
                    disliked=disliked[index],
                    interests=len(keywords) + 2 * len(authors),
                )
            )
        return scored

    def _relevance(
        self, items: Sequence[RankText]
    ) -> tuple[np.ndarray, list[list[str]], list[bool]]:
        assert self.similarity is not None
        feedback = self.feedback
        similar = self.similarity.matrix(items, [f.item for f in feedback]).astype(np.float64)
        # A paper is never "similar to itself": a liked paper listed again ranks by the rest.
        paper_ids = [f.entry.paper_id for f in feedback]
        for row, item in enumerate(items):
            for column, paper_id in enumerate(paper_ids):
                if paper_id == item.key:
                    similar[row, column] = 0.0
        weights = np.array([f.weight for f in feedback])
        likes = np.array([f.like for f in feedback])
        weighted = similar * weights
        text_like = np.where(likes, weighted, 0.0).max(axis=1) if likes.any() else 0.0
        text_dislike = np.where(~likes, weighted, 0.0).max(axis=1) if (~likes).any() else 0.0
        text = text_like - text_dislike
        shares = topic_shares(feedback)
        topic = np.array([shares.get(item.category or "", 0.0) for item in items])
        share = self.config.rank.topic_share
        relevance = (1 - share) * text + share * topic
        own = {f.entry.paper_id: f.entry.stance for f in feedback if f.entry.paper_id}
        disliked = [own.get(item.key) == "dislike" for item in items]
        evidence: list[list[str]] = []
        for row, item in enumerate(items):
            pieces = []
            if likes.any():
                best = int(np.argmax(np.where(likes, weighted[row], -1.0)))
                if similar[row, best] >= WHY_SIMILAR and weighted[row, best] > 0:
                    title = short_title(feedback[best].item.title)
                    pieces.append(f"관심 논문 '{title}'와 비슷함")
            if item.category and shares.get(item.category, 0.0) >= WHY_TOPIC:
                pieces.append(f"관심 분야 {one_line(item.category, limit=40)}")
            evidence.append(pieces)
            if disliked[row]:
                relevance[row] = -1.0
        return relevance, evidence, disliked


def topic_shares(feedback: Sequence[Feedback]) -> dict[str, float]:
    """Per category: the weighted likes in it minus the dislikes, over all weighted feedback."""
    total = sum(f.weight for f in feedback)
    shares: dict[str, float] = {}
    if total <= 0:
        return shares
    for f in feedback:
        category = f.item.category
        if category:
            shares[category] = shares.get(category, 0.0) + (f.weight if f.like else -f.weight)
    return {category: value / total for category, value in shares.items()}


# --- the public signals ------------------------------------------------------------------


def interest_matches(
    title: str, abstract: str, authors: Iterable[str], config: Config
) -> tuple[list[str], list[str]]:
    """The config's interest keywords found in a paper's title or abstract, and its authors
    among the config's interest authors (each as the config writes it)."""
    text = f"{title}\n{abstract}".lower()
    keywords = [k for k in config.digest.interest_keywords if k and k.lower() in text]
    names = {author.lower() for author in authors}
    wanted = [a for a in config.digest.interest_authors if a and a.lower() in names]
    return keywords, wanted


def signal_score(
    item: RankText, config: Config, matches: tuple[list[str], list[str]] | None = None
) -> tuple[float, list[str]]:
    """The weighted public signals of a paper (0 to their weights' sum) and their why-pieces.

    `matches` are its interest keywords and authors when the caller has them already.
    """
    rank = config.rank
    keywords, authors = matches or interest_matches(item.title, item.abstract, item.authors, config)
    upvotes = item.hf_upvotes or 0
    upvote_signal = min(1.0, math.log1p(max(0, upvotes)) / math.log1p(UPVOTES_FULL))
    keyword_signal = 1.0 - 0.5 ** len(keywords)
    score = (
        rank.upvotes_weight * upvote_signal
        + rank.code_weight * float(item.has_code)
        + rank.keywords_weight * keyword_signal
        + rank.authors_weight * float(bool(authors))
    )
    pieces = []
    if authors:
        pieces.append("저자 " + ", ".join(one_line(a, limit=60) for a in authors[:2]))
    if keywords:
        pieces.append("키워드 " + ", ".join(one_line(k, limit=40) for k in keywords[:3]))
    if item.hf_upvotes is not None:
        pieces.append(f"🤗 {item.hf_upvotes}")
    if item.has_code:
        pieces.append("코드 공개")
    return score, pieces


def why_line(pieces: Sequence[str], item: RankText) -> str:
    """The Korean why line from its evidence; without any, where the paper was listed."""
    if not pieces:
        sources = ", ".join(one_line(source, limit=40) for source in item.sources)
        return f"{sources} 목록" if sources else ""
    return one_line(" · ".join(pieces), limit=300)


def short_title(title: str) -> str:
    """An untrusted title for a why line: one line, no control characters, shortened."""
    return one_line(title, limit=WHY_TITLE_CHARS).replace("'", "’")


# --- the profile as the ranking sees it --------------------------------------------------


def recency_weight(added_at: str, day: date, half_life_days: float) -> float:
    """How much a like added at `added_at` counts on `day`: 1 on the day, ½ a half-life
    earlier, and 1 for feedback given after the day."""
    try:
        added = datetime.fromisoformat(added_at).date()
    except ValueError:
        return 1.0
    age = max(0, (day - added).days)
    return 0.5 ** (age / half_life_days)


def entry_text(entry: ProfileEntry, category: str | None) -> RankText:
    return RankText(
        key=entry.key,
        title=entry.title,
        abstract=entry.abstract,
        authors=tuple(entry.authors),
        category=category,
    )


def load_feedback(store: Store, config: Config, day: date) -> list[Feedback]:
    """The profile's entries with their recency weights on `day`, each with its category
    (the stored classification of its paper, else the one it was added with)."""
    entries = store.profile_entries()
    classified = store.classifications([e.paper_id for e in entries if e.paper_id])
    half_life = config.rank.like_half_life_days
    feedback = []
    for entry in entries:
        classification = classified.get(entry.paper_id or "")
        category = classification.category if classification else entry.category
        weight = recency_weight(entry.added_at, day, half_life)
        feedback.append(Feedback(entry, entry_text(entry, category), weight))
    return feedback


def make_ranker(
    store: Store,
    config: Config,
    day: date,
    candidates: Sequence[RankText],
    *,
    feedback: list[Feedback] | None = None,
    vectors: dict[tuple[str, str], np.ndarray] | None = None,
    fallback_note: str = "",
) -> Ranker:
    """The ranker for `candidates` on `day`, by the method the store's vectors allow.

    Signals only when personal ranking is off or the profile is empty. With the embeddings
    method, every candidate and profile paper needs a vector of the configured model (from
    the store, or in `vectors`); when one is missing the lexical method stands in and the
    ranking's note says why (`fallback_note` when the caller already knows).
    """
    if not config.digest.personal:
        return Ranker(config)
    feedback = load_feedback(store, config, day) if feedback is None else feedback
    if not feedback:
        return Ranker(config)
    info = RankingInfo(
        True,
        likes=sum(1 for f in feedback if f.like),
        dislikes=sum(1 for f in feedback if not f.like),
    )
    if config.rank.method == "lexical":
        info.method = "lexical"
        return Ranker(config, feedback, LexicalSimilarity(), info)
    model = config.rank.embedding_model
    wanted = [(item.key, item.text_hash) for item in [*candidates, *(f.item for f in feedback)]]
    found = dict(vectors or {})
    lacking = [key for key in wanted if key not in found]
    if lacking:
        for key, data in store.cached_vectors(model, lacking).items():
            found[key] = _vector(data)
    missing = len({key for key in wanted if key not in found})
    if missing or fallback_note:
        info.method = "lexical"
        info.note = fallback_note or (
            _(
                "{missing} papers have no {model} vectors yet; `dailyai rank` or the next "
                "summarize run embeds them"
            ).format(missing=missing, model=model)
        )
        return Ranker(config, feedback, LexicalSimilarity(), info)
    info.method, info.model = "embeddings", model
    return Ranker(config, feedback, EmbeddingSimilarity(found), info)


def _vector(data: bytes) -> np.ndarray:
    from core.embeddings import from_bytes

    return from_bytes(data)


@dataclass
class EmbedOutcome:
    """What fetching missing vectors did: how many were embedded, and why not, if not."""

    embedded: int = 0
    cached: int = 0
    requests: int = 0
    error: str = ""
    vectors: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    """The vectors of the papers asked for (cached or new)."""


async def embed_for_ranking(
    store: Store,
    config: Config,
    candidates: Sequence[RankText],
    *,
    feedback: list[Feedback] | None = None,
    day: date | None = None,
    keep: Callable[[str], bool] = lambda key: True,
    client: ModelClient | None = None,
) -> EmbedOutcome:
    """Fetch from the model hosts the vectors the ranking lacks: for `candidates` and the
    profile, through `client` (the app's model client; one of its own, closed after, when
    not given).

    Vectors already stored are not asked for again (a rerun with nothing new sends no
    request). New vectors are stored, except for candidates whose key `keep` refuses (the
    entries of `dailyai rank --titles`, which are not stored). Never raises for a model
    that cannot be used: the outcome's `error` says why, and the ranking goes lexical.
    """
    outcome = EmbedOutcome()
    if config.rank.method != "embeddings" or not config.digest.personal:
        return outcome
    if feedback is None:
        feedback = await asyncio.to_thread(load_feedback, store, config, day or date.today())
    if not feedback:
        return outcome
    model = config.rank.embedding_model
    texts: dict[tuple[str, str], str] = {}
    for item in [*candidates, *(f.item for f in feedback)]:
        texts.setdefault((item.key, item.text_hash), item.text)
    cached = await asyncio.to_thread(store.cached_vectors, model, list(texts))
    outcome.vectors = {key: _vector(data) for key, data in cached.items()}
    outcome.cached = len(cached)
    missing = [key for key in texts if key not in cached]
    if not missing:
        return outcome
    from core.embeddings import Embedder, EmbeddingUnavailable, to_bytes

    own = client is None
    embedder = Embedder(config, client if client is not None else make_client(config))
    try:
        vectors = await embedder.embed([texts[key] for key in missing])
    except EmbeddingUnavailable as error:
        outcome.error = str(error)
        return outcome
    finally:
        outcome.requests = embedder.requests
        if own:
            await embedder.client.aclose()
    outcome.embedded = len(vectors)
    outcome.vectors.update(zip(missing, vectors, strict=True))
    await asyncio.to_thread(
        store.save_vectors,
        model,
        [
            (key[0], key[1], to_bytes(vector))
            for key, vector in zip(missing, vectors, strict=True)
            if keep(key[0])
        ],
    )
    return outcome


__all__ = [
    "EmbedOutcome",
    "EmbeddingSimilarity",
    "Feedback",
    "LexicalIndex",
    "LexicalSimilarity",
    "RankText",
    "Ranker",
    "RankingInfo",
    "Scored",
    "Similarity",
    "embed_for_ranking",
    "interest_matches",
    "load_feedback",
    "make_ranker",
    "recency_weight",
    "signal_score",
    "why_line",
]
