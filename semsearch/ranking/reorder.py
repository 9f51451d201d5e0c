"""Reordering a ranked list with evidence about whole titles and articles.

Both steps add ``weight × evidence × top`` to a list's scores (``top``: the list's best score,
so the evidence is in the list's own units, BM25 or fused): keyword mode's title match
(:func:`rank_keyword`) and, with one hit per article, article coverage (:func:`rank_articles`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from semsearch.ranking.fusion import order_by_score


def rank_keyword(
    ids: np.ndarray, scores: np.ndarray, title_match: np.ndarray, weight: float, depth: int
) -> list[tuple[int, float]]:
    """Keyword mode: a BM25 pool reordered by its score plus ``weight × title match × top``.

    Args:
        ids: The pool (the keyword retriever's top).
        scores: Their BM25 scores.
        title_match: The share of each chunk's title that the query names, in [0, 1].
        weight: The weight of the title match (``top``: the pool's best score).
        depth: How many to return.

    Returns:
        ``(chunk id, score)`` pairs, best first (:func:`order_by_score`).
    """
    top = max(float(scores.max()), 0.0) if len(scores) else 0.0
    return order_by_score(ids, scores + weight * top * title_match, depth)


def best_per_article(
    ranked: Sequence[tuple[int, float]], articles: Sequence[Hashable]
) -> list[int]:
    """Positions in ``ranked`` of the best entry of each article (collapse to one hit each).

    Args:
        ranked: ``(chunk id, score)`` pairs, best first.
        articles: The article of each entry (doc id or any per-article value).

    Returns:
        Ascending positions, the first of each article.
    """
    seen: set[Hashable] = set()
    kept: list[int] = []
    for position, article in enumerate(articles[: len(ranked)]):
        if article not in seen:
            seen.add(article)
            kept.append(position)
    return kept


def rank_articles(
    ranked: Sequence[tuple[int, float]],
    articles: Sequence[Hashable],
    coverage: Mapping[Hashable, float],
    weight: float,
) -> list[tuple[int, float]]:
    """One entry per article, ordered by its best score plus article coverage.

    An article's score is its best entry's score plus ``weight × coverage × top`` (``top``:
    the list's best score, so the evidence is in the list's own units, BM25 or fused). With 0.5
    at article level (``bench/article_coverage.py``): short news +0.6 MRR@10 in keyword and
    hybrid mode, long news +0.3 hybrid, whole paragraphs level within noise.

    Args:
        ranked: ``(chunk id, score)`` pairs, best first.
        articles: The article of each entry.
        coverage: Each article's share of the query's keyword weight, in [0, 1]
            (:func:`~semsearch.lexical.article_coverage`); a missing article counts 0.
        weight: The weight of the coverage (0 keeps :func:`best_per_article`'s order).

    Returns:
        ``(position in ranked, article score)`` of the best entry of each article, best article
        first; ties keep the order of the best entries.
    """
    kept = best_per_article(ranked, articles)
    if not kept:
        return []
    top = max(ranked[0][1], 0.0)
    scored = [
        (position, ranked[position][1] + weight * top * coverage.get(articles[position], 0.0))
        for position in kept
    ]
    return sorted(scored, key=lambda entry: -entry[1])  # stable: ties keep the entries' order
