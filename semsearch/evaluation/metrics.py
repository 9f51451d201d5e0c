"""Retrieval metrics per query, and their averages over a set, in percent.

``semsearch eval`` and the retrieval benchmark (bench/retrieval.py) both score rankings here,
so their figures are computed the same way.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semsearch.evaluation.sets import EvalQuery

#: The cut-offs reported by ``semsearch eval``.
RECALL_CUTOFFS: tuple[int, ...] = (1, 5, 10)
RANK_CUTOFF = 10


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant items found in the first ``k`` results.

    Args:
        ranked: Result ids, best first.
        relevant: The ids that answer the query.
        k: The cut-off.

    Returns:
        ``|relevant ∩ ranked[:k]| / |relevant|`` (0 when nothing is relevant).
    """
    if not relevant:
        return 0.0
    relevant_set = set(relevant)
    return len(relevant_set.intersection(ranked[:k])) / len(relevant_set)


def mrr_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Reciprocal rank of the first relevant result within the first ``k`` (0 if none).

    Args:
        ranked: Result ids, best first.
        relevant: The ids that answer the query.
        k: The cut-off.
    """
    relevant_set = set(relevant)
    for position, item in enumerate(ranked[:k], start=1):
        if item in relevant_set:
            return 1.0 / position
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Normalized discounted cumulative gain at ``k`` with binary gains.

    DCG adds ``1 / log2(position + 1)`` for each relevant result in the first ``k``; the ideal
    DCG puts all relevant items first.

    Args:
        ranked: Result ids, best first.
        relevant: The ids that answer the query.
        k: The cut-off.
    """
    relevant_set = set(relevant)
    if not relevant_set:
        return 0.0
    dcg = sum(
        1.0 / math.log2(position + 1)
        for position, item in enumerate(ranked[:k], start=1)
        if item in relevant_set
    )
    ideal = sum(
        1.0 / math.log2(position + 1) for position in range(1, min(len(relevant_set), k) + 1)
    )
    return dcg / ideal


def score_rankings(
    rankings: Sequence[Sequence[str]], queries: Sequence[EvalQuery]
) -> dict[str, float]:
    """Average every reported metric over queries, in percent.

    Args:
        rankings: For each query, the result ids, best first.
        queries: The queries, same order.

    Returns:
        ``{"R@1", "R@5", "R@10", "MRR@10", "nDCG@10"}`` in percent (0–100).

    Raises:
        ValueError: The number of rankings is not the number of queries.
    """
    if len(rankings) != len(queries):
        raise ValueError(f"{len(rankings)} rankings for {len(queries)} queries")
    count = max(len(queries), 1)
    totals = {f"R@{k}": 0.0 for k in RECALL_CUTOFFS}
    totals[f"MRR@{RANK_CUTOFF}"] = 0.0
    totals[f"nDCG@{RANK_CUTOFF}"] = 0.0
    for ranked, query in zip(rankings, queries, strict=True):
        for k in RECALL_CUTOFFS:
            totals[f"R@{k}"] += recall_at_k(ranked, query.relevant, k)
        totals[f"MRR@{RANK_CUTOFF}"] += mrr_at_k(ranked, query.relevant, RANK_CUTOFF)
        totals[f"nDCG@{RANK_CUTOFF}"] += ndcg_at_k(ranked, query.relevant, RANK_CUTOFF)
    return {name: 100.0 * value / count for name, value in totals.items()}
