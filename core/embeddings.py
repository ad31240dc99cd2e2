"""Embedding vectors for the "For you" ranking, through the app's one model client.

`Embedder` asks `ModelClient.embed` (Ollama's `/api/embed`, or an OpenAI-compatible server's
`embeddings`) for the configured `rank.embedding_model`, a batch of texts a request; the
vectors come back as float32 arrays, unit length. A host that cannot be reached or a model
that is not pulled is `EmbeddingUnavailable`, one line that says what to do: the ranking then
uses its lexical method instead. Nothing here is cached; `core.rank` keeps the vectors in the
store.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.config import Config
from core.errors import ModelError
from core.i18n import _
from core.llm import ModelClient

MAX_EMBED_CHARS = 4000
"""Characters of a paper's text embedded (title and the start of the abstract)."""


class EmbeddingUnavailable(ModelError):
    """The embedding model cannot be used now (Ollama down, model not pulled, bad answer)."""


class Embedder:
    """Embeds texts with the configured embedding model, batch by batch."""

    def __init__(self, config: Config, client: ModelClient) -> None:
        self.model = config.rank.embedding_model
        self.batch = max(1, config.rank.embedding_batch)
        self.client = client
        self.host = client.host
        self.requests = 0
        """Embedding requests sent (for tests and the benchmark: a rerun sends none)."""

    async def embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One unit-length vector per text, in order."""
        vectors: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch):
            chunk = [text[:MAX_EMBED_CHARS] for text in texts[start : start + self.batch]]
            vectors.extend(await self._embed_batch(chunk))
        return vectors

    async def _embed_batch(self, texts: list[str]) -> list[np.ndarray]:
        before = self.client.requests
        try:
            embeddings = await self.client.embed(texts, model=self.model)
        except ModelError as error:
            raise EmbeddingUnavailable(str(error)) from None
        finally:
            self.requests += self.client.requests - before
        if len(embeddings) != len(texts) or not all(embeddings):
            raise EmbeddingUnavailable(
                _(
                    "{host} gave {count} vectors for {count2} texts — is '{model}' an embedding "
                    "model?"
                ).format(host=self.host, count=len(embeddings), count2=len(texts), model=self.model)
            )
        return [unit(np.asarray(vector, dtype=np.float32)) for vector in embeddings]


def unit(vector: np.ndarray) -> np.ndarray:
    """`vector` scaled to length 1 (a zero vector stays zero)."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored: float32, little-endian."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
