"""Tests of the evaluation metrics."""

from __future__ import annotations

import math

import pytest

from semsearch.evaluation import EvalQuery, mrr_at_k, ndcg_at_k, recall_at_k, score_rankings


def test_recall_counts_relevant_items_within_the_cutoff() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, {"b", "d"}, 1) == 0.0
    assert recall_at_k(ranked, {"b", "d"}, 2) == 0.5
    assert recall_at_k(ranked, {"b", "d"}, 10) == 1.0
    assert recall_at_k(ranked, {"b", "z"}, 10) == 0.5
    assert recall_at_k(ranked, set(), 10) == 0.0


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_item() -> None:
    assert mrr_at_k(["a", "b", "c"], {"c", "b"}, 10) == 0.5
    assert mrr_at_k(["a", "b", "c"], {"a"}, 10) == 1.0
    assert mrr_at_k(["a", "b", "c"], {"c"}, 2) == 0.0
    assert mrr_at_k([], {"c"}, 10) == 0.0


def test_ndcg_with_binary_gains_matches_hand_computation() -> None:
    # Relevant at positions 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "c", "d"], {"b", "d"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "c", "d"], {"b", "d"}, 10) == pytest.approx(0.6509, abs=1e-4)
    assert ndcg_at_k(["b", "d", "a"], {"b", "d"}, 10) == pytest.approx(1.0)
    # Only one of three relevant items can be in a top-1; the ideal DCG is capped at k.
    assert ndcg_at_k(["x"], {"x", "y", "z"}, 1) == pytest.approx(1.0)
    assert ndcg_at_k(["a"], set(), 10) == 0.0


def test_score_rankings_averages_in_percent() -> None:
    queries = [
        EvalQuery("q1", "…", ("a",)),
        EvalQuery("q2", "…", ("c",)),
    ]
    scores = score_rankings([["a", "b"], ["a", "b", "c"]], queries)
    assert scores["R@1"] == pytest.approx(50.0)
    assert scores["R@5"] == pytest.approx(100.0)
    assert scores["R@10"] == pytest.approx(100.0)
    assert scores["MRR@10"] == pytest.approx(100 * (1 + 1 / 3) / 2)
    assert scores["nDCG@10"] == pytest.approx(100 * (1 + 0.5) / 2)
