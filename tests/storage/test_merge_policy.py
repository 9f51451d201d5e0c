"""Tests of the merge policy: tiers, cascades, the segment cap and segments full of tombstones."""

from __future__ import annotations

from semsearch.storage.local.merge_policy import (
    MAX_SEGMENTS,
    MERGE_FACTOR,
    SMALLEST_TIER_CHUNKS,
    SegmentSize,
    plan_merges,
)


def sizes(*live: int) -> list[SegmentSize]:
    return [SegmentSize(n) for n in live]


def apply(live: list[int], runs: list[range]) -> list[int]:
    """The segment sizes after the merges."""
    for run in reversed(runs):
        live[run.start : run.stop] = [sum(live[run.start : run.stop])]
    return live


def test_tiers() -> None:
    assert SegmentSize(0).tier == SegmentSize(SMALLEST_TIER_CHUNKS - 1).tier == 0
    assert SegmentSize(SMALLEST_TIER_CHUNKS).tier == 1
    assert SegmentSize(SMALLEST_TIER_CHUNKS * MERGE_FACTOR).tier == 2


def test_a_small_update_beside_a_large_segment_merges_nothing() -> None:
    assert plan_merges(sizes(10_000, 20)) == []
    assert plan_merges(sizes(10_000, 20, 20, 20)) == []


def test_the_newest_segments_of_one_tier_are_merged_and_it_cascades() -> None:
    assert plan_merges(sizes(10_000, 20, 20, 20, 20)) == [range(1, 5)]
    # Three tier-1 segments and four small ones: the small ones make a fourth tier-1 one.
    assert apply(
        [300, 300, 300, 100, 100, 50, 50], plan_merges(sizes(300, 300, 300, 100, 100, 50, 50))
    ) == [1200]


def test_cost_follows_the_change_on_average() -> None:
    for base in (10_000, 100_000):
        live, written, most = [base], 0, 0
        for _update in range(2000):
            live.append(20)
            runs = plan_merges(sizes(*live))
            merged = sum(sum(live[run.start : run.stop]) for run in runs)
            written += max(merged, 20)
            most = max(most, len(live))
            live = apply(live, runs)
        assert most <= MAX_SEGMENTS
        assert written / 2000 < 8 * 20  # each chunk rewritten a few times at most


def test_too_many_segments_merge_the_smallest_neighbours() -> None:
    live = [4**k * 300 for k in range(MAX_SEGMENTS + 1, 0, -1)]  # one per tier: no tier merge
    runs = plan_merges(sizes(*live))
    assert len(runs) == 1 and len(apply(live, runs)) == MAX_SEGMENTS


def test_segments_of_mostly_deleted_chunks_are_rewritten() -> None:
    assert plan_merges([SegmentSize(1000, 100), SegmentSize(20)]) == []
    assert plan_merges([SegmentSize(1000, 400), SegmentSize(20)]) == [range(0, 1)]
    assert plan_merges([SegmentSize(1000), SegmentSize(0, 20)]) == [range(1, 2)]
