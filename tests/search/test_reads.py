"""Tests of SearchReads: one search's reads remembered, the answers the index's own."""

from __future__ import annotations

from collections import Counter

import numpy as np

from semsearch.search.reads import SearchReads


class CountingIndex:
    """An index of six chunks that counts what it is asked."""

    chunk_count = 6

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.vectors = np.eye(6, dtype=np.float32)

    def chunks(self, ids):
        self.asked["chunks"] += 1
        return [f"chunk {int(i)}" for i in ids]

    def sentence_vectors(self, ids):
        self.asked["sentence_vectors"] += 1
        return {int(i): np.full((2, 6), i, dtype=np.float32) for i in ids if int(i) % 2 == 0}

    def dense_search(self, vector, k, where=None):
        self.asked["dense_search"] += 1
        scores = self.vectors @ vector
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order]


def test_later_reads_of_a_search_come_from_what_it_read() -> None:
    index = CountingIndex()
    reads = SearchReads(index)
    assert reads.chunk_count == 6  # anything else is the index's own
    assert reads.chunks([3, 1, 4]) == ["chunk 3", "chunk 1", "chunk 4"]
    assert reads.chunks([4, 3]) == ["chunk 4", "chunk 3"] and index.asked["chunks"] == 1
    assert reads.chunks([5, 4]) == ["chunk 5", "chunk 4"] and index.asked["chunks"] == 2
    assert sorted(reads.sentence_vectors([0, 1, 2, 3])) == [0, 2]
    assert sorted(reads.sentence_vectors([2, 3])) == [2] and index.asked["sentence_vectors"] == 1
    assert sorted(reads.sentence_vectors([3, 4])) == [4] and index.asked["sentence_vectors"] == 2


def test_a_shorter_unfiltered_dense_search_is_a_prefix_of_the_longer() -> None:
    index = CountingIndex()
    reads = SearchReads(index)
    query = np.array([0.1, 0.9, 0.3, 0.0, 0.5, 0.2], dtype=np.float32)
    longer = reads.dense_search(query, 5)
    assert reads.dense_search(query, 2) == longer[:2] == index.dense_search(query, 2)
    assert index.asked["dense_search"] == 2  # the direct call above
    reads.dense_search(query, 2, where="filtered")  # a filter is always asked
    reads.dense_search(query * 0.5, 2)  # another vector too
    reads.dense_search(query, 6)  # and a longer list
    assert index.asked["dense_search"] == 5


class NeighbourIndex:
    """An index whose neighbours are read many at once (like the local engine's) or one by one."""

    def __init__(self, batch: bool) -> None:
        self.asked: Counter[str] = Counter()
        if batch:
            self.neighbours_of = self._neighbours_of

    def neighbours(self, chunk_id, before=1, after=1):
        self.asked["neighbours"] += 1
        return [f"before {chunk_id}"], [f"after {chunk_id}"]

    def _neighbours_of(self, ids, before=1, after=1):
        self.asked["neighbours_of"] += 1
        return {int(i): ([f"before {i}"], [f"after {i}"]) for i in ids if int(i) != 7}


def test_the_hits_neighbours_are_read_at_once_where_the_engine_can() -> None:
    index = NeighbourIndex(batch=True)
    reads = SearchReads(index)
    reads.read_neighbours([1, 2, 7])
    assert reads.neighbours(2) == (["before 2"], ["after 2"])
    assert reads.neighbours(1) == (["before 1"], ["after 1"])
    assert index.asked == {"neighbours_of": 1}
    assert reads.neighbours(7) == (["before 7"], ["after 7"])  # not read at once: asked
    assert reads.neighbours(1, before=2) == (["before 1"], ["after 1"])  # other sizes: asked
    assert index.asked == {"neighbours_of": 1, "neighbours": 2}
    single = NeighbourIndex(batch=False)
    reads = SearchReads(single)
    reads.read_neighbours([1, 2])
    assert reads.neighbours(2) == (["before 2"], ["after 2"]) and single.asked == {"neighbours": 1}
