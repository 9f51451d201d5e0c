"""Tests of the answer sentence and the match strength filled into hits."""

from __future__ import annotations

from pathlib import Path

from fakes import FakeEmbedder

from semsearch.chunking import Chunk
from semsearch.ingest import Document
from semsearch.search import Searcher
from semsearch.search.answer import keyword_answer
from semsearch.storage import open_index

PASSAGE = (
    "明天北方地区有大风降温天气。国家队在亚洲杯决赛中赢得冠军！专家预计全年经济将保持平稳运行。"
)


def _one_passage_index(tmp_path: Path) -> Path:
    from semsearch.indexing import build_from_chunks

    document = Document("doc", "doc.txt", "新闻", PASSAGE, None, None, None, "d" * 8, "unknown")
    chunk = Chunk("doc", 0, 0, 0, len(PASSAGE), PASSAGE, "新闻")
    build_from_chunks(tmp_path / "index", [document], {"doc": [chunk]}, FakeEmbedder())
    return tmp_path / "index"


def test_the_answer_is_the_sentence_nearest_the_question(tmp_path: Path) -> None:
    reader = open_index(_one_passage_index(tmp_path))
    try:
        for mode in ("hybrid", "semantic"):
            hit = Searcher(reader, FakeEmbedder()).search("亚洲杯决赛冠军", k=1, mode=mode).hits[0]
            assert hit.answer is not None
            assert hit.text[slice(*hit.answer)] == "国家队在亚洲杯决赛中赢得冠军！"
            assert hit.confidence is not None and 0.0 <= hit.confidence.value <= 1.0
            assert hit.confidence.label in ("strong", "possible", "weak")
            payload = hit.to_json()
            assert payload["answer"] == list(hit.answer)
            assert payload["confidence"]["label"] == hit.confidence.label
    finally:
        reader.close()


def test_keyword_mode_marks_the_sentence_with_the_query_words(tmp_path: Path) -> None:
    reader = open_index(_one_passage_index(tmp_path))
    try:
        hit = Searcher(reader, None).search("经济平稳运行", k=1, mode="keyword").hits[0]
        assert hit.text[slice(*hit.answer)] == "专家预计全年经济将保持平稳运行。"
        assert hit.confidence is None  # no query vector, no calibrated strength
    finally:
        reader.close()


def test_keyword_answer_without_a_shared_word_is_none() -> None:
    assert keyword_answer(PASSAGE, {"量子": 2.0}) is None
    assert keyword_answer(PASSAGE, {}) is None


def test_json_paragraph_is_one_based(searcher: Searcher) -> None:
    hit = searcher.search("消费和投资拉动经济增长", k=1, mode="keyword").hits[0]
    assert hit.paragraph == 1 and hit.to_json()["paragraph"] == 2


def test_a_date_filter_counts_the_undated_articles_it_leaves_out(searcher: Searcher) -> None:
    dated = searcher.search("天气", k=5, date_from="2020-01-01")
    assert all(hit.doc_id != "weather" for hit in dated.hits)
    assert dated.undated_excluded == 1 and dated.to_json()["undated_excluded"] == 1
    assert searcher.search("天气", k=5).undated_excluded == 0
    only_econ = searcher.search("经济", k=5, date_to="2030-01-01", documents=["econ"])
    assert only_econ.undated_excluded == 0
