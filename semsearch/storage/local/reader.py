"""The local engine's reader: one generation, opened whole, searched in memory.

:func:`~semsearch.storage.local.opening.open_local_index` validates the generation ``current``
points to and loads everything it needs at once: each segment's vectors and BM25 postings are
read into memory and the SQLite files are opened read-only, so deleting the generation
afterwards (a writer keeps only the current and the previous one) does not disturb the reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from semsearch.lexical.bm25_index import KeywordIndex
from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.data import ChunkFilter
from semsearch.storage.local import sentences
from semsearch.storage.local.catalog import Catalog
from semsearch.storage.local.keyword import keyword_index
from semsearch.storage.local.segments import SegmentSet
from semsearch.storage.local.stored import StoredRecords
from semsearch.storage.manifest import Manifest, check_compatible


class LocalIndex(StoredRecords):
    """An immutable, thread-safe view of one generation: the local :class:`SearchIndex`.

    Args:
        index_dir: The index folder.
        generation_dir: The generation's folder.
        manifest: Its manifest.
        catalog: Its catalog, opened read-only.
        segments: Its segments (records, vectors and BM25 postings), opened.
        keyword_index: The BM25 index over its segments (None: made on first use, from
            segments read lazily).
    """

    def __init__(
        self,
        index_dir: Path,
        generation_dir: Path,
        manifest: Manifest,
        catalog: Catalog,
        segments: SegmentSet,
        keyword_index: KeywordIndex | None,
    ) -> None:
        super().__init__(index_dir, generation_dir, catalog, segments)
        self.manifest = manifest
        self.model_id = manifest.model_id
        self.dimension = manifest.dimension
        self._keyword_index = keyword_index

    @property
    def keyword_index(self) -> KeywordIndex:
        """The BM25 index over the segments."""
        if self._keyword_index is None:
            self._keyword_index = keyword_index(self.segments, self.manifest)
        return self._keyword_index

    @property
    def chunk_count(self) -> int:
        """Number of live chunks (and vectors) in this generation."""
        return self.manifest.chunk_count

    @property
    def document_count(self) -> int:
        """Number of documents in this generation."""
        return self.manifest.document_count

    @property
    def has_sentence_vectors(self) -> bool:
        """Whether this generation stores sentence vectors (indexes made before them do not)."""
        return self.manifest.has_sentence_vectors

    def check_compatible(self, embedder: IdentifiesModel, chunking: DescribesChunking) -> None:
        """Refuse an embedder or chunking settings other than those the index was built with.

        Raises:
            IndexStoreError: Naming the index's value, the given value and how to rebuild.
        """
        check_compatible(self.manifest, self.index_dir, embedder, chunking)

    def _allowed(self, where: ChunkFilter | None) -> np.ndarray | None:
        return None if where is None or where.is_empty else self.chunk_ids(where)

    def dense_search(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` chunks nearest to a normalized query vector (cosine), best first.

        Args:
            vector: A normalized vector of the index's dimension, shape (dim,) or (1, dim).
            k: How many results at most.
            where: Only chunks passing this filter are candidates.

        Returns:
            ``(chunk_id, cosine)`` pairs.
        """
        if k <= 0 or self.chunk_count == 0:
            return []
        query = _as_query(vector, self.dimension)
        allowed = self._allowed(where)
        if allowed is not None and allowed.size == 0:
            return []
        return self.segments.dense_search(query, k, allowed)

    def dense_scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The exact cosine of each given chunk to the query vector (NaN for an unknown id)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros(0, dtype=np.float32)
        return self.segments.dense_scores(_as_query(vector, self.dimension), ids)

    def keyword_search(
        self, tokens: Sequence[str], k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` best BM25 matches of the query tokens, best first.

        Args:
            tokens: The query's tokens (``lexical.tokenize_query``).
            k: How many results at most.
            where: Only chunks passing this filter are candidates.

        Returns:
            ``(chunk_id, bm25 score)`` pairs of chunks sharing a token with the query.
        """
        if k <= 0 or self.chunk_count == 0 or not tokens:
            return []
        return self.keyword_index.search(tokens, k, chunk_ids=self._allowed(where))

    def keyword_scores(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """The BM25 score of each given chunk for the tokens (0 where none is shared)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(tokens) or not len(ids):
            return np.zeros(len(ids), dtype=np.float64)
        found = dict(self.keyword_index.search(tokens, len(ids), chunk_ids=ids))
        return np.array([found.get(int(chunk_id), 0.0) for chunk_id in ids], dtype=np.float64)

    def keyword_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """The IDF of each distinct query token the index holds (absent tokens left out)."""
        return self.keyword_index.token_weights(tokens)

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The sentence vectors of the given chunks that have two or more sentences.

        Returns:
            A float32 ``(sentences, dimension)`` matrix of normalized vectors per chunk id.
        """
        if not self.has_sentence_vectors or not len(ids):
            return {}
        found: dict[int, np.ndarray] = {}
        for segment, wanted, _positions in self.segments.split(np.asarray(ids, dtype=np.int64)):
            if segment.sentence_file is not None:  # the same values, sliced from a mapped file
                found.update(segment.sentence_file.read(wanted))
            else:
                found.update(sentences.read_for_chunks(segment.records, wanted, self.dimension))
        return found

    def vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return stored chunk vectors by content key (``embed_key``), for those present."""
        chunk_for_key = self.first_chunk_of_keys(keys)
        if not chunk_for_key:
            return {}
        found, vectors = self.segments.vectors_of(np.array(list(chunk_for_key.values())))
        row_of = {int(chunk_id): row for row, chunk_id in enumerate(found)}
        return {key: vectors[row_of[chunk_id]] for key, chunk_id in chunk_for_key.items()}

    def sentence_vectors_for_keys(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Return stored sentence vectors by content key, for those present (maybe 0 rows).

        Only vectors of the current sentence version are returned, since they are reused for
        new chunks.
        """
        if not sentences.is_current(self.manifest):
            return {}
        keys = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        for segment in self.segments.segments:
            wanted = [key for key in keys if key not in found]
            if wanted:
                found.update(sentences.read_for_keys(segment.records, wanted, self.dimension))
        return found


def _as_query(vector: np.ndarray, dimension: int) -> np.ndarray:
    """A query vector as the ``(1, dimension)`` float32 matrix FAISS takes."""
    query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
    if query.shape[1] != dimension:
        raise ValueError(f"query vector has dimension {query.shape[1]}, not {dimension}")
    return query
