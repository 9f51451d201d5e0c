"""Tests of evaluation sets: reading a folder, and its rows as articles and chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.evaluation import EvalSetError, eval_documents, load_eval_set

from .helpers import TINY_CORPUS, TINY_QUERIES, write_set


def test_load_eval_set_reads_passages_and_queries(tmp_path: Path) -> None:
    folder = write_set(
        tmp_path / "tiny",
        [{"id": "p1", "text": "北京天气", "title": "天气"}, {"id": "p2", "text": "上海"}],
        [{"id": "q1", "text": "北京？", "relevant": ["p1"]}],
    )
    loaded = load_eval_set(folder)
    assert loaded.name == "tiny"
    assert [p.passage_id for p in loaded.passages] == ["p1", "p2"]
    assert loaded.passages[1].title == ""
    assert loaded.queries[0].relevant == ("p1",)


def test_load_eval_set_names_the_file_and_line_of_a_problem(tmp_path: Path) -> None:
    with pytest.raises(EvalSetError, match="does not exist"):
        load_eval_set(tmp_path / "nowhere")
    folder = write_set(tmp_path / "bad", [{"id": "p1", "text": "x"}], [])
    (folder / "queries.jsonl").write_text('{"id": "q1", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"queries.jsonl, line 1: missing field\(s\) relevant"):
        load_eval_set(folder)
    (folder / "queries.jsonl").write_text("not json\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="line 1: not valid JSON"):
        load_eval_set(folder)
    (folder / "queries.jsonl").unlink()
    with pytest.raises(EvalSetError, match=r"queries\.jsonl is missing"):
        load_eval_set(folder)


def test_load_eval_set_rejects_repeated_passage_ids(tmp_path: Path) -> None:
    folder = write_set(
        tmp_path / "dup",
        [{"id": "p1", "text": "a"}, {"id": "p1", "text": "b"}],
        [{"id": "q1", "text": "a", "relevant": ["p1"]}],
    )
    with pytest.raises(EvalSetError, match="appears twice"):
        load_eval_set(folder)


def test_eval_documents_group_rows_by_title_in_file_order(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    documents, chunks_by_doc, passage_of = eval_documents(load_eval_set(folder))
    assert [d.title for d in documents] == ["锣鼓经", "臺灣科技", "天气预报", ""]
    first = documents[0]
    assert first.text == TINY_CORPUS[0]["text"] + "\n" + TINY_CORPUS[1]["text"]
    for chunk in chunks_by_doc[first.doc_id]:
        assert first.text[chunk.start : chunk.end] == chunk.text
    assert [passage_of[(first.doc_id, c.index)] for c in chunks_by_doc[first.doc_id]] == [
        "a0",
        "a1",
    ]
