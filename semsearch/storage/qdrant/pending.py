"""New chunk points of the version being written, held until each can be written whole.

A chunk point carries its sentence vectors and its BM25 weights, and neither is known when the
indexer adds the chunk: sentence vectors come later, and a new index's weights need the average
chunk length of all its chunks. Writing points first and their vectors later would write every
point twice (in local mode each write is a commit to disk), so a chunk waits here until its
sentence vectors are given and the writer knows the average length (at the first sentence
vectors or at commit), then goes out in batches. Memory stays bounded by what the indexer holds
anyway: it embeds all new chunks before adding them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.storage.qdrant.schema import CHUNK_VECTOR, KEYWORDS, SENTENCES, slot_vector
from semsearch.storage.qdrant.terms import BM25Parameters, ChunkTerms, sparse_vector

if TYPE_CHECKING:
    from semsearch.storage.qdrant.connection import Connection

#: Points per upsert request (a few hundred kilobytes of vectors and text).
BATCH_SIZE = 256


@dataclass
class PendingChunk:
    """A new chunk waiting to be written.

    Attributes:
        chunk_id: Its id (the point id).
        embed_key: Its content key.
        payload: Its point's payload.
        vector: Its normalized chunk vector.
        terms: Its keyword terms.
        sentences: Its sentence vectors (0 rows: one sentence), None until given.
    """

    chunk_id: int
    embed_key: str
    payload: dict[str, Any]
    vector: np.ndarray
    terms: ChunkTerms
    sentences: np.ndarray | None = None


def chunk_point(chunk: PendingChunk, parameters: BM25Parameters, slots: dict[str, str]) -> Any:
    """The point of a pending chunk, its vectors in the given slots."""
    from qdrant_client import models

    vectors: dict[str, Any] = {
        CHUNK_VECTOR: chunk.vector.tolist(),
        slot_vector(KEYWORDS, slots[KEYWORDS]): sparse_vector(chunk.terms, parameters),
    }
    if chunk.sentences is not None and len(chunk.sentences):
        vectors[slot_vector(SENTENCES, slots[SENTENCES])] = half_precision(chunk.sentences)
    return models.PointStruct(id=chunk.chunk_id, vector=vectors, payload=chunk.payload)


def half_precision(vectors: np.ndarray) -> list[list[float]]:
    """Sentence vectors rounded to float16, as the local engine stores them (and as the
    collection's ``float16`` datatype keeps them on a server), so both read back the same."""
    return np.asarray(vectors, dtype=np.float16).astype(np.float32).tolist()


class PendingChunks:
    """The new chunks of one write that are not written yet.

    Args:
        connection: The Qdrant connection.
        collection: The collection written.
        on_batch: Called before each request (the writer renews its lease there).
    """

    def __init__(
        self, connection: Connection, collection: str, on_batch: Callable[[], None]
    ) -> None:
        self._connection = connection
        self._collection = collection
        self._on_batch = on_batch
        self._chunks: dict[int, PendingChunk] = {}

    def __len__(self) -> int:
        return len(self._chunks)

    def add(self, chunks: Iterable[PendingChunk]) -> None:
        """Hold new chunks."""
        self._chunks.update((chunk.chunk_id, chunk) for chunk in chunks)

    def drop(self, ids: Iterable[int]) -> list[PendingChunk]:
        """Forget the held chunks with these ids; the ones that were held."""
        return [self._chunks.pop(i) for i in ids if i in self._chunks]

    def chunks(self) -> list[PendingChunk]:
        """Every held chunk, by id."""
        return [self._chunks[i] for i in sorted(self._chunks)]

    def without_sentences(self) -> list[PendingChunk]:
        """The held chunks whose sentence vectors are not given yet."""
        return [chunk for chunk in self.chunks() if chunk.sentences is None]

    def forget_sentences(self) -> None:
        """Treat every held chunk's sentence vectors as not given (they are made again)."""
        for chunk in self._chunks.values():
            chunk.sentences = None

    def set_sentences(self, vectors_by_key: dict[str, np.ndarray]) -> None:
        """Give sentence vectors to the held chunks of these content keys."""
        for chunk in self._chunks.values():
            matrix = vectors_by_key.get(chunk.embed_key)
            if matrix is not None:
                chunk.sentences = matrix

    def flush(
        self, parameters: BM25Parameters, slots: dict[str, str], everything: bool = False
    ) -> list[PendingChunk]:
        """Write the chunks whose sentence vectors are given (all with ``everything``).

        Only full batches are written unless ``everything``: small requests cost as much each.

        Returns:
            The chunks written (no longer held).
        """
        ready = [c for c in self.chunks() if everything or c.sentences is not None]
        if not everything:
            ready = ready[: len(ready) - len(ready) % BATCH_SIZE]
        for start in range(0, len(ready), BATCH_SIZE):
            batch = ready[start : start + BATCH_SIZE]
            self._on_batch()
            points = [chunk_point(chunk, parameters, slots) for chunk in batch]
            self._connection.call("upsert", self._collection, points, wait=True)
            for chunk in batch:
                del self._chunks[chunk.chunk_id]
        return ready
