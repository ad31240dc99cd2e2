"""Embedding vectors from the local Ollama server (`/api/embed`), for the "For you" ranking.

One request embeds a batch of texts; the vectors come back as float32 arrays, unit length.
A server that cannot be reached or a model that is not pulled is `EmbeddingUnavailable`,
one line that says what to do: the ranking then uses its lexical method instead. Nothing
here is cached; `core.rank` keeps the vectors in the store.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
import ollama
import pydantic

from core.config import Config
from core.errors import ModelError
from core.llm import is_local, resolve_host
from core.sanitize import one_line

MAX_EMBED_CHARS = 4000
"""Characters of a paper's text embedded (title and the start of the abstract)."""


class EmbeddingUnavailable(ModelError):
    """The embedding model cannot be used now (Ollama down, model not pulled, bad answer)."""


class OllamaEmbedder:
    """Embeds texts with one Ollama embedding model, batch by batch."""

    def __init__(self, config: Config) -> None:
        self.model = config.rank.embedding_model
        self.batch = max(1, config.rank.embedding_batch)
        self.host = resolve_host(config.ollama)
        self.keep_alive = config.ollama.keep_alive
        self.requests = 0
        """Embedding requests sent (for tests and the benchmark: a rerun sends none)."""
        timeout = httpx.Timeout(
            config.ollama.timeout_seconds, connect=config.ollama.connect_timeout_seconds
        )
        self._client = ollama.Client(
            host=self.host, timeout=timeout, trust_env=not is_local(self.host)
        )

    def embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One unit-length vector per text, in order."""
        vectors: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch):
            chunk = [text[:MAX_EMBED_CHARS] for text in texts[start : start + self.batch]]
            vectors.extend(self._embed_batch(chunk))
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[np.ndarray]:
        self.requests += 1
        try:
            answer = self._client.embed(
                model=self.model, input=texts, truncate=True, keep_alive=self._keep_alive()
            )
        except ollama.ResponseError as error:
            message = one_line(str(error.error), limit=200)
            if error.status_code == 404 or "not found" in message:
                raise EmbeddingUnavailable(
                    f"embedding model '{self.model}' is not pulled — run `ollama pull {self.model}`"
                ) from None
            raise EmbeddingUnavailable(
                f"Ollama at {self.host} refused to embed with '{self.model}' (HTTP "
                f"{error.status_code}: {message})"
            ) from None
        except (ConnectionError, httpx.ConnectError):
            raise EmbeddingUnavailable(
                f"cannot reach Ollama at {self.host} — start it with `ollama serve`"
                if is_local(self.host)
                else f"cannot reach Ollama at {self.host} — check ollama.host"
            ) from None
        except (httpx.HTTPError, pydantic.ValidationError) as error:
            raise EmbeddingUnavailable(
                f"embedding with '{self.model}' at {self.host} failed: "
                f"{one_line(str(error), limit=160) or type(error).__name__}"
            ) from None
        embeddings = list(answer.embeddings or [])
        if len(embeddings) != len(texts) or not all(embeddings):
            raise EmbeddingUnavailable(
                f"Ollama at {self.host} gave {len(embeddings)} vectors for {len(texts)} texts — "
                f"is '{self.model}' an embedding model?"
            )
        return [unit(np.asarray(vector, dtype=np.float32)) for vector in embeddings]

    def _keep_alive(self) -> str | int:
        value = self.keep_alive.strip()
        return int(value) if value.lstrip("-").isdigit() else value

    def close(self) -> None:
        self._client.close()


def unit(vector: np.ndarray) -> np.ndarray:
    """`vector` scaled to length 1 (a zero vector stays zero)."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored: float32, little-endian."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
