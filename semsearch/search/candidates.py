"""Candidates fetched from an index and ranked by the ranking core, one function per mode.

This is the searcher's only contact with scores: it asks the storage engine for candidates and
their exact scores (:class:`~semsearch.storage.SearchIndex`) and hands the arrays to
:mod:`semsearch.ranking`, which holds every ranking step. The benchmarks feed the same core
from score matrices, so what is measured in docs/retrieval.md is what ships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from semsearch import ranking
from semsearch.lexical import AnalyzedQuery, best_sentence_coverage

if TYPE_CHECKING:
    from semsearch.storage import ChunkFilter, SearchIndex, StoredChunk

#: A ranking: ``(chunk id, score)`` pairs, best first.
Ranking = list[tuple[int, float]]


def uses_sentence_vectors(reader: SearchIndex, config: ranking.FusionConfig) -> bool:
    """Whether a chunk's semantic score blends in its best sentence (weight set, vectors stored)."""
    return bool(config.sentence_vector_weight) and reader.has_sentence_vectors


def best_sentences(
    reader: SearchIndex, vector: np.ndarray, ids: np.ndarray, config: ranking.FusionConfig
) -> np.ndarray:
    """The cosine of each chunk's sentence nearest the query (NaN: none, or not blended).

    Args:
        reader: The index.
        vector: The query vector.
        ids: The chunks.
        config: Gives the sentence weight (0 skips reading sentence vectors).
    """
    if not uses_sentence_vectors(reader, config):
        return np.full(len(ids), np.nan)
    return ranking.best_sentence_cosines(vector, ids, reader.sentence_vectors(ids.tolist()))


def semantic_ranking(
    reader: SearchIndex,
    vector: np.ndarray,
    config: ranking.FusionConfig,
    depth: int,
    where: ChunkFilter | None,
) -> Ranking:
    """Semantic mode: the nearest chunks by vector, reranked with their sentence vectors.

    Args:
        reader: The index.
        vector: The query vector.
        config: Gives the candidate depth and the sentence weight.
        depth: How many to return.
        where: The search's filter.
    """
    if not uses_sentence_vectors(reader, config):
        return reader.dense_search(vector, depth, where)
    found = reader.dense_search(vector, max(config.candidates, depth), where)
    if not found:
        return []
    ids = np.array([chunk_id for chunk_id, _ in found], dtype=np.int64)
    cosines = np.array([score for _, score in found])
    return ranking.rank_semantic(
        ids, cosines, best_sentences(reader, vector, ids, config), config, depth
    )


def hybrid_ranking(
    reader: SearchIndex,
    query: AnalyzedQuery,
    vector: np.ndarray,
    config: ranking.FusionConfig,
    depth: int,
    where: ChunkFilter | None,
) -> Ranking:
    """Hybrid mode: pool the best chunks of both retrievers, rescore the pool, fuse.

    Args:
        reader: The index.
        query: The analysed query (keyword tokens and sentence evidence).
        vector: The query vector.
        config: Fusion settings.
        depth: How many to return.
        where: The search's filter.
    """
    pool_size = max(config.candidates, depth)
    pool = ranking.pool_ids(
        reader.dense_search(vector, pool_size, where),
        reader.keyword_search(query.tokens, pool_size, where),
    )
    if not len(pool):
        return []
    pooled = reader.chunks(pool.tolist())
    candidates = hybrid_candidates(reader, query, vector, config, pool, pooled)
    return ranking.rank_hybrid(candidates, config, depth, sentence_evidence(reader, query, pooled))


def hybrid_candidates(
    reader: SearchIndex,
    query: AnalyzedQuery,
    vector: np.ndarray,
    config: ranking.FusionConfig,
    pool: np.ndarray,
    pooled: list[StoredChunk],
) -> ranking.Candidates:
    """Score a pool exactly on both sides, with each chunk's article and place in it.

    Each retriever scored only its own top; scoring the whole pool on both sides judges every
    candidate on the same evidence (exact rescoring of given ids is cheap).

    Args:
        reader: The index.
        query: The analysed query.
        vector: The query vector.
        config: Gives the sentence weight.
        pool: The candidate chunk ids, ascending.
        pooled: Their chunks, same order.
    """
    dense = np.asarray(reader.dense_scores(vector, pool), dtype=np.float64)
    # Every pooled id is in the index, so each gets a cosine; the floor is only a guard.
    unknown = np.isnan(dense)
    if unknown.any():
        dense[unknown] = dense[~unknown].min() if (~unknown).any() else 0.0
    return ranking.Candidates(
        ids=pool,
        dense=dense,
        best_sentence=best_sentences(reader, vector, pool, config),
        lexical=np.asarray(reader.keyword_scores(query.tokens, pool), dtype=np.float64),
        articles=np.array([chunk.doc_id for chunk in pooled]),
        lead=np.array([chunk.index == 0 for chunk in pooled]),
    )


def sentence_evidence(
    reader: SearchIndex, query: AnalyzedQuery, pooled: list[StoredChunk]
) -> ranking.SentenceEvidence:
    """The sentence evidence of pooled chunks, for :func:`semsearch.ranking.rank_hybrid`.

    Args:
        reader: The index (it weighs the query's tokens).
        query: The analysed query.
        pooled: The pool's chunks, in pool order.

    Returns:
        Given pool positions, the share of the query's keyword weight that one sentence of each
        chunk holds (:func:`~semsearch.lexical.best_sentence_coverage`).
    """

    def evidence(positions: np.ndarray) -> np.ndarray:
        # Called by the fusion only when sentence evidence is on, once per query.
        weights = reader.keyword_weights(query.tokens)
        return np.array(
            [best_sentence_coverage(weights, pooled[i].text, pooled[i].title) for i in positions]
        )

    return evidence
