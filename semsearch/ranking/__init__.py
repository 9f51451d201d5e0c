"""The ranking core: arrays in, order out. It touches no index, no file and no model.

Every ranking step of semsearch is written here once; the searcher (:mod:`semsearch.search`)
feeds it candidates fetched from a storage engine, and the benchmarks (``bench/retrieval.py``)
feed it score matrices, so the ranking that ships is the ranking that is measured.

The steps, in the order hybrid search applies them (each measured in docs/retrieval.md):

1. **pool** the best chunks of both retrievers (:func:`pool_ids`, :func:`top_rows`);
2. **blend** each chunk's cosine with the cosine of its sentence nearest the query
   (:func:`best_sentence_cosines`, :func:`blend_sentence_similarity`);
3. **calibrate** both sides per query and **fuse** them with article, sentence and lead evidence
   (:func:`fuse_scores`);
4. **order** by fused score, ties by the lower chunk id (:func:`order_by_score`), and optionally
   keep one hit per article (:func:`best_per_article`), articles ordered with the share of the
   query that all their pooled chunks hold together (:func:`rank_articles`).
"""

from __future__ import annotations

from semsearch.ranking.fusion import (
    Candidates,
    FusionConfig,
    SentenceEvidence,
    article_max,
    best_sentence_cosines,
    blend_sentence_similarity,
    calibrate_dense,
    calibrate_lexical,
    fuse_scores,
    order_by_score,
    pool_ids,
    rank_hybrid,
    rank_semantic,
    ranks,
    top_rows,
)
from semsearch.ranking.reorder import best_per_article, rank_articles, rank_keyword

__all__ = [
    "Candidates",
    "FusionConfig",
    "SentenceEvidence",
    "article_max",
    "best_per_article",
    "best_sentence_cosines",
    "blend_sentence_similarity",
    "calibrate_dense",
    "calibrate_lexical",
    "fuse_scores",
    "order_by_score",
    "pool_ids",
    "rank_articles",
    "rank_hybrid",
    "rank_keyword",
    "rank_semantic",
    "ranks",
    "top_rows",
]
