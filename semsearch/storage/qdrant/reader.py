"""The Qdrant engine's reader: one published version of a collection, through the search protocol.

A :class:`QdrantIndex` is pinned to the version its manifest names: every search and scroll
carries the visibility filter of that version, points read by id are checked against it, and
sparse searches measure IDF over that version's points only (``IdfCorpusParams``) — so what a
writer is adding or removing at the same time stays invisible, and the scores do not move.

Candidates come from the engine (HNSW for vectors, the sparse index for BM25); whatever the
searcher compares across chunks — a pool's cosines, sentence vectors, BM25 scores — is read back
by id and computed here as the local engine computes it, so both engines rank alike.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.data import ChunkFilter
from semsearch.storage.manifest import check_compatible
from semsearch.storage.qdrant.frequencies import TermFrequencies
from semsearch.storage.qdrant.records import VISIBILITY, QdrantRecords
from semsearch.storage.qdrant.schema import (
    CHUNK_VECTOR,
    chunk_conditions,
)
from semsearch.storage.qdrant.terms import (
    StoredTerms,
    exact_scores,
    query_terms,
    query_vector,
    read_stored_terms,
    term_idf,
)

#: Extra keyword candidates asked of the engine: its float32 scores may order near-ties
#: differently from the exact ones, which re-order the candidates and cut at k.
KEYWORD_MARGIN = 16


class QdrantIndex(QdrantRecords):
    """A read-only view of one version of a Qdrant index: the Qdrant :class:`SearchIndex`.

    Made like :class:`~semsearch.storage.qdrant.records.QdrantView` (usually by
    ``storage.open_index``).
    """

    @functools.cached_property
    def frequencies(self) -> TermFrequencies:
        """This version's term frequencies (their shards are read as queries need them)."""
        return TermFrequencies(
            self.connection, self.collection, self.state.term_shards, self.state.keyword.term_count
        )

    def check_compatible(self, embedder: IdentifiesModel, chunking: DescribesChunking) -> None:
        """Check that queries (or new chunks) are made the way this index was made.

        Raises:
            IndexStoreError: Another model, weights, dimension or chunking (see
                :func:`~semsearch.storage.manifest.check_compatible`).
        """
        check_compatible(self.manifest, self.index_dir, embedder, chunking)

    # -- search ---------------------------------------------------------------------------------

    def _search_filter(self, where: ChunkFilter | None) -> Any | None:
        """The filter of a search, or None when nothing can pass."""
        if where is not None and where.doc_ids is not None and not where.doc_ids:
            return None
        return self._filter(*chunk_conditions(where or ChunkFilter()))

    def dense_search(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` chunks nearest to a normalized query vector: ``(chunk id, cosine)``."""
        search_filter = self._search_filter(where)
        if k <= 0 or not self.chunk_count or search_filter is None:
            return []
        found = self.connection.call(
            "query_points",
            self.collection,
            query=_as_query(vector, self.dimension).tolist(),
            using=CHUNK_VECTOR,
            query_filter=search_filter,
            limit=k,
            with_payload=False,
        ).points
        return sorted(((int(p.id), float(p.score)) for p in found), key=lambda p: (-p[1], p[0]))

    def keyword_search(
        self, tokens: Sequence[str], k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best BM25 matches of the query tokens (only chunks sharing a token)."""
        from qdrant_client import models

        sequence = query_terms(tokens)
        search_filter = self._search_filter(where)
        if k <= 0 or not self.chunk_count or not sequence or search_filter is None:
            return []
        indices, values = query_vector(sequence)
        found = self.connection.call(
            "query_points",
            self.collection,
            query=models.SparseVector(indices=indices, values=values),
            using=self.keyword_vector,
            query_filter=search_filter,
            # IDF over this version's points only: a writer's new or removed points must not
            # move the scores (seen: 0.66 off without it).
            search_params=models.SearchParams(idf=models.IdfCorpusParams(corpus=self._filter())),
            limit=k + KEYWORD_MARGIN,
            with_payload=False,
        ).points
        ids = np.array([int(p.id) for p in found], dtype=np.int64)
        scores = self._keyword_scores(sequence, ids)
        order = np.lexsort((ids, -scores))[:k]
        return [(int(ids[i]), float(scores[i])) for i in order if scores[i] > 0]

    def dense_scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The exact cosine of each given chunk to the query vector (NaN for an unknown id)."""
        ids = np.asarray(ids, dtype=np.int64)
        query = _as_query(vector, self.dimension)
        points = self.retrieve(ids.tolist(), VISIBILITY, [CHUNK_VECTOR])
        scores = np.full(len(ids), np.nan, dtype=np.float32)
        rows = [row for row, chunk_id in enumerate(ids.tolist()) if chunk_id in points]
        if rows:
            matrix = np.array(
                [points[int(ids[row])].vector[CHUNK_VECTOR] for row in rows], dtype=np.float32
            )
            scores[rows] = matrix @ query
        return scores

    def keyword_scores(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """The BM25 score of each given chunk for the tokens (0 where none is shared)."""
        return self._keyword_scores(query_terms(tokens), np.asarray(ids, dtype=np.int64))

    def _keyword_scores(self, sequence: list[int], ids: np.ndarray) -> np.ndarray:
        if not sequence or not len(ids):
            return np.zeros(len(ids), dtype=np.float64)
        stored = self.stored_terms(ids.tolist())
        idfs = self.idfs(sequence)
        parameters = self.state.keyword.parameters
        return exact_scores(sequence, [stored.get(int(i)) for i in ids], idfs, parameters)

    def stored_terms(self, ids: Sequence[int]) -> dict[int, StoredTerms]:
        """Each given chunk's stored sparse vector and length, by chunk id."""
        points = self.retrieve(ids, ["length"], [self.keyword_vector])
        stored = {int(i): read_stored_terms(p, self.keyword_vector) for i, p in points.items()}
        return {chunk_id: terms for chunk_id, terms in stored.items() if terms is not None}

    def idfs(self, sequence: Iterable[int]) -> dict[int, np.float32]:
        """The IDF of each term this version holds, as the local engine stores it."""
        chunks = self.state.keyword.chunk_count
        return {
            term: term_idf(frequency, chunks)
            for term, frequency in self.frequencies.of(set(sequence)).items()
        }

    def keyword_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """The IDF of each distinct query token the index holds (absent tokens left out)."""
        distinct = [token for token in dict.fromkeys(tokens) if token]
        ids = dict(zip(distinct, query_terms(distinct), strict=True))
        frequencies = self.frequencies.of(ids.values())
        chunks = self.state.keyword.chunk_count
        weights = {}
        for token, term in ids.items():
            frequency = frequencies.get(term)
            if frequency:
                # numpy's log, as the local engine's token_weights (its last bit can differ).
                ratio = 1 + (chunks - frequency + 0.5) / (frequency + 0.5)
                weights[token] = float(np.log(ratio))
        return weights

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The sentence vectors of the given chunks that have two or more sentences."""
        if not self.has_sentence_vectors or not len(ids):
            return {}
        points = self.retrieve([int(i) for i in ids], VISIBILITY, [self.sentence_vector])
        return {
            int(chunk_id): np.asarray(point.vector[self.sentence_vector], dtype=np.float32)
            for chunk_id, point in points.items()
            if point.vector and point.vector.get(self.sentence_vector)
        }


def _as_query(vector: np.ndarray, dimension: int) -> np.ndarray:
    """A query vector as a float32 row of the index's dimension."""
    query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
    if query.shape[0] != dimension:
        raise ValueError(f"query vector has dimension {query.shape[0]}, not {dimension}")
    return query
