"""Tests of cross-script highlighting."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from semsearch.lexical.analyzer import analyze_query
from semsearch.lexical.highlight import highlight_spans


def _marked(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_simplified_query_highlights_traditional_words() -> None:
    text = "臺灣的資訊科技產業發展迅速，台灣人"
    spans = highlight_spans(text, "台湾资讯科技发展")
    assert _marked(text, spans) == ["臺灣", "資訊科技", "發展", "台灣"]


def test_traditional_query_highlights_simplified_words() -> None:
    text = "北京大学的图书馆藏书丰富。"
    assert _marked(text, highlight_spans(text, "北京大學圖書館")) == ["北京大学", "图书馆"]


def test_highlight_ignores_question_and_stop_words_and_merges_overlaps() -> None:
    text = "锣鼓经是什么？锣鼓经是打击乐的记谱方法。"
    marked = _marked(text, highlight_spans(text, "锣鼓经是什么"))
    assert marked == ["锣鼓经", "锣鼓经"]
    assert highlight_spans("这是一个测试", "的 是") == []
    assert highlight_spans("", "北京") == []
    assert highlight_spans("北京", "   ") == []


def test_highlight_is_case_and_width_insensitive() -> None:
    text = "ＮＡＳＡ 与 nasa 合作"
    assert _marked(text, highlight_spans(text, "NASA")) == ["ＮＡＳＡ", "nasa"]


def test_an_analysed_query_highlights_like_its_text() -> None:
    text = "臺灣的資訊科技產業發展迅速，台灣人"
    analyzed = analyze_query("台湾资讯科技发展")
    assert highlight_spans(text, analyzed) == highlight_spans(text, analyzed.text)
    assert highlight_spans("北京", analyze_query("   ")) == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="北京臺灣台湾天气資訊abcＡ1，。 ", max_size=30), st.text(max_size=8))
def test_highlight_spans_are_sorted_disjoint_and_inside_the_text(text: str, query: str) -> None:
    spans = highlight_spans(text, query)
    previous_end = 0
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        assert start >= previous_end
        previous_end = end
