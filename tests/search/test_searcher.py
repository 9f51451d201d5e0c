"""Tests of the searcher: modes, filters, collapsing, highlights, the real index and model.

Unit tests run against the in-memory index (real KeywordIndex, exact cosine); the integration
tests use the real local engine (FAISS + SQLite) built by the real indexer with the
FakeEmbedder, and the slow tests use the real model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch.chunking import Chunk
from semsearch.ingest import Document
from semsearch.ranking import FusionConfig
from semsearch.search import MODES, Searcher, SearchError, open_searcher

from .memory_index import ARTICLES, MemoryReader, article_documents

# -- modes and results ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_finds_the_article_about_the_query(searcher: Searcher, mode: str) -> None:
    result = searcher.search("亚洲杯决赛冠军", k=3, mode=mode)
    assert result.mode == mode
    assert result.hits[0].doc_id == "sport"
    assert [hit.rank for hit in result.hits] == list(range(1, len(result.hits) + 1))
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert result.took_ms > 0


def test_simplified_keyword_query_finds_and_highlights_a_traditional_article(
    searcher: Searcher,
) -> None:
    hit = searcher.search("台湾半导体产业", k=1, mode="keyword").hits[0]
    assert hit.doc_id == "taiwan"
    marked = [hit.text[start:end] for start, end in hit.highlights]
    assert "臺灣" in marked
    assert "半導體產業" in marked


def test_k_limits_the_hits(searcher: Searcher) -> None:
    assert len(searcher.search("经济", k=2, mode="hybrid").hits) == 2
    assert len(searcher.search("经济", k=50, mode="semantic").hits) == len(
        MemoryReader(FakeEmbedder()).stored
    )


# -- filters and collapsing ---------------------------------------------------------------------


def test_filter_by_doc_id_and_by_path_fragment(searcher: Searcher) -> None:
    hits = searcher.search("国家", k=10, doc_ids=["sport"]).hits
    assert hits and {hit.doc_id for hit in hits} == {"sport"}
    hits = searcher.search("国家", k=10, documents=["2024/ECON"]).hits
    assert hits and {hit.doc_id for hit in hits} == {"econ"}
    hits = searcher.search("国家", k=10, documents=["news/2024"], mode="keyword").hits
    assert {hit.doc_id for hit in hits} == {"econ", "sport"}


def test_date_range_keeps_dated_articles_inside_it(searcher: Searcher) -> None:
    hits = searcher.search("国家 经济 科技", k=20, date_from="2024-01-01").hits
    assert {hit.doc_id for hit in hits} == {"econ", "sport"}
    hits = searcher.search("国家 经济 科技", k=20, date_to="2023-12-31").hits
    assert {hit.doc_id for hit in hits} == {"taiwan"}
    hits = searcher.search("天气", k=20, date_from="2025-01-01", mode="keyword").hits
    assert hits == []


def test_collapse_keeps_the_best_hit_of_each_article(searcher: Searcher) -> None:
    spread = searcher.search("经济增长", k=10, mode="hybrid")
    assert len({h.doc_id for h in spread.hits}) < len(spread.hits)
    collapsed = searcher.search("经济增长", k=10, mode="hybrid", collapse=True)
    doc_ids = [hit.doc_id for hit in collapsed.hits]
    assert len(doc_ids) == len(set(doc_ids))
    assert collapsed.hits[0].chunk_id == spread.hits[0].chunk_id
    assert [hit.rank for hit in collapsed.hits] == list(range(1, len(doc_ids) + 1))


def test_keyword_mode_needs_no_model_and_semantic_mode_says_it_does() -> None:
    keyword_only = Searcher(MemoryReader(FakeEmbedder()), None)  # type: ignore[arg-type]
    assert keyword_only.search("冠军", mode="keyword").hits[0].doc_id == "sport"
    with pytest.raises(SearchError, match="needs the embedding model"):
        keyword_only.search("冠军", mode="hybrid")


# -- the real index ---------------------------------------------------------------------------


def test_search_on_the_real_store(real_index: Path) -> None:
    from semsearch.storage import open_index

    embedder = FakeEmbedder()
    reader = open_index(real_index)
    try:
        searcher = Searcher(reader, embedder)
        best = searcher.search("亚洲杯冠军", k=3).hits[0]
        assert (best.doc_id, best.title, best.path) == ("sport", "体育新闻", "news/2024/sport.txt")
        assert best.date == "2024-05-20"
        assert best.context_after == ARTICLES["sport"][3][1]
        hit = searcher.search("台湾半导体", k=1, mode="keyword").hits[0]
        assert hit.doc_id == "taiwan" and hit.highlights
        dated = searcher.search("国家", k=10, date_from="2024-04-01", date_to="2024-12-31").hits
        assert dated and {h.doc_id for h in dated} == {"sport"}
        only = searcher.search("天气", k=10, documents=["weather"], collapse=True).hits
        assert [h.doc_id for h in only] == ["weather"]
    finally:
        reader.close()


def test_sentence_vectors_lift_the_chunk_whose_one_sentence_answers(tmp_path: Path) -> None:
    from semsearch.indexing import build_from_chunks
    from semsearch.storage import open_index

    # The answer is one sentence among unrelated ones, which dilute the chunk's own vector.
    rows = {
        "mixed": "图书馆明天开放。足球比赛的结果已经公布。股票市场今天大幅上涨。"
        "天气转冷，注意加衣。",
        "near": "市图书馆的开放时间明天调整。",
    }
    documents = [
        Document(doc_id, f"{doc_id}.txt", "本地", text, None, None, None, doc_id, "unknown")
        for doc_id, text in rows.items()
    ]
    chunks = {d: [Chunk(d, 0, 0, 0, len(t), t, "本地")] for d, t in rows.items()}
    embedder = FakeEmbedder()
    build_from_chunks(tmp_path / "index", documents, chunks, embedder)
    reader = open_index(tmp_path / "index")
    try:
        assert reader.has_sentence_vectors
        with_sentences = Searcher(reader, embedder).search("图书馆明天开放", mode="semantic")
        assert [h.doc_id for h in with_sentences.hits] == ["mixed", "near"]
        chunk_only = Searcher(reader, embedder, FusionConfig(sentence_vector_weight=0.0))
        assert [h.doc_id for h in chunk_only.search("图书馆明天开放", mode="semantic").hits] == [
            "near",
            "mixed",
        ]
    finally:
        reader.close()


def test_open_searcher_for_keyword_search_loads_no_model(real_index: Path) -> None:
    searcher = open_searcher(real_index, need_embedder=False)
    assert searcher.embedder is None
    assert searcher.search("降温 大风", mode="keyword").hits[0].doc_id == "weather"


def test_open_searcher_refuses_a_model_other_than_the_index_one(real_index: Path) -> None:
    from semsearch.errors import SemsearchError

    with pytest.raises(SemsearchError):
        open_searcher(real_index, model=str(real_index / "no-such-model"))


@pytest.mark.slow
def test_hybrid_with_the_real_model_finds_paraphrases_and_names(
    tmp_path: Path, real_embedder
) -> None:
    from semsearch.indexing import build_from_chunks

    documents, chunks_by_doc = article_documents()
    build_from_chunks(tmp_path / "index", documents, chunks_by_doc, real_embedder)
    searcher = open_searcher(tmp_path / "index")
    # A paraphrase sharing almost no characters with the text: the semantic side carries it.
    paraphrase = searcher.search("明日北方会刮风变冷吗", k=1).hits[0]
    assert (paraphrase.doc_id, paraphrase.paragraph) == ("weather", 0)
    # A rare exact name: the keyword side carries it, in either script.
    name = searcher.search("半导体晶片出口", k=1).hits[0]
    assert name.doc_id == "taiwan"
    assert any("晶片" in name.text[s:e] for s, e in name.highlights)


@pytest.mark.slow
def test_sentence_vectors_rank_answers_higher_with_the_real_model(
    tmp_path: Path, real_embedder
) -> None:
    import json

    from semsearch.evaluation import eval_documents, load_eval_set
    from semsearch.indexing import build_from_chunks
    from semsearch.storage import open_index

    # Ten xquad articles (long paragraphs of several sentences) and their questions.
    source = Path(__file__).resolve().parents[2] / "eval" / "xquad_zh"
    corpus = [json.loads(line) for line in (source / "corpus.jsonl").open(encoding="utf-8")]
    titles = list(dict.fromkeys(row["title"] for row in corpus))[:10]
    kept = {row["id"] for row in corpus if row["title"] in titles}
    folder = tmp_path / "slice"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in corpus if row["id"] in kept),
        encoding="utf-8",
    )
    queries = [json.loads(line) for line in (source / "queries.jsonl").open(encoding="utf-8")]
    queries = [q for q in queries if set(q["relevant"]) <= kept][:200]
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8"
    )
    documents, chunks_by_doc, chunk_of = eval_documents(load_eval_set(folder))
    build_from_chunks(tmp_path / "index", documents, chunks_by_doc, real_embedder)
    reader = open_index(tmp_path / "index")
    try:
        assert reader.has_sentence_vectors

        def mrr(searcher: Searcher) -> float:
            total = 0.0
            for query in queries:
                hits = searcher.search(query["text"], k=10, mode="semantic", context=False).hits
                ranks = [
                    rank
                    for rank, hit in enumerate(hits, start=1)
                    if chunk_of.get((hit.doc_id, hit.paragraph)) in query["relevant"]
                ]
                total += 1.0 / ranks[0] if ranks else 0.0
            return total / len(queries)

        with_sentences = mrr(Searcher(reader, real_embedder))
        chunks_only = mrr(Searcher(reader, real_embedder, FusionConfig(sentence_vector_weight=0.0)))
    finally:
        reader.close()
    assert with_sentences > chunks_only + 0.01
