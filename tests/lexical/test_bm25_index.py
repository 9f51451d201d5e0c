"""Tests of BM25 over segments: tombstones, live statistics, merges and a new avgdl.

The reference is always an index built at once over the live chunks with the same avgdl: the
segmented one must give the same scores (float32 rounding aside) and the same weights.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from semsearch.lexical import bm25
from semsearch.lexical.bm25 import CountedChunks, concatenate
from semsearch.lexical.bm25_files import write_segment
from semsearch.lexical.bm25_index import KeywordIndex
from semsearch.lexical.bm25_segment import KeywordSegment


def corpus(seed: int, count: int) -> list[list[str]]:
    """Chunks of Zipf-distributed tokens of uneven length, some empty."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 80, size=count)
    lengths[rng.random(count) < 0.05] = 0
    return [[f"t{min(int(i), 299)}" for i in rng.zipf(1.3, size=n) - 1] for n in lengths]


def built(ids: list[int], token_lists: list[list[str]], average: float) -> KeywordIndex:
    """One segment over these chunks, computed with ``average`` as avgdl."""
    segment = KeywordSegment.build(CountedChunks.of_tokens(ids, token_lists), 0.3, 0.3, average)
    return KeywordIndex.of_segments([segment], np.zeros(0, dtype=np.int64), average)


def assert_same(index: KeywordIndex, reference: KeywordIndex, queries: list[list[str]]) -> None:
    for query in queries:
        ours = dict(index.search(query, 1000))
        theirs = dict(reference.search(query, 1000))
        assert ours.keys() == theirs.keys()
        for chunk_id, score in ours.items():
            assert score == pytest.approx(theirs[chunk_id], rel=1e-6)
        assert index.token_weights(query) == pytest.approx(reference.token_weights(query))


def test_segments_with_tombstones_score_like_one_index_of_the_live_chunks() -> None:
    token_lists = corpus(1, 400)
    ids = list(range(1, 401))
    average = 31.5  # any avgdl: both sides use it
    parts = [(0, 250), (250, 390), (390, 400)]
    segments = [
        KeywordSegment.build(CountedChunks.of_tokens(ids[a:b], token_lists[a:b]), 0.3, 0.3, average)
        for a, b in parts
    ]
    deleted = np.array([3, 7, 260, 261, 399], dtype=np.int64)
    index = KeywordIndex.of_segments(segments, deleted, average)
    live = [i for i in ids if i not in set(deleted.tolist())]
    reference = built(live, [token_lists[i - 1] for i in live], average)
    assert len(index) == len(live) == len(reference)
    assert index.live_length() == sum(max(len(token_lists[i - 1]), 1) for i in live)
    queries = [tokens[:5] for tokens in token_lists[:60]] + [["t0", "t0", "t1"], ["absent"]]
    assert_same(index, reference, queries)
    # A filter and the deleted chunks: the deleted ones never come back.
    assert index.search(["t0"], 10, chunk_ids=np.array([3, 7, 8])) == [
        hit for hit in index.search(["t0"], 1000) if hit[0] == 8
    ]
    assert (index.scores(["t0"])[[2, 6, 259, 260, 398]] == 0).all()  # deleted rows score 0


def test_one_segment_scores_exactly_like_the_general_path() -> None:
    # One segment takes a shortcut (its scores are not copied into a second array): the same
    # float32 scores as the general path, its tombstones at 0, and only scored chunks found.
    token_lists = corpus(3, 300)
    ids = list(range(1, 301))
    segment = KeywordSegment.build(CountedChunks.of_tokens(ids, token_lists), 0.3, 0.3, 30.0)
    deleted = np.array([2, 5, 120], dtype=np.int64)
    index = KeywordIndex.of_segments([segment], deleted, 30.0)
    for query in [tokens[:6] for tokens in token_lists[:40]] + [["t0", "t0", "t3"], ["absent"]]:
        weights = index.token_weights(query)
        expected = bm25.accumulate_scores(
            segment.postings,
            300,
            [segment.vocabulary[t] for t in query if t in weights],
            [weights[t] for t in query if t in weights],
        )
        expected[[1, 4, 119]] = 0
        scores = index.scores(query)
        assert np.array_equal(scores, expected) and not scores.flags.writeable
        found = index.search(query, 1000)
        assert {chunk_id for chunk_id, _ in found} == set((np.flatnonzero(expected) + 1).tolist())
        assert all(score > 0 for _, score in found)


