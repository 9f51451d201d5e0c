"""Tests for semsearch.text: the sentence and span rules every stage shares."""

from __future__ import annotations

from semsearch.text import merge_spans, split_sentences


def test_sentences_split_at_end_punctuation_and_line_breaks() -> None:
    text = "北京下雨了。上海呢？晴天!\n\n新的一段；还有\n"
    assert split_sentences(text) == ["北京下雨了。", "上海呢？", "晴天!", "新的一段；", "还有\n"]
    assert split_sentences("") == [] and split_sentences("没有标点") == ["没有标点"]


def test_merge_spans_clamps_sorts_and_merges() -> None:
    assert merge_spans([(5, 8), (0, 2), (1, 3), (7, 20), (-4, 0), (30, 40), (4, 4)], 10) == [
        (0, 3),
        (5, 10),
    ]
