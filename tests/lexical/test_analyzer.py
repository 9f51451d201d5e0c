"""Tests of the keyword analyzer: tokens, question words and the analysed query."""

from __future__ import annotations

import pytest

from semsearch.lexical.analyzer import (
    AnalyzedQuery,
    analyze_query,
    highlight_terms,
    strip_question_words,
    tokenize,
    tokenize_query,
)


def test_tokenize_gives_han_unigrams_bigrams_and_latin_words() -> None:
    assert tokenize("北京天气 NASA 3.5度") == [
        "北",
        "京",
        "天",
        "气",
        "北京",
        "京天",
        "天气",
        "nasa",
        "3.5",
        "度",
    ]


def test_tokenize_meets_traditional_and_full_width() -> None:
    assert tokenize("臺灣資訊") == tokenize("台湾资讯")
    assert tokenize("ＡＢＣ１２３") == tokenize("abc123")


def test_tokenize_of_empty_or_punctuation_is_empty() -> None:
    assert tokenize("") == []
    assert tokenize("，。！？ ——") == []


def test_question_words_are_removed_from_queries_only() -> None:
    assert "什么" not in strip_question_words("锣鼓经是什么？")
    assert "什" not in tokenize_query("锣鼓经是什么？")
    assert "锣鼓" in tokenize_query("鑼鼓經是甚麼？")
    assert "什" in tokenize("锣鼓经是什么？")


def test_question_word_removal_spares_content_words() -> None:
    assert strip_question_words("何炅是哪里人？").startswith("何炅是")
    assert "几何学" in strip_question_words("几何学是什么呢？")
    assert "呢" not in strip_question_words("几何学是什么呢？")
    assert "吗啡" in strip_question_words("吗啡的作用是什么吗")
    assert strip_question_words("吗啡的作用是什么吗").rstrip().endswith("是")


def test_query_of_question_words_only_falls_back_to_all_words() -> None:
    assert tokenize_query("什么") == tokenize("什么")


def test_analyzed_query_holds_the_query_tokens() -> None:
    analyzed = analyze_query("鑼鼓經是甚麼？")
    assert analyzed.text == "鑼鼓經是甚麼？"
    assert list(analyzed.tokens) == tokenize_query("鑼鼓經是甚麼？")
    assert analyze_query(analyzed) is analyzed  # an analysed query is not analysed again
    with pytest.raises(AttributeError):
        analyzed.text = "other"  # type: ignore[misc]


def test_analyzed_query_segments_its_highlight_terms_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from semsearch.lexical import analyzer

    calls: list[str] = []

    def counting(query: str) -> tuple[str, ...]:
        calls.append(query)
        return highlight_terms(query)

    monkeypatch.setattr(analyzer, "highlight_terms", counting)
    analyzed = AnalyzedQuery(text="北京大學圖書館", tokens=())
    assert analyzed.highlight_terms == analyzed.highlight_terms
    assert set(analyzed.highlight_terms) >= {"北京", "图书馆"}
    assert calls == ["北京大學圖書館"]