def test_the_counts_of_a_segment_merge_and_rescore_exactly() -> None:
    token_lists = corpus(2, 120)
    first = KeywordSegment.build(
        CountedChunks.of_tokens(range(60), token_lists[:60]), 0.3, 0.3, 20.0
    )
    second = KeywordSegment.build(
        CountedChunks.of_tokens(range(60, 120), token_lists[60:]), 0.3, 0.3, 20.0
    )
    keep = np.array([row for row in range(60) if row % 7])
    merged = concatenate([first.kept(keep), second.kept(np.arange(60))])
    live = [int(i) for i in merged.ids]
    exact = sum(max(len(token_lists[i]), 1) for i in live) / len(live)
    segment = KeywordSegment.build(merged, 0.3, 0.3)
    assert segment.average_length == pytest.approx(exact)
    reference = built(live, [token_lists[i] for i in live], exact)
    queries = [tokens[:4] for tokens in token_lists[:40]]
    assert_same(
        KeywordIndex.of_segments([segment], np.zeros(0, np.int64), exact), reference, queries
    )
    # A new avgdl recomputes the postings from the kept counts alone.
    rescored = first.rescored(exact, 0.3, 0.3)
    assert_same(
        KeywordIndex.of_segments([rescored], np.zeros(0, np.int64), exact),
        built(list(range(60)), token_lists[:60], exact),
        queries,
    )
    # Which terms lose a chunk when rows are deleted.
    frequencies = first.frequencies_of_rows(np.array([0, 1]))
    for token, column in first.vocabulary.items():
        expected = sum(token in (token_lists[row] or [""]) for row in (0, 1))
        assert frequencies[column] == expected


def test_term_counts_keep_their_rows_apart() -> None:
    vocabulary, counts = bm25.count_tokens([["a", "b", "a"], [], ["c"]])
    assert vocabulary == {"a": 0, "b": 1, "": 2, "c": 3}
    assert counts.lengths().tolist() == [3, 1, 1]
    picked = counts.of_rows(np.array([2, 0]))
    assert picked.row_starts.tolist() == [0, 1, 4]
    assert picked.term_ids.tolist() == [3, 0, 1, 0]
    chunks = CountedChunks(np.array([5, 3, 4]), vocabulary, counts)
    assert chunks.sorted_by_id().ids.tolist() == [3, 4, 5]
    assert chunks.without(np.array([3])).ids.tolist() == [5, 4]


def test_a_segment_from_before_segments_scores_with_its_folded_idf(tmp_path: Path) -> None:
    token_lists = corpus(3, 50)
    index = KeywordIndex()
    index.build(range(50), token_lists)
    (segment,) = index.segments
    live = len(index)
    frequencies = segment.document_frequencies()
    idfs = np.array([bm25.idf(int(df), live) for df in frequencies], dtype=np.float32)
    column_of_entry = np.repeat(np.arange(len(frequencies)), frequencies)
    folded_values = segment.postings.data * idfs[column_of_entry]
    folded = replace(
        segment,
        postings=segment.postings._replace(data=folded_values.astype(np.float32)),
        counts=None,
        idf_folded=True,
    )
    old = KeywordIndex.of_segments([folded], np.zeros(0, np.int64), 0.0)
    for tokens in token_lists[:30]:
        np.testing.assert_allclose(old.scores(tokens[:4]), index.scores(tokens[:4]), rtol=1e-6)
        assert old.token_weights(tokens) == index.token_weights(tokens)
    with pytest.raises(ValueError, match="folded"):
        write_segment(tmp_path / "kw", folded)


def test_both_ways_of_transposing_give_the_same_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 30, size=200)
    row_starts = np.concatenate([[0], np.cumsum(sizes)])
    counts = bm25.TermCounts(
        row_starts, rng.integers(0, 50, size=row_starts[-1]), rng.integers(1, 4, row_starts[-1])
    )
    total = int(counts.counts.sum())
    by_sorting = bm25.transpose(counts, 60)
    monkeypatch.setattr(bm25, "SCIPY_FROM_ENTRIES", 0)
    by_scipy = bm25.transpose(counts, 60)
    arrays = zip([*by_sorting[0], *by_sorting[1]], [*by_scipy[0], *by_scipy[1]], strict=True)
    for ours, theirs in arrays:
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    assert by_sorting[0].counts.sum() == counts.counts.sum() == total  # input left alone


def test_the_sampled_bound_finds_what_selecting_from_every_scored_row_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Large indexes select their top k among the rows above a bound taken from a sample; with
    # rows tied at the k-th score across the cut they select from every scored row, as before,
    # so the hits are the same either way (many ties here: short Zipf chunks).
    from semsearch.lexical import bm25_index

    monkeypatch.setattr(bm25_index, "SAMPLED_BOUND_MIN_ROWS", 100)
    monkeypatch.setattr(bm25_index, "SAMPLE_STRIDE", 4)
    token_lists = corpus(5, 3000)
    index = built(list(range(1, 3001)), token_lists, 30.0)
    shortcut = bm25_index._best_rows_above_sampled_bound
    outcomes = []
    monkeypatch.setattr(
        bm25_index,
        "_best_rows_above_sampled_bound",
        lambda scores, k: outcomes.append(shortcut(scores, k)) or outcomes[-1],
    )
    for query in [tokens[:4] for tokens in token_lists[:80]] + [["t0"], ["t1", "t2"]]:
        for k in (1, 10, 100):
            scores = index.scores(query)
            rows = np.flatnonzero(scores > 0)
            if len(rows) > k:
                rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
            ids = rows + 1  # ids 1..3000 in row order
            order = np.lexsort((ids, -scores[rows]))
            expected = [(int(ids[i]), float(scores[rows[i]])) for i in order]
            assert index.search(query, k) == expected
    assert any(found is None for found in outcomes)  # ties across the cut: the full selection
    assert any(found is not None for found in outcomes)  # the shortcut
