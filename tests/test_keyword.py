"""Tests of the keyword tokenizer, the BM25 index and cross-script highlighting."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semsearch import keyword
from semsearch.chunking import split_sentences
from semsearch.errors import IndexStoreError
from semsearch.keyword import (
    KeywordIndex,
    best_sentence_coverage,
    highlight_spans,
    sentence_coverage,
    sentence_tokens,
    strip_question_words,
    tokenize,
    tokenize_query,
)

CORPUS = [
    "北京今天天气晴朗，气温二十度。",
    "上海的天气多云，有小雨。",
    "台灣的資訊科技產業發展迅速。",
    "北京大学和清华大学都在北京。",
    "NASA 在 2024 年发射了新的探测器 Europa Clipper。",
    "今天的新闻：北京地铁新线路开通。",
    "天气预报说明天北京有雨，气温下降。",
]


def reference_bm25(
    corpus_tokens: list[list[str]], query: list[str], k1: float, b: float
) -> list[float]:
    """BM25 (Lucene variant) written out term by term, to check the index against."""
    count = len(corpus_tokens)
    average_length = sum(len(doc) for doc in corpus_tokens) / count
    frequencies = [Counter(doc) for doc in corpus_tokens]
    scores = []
    for doc, tf in zip(corpus_tokens, frequencies, strict=True):
        total = 0.0
        for term in query:
            df = sum(1 for f in frequencies if term in f)
            if df == 0 or term not in tf:
                continue
            idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
            norm = tf[term] + k1 * (1 - b + b * len(doc) / average_length)
            total += idf * tf[term] / norm
        scores.append(total)
    return scores


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


@pytest.mark.parametrize("k1, b", [(0.5, 0.6), (1.2, 0.75)])
def test_bm25_matches_a_reference_implementation(k1: float, b: float) -> None:
    tokens = [tokenize(text) for text in CORPUS]
    index = KeywordIndex(k1=k1, b=b)
    index.build(range(len(CORPUS)), tokens)
    for query in ["北京天气", "台湾科技", "NASA 探测器", "今天 雨"]:
        query_tokens = tokenize_query(query)
        expected = reference_bm25(tokens, query_tokens, k1, b)
        assert index.scores(query_tokens) == pytest.approx(expected, rel=1e-4, abs=1e-5)
        results = index.search(query_tokens, k=3)
        best = sorted(range(len(CORPUS)), key=lambda i: (-expected[i], i))[:3]
        assert [chunk_id for chunk_id, _ in results] == [i for i in best if expected[i] > 0]


def test_token_weights_are_the_idf_of_the_reference() -> None:
    tokens = [tokenize(text) for text in CORPUS]
    index = KeywordIndex()
    index.build(range(10, 10 + len(CORPUS)), tokens)
    weights = index.token_weights(tokenize_query("北京的天气怎么样，火星呢"))
    count = len(CORPUS)
    for token in ("北", "北京", "天气", "的"):
        df = sum(1 for doc in tokens if token in doc)
        assert weights[token] == pytest.approx(math.log(1 + (count - df + 0.5) / (df + 0.5)))
    assert "火星" not in weights and "火" not in weights  # no chunk holds them
    assert weights["天气"] > weights["北京"]  # 天气 in 3 chunks, 北京 in 4
    assert KeywordIndex().token_weights(["北京"]) == {}


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


def test_a_repeated_query_is_scored_once(monkeypatch: pytest.MonkeyPatch) -> None:
    index = KeywordIndex()
    index.build(range(len(CORPUS)), [tokenize(text) for text in CORPUS])
    bm25 = index._bm25
    calls: list[int] = []
    original = bm25.get_scores_from_ids  # type: ignore[union-attr]

    def counting(token_ids: list[int]) -> np.ndarray:
        calls.append(len(token_ids))
        return original(token_ids)

    monkeypatch.setattr(bm25, "get_scores_from_ids", counting)
    everything = index.search(tokenize_query("北京天气"), k=len(CORPUS))
    again = index.search(tokenize_query("北京天气"), k=7, chunk_ids=np.array([0, 1, 6]))
    assert len(calls) == 1
    assert again == [(i, score) for i, score in everything if i in (0, 1, 6)]
    index.search(tokenize_query("上海"), k=3)
    assert len(calls) == 2
    with pytest.raises(ValueError):
        index.scores(tokenize_query("上海"))[0] = 1.0  # shared, so read-only
    # A rebuild forgets the kept scores.
    index.build([0], [tokenize("上海")])
    assert len(index.scores(tokenize_query("上海"))) == 1


def test_search_uses_ids_filters_and_skips_non_matching_chunks() -> None:
    index = KeywordIndex()
    index.build([40, 10, 30], [tokenize("北京天气"), tokenize("上海"), []])
    assert [i for i, _ in index.search(tokenize("北京"), k=5)] == [40]
    assert index.search(tokenize("北京"), k=5, chunk_ids=np.array([10, 30])) == []
    assert [i for i, _ in index.search(tokenize("上海 北京"), k=5, chunk_ids=[10, 99])] == [10]
    assert index.search(tokenize("广州"), k=5) == []
    assert index.search(tokenize("北京"), k=0) == []


def test_build_rejects_mismatched_or_repeated_ids() -> None:
    with pytest.raises(ValueError):
        KeywordIndex().build([1, 2], [["a"]])
    with pytest.raises(ValueError):
        KeywordIndex().build([1, 1], [["a"], ["b"]])


def test_save_and_load_round_trip(tmp_path) -> None:
    index = KeywordIndex(k1=0.9, b=0.4)
    index.build([7, 3, 5], [tokenize(text) for text in CORPUS[:3]])
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert (loaded.k1, loaded.b) == (0.9, 0.4)
    assert list(loaded.ids) == [7, 3, 5]
    query = tokenize_query("臺灣科技")
    assert loaded.search(query, k=3) == index.search(query, k=3)


def test_empty_index_saves_loads_and_finds_nothing(tmp_path) -> None:
    index = KeywordIndex()
    index.build([], [])
    index.save(tmp_path / "kw")
    assert KeywordIndex.load(tmp_path / "kw").search(["北京"], k=3) == []


def test_load_of_missing_or_damaged_index_says_how_to_fix(tmp_path) -> None:
    with pytest.raises(IndexStoreError, match="missing or damaged"):
        KeywordIndex.load(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "keyword.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexStoreError) as raised:
        KeywordIndex.load(tmp_path / "bad")
    assert "semsearch build --rebuild" in str(raised.value)


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


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="北京臺灣台湾天气資訊abcＡ1，。 ", max_size=30), st.text(max_size=8))
def test_highlight_spans_are_sorted_disjoint_and_inside_the_text(text: str, query: str) -> None:
    spans = highlight_spans(text, query)
    previous_end = 0
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        assert start >= previous_end
        previous_end = end


def test_tokenizer_version_is_recorded_with_saved_index(tmp_path) -> None:
    index = KeywordIndex()
    index.build([1], [tokenize("北京")])
    index.save(tmp_path)
    assert keyword.TOKENIZER_VERSION in (tmp_path / "keyword.json").read_text(encoding="utf-8")
