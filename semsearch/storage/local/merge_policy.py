"""Which segments a write merges: few segments for fast queries, little rewriting per update.

Every write that adds chunks makes one new segment; left alone, an index updated a thousand times
would have a thousand segments, and every query would visit each. Segments are therefore grouped
in size tiers (a tier is :data:`MERGE_FACTOR` times larger than the one below): when the newest
:data:`MERGE_FACTOR` segments share a tier they are merged into one, which may cascade into the
next tier, as in Lucene's log merge policy. A chunk is rewritten about once per tier it climbs,
so the work a write does follows its own size (amortized), and the segment count stays near
``MERGE_FACTOR − 1`` per tier. Merges join neighbours only, so segments keep covering
increasing ranges of chunk ids. Two more rules: a segment with more than
:data:`MAX_DELETED_SHARE` of its chunks deleted is rewritten without them, and beyond
:data:`MAX_SEGMENTS` the two neighbours with the fewest chunks together are merged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: How many segments of one size tier are merged into one (and the size ratio of two tiers).
MERGE_FACTOR = 4
#: Segments of fewer live chunks than this are all in the lowest tier.
SMALLEST_TIER_CHUNKS = 256
#: A segment with more than this share of its chunks deleted is rewritten without them.
MAX_DELETED_SHARE = 0.25
#: Never more segments than this (queries visit each one).
MAX_SEGMENTS = 16


@dataclass(frozen=True)
class SegmentSize:
    """What the policy knows of a segment.

    Attributes:
        live: Chunks not deleted.
        deleted: Chunks deleted but still held (tombstones).
    """

    live: int
    deleted: int = 0

    @property
    def tier(self) -> int:
        """Its size tier: 0 below :data:`SMALLEST_TIER_CHUNKS`, one more per factor above."""
        if self.live < SMALLEST_TIER_CHUNKS:
            return 0
        return 1 + int(math.log(self.live / SMALLEST_TIER_CHUNKS, MERGE_FACTOR))

    @property
    def worth_rewriting(self) -> bool:
        """Whether it holds too many deleted chunks (or nothing live at all)."""
        total = self.live + self.deleted
        return self.deleted > MAX_DELETED_SHARE * total or (self.live == 0 and total > 0)


def plan_merges(sizes: Sequence[SegmentSize]) -> list[range]:
    """The runs of neighbouring segments to rewrite, each into one segment.

    Args:
        sizes: The segments in chunk id order, the one being written (if any) last.

    Returns:
        Ranges of positions in ``sizes``, in order; a segment in none of them is kept as it is.
    """
    groups = [(range(number, number + 1), size.live) for number, size in enumerate(sizes)]
    while True:
        tail = groups[-MERGE_FACTOR:]
        tiers = {SegmentSize(live).tier for _positions, live in tail}
        if len(tail) == MERGE_FACTOR and len(tiers) == 1:
            groups[-MERGE_FACTOR:] = [_joined(tail)]
        elif len(groups) > MAX_SEGMENTS:
            pair = min(range(len(groups) - 1), key=lambda i: groups[i][1] + groups[i + 1][1])
            groups[pair : pair + 2] = [_joined(groups[pair : pair + 2])]
        else:
            break
    runs = []
    for positions, _live in groups:
        if len(positions) > 1 or sizes[positions[0]].worth_rewriting:
            runs.append(positions)
    return runs


def _joined(groups: Sequence[tuple[range, int]]) -> tuple[range, int]:
    return range(groups[0][0].start, groups[-1][0].stop), sum(live for _r, live in groups)
