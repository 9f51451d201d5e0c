"""Tests of sentence evidence: the query's keyword weight found in one sentence of a chunk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semsearch.lexical.analyzer import tokenize
from semsearch.lexical.evidence import (
    article_coverage,
    best_sentence_coverage,
    coverage_scorer,
    sentence_coverage,
    sentence_tokens,
    title_match,
    title_tokens,
)
from semsearch.text import split_sentences


def test_sentence_coverage_rewards_query_words_in_one_sentence() -> None:
    weights = {"北京": 2.0, "地铁": 1.0, "开通": 1.0}
    together = "北京地铁新线路今天开通。其他消息。"
    apart = "北京今天有雨。地铁新线路开通。"
    assert best_sentence_coverage(weights, together) == pytest.approx(1.0)
    assert best_sentence_coverage(weights, apart) == pytest.approx(0.5)  # 地铁 + 开通 of 4
    # The title counts in every sentence: the article is about it.
    assert best_sentence_coverage(weights, "地铁新线路开通。", title="北京") == pytest.approx(1.0)
    # Traditional text meets a simplified query.
    assert best_sentence_coverage(weights, "北京地鐵今天開通。") == pytest.approx(1.0)
    assert best_sentence_coverage({}, together) == 0.0
    assert best_sentence_coverage(weights, "") == 0.0
    sets = sentence_tokens(apart, "")
    assert len(sets) == 2 and sentence_coverage(weights, sets) == pytest.approx(0.5)


def test_article_coverage_counts_query_words_anywhere_in_the_articles_chunks() -> None:
    weights = {"北京": 2.0, "地铁": 1.0, "开通": 1.0}
    # No chunk holds all of the query, the article does: its words are spread over passages.
    chunks = [("北京今天有雨。", ""), ("新线路开通。", "")]
    assert article_coverage(weights, chunks[:1]) == pytest.approx(0.5)
    assert article_coverage(weights, chunks) == pytest.approx(0.75)
    assert article_coverage(weights, [("今天开通。", "北京地鐵")]) == pytest.approx(1.0)
    assert article_coverage(weights, []) == 0.0
    assert article_coverage({}, chunks) == 0.0


@given(
    st.text(alphabet="北京天氣气晴朗。！？!；\n ab12.ＡＢ中華人民", max_size=60),
    st.text(max_size=8),
)
def test_sentence_tokens_are_the_tokens_of_each_sentence_with_the_title(
    text: str, title: str
) -> None:
    expected = tuple(
        frozenset(tokenize(title)) | frozenset(tokenize(sentence))
        for sentence in split_sentences(text)
    )
    assert sentence_tokens(text, title) == expected


def test_title_match_is_the_share_of_the_title_the_query_names() -> None:
    idf = {"大": 1.0, "沙": 2.0, "地": 1.0, "站": 1.0, "东": 1.0, "大沙": 3.0, "沙地": 3.0}
    idf |= {"地站": 3.0, "沙东": 3.0, "东站": 3.0}
    query = {t: idf[t] for t in tokenize("大沙地站共有几层") if t in idf}

    def of(title: str) -> dict[str, float]:
        return {t: idf[t] for t in title_tokens(title) if t in idf}

    assert title_match(query, of("大沙地站")) == pytest.approx(1.0)
    # A neighbour's title shares 大, 沙, 站 and 大沙 of its 7 tokens' weight 14.
    assert title_match(query, of("大沙东站")) == pytest.approx(7 / 14)
    assert title_match(query, of("")) == 0.0
    assert title_match({}, of("大沙地站")) == 0.0
    # Traditional titles meet simplified queries (tokens are folded).
    assert title_tokens("大沙東站") == title_tokens("大沙东站")


_PIECES = st.sampled_from(
    [
        *("北京", "地铁", "开通", "臺灣", "台湾", "新线路", "。", "！", "，", " ", "\n", "_"),
        *("GDP", "gdp", "iPhone", "ｉＰｈｏｎｅ", "3.5", "3", "5", "1.2.3", "v2", "abc", "ab", "c"),
        *("A1b2", "x.5", "15%"),
    ]
)


@given(
    text=st.lists(_PIECES, max_size=14).map("".join),
    title=st.lists(_PIECES, max_size=4).map("".join),
    query=st.lists(_PIECES, min_size=1, max_size=6).map("".join),
)
def test_the_scorer_of_a_pool_gives_the_value_of_the_token_sets(
    text: str, title: str, query: str
) -> None:
    # coverage_scorer looks the query's Han tokens up in each sentence's text instead of
    # tokenizing it; the value must be the one of the token sets, exactly.
    tokens = tokenize(query)
    weights = {token: 1.0 + 0.37 * number for number, token in enumerate(dict.fromkeys(tokens))}
    assert coverage_scorer(weights)(text, title) == best_sentence_coverage(weights, text, title)
