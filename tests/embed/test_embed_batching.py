"""Tests of the batch planner: longest first, at most so many texts and padded tokens a batch."""

from __future__ import annotations

import pytest

from semsearch.embed.batching import plan_batches


def test_texts_come_longest_first_and_every_row_once() -> None:
    lengths = [3, 9, 1, 9, 5]
    batches = plan_batches(lengths, max_texts=2, max_tokens=1000)
    assert batches == [[1, 3], [4, 0], [2]]  # equal lengths keep their input order


def test_a_batch_holds_at_most_max_tokens_padded_to_its_longest_text() -> None:
    lengths = [40] * 10 + [500, 300]
    batches = plan_batches(lengths, max_texts=64, max_tokens=1024)
    assert batches[0] == [10, 11]  # 2 × 500 padded tokens
    for batch in batches:
        longest = max(lengths[row] for row in batch)
        assert len(batch) * longest <= 1024
    assert sorted(row for batch in batches for row in batch) == list(range(12))
    assert [len(batch) for batch in batches[1:]] == [10]  # the short ones share one batch


def test_a_text_longer_than_the_budget_gets_a_batch_of_its_own() -> None:
    assert plan_batches([5000, 600, 600], max_texts=8, max_tokens=1024) == [[0], [1], [2]]
    assert plan_batches([], max_texts=8, max_tokens=1024) == []


@pytest.mark.parametrize(("max_texts", "max_tokens"), [(0, 10), (1, 0)])
def test_limits_below_one_are_refused(max_texts: int, max_tokens: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plan_batches([1, 2], max_texts, max_tokens)
