"""Pooling, blending, calibrating and fusing candidates, and ordering them by score.

The steps of hybrid and semantic mode (see :mod:`semsearch.ranking`): the pool of both
retrievers, each chunk's cosine blended with its best sentence's, both sides calibrated per
query and fused with article, sentence and lead evidence, the order by fused score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: Sentence evidence of candidates, given their positions in the pool (values in [0, 1]).
SentenceEvidence = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class FusionConfig:
    """How hybrid mode merges the semantic and keyword rankings (defaults measured, see
    docs/retrieval.md).

    Attributes:
        method: ``"convex"`` (the default: a weighted sum of calibrated scores plus article
            evidence) or ``"rrf"`` (reciprocal-rank fusion, the baseline it beats).
        candidates: Chunks taken from the top of each retriever before fusing.
        dense_weight: Share of the semantic score in the convex sum (the keyword score gets
            the rest).
        article_weight: Weight of article evidence: the best keyword score among the candidate
            chunks of the same article, added to each of them.
        sentence_weight: Weight of sentence evidence: the largest share of the query's keyword
            weight found in one sentence of the chunk (``lexical.best_sentence_coverage``).
        sentence_candidates: Sentence evidence is computed for this many of the best candidates
            (by the other evidence) only: it costs a tokenization per new chunk, and a chunk
            further down does not reach the top 10 with it (measured: no change at 50).
        lead_weight: Added to the first passage of an article: a news lead (and an
            encyclopedia intro) states the key facts, so among near-equal passages of one
            article it is the likelier answer.
        rrf_k: The constant of reciprocal-rank fusion.
        sentence_vector_weight: Share of the best sentence's cosine in a chunk's semantic score
            (the chunk's own cosine gets the rest), in semantic and hybrid mode alike, when the
            index has sentence vectors (see :func:`blend_sentence_similarity`).
        article_coverage_weight: With one hit per article (hybrid and keyword mode), the weight
            of article coverage: the share of the query's keyword weight that the article's
            pooled chunks hold together, counted in units of the list's best score
            (:func:`rank_articles`). A headline's words are spread over an article's passages;
            the best passage alone misses some of them.
        title_weight: Keyword mode: the weight of title match, the share of a chunk's title
            that the query names (``lexical.title_match``), counted in units of the pool's best
            BM25 score (:func:`rank_keyword`). A question that names an article's subject
            prefers the article of that name to a neighbour whose body repeats more of its
            characters. 0.1 by the leave-one-set-out rule of ``bench/title_match.py``, re-run
            once the cleaner kept short titles (于乐; it had picked 0.05 without them): keyword
            MRR@10 against 0, whole paragraphs (cmrc2018) 98.62 → 99.05, at article level
            98.67 → 98.97, drcd article 97.15 → 97.26, cmrc2018_chunks 91.39 → 91.71, no set or
            level lower; hybrid mode does not use it.
    """

    method: str = "convex"
    candidates: int = 100
    dense_weight: float = 0.6
    article_weight: float = 0.2
    sentence_weight: float = 0.2
    sentence_candidates: int = 50
    lead_weight: float = 0.03
    rrf_k: int = 60
    sentence_vector_weight: float = 0.5
    article_coverage_weight: float = 0.5
    title_weight: float = 0.1


@dataclass(frozen=True)
class Candidates:
    """A pool of candidate chunks with everything the fusion needs, one entry per chunk.

    Attributes:
        ids: Chunk ids, sorted ascending (the tie-break order).
        dense: Cosine of each chunk to the query.
        best_sentence: Cosine of each chunk's sentence nearest the query; NaN for a chunk
            without sentence vectors.
        lexical: BM25 score of each chunk (0 when it shares no token with the query).
        articles: An article label per chunk (doc id or any per-article value).
        lead: Whether each chunk is the first passage of its article.
    """

    ids: np.ndarray
    dense: np.ndarray
    best_sentence: np.ndarray
    lexical: np.ndarray
    articles: np.ndarray
    lead: np.ndarray


# -- pooling --------------------------------------------------------------------------------------


def pool_ids(*rankings: Sequence[tuple[int, float]]) -> np.ndarray:
    """The sorted union of the chunk ids of several ``(chunk id, score)`` rankings.

    Args:
        *rankings: The retrievers' rankings (a dense and a keyword search).

    Returns:
        The pooled chunk ids, ascending, as int64.
    """
    ids = {int(chunk_id) for ranking in rankings for chunk_id, _ in ranking}
    return np.array(sorted(ids), dtype=np.int64)


def top_rows(scores: np.ndarray, n: int, positive_only: bool = False) -> np.ndarray:
    """Rows of the ``n`` highest scores, in no particular order (a retriever's top-n).

    Scores tied at the cut go to the lower rows, as a storage engine gives ties to the lower
    chunk id: with rows in chunk id order, this is the pool the searcher gets from the engine
    (an arbitrary pick among ties changed which chunks were pooled, and so the fused order).

    Args:
        scores: One score per row.
        n: How many.
        positive_only: Leave out rows scoring 0 or less (a keyword retriever returns only
            chunks that share a token with the query).

    Returns:
        At most ``n`` row numbers.
    """
    rows = np.flatnonzero(scores > 0) if positive_only else np.arange(len(scores))
    if len(rows) > n:
        kept = scores[rows]
        # The n-th best score in linear time; a full sort of every row costs more per query.
        cut = -np.partition(-kept, n - 1)[n - 1]
        above = rows[kept > cut]
        rows = np.concatenate([above, rows[kept == cut][: n - len(above)]])
    return rows


# -- the semantic side ----------------------------------------------------------------------------


def best_sentence_cosines(
    query_vector: np.ndarray, ids: np.ndarray, sentence_vectors: Mapping[int, np.ndarray]
) -> np.ndarray:
    """The cosine of each chunk's sentence nearest the query; NaN for a chunk without any.

    Args:
        query_vector: The normalized query vector.
        ids: The chunks.
        sentence_vectors: A ``(sentences, dimension)`` matrix per chunk that has them.

    Returns:
        One cosine per chunk, same order as ``ids``.
    """
    return np.array(
        [
            float((sentence_vectors[int(i)] @ query_vector).max())
            if int(i) in sentence_vectors
            else np.nan
            for i in ids
        ]
    )


def blend_sentence_similarity(
    cosines: np.ndarray, best_sentence: np.ndarray, weight: float
) -> np.ndarray:
    """Mix each chunk's cosine with the cosine of its sentence nearest the query.

    A question is usually answered by one sentence, and the chunk's vector averages it with the
    others: on cmrc2018_chunks the best sentence alone ranks better than the chunk (MRR@10 91.0
    vs 87.8), and the even mix better than either (docs/retrieval.md, step 9).

    Args:
        cosines: Cosine of each chunk to the query.
        best_sentence: Largest cosine of one of its sentences to the query; NaN for a chunk
            without sentence vectors (one sentence), which keeps its own cosine.
        weight: Share of the sentence cosine.

    Returns:
        ``(1 - weight) * cosine + weight * best_sentence`` where there is a sentence cosine.
    """
    cosines = np.asarray(cosines, dtype=np.float64)
    best_sentence = np.asarray(best_sentence, dtype=np.float64)
    has = ~np.isnan(best_sentence)
    blended = cosines.copy()
    blended[has] = (1.0 - weight) * cosines[has] + weight * best_sentence[has]
    return blended


# -- fusion ---------------------------------------------------------------------------------------


def article_max(values: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """For each candidate, the largest value among candidates of the same article."""
    _, group = np.unique(articles, return_inverse=True)
    best = np.full(int(group.max()) + 1 if len(group) else 0, -np.inf)
    np.maximum.at(best, group, values)
    return best[group]


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score, best first (ties keep input order)."""
    result = np.empty(len(scores))
    result[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return result


def calibrate_dense(dense: np.ndarray) -> np.ndarray:
    """Cosines min-max scaled over the pool (all 1 when they are equal)."""
    spread = dense.max() - dense.min()
    return (dense - dense.min()) / spread if spread > 0 else np.ones_like(dense)


def calibrate_lexical(lexical: np.ndarray) -> np.ndarray:
    """BM25 scores divided by the pool's best (zero stays zero: no shared word)."""
    top = lexical.max()
    return lexical / top if top > 0 else np.zeros_like(lexical)


def fuse_scores(
    dense: np.ndarray,
    lexical: np.ndarray,
    articles: np.ndarray,
    config: FusionConfig | None = None,
    sentence: SentenceEvidence | None = None,
    lead: np.ndarray | None = None,
) -> np.ndarray:
    """Fuse semantic and keyword scores of a pool of candidate chunks into one score each.

    The default (``convex``) calibrates each side per query (:func:`calibrate_dense`,
    :func:`calibrate_lexical`), adds them with :attr:`FusionConfig.dense_weight`, then adds
    :attr:`FusionConfig.article_weight` times the best keyword score among the pool's chunks of
    the same article, so an article that matches the query's words as a whole keeps its chunks
    near the top, and :attr:`FusionConfig.sentence_weight` times the sentence evidence and
    :attr:`FusionConfig.lead_weight` for an article's first passage, when given.

    Args:
        dense: Semantic score of each candidate (its cosine, blended with its best sentence).
        lexical: BM25 score of each candidate (0 when it shares no token with the query).
        articles: An article label per candidate (doc id or any hashable per-article value).
        config: Fusion settings (default :class:`FusionConfig`).
        sentence: Given candidate positions, returns their sentence evidence in [0, 1]
            (``lexical.best_sentence_coverage``); asked for the
            :attr:`FusionConfig.sentence_candidates` best only. None leaves it out.
        lead: Whether each candidate is the first passage of its article; None leaves it out.

    Returns:
        The fused scores, higher is better, same order as the inputs.

    Raises:
        ValueError: An unknown fusion method.
    """
    config = config or FusionConfig()
    dense = np.asarray(dense, dtype=np.float64)
    lexical = np.asarray(lexical, dtype=np.float64)
    if not len(dense):
        return dense
    if config.method == "rrf":
        fused = 1.0 / (config.rrf_k + ranks(dense))
        return fused + np.where(lexical > 0, 1.0 / (config.rrf_k + ranks(lexical)), 0.0)
    if config.method != "convex":
        raise ValueError(f"unknown fusion method {config.method!r}")
    lexical_part = calibrate_lexical(lexical)
    fused = (
        config.dense_weight * calibrate_dense(dense) + (1.0 - config.dense_weight) * lexical_part
    )
    if config.article_weight:
        fused = fused + config.article_weight * article_max(lexical_part, np.asarray(articles))
    if config.lead_weight and lead is not None:
        fused = fused + config.lead_weight * np.asarray(lead, dtype=np.float64)
    if config.sentence_weight and sentence is not None:
        best = np.argsort(-fused, kind="stable")[: config.sentence_candidates]
        fused = fused.copy()
        fused[best] += config.sentence_weight * np.asarray(sentence(best), dtype=np.float64)
    return fused


# -- ordering -------------------------------------------------------------------------------------


def order_by_score(ids: np.ndarray, scores: np.ndarray, depth: int) -> list[tuple[int, float]]:
    """The ``depth`` best ``(chunk id, score)`` pairs, best first, ties by the lower chunk id.

    Args:
        ids: Chunk ids (or rows).
        scores: Their scores, higher is better.
        depth: How many to keep.

    Returns:
        The ranking, as Python ints and floats.
    """
    order = np.lexsort((ids, -scores))[:depth]
    return [(int(ids[i]), float(scores[i])) for i in order]


def rank_semantic(
    ids: np.ndarray,
    cosines: np.ndarray,
    best_sentence: np.ndarray,
    config: FusionConfig,
    depth: int,
) -> list[tuple[int, float]]:
    """Semantic mode: the nearest chunks reranked by their cosine blended with their best sentence.

    Args:
        ids: The nearest chunks (a dense retriever's top).
        cosines: Their cosines to the query.
        best_sentence: Their best sentence cosines (NaN where none).
        config: Gives the sentence weight.
        depth: How many to return.

    Returns:
        ``(chunk id, blended score)`` pairs, best first (:func:`order_by_score`).
    """
    scores = blend_sentence_similarity(cosines, best_sentence, config.sentence_vector_weight)
    return order_by_score(ids, scores, depth)


def rank_hybrid(
    candidates: Candidates,
    config: FusionConfig,
    depth: int,
    sentence: SentenceEvidence | None = None,
) -> list[tuple[int, float]]:
    """Hybrid mode: blend, calibrate, fuse with evidence and order a pool of candidates.

    Args:
        candidates: The pool, scored on both sides.
        config: Fusion settings.
        depth: How many to return.
        sentence: Sentence evidence (see :func:`fuse_scores`), or None.

    Returns:
        ``(chunk id, fused score)`` pairs, best first (:func:`order_by_score`); empty for an
        empty pool.
    """
    if not len(candidates.ids):
        return []
    dense = blend_sentence_similarity(
        candidates.dense, candidates.best_sentence, config.sentence_vector_weight
    )
    fused = fuse_scores(
        dense, candidates.lexical, candidates.articles, config, sentence, candidates.lead
    )
    return order_by_score(candidates.ids, fused, depth)
