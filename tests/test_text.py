"""Tests for semsearch.text: the sentence rules every stage shares."""

from __future__ import annotations

from semsearch.text import split_sentences


def test_sentences_split_at_end_punctuation_and_line_breaks() -> None:
    text = "北京下雨了。上海呢？晴天!\n\n新的一段；还有\n"
    assert split_sentences(text) == ["北京下雨了。", "上海呢？", "晴天!", "新的一段；", "还有\n"]
    assert split_sentences("") == [] and split_sentences("没有标点") == ["没有标点"]
