"""Candidates fetched from an index and ranked by the ranking core, one method per mode.

This is the searcher's only contact with scores: it asks the storage engine for candidates and
their exact scores (:class:`~semsearch.storage.SearchIndex`) and hands the arrays to
:mod:`semsearch.ranking`, which holds every ranking step. The benchmarks feed the same core
from score matrices, so what is measured in docs/retrieval.md is what ships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from semsearch import ranking
from semsearch.lexical import AnalyzedQuery, coverage_scorer, title_match, title_tokens

if TYPE_CHECKING:
    from semsearch.storage import ChunkFilter, SearchIndex, StoredChunk

#: A ranking: ``(chunk id, score)`` pairs, best first.
Ranking = list[tuple[int, float]]


class CandidateRanker:
    """Ranks the candidates of one index with one fusion configuration.

    Args:
        reader: The index.
        config: Candidate depth and fusion weights.
    """

    def __init__(self, reader: SearchIndex, config: ranking.FusionConfig) -> None:
        self.reader = reader
        self.config = config

    @property
    def uses_sentence_vectors(self) -> bool:
        """Whether a chunk's semantic score blends in its best sentence (weight set, stored)."""
        return bool(self.config.sentence_vector_weight) and self.reader.has_sentence_vectors

    def best_sentences(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The cosine of each chunk's sentence nearest the query (NaN: none, or not blended).

        Args:
            vector: The query vector.
            ids: The chunks.

        Returns:
            One cosine per chunk (all NaN when sentence vectors are not used).
        """
        if not self.uses_sentence_vectors:
            return np.full(len(ids), np.nan)
        by_chunk = self.reader.sentence_vectors(ids.tolist())
        return ranking.best_sentence_cosines(vector, ids, by_chunk)

    def semantic(self, vector: np.ndarray, depth: int, where: ChunkFilter | None) -> Ranking:
        """Semantic mode: the nearest chunks by vector, reranked with their sentence vectors.

        Args:
            vector: The query vector.
            depth: How many to return.
            where: The search's filter.

        Returns:
            The ranking (:func:`semsearch.ranking.rank_semantic`).
        """
        if not self.uses_sentence_vectors:
            return self.reader.dense_search(vector, depth, where)
        found = self.reader.dense_search(vector, max(self.config.candidates, depth), where)
        if not found:
            return []
        ids = np.array([chunk_id for chunk_id, _ in found], dtype=np.int64)
        cosines = np.array([score for _, score in found])
        best = self.best_sentences(vector, ids)
        return ranking.rank_semantic(ids, cosines, best, self.config, depth)

    def keyword(self, query: AnalyzedQuery, depth: int, where: ChunkFilter | None) -> Ranking:
        """Keyword mode: the best chunks by BM25, reordered with their title match.

        Args:
            query: The analysed query (its keyword tokens).
            depth: How many chunks to rank.
            where: The search's filter, or None.

        Returns:
            ``(chunk id, score)`` pairs, best first (:func:`semsearch.ranking.rank_keyword`).
        """
        weight = self.config.title_weight
        if not weight:
            return self.reader.keyword_search(query.tokens, depth, where)
        found = self.reader.keyword_search(query.tokens, max(self.config.candidates, depth), where)
        if not found:
            return []
        scores = np.array([score for _, score in found], dtype=np.float64)
        if len(found) > depth:
            # A chunk further down than the title match can lift it cannot reach the top
            # ``depth``: their titles are not read (same order; most of the cost otherwise).
            reach = scores >= scores[depth - 1] - weight * max(scores[0], 0.0)
            found, scores = [f for f, kept in zip(found, reach, strict=True) if kept], scores[reach]
        ids = np.array([chunk_id for chunk_id, _ in found], dtype=np.int64)
        return ranking.rank_keyword(ids, scores, self.title_matches(query, ids), weight, depth)

    def title_matches(self, query: AnalyzedQuery, ids: np.ndarray) -> np.ndarray:
        """The share of each chunk's title that the query names (``lexical.title_match``).

        Args:
            query: The analysed query.
            ids: The chunks.

        Returns:
            One value in [0, 1] per chunk.
        """
        titles = [chunk.title for chunk in self.reader.chunks(ids.tolist())]
        weights = self.reader.keyword_weights(query.tokens)
        # One idf lookup for every title token of the pool.
        idf = self.reader.keyword_weights(list(frozenset().union(*map(title_tokens, set(titles)))))
        match = {
            title: title_match(weights, {t: idf[t] for t in title_tokens(title) if t in idf})
            for title in set(titles)
        }
        return np.array([match[title] for title in titles])

    def hybrid(
        self, query: AnalyzedQuery, vector: np.ndarray, depth: int, where: ChunkFilter | None
    ) -> Ranking:
        """Hybrid mode: pool the best chunks of both retrievers, rescore the pool, fuse.

        Args:
            query: The analysed query (keyword tokens and sentence evidence).
            vector: The query vector.
            depth: How many to return.
            where: The search's filter.

        Returns:
            The ranking (:func:`semsearch.ranking.rank_hybrid`).
        """
        pool_size = max(self.config.candidates, depth)
        pool = ranking.pool_ids(
            self.reader.dense_search(vector, pool_size, where),
            self.reader.keyword_search(query.tokens, pool_size, where),
        )
        if not len(pool):
            return []
        pooled = self.reader.chunks(pool.tolist())
        candidates = self.candidates(query, vector, pool, pooled)
        evidence = self.sentence_evidence(query, pooled)
        return ranking.rank_hybrid(candidates, self.config, depth, evidence)

    def candidates(
        self,
        query: AnalyzedQuery,
        vector: np.ndarray,
        pool: np.ndarray,
        pooled: list[StoredChunk],
    ) -> ranking.Candidates:
        """Score a pool exactly on both sides, with each chunk's article and place in it.

        Each retriever scored only its own top; scoring the whole pool on both sides judges
        every candidate on the same evidence (exact rescoring of given ids is cheap).

        Args:
            query: The analysed query.
            vector: The query vector.
            pool: The candidate chunk ids, ascending.
            pooled: Their chunks, same order.

        Returns:
            The pool, ready for :func:`semsearch.ranking.rank_hybrid`.
        """
        dense = np.asarray(self.reader.dense_scores(vector, pool), dtype=np.float64)
        # Every pooled id is in the index, so each gets a cosine; the floor is only a guard.
        unknown = np.isnan(dense)
        if unknown.any():
            dense[unknown] = dense[~unknown].min() if (~unknown).any() else 0.0
        lexical = self.reader.keyword_scores(query.tokens, pool)
        return ranking.Candidates(
            ids=pool,
            dense=dense,
            best_sentence=self.best_sentences(vector, pool),
            lexical=np.asarray(lexical, dtype=np.float64),
            articles=np.array([chunk.doc_id for chunk in pooled]),
            lead=np.array([chunk.index == 0 for chunk in pooled]),
        )

    def sentence_evidence(
        self, query: AnalyzedQuery, pooled: list[StoredChunk]
    ) -> ranking.SentenceEvidence:
        """The sentence evidence of pooled chunks, for :func:`semsearch.ranking.rank_hybrid`.

        Args:
            query: The analysed query.
            pooled: The pool's chunks, in pool order.

        Returns:
            Given pool positions, the share of the query's keyword weight that one sentence of
            each chunk holds (:func:`~semsearch.lexical.best_sentence_coverage`).
        """
        reader = self.reader

        def evidence(positions: np.ndarray) -> np.ndarray:
            # Called by the fusion only when sentence evidence is on, once per query.
            coverage = coverage_scorer(reader.keyword_weights(query.tokens))
            return np.array([coverage(pooled[i].text, pooled[i].title) for i in positions])

        return evidence
