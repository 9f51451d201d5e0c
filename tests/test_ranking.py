"""Tests of the ranking core: pooling, blending, fusion properties, ordering and collapsing.

The core takes arrays and returns an order; these tests feed it arrays directly. That the
searcher and the benchmarks rank through it is checked in tests/search/test_candidates.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semsearch.ranking import (
    Candidates,
    FusionConfig,
    best_per_article,
    best_sentence_cosines,
    blend_sentence_similarity,
    fuse_scores,
    order_by_score,
    pool_ids,
    rank_articles,
    rank_hybrid,
    rank_keyword,
    rank_semantic,
    top_rows,
)

# -- fusion ----------------------------------------------------------------------------------


score_lists = st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=30)


@settings(max_examples=150, deadline=None)
@given(score_lists, st.data(), st.sampled_from(["convex", "rrf"]))
def test_a_chunk_first_in_both_lists_is_first_after_fusion(
    scores: list[float], data: st.DataObject, method: str
) -> None:
    size = len(scores)
    dense = np.array(scores)
    lexical = np.array(data.draw(st.lists(st.floats(0, 50), min_size=size, max_size=size)))
    articles = np.array(data.draw(st.lists(st.integers(0, 3), min_size=size, max_size=size)))
    winner = data.draw(st.integers(0, size - 1))
    dense[winner] = dense.max() + 0.01
    lexical[winner] = lexical.max() + 1.0
    fused = fuse_scores(dense, lexical, articles, FusionConfig(method=method))
    assert int(np.argmax(fused)) == winner
    assert fused[winner] > np.delete(fused, winner).max()


def test_fusion_without_keyword_matches_follows_the_dense_order() -> None:
    dense = np.array([0.80, 0.95, 0.85, 0.70])
    fused = fuse_scores(dense, np.zeros(4), np.array([0, 1, 2, 3]))
    assert list(np.argsort(-fused)) == [1, 2, 0, 3]


def test_fusion_weights_follow_the_config() -> None:
    dense = np.array([1.0, 0.0])
    lexical = np.array([0.0, 10.0])
    articles = np.array(["a", "b"])
    dense_heavy = fuse_scores(dense, lexical, articles, FusionConfig(dense_weight=0.9))
    keyword_heavy = fuse_scores(dense, lexical, articles, FusionConfig(dense_weight=0.1))
    assert np.argmax(dense_heavy) == 0
    assert np.argmax(keyword_heavy) == 1


def test_article_evidence_lifts_the_siblings_of_a_strong_keyword_match() -> None:
    # Chunk 1 and 2 tie on their own scores; chunk 1's article also holds the best keyword match.
    dense = np.array([0.50, 0.80, 0.80])
    lexical = np.array([10.0, 2.0, 2.0])
    articles = np.array(["x", "x", "y"])
    without = fuse_scores(dense, lexical, articles, FusionConfig(article_weight=0.0))
    with_evidence = fuse_scores(dense, lexical, articles, FusionConfig(article_weight=0.2))
    assert without[1] == pytest.approx(without[2])
    assert with_evidence[1] > with_evidence[2]


def test_sentence_evidence_breaks_a_tie_and_is_optional() -> None:
    dense = np.array([0.80, 0.80, 0.50])
    lexical = np.array([4.0, 4.0, 1.0])
    articles = np.array(["x", "y", "z"])
    plain = fuse_scores(dense, lexical, articles)
    assert plain[0] == pytest.approx(plain[1])
    evidence = np.array([0.3, 1.0, 0.0])
    asked: list[list[int]] = []

    def sentence(positions: np.ndarray) -> np.ndarray:
        asked.append(sorted(positions.tolist()))
        return evidence[positions]

    lifted = fuse_scores(dense, lexical, articles, FusionConfig(sentence_weight=0.2), sentence)
    assert lifted[1] > lifted[0] > lifted[2]
    assert lifted[1] - plain[1] == pytest.approx(0.2)
    # Only the best candidates are asked for (the evidence costs a tokenization each).
    config = FusionConfig(sentence_weight=0.2, sentence_candidates=2)
    top_two = fuse_scores(dense, lexical, articles, config, sentence)
    assert asked[-1] == [0, 1] and top_two[2] == pytest.approx(plain[2])
    off = fuse_scores(dense, lexical, articles, FusionConfig(sentence_weight=0.0), sentence)
    assert off == pytest.approx(plain) and len(asked) == 2


def test_lead_evidence_favours_an_articles_first_passage_only_slightly() -> None:
    dense = np.array([0.80, 0.80, 0.90])
    lexical = np.array([4.0, 4.0, 4.0])
    articles = np.array(["x", "x", "x"])
    lead = np.array([False, True, False])
    fused = fuse_scores(dense, lexical, articles, FusionConfig(lead_weight=0.03), lead=lead)
    assert fused[1] > fused[0]  # a tie goes to the lead
    assert fused[2] > fused[1]  # a clearly better passage stays ahead
    off = fuse_scores(dense, lexical, articles, FusionConfig(lead_weight=0.0), lead=lead)
    assert off[0] == pytest.approx(off[1])


def test_rrf_adds_reciprocal_ranks_of_both_lists() -> None:
    fused = fuse_scores(
        np.array([0.9, 0.8, 0.7]), np.array([0.0, 5.0, 1.0]), np.arange(3), FusionConfig("rrf")
    )
    assert fused == pytest.approx([1 / 61, 1 / 62 + 1 / 61, 1 / 63 + 1 / 62])


def test_fusion_of_an_empty_pool_and_an_unknown_method() -> None:
    assert len(fuse_scores(np.array([]), np.array([]), np.array([]))) == 0
    with pytest.raises(ValueError):
        fuse_scores(np.ones(2), np.ones(2), np.arange(2), FusionConfig(method="magic"))


# -- the semantic side ------------------------------------------------------------------------


def test_blending_keeps_the_cosine_of_a_chunk_without_sentence_vectors() -> None:
    blended = blend_sentence_similarity(
        np.array([0.5, 0.6, 0.7]), np.array([0.9, np.nan, 0.7]), 0.5
    )
    assert blended.tolist() == pytest.approx([0.7, 0.6, 0.7])
    assert blend_sentence_similarity(np.array([0.5]), np.array([0.9]), 0.0).tolist() == [0.5]


def test_best_sentence_cosine_is_the_nearest_sentence_or_nan() -> None:
    query = np.array([1.0, 0.0], dtype=np.float32)
    sentences = {7: np.array([[0.2, 0.9], [0.6, 0.8]], dtype=np.float32)}
    best = best_sentence_cosines(query, np.array([7, 8]), sentences)
    assert best[0] == pytest.approx(0.6) and np.isnan(best[1])


def test_rank_semantic_reranks_by_the_blend_and_breaks_ties_by_the_lower_id() -> None:
    ids = np.array([30, 10, 20])
    cosines = np.array([0.9, 0.5, 0.5])
    best = np.array([np.nan, 0.9, 0.9])
    ranked = rank_semantic(ids, cosines, best, FusionConfig(), depth=3)
    assert [chunk_id for chunk_id, _ in ranked] == [30, 10, 20]
    assert [score for _, score in ranked] == pytest.approx([0.9, 0.7, 0.7])
    assert rank_semantic(ids, cosines, best, FusionConfig(), depth=1) == [(30, 0.9)]


# -- pooling, ordering, collapsing ----------------------------------------------------------------


def test_pool_is_the_sorted_union_of_the_rankings() -> None:
    pool = pool_ids([(5, 0.9), (3, 0.8)], [(3, 2.0), (9, 1.0)], [])
    assert pool.tolist() == [3, 5, 9] and pool.dtype == np.int64
    assert pool_ids().tolist() == []


def test_top_rows_takes_the_n_best_and_can_leave_out_non_matches() -> None:
    scores = np.array([0.1, 0.9, 0.0, 0.5, 0.7])
    assert sorted(top_rows(scores, 2).tolist()) == [1, 4]
    assert sorted(top_rows(scores, 10).tolist()) == [0, 1, 2, 3, 4]
    assert sorted(top_rows(scores, 10, positive_only=True).tolist()) == [0, 1, 3, 4]


def test_order_by_score_breaks_ties_by_the_lower_chunk_id() -> None:
    ranked = order_by_score(np.array([8, 2, 5]), np.array([0.5, 0.5, 0.9]), depth=3)
    assert ranked == [(5, 0.9), (2, 0.5), (8, 0.5)]


def test_rank_hybrid_of_an_empty_pool_is_empty() -> None:
    empty = np.array([])
    candidates = Candidates(empty.astype(np.int64), empty, empty, empty, empty, empty)
    assert rank_hybrid(candidates, FusionConfig(), depth=10) == []


def test_best_per_article_keeps_the_first_hit_of_each_article() -> None:
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    assert best_per_article(ranked, ["a", "a", "b", "a"]) == [0, 2]


def test_rank_articles_adds_coverage_in_units_of_the_best_score() -> None:
    ranked = [(1, 10.0), (2, 9.0), (3, 8.0), (4, 7.0)]
    articles = ["a", "a", "b", "c"]
    # Without coverage, the order of best_per_article.
    assert rank_articles(ranked, articles, {}, 0.5) == [(0, 10.0), (2, 8.0), (3, 7.0)]
    assert rank_articles(ranked, articles, {"a": 1.0, "b": 1.0}, 0.0) == [
        (0, 10.0),
        (2, 8.0),
        (3, 7.0),
    ]
    # c holds the whole query, a a tenth of it: 7 + 0.5·10·1 = 12 > 10 + 0.5·10·0.1 = 10.5.
    found = rank_articles(ranked, articles, {"a": 0.1, "b": 0.0, "c": 1.0}, 0.5)
    assert found == [(3, pytest.approx(12.0)), (0, pytest.approx(10.5)), (2, 8.0)]
    # Equal article scores keep the order of their best entries.
    assert [p for p, _ in rank_articles([(1, 2.0), (2, 2.0)], ["x", "y"], {}, 0.5)] == [0, 1]
    assert rank_articles([], [], {}, 0.5) == []


def test_top_rows_gives_ties_at_the_cut_to_the_lower_rows() -> None:
    # As an engine gives ties to the lower chunk id: the pool must be the engine's pool.
    scores = np.array([0.5, 0.9, 0.5, 0.5, 0.7, 0.5])
    assert sorted(top_rows(scores, 3).tolist()) == [0, 1, 4]
    assert sorted(top_rows(scores, 4).tolist()) == [0, 1, 2, 4]
    assert sorted(top_rows(np.zeros(5), 2).tolist()) == [0, 1]


def test_rank_keyword_adds_title_match_in_units_of_the_pools_best_score() -> None:
    ids = np.array([7, 3, 5])
    scores = np.array([10.0, 9.5, 4.0])
    named = np.array([0.5, 1.0, 0.0])  # chunk 3's title is named whole by the query
    assert rank_keyword(ids, scores, named, 0.0, 3) == [(7, 10.0), (3, 9.5), (5, 4.0)]
    # 10 + 0.1 × 10 × 0.5 = 10.5 against 9.5 + 0.1 × 10 × 1 = 10.5: ties go to the lower id.
    assert rank_keyword(ids, scores, named, 0.1, 3) == [(3, 10.5), (7, 10.5), (5, 4.0)]
    assert rank_keyword(ids, scores, named, 0.2, 2) == [(3, 11.5), (7, 11.0)]
    assert rank_keyword(np.array([], dtype=np.int64), np.array([]), np.array([]), 0.2, 5) == []
