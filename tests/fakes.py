"""Test doubles: a fast, deterministic embedder for unit tests.

Integration tests use the real model; this one only keeps unit tests of other stages quick.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np


class FakeEmbedder:
    """Embeds text as a normalized bag of hashed character unigrams and bigrams.

    Texts sharing characters get similar vectors, so ranking tests behave sensibly.
    """

    def __init__(self, dimension: int = 64, model_id: str = "fake-embedder") -> None:
        self.dimension = dimension
        self.model_id = model_id
        self.fingerprint = hashlib.sha256(f"{model_id}:{dimension}".encode()).hexdigest()[:16]
        self.calls = 0
        self.texts_embedded = 0

    def _embed(self, texts: Sequence[str], progress: Callable[[int], None] | None) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
            for gram in grams:
                digest = hashlib.md5(gram.encode()).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else 1.0 / np.sqrt(self.dimension)
            if progress is not None:
                progress(1)
        self.texts_embedded += len(texts)
        return out

    def embed_passages(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed passages (see :class:`semsearch.embed.Embedder`)."""
        return self._embed(texts, progress)

    def embed_queries(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed queries (see :class:`semsearch.embed.Embedder`)."""
        return self._embed(texts, progress)
