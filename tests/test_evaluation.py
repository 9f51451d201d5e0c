"""Tests of the evaluation metrics, the set loader and the embedding cache."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch.evaluation import (
    CachedEmbedder,
    EvalQuery,
    EvalSetError,
    load_eval_set,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    score_rankings,
)


def test_recall_counts_relevant_items_within_the_cutoff() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, {"b", "d"}, 1) == 0.0
    assert recall_at_k(ranked, {"b", "d"}, 2) == 0.5
    assert recall_at_k(ranked, {"b", "d"}, 10) == 1.0
    assert recall_at_k(ranked, {"b", "z"}, 10) == 0.5
    assert recall_at_k(ranked, set(), 10) == 0.0


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_item() -> None:
    assert mrr_at_k(["a", "b", "c"], {"c", "b"}, 10) == 0.5
    assert mrr_at_k(["a", "b", "c"], {"a"}, 10) == 1.0
    assert mrr_at_k(["a", "b", "c"], {"c"}, 2) == 0.0
    assert mrr_at_k([], {"c"}, 10) == 0.0


def test_ndcg_with_binary_gains_matches_hand_computation() -> None:
    # Relevant at positions 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "c", "d"], {"b", "d"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "c", "d"], {"b", "d"}, 10) == pytest.approx(0.6509, abs=1e-4)
    assert ndcg_at_k(["b", "d", "a"], {"b", "d"}, 10) == pytest.approx(1.0)
    # Only one of three relevant items can be in a top-1; the ideal DCG is capped at k.
    assert ndcg_at_k(["x"], {"x", "y", "z"}, 1) == pytest.approx(1.0)
    assert ndcg_at_k(["a"], set(), 10) == 0.0


def test_score_rankings_averages_in_percent() -> None:
    queries = [
        EvalQuery("q1", "…", ("a",)),
        EvalQuery("q2", "…", ("c",)),
    ]
    scores = score_rankings([["a", "b"], ["a", "b", "c"]], queries)
    assert scores["R@1"] == pytest.approx(50.0)
    assert scores["R@5"] == pytest.approx(100.0)
    assert scores["R@10"] == pytest.approx(100.0)
    assert scores["MRR@10"] == pytest.approx(100 * (1 + 1 / 3) / 2)
    assert scores["nDCG@10"] == pytest.approx(100 * (1 + 0.5) / 2)


def _write_set(folder: Path, corpus: list[dict], queries: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_load_eval_set_reads_passages_and_queries(tmp_path: Path) -> None:
    folder = _write_set(
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
    folder = _write_set(tmp_path / "bad", [{"id": "p1", "text": "x"}], [])
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
    folder = _write_set(
        tmp_path / "dup",
        [{"id": "p1", "text": "a"}, {"id": "p1", "text": "b"}],
        [{"id": "q1", "text": "a", "relevant": ["p1"]}],
    )
    with pytest.raises(EvalSetError, match="appears twice"):
        load_eval_set(folder)


def test_cached_embedder_embeds_each_text_once_and_returns_the_same_vectors(
    tmp_path: Path,
) -> None:
    model = FakeEmbedder()
    cache = CachedEmbedder(model, cache_dir=tmp_path)
    first = cache.embed_passages(["北京", "上海", "北京"])
    assert model.texts_embedded == 2
    np.testing.assert_allclose(first, model.embed_passages(["北京", "上海", "北京"]))
    model.texts_embedded = 0
    again = CachedEmbedder(model, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.embed_passages(["上海", "北京"]), first[[1, 0]])
    assert model.texts_embedded == 0
    # Queries are cached apart from passages: the model prefixes them differently.
    again.embed_queries(["北京"])
    assert model.texts_embedded == 1
    assert again.embed_queries([]).shape == (0, model.dimension)
    cache.close()
    again.close()


def test_cache_files_are_per_model_fingerprint(tmp_path: Path) -> None:
    one = CachedEmbedder(FakeEmbedder(model_id="one"), cache_dir=tmp_path)
    two = CachedEmbedder(FakeEmbedder(model_id="two"), cache_dir=tmp_path)
    assert one.path != two.path
    one.close()
    two.close()


# -- run_eval through the real indexer, store and searcher --------------------------------------

TINY_CORPUS = [
    {"id": "a0", "title": "锣鼓经", "text": "锣鼓经是传统器乐及戏曲里常用的打击乐记谱方法。"},
    {"id": "a1", "title": "锣鼓经", "text": "锣鼓经常用的节奏型称为锣鼓点。"},
    {"id": "b0", "title": "臺灣科技", "text": "臺灣的半導體產業發展迅速，晶片出口創新高。"},
    {"id": "c0", "title": "天气预报", "text": "明天北方地区有大风降温天气。"},
    {"id": "c1", "title": "天气预报", "text": "南方多地将出现强降雨。"},
    {"id": "d0", "title": "", "text": "国家队在亚洲杯决赛中赢得冠军。"},
]
TINY_QUERIES = [
    {"id": "q1", "text": "锣鼓经常用的节奏型叫什么？", "relevant": ["a1"]},
    {"id": "q2", "text": "台湾半导体产业", "relevant": ["b0"]},
    {"id": "q3", "text": "南方会下大雨吗", "relevant": ["c1"]},
    {"id": "q4", "text": "亚洲杯冠军是谁？", "relevant": ["d0"]},
]


def test_eval_documents_group_rows_by_title_in_file_order(tmp_path: Path) -> None:
    from semsearch.evaluation import eval_documents

    folder = _write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
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


def test_run_eval_reports_every_mode_and_reuses_cached_vectors(tmp_path: Path) -> None:
    from semsearch.evaluation import format_eval_table, run_eval

    folder = _write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    model = FakeEmbedder()
    result = run_eval(
        folder, ["hybrid", "keyword"], model, cache_dir=tmp_path / "cache", query_time_samples=2
    )
    assert (result["set"], result["chunks"], result["queries"]) == ("tiny", 6, 4)
    assert set(result["modes"]) == {"hybrid", "keyword"}
    for scores in result["modes"].values():
        assert set(scores) == {"R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "median_ms"}
        assert all(0.0 <= scores[m] <= 100.0 for m in ("R@1", "R@5", "R@10", "MRR@10"))
        assert scores["R@10"] == 100.0  # six chunks: everything is in the top 10
    # Keyword search finds the traditional passage for the simplified query and the
    # question about 锣鼓经 ranks its own chunk first.
    assert result["modes"]["keyword"]["R@1"] >= 75.0
    table = format_eval_table(result)
    assert "hybrid" in table and "MRR@10" in table and "tiny: 6 chunks, 4 queries" in table
    embedded = model.texts_embedded
    again = run_eval(folder, ["hybrid"], model, cache_dir=tmp_path / "cache", query_time_samples=0)
    assert model.texts_embedded == embedded  # every vector came from the cache
    assert again["modes"]["hybrid"] == result["modes"]["hybrid"] | {
        "median_ms": again["modes"]["hybrid"]["median_ms"]
    }


def test_run_eval_rejects_an_unknown_mode(tmp_path: Path) -> None:
    from semsearch.errors import SemsearchError
    from semsearch.evaluation import run_eval

    folder = _write_set(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES)
    with pytest.raises(SemsearchError, match="Unknown search mode"):
        run_eval(folder, ["fuzzy"], FakeEmbedder(), cache_dir=tmp_path)


@pytest.mark.slow
def test_run_eval_with_the_real_model_on_a_slice_of_xquad(tmp_path: Path, real_embedder) -> None:
    from semsearch.evaluation import run_eval

    source = Path(__file__).resolve().parents[1] / "eval" / "xquad_zh"
    corpus = [json.loads(line) for line in (source / "corpus.jsonl").open(encoding="utf-8")]
    titles = list(dict.fromkeys(row["title"] for row in corpus))[:3]
    kept = [row for row in corpus if row["title"] in titles]
    kept_ids = {row["id"] for row in kept}
    queries = [
        json.loads(line)
        for line in (source / "queries.jsonl").open(encoding="utf-8")
        if set(json.loads(line)["relevant"]) <= kept_ids
    ][:60]
    folder = _write_set(tmp_path / "xquad_slice", kept, queries)
    result = run_eval(folder, ["hybrid", "semantic", "keyword"], real_embedder, cache_dir=tmp_path)
    modes = result["modes"]
    assert modes["hybrid"]["MRR@10"] >= 90.0
    assert modes["hybrid"]["MRR@10"] >= max(modes["semantic"]["MRR@10"], modes["keyword"]["MRR@10"])
