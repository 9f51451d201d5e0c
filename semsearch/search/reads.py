"""What one search has read from the index, remembered so that a later step does not read it again.

A hybrid search reads its candidate pool (chunk rows, sentence vectors) to rank it, then the
rows of its hits, their sentence vectors for the answer, and the question's nearest chunks for
the confidence (:mod:`semsearch.search.answer`). The hits are part of the pool and the
confidence's neighbours are a prefix of the pool's dense search, so these later reads are
answered from what the search already holds: at 5k chunks that was about 2 ms of a 12 ms query,
and at 100k a second exact search over every vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from semsearch.storage import ChunkFilter, SearchIndex, StoredChunk


class SearchReads:
    """A :class:`~semsearch.storage.SearchIndex` for one search: some reads remembered.

    Chunk rows, sentence vectors and the unfiltered dense search (whose shorter lists are its
    prefixes: the ``k`` nearest are the first ``k`` of the ``k' > k`` nearest) are kept; every
    other attribute is the index's own.

    Args:
        reader: The index.
    """

    def __init__(self, reader: SearchIndex) -> None:
        self.reader = reader
        self._chunks: dict[int, StoredChunk] = {}
        self._sentences: dict[int, np.ndarray] = {}
        self._sentences_read: set[int] = set()
        self._nearest: tuple[np.ndarray, int, list[tuple[int, float]]] | None = None
        self._around: dict[tuple[int, int, int], tuple[list[StoredChunk], list[StoredChunk]]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """The chunks with these ids, in their order (see ``SearchIndex.chunks``)."""
        missing = [int(i) for i in dict.fromkeys(ids) if int(i) not in self._chunks]
        if missing:
            self._chunks.update(zip(missing, self.reader.chunks(missing), strict=True))
        return [self._chunks[int(i)] for i in ids]

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The sentence vectors of the chunks that have some (see
        ``SearchIndex.sentence_vectors``)."""
        missing = [int(i) for i in dict.fromkeys(ids) if int(i) not in self._sentences_read]
        if missing:
            self._sentences.update(self.reader.sentence_vectors(missing))
            self._sentences_read.update(missing)
        return {int(i): self._sentences[int(i)] for i in ids if int(i) in self._sentences}

    def read_neighbours(self, ids: Sequence[int], before: int = 1, after: int = 1) -> None:
        """Read the neighbours of some chunks at once, for :meth:`neighbours` (the hits' context).

        An engine that reads them one chunk at a time only (no ``neighbours_of``) is asked
        later, chunk by chunk.
        """
        read_all = getattr(self.reader, "neighbours_of", None)
        if read_all is not None and len(ids):
            for chunk_id, around in read_all(ids, before, after).items():
                self._around[(int(chunk_id), before, after)] = around

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        """The chunks around a chunk in its document (see ``SearchIndex.neighbours``)."""
        around = self._around.get((int(chunk_id), before, after))
        return around if around is not None else self.reader.neighbours(chunk_id, before, after)

    def dense_search(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunks, best first (see ``SearchIndex.dense_search``)."""
        if where is not None:
            return self.reader.dense_search(vector, k, where)
        if self._nearest is not None:
            known_vector, asked, found = self._nearest
            if k <= asked and np.array_equal(known_vector, vector):
                return found[:k]
        found = self.reader.dense_search(vector, k, None)
        self._nearest = (vector, k, found)
        return found
