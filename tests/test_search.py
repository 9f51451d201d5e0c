"""Tests of the searcher: fusion properties, modes, filters, collapsing, context, highlights.

Unit tests run against a small in-memory reader (real KeywordIndex, exact cosine); the
integration tests at the end use the real local engine (FAISS + SQLite) built by the real indexer,
with the FakeEmbedder, and one slow test uses the real model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder
from hypothesis import given, settings
from hypothesis import strategies as st

from semsearch.chunking import Chunk, passage_text
from semsearch.ingest import Document
from semsearch.lexical import KeywordIndex, tokenize
from semsearch.search import (
    MODES,
    FusionConfig,
    Searcher,
    SearchError,
    blend_sentence_similarity,
    context_around,
    fuse_scores,
    open_searcher,
)
from semsearch.storage import ChunkFilter, DocumentRecord, StoredChunk

# doc_id: (title, date, path, paragraphs) — one chunk per paragraph.
ARTICLES: dict[str, tuple[str, str | None, str, list[str]]] = {
    "econ": (
        "经济观察",
        "2024-03-01",
        "news/2024/econ.txt",
        [
            "国家统计局发布数据，一季度国内生产总值增长百分之五。",
            "消费和投资共同拉动了经济增长，出口保持稳定。",
            "专家预计全年经济将保持平稳运行。",
        ],
    ),
    "sport": (
        "体育新闻",
        "2024-05-20",
        "news/2024/sport.txt",
        ["国家队在亚洲杯决赛中赢得冠军。", "主教练称赞球员的拼搏精神。"],
    ),
    "taiwan": (
        "臺灣科技",
        "2023-11-02",
        "news/2023/taiwan.txt",
        ["臺灣的半導體產業發展迅速，晶片出口創新高。", "資訊科技人才需求持續增加。"],
    ),
    "weather": (
        "天气预报",
        None,
        "misc/weather.txt",
        ["明天北方地区有大风降温天气。", "南方多地将出现强降雨，注意出行安全。"],
    ),
}


def _documents() -> tuple[list[Document], dict[str, list[Chunk]]]:
    documents, chunks_by_doc = [], {}
    for doc_id, (title, date, path, paragraphs) in ARTICLES.items():
        text = "\n".join(paragraphs)
        documents.append(
            Document(doc_id, path, title, text, date, None, None, doc_id * 4, "unknown")
        )
        chunks, offset = [], 0
        for index, paragraph in enumerate(paragraphs):
            chunks.append(
                Chunk(doc_id, index, index, offset, offset + len(paragraph), paragraph, title)
            )
            offset += len(paragraph) + 1
        chunks_by_doc[doc_id] = chunks
    return documents, chunks_by_doc


class MemoryReader:
    """The SearchIndex operations the searcher uses, over plain lists (exact cosine, real BM25)."""

    def __init__(self, embedder: FakeEmbedder) -> None:
        documents, chunks_by_doc = _documents()
        self.records = {
            d.doc_id: DocumentRecord(
                d.doc_id, d.path, d.title, d.date, None, None, "", "unknown", 0, ""
            )
            for d in documents
        }
        self.stored: list[StoredChunk] = []
        for document in documents:
            for chunk in chunks_by_doc[document.doc_id]:
                self.stored.append(
                    StoredChunk(
                        len(self.stored) * 10 + 5,  # ids that are not row numbers
                        chunk.doc_id,
                        chunk.index,
                        chunk.paragraph,
                        chunk.start,
                        chunk.end,
                        chunk.text,
                        chunk.title,
                        document.path,
                        document.date,
                    )
                )
        self.by_id = {c.chunk_id: c for c in self.stored}
        self.ids = np.array([c.chunk_id for c in self.stored], dtype=np.int64)
        passages = [passage_text(c) for c in chunks_by_doc_flat(chunks_by_doc)]
        self.vectors = embedder.embed_passages(passages)
        self.keyword = KeywordIndex()
        self.keyword.build(self.ids.tolist(), [tokenize(p) for p in passages])
        self.calls: list[str] = []

    def _allowed(self, where: ChunkFilter | None) -> np.ndarray | None:
        return None if where is None or where.is_empty else self.chunk_ids(where)

    def dense_search(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        self.calls.append("vector")
        scores = self.vectors @ np.asarray(vector).reshape(-1)
        rows = np.arange(len(self.ids))
        allowed = self._allowed(where)
        if allowed is not None:
            rows = rows[np.isin(self.ids, allowed)]
        order = rows[np.lexsort((self.ids[rows], -scores[rows]))][:k]
        return [(int(self.ids[r]), float(scores[r])) for r in order]

    def dense_scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        self.calls.append("vector")
        rows = [int(np.flatnonzero(self.ids == i)[0]) for i in ids]
        return self.vectors[rows] @ np.asarray(vector).reshape(-1)

    def keyword_search(
        self, tokens: Sequence[str], k: int, where: ChunkFilter | None = None
    ) -> list[tuple[int, float]]:
        self.calls.append("keyword")
        return self.keyword.search(tokens, k, chunk_ids=self._allowed(where))

    def keyword_scores(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        self.calls.append("keyword")
        found = dict(self.keyword.search(tokens, len(ids), chunk_ids=ids))
        return np.array([found.get(int(i), 0.0) for i in ids])

    def keyword_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        return self.keyword.token_weights(tokens)

    # Every chunk here is one sentence, so none has sentence vectors.
    has_sentence_vectors = True

    def sentence_vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        return {}

    def chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        return [self.by_id[int(i)] for i in ids]

    def neighbours(
        self, chunk_id: int, before: int = 1, after: int = 1
    ) -> tuple[list[StoredChunk], list[StoredChunk]]:
        chunk = self.by_id[chunk_id]
        same = [c for c in self.stored if c.doc_id == chunk.doc_id]
        return (
            [c for c in same if chunk.index - before <= c.index < chunk.index],
            [c for c in same if chunk.index < c.index <= chunk.index + after],
        )

    def documents(self) -> list[DocumentRecord]:
        return list(self.records.values())

    def chunk_ids(self, where: ChunkFilter | None = None) -> np.ndarray:
        where = where or ChunkFilter()
        kept = [
            c.chunk_id
            for c in self.stored
            if (where.doc_ids is None or c.doc_id in where.doc_ids)
            and (where.date_from is None or (c.date is not None and c.date >= where.date_from))
            and (where.date_to is None or (c.date is not None and c.date <= where.date_to))
        ]
        return np.array(sorted(kept), dtype=np.int64)


def chunks_by_doc_flat(chunks_by_doc: dict[str, list[Chunk]]) -> list[Chunk]:
    return [chunk for chunks in chunks_by_doc.values() for chunk in chunks]


@pytest.fixture
def searcher() -> Searcher:
    embedder = FakeEmbedder()
    return Searcher(MemoryReader(embedder), embedder)  # type: ignore[arg-type]


# -- fusion ----------------------------------------------------------------------------------


score_lists = st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=30)


@settings(max_examples=150, deadline=None)
@given(score_lists, st.data(), st.sampled_from(["convex", "rrf"]))
def test_a_chunk_first_in_both_lists_is_first_after_fusion(
    scores: list[float], data: st.DataObject, method: str
) -> None:
    size = len(scores)
    dense = np.array(scores)
    lexical = np.array(data.draw(st.lists(st.floats(0, 50), min_size=size, max_size=size)))
    articles = np.array(data.draw(st.lists(st.integers(0, 3), min_size=size, max_size=size)))
    winner = data.draw(st.integers(0, size - 1))
    dense[winner] = dense.max() + 0.01
    lexical[winner] = lexical.max() + 1.0
    fused = fuse_scores(dense, lexical, articles, FusionConfig(method=method))
    assert int(np.argmax(fused)) == winner
    assert fused[winner] > np.delete(fused, winner).max()


def test_fusion_without_keyword_matches_follows_the_dense_order() -> None:
    dense = np.array([0.80, 0.95, 0.85, 0.70])
    fused = fuse_scores(dense, np.zeros(4), np.array([0, 1, 2, 3]))
    assert list(np.argsort(-fused)) == [1, 2, 0, 3]


def test_fusion_weights_follow_the_config() -> None:
    dense = np.array([1.0, 0.0])
    lexical = np.array([0.0, 10.0])
    articles = np.array(["a", "b"])
    dense_heavy = fuse_scores(dense, lexical, articles, FusionConfig(dense_weight=0.9))
    keyword_heavy = fuse_scores(dense, lexical, articles, FusionConfig(dense_weight=0.1))
    assert np.argmax(dense_heavy) == 0
    assert np.argmax(keyword_heavy) == 1


def test_article_evidence_lifts_the_siblings_of_a_strong_keyword_match() -> None:
    # Chunk 1 and 2 tie on their own scores; chunk 1's article also holds the best keyword match.
    dense = np.array([0.50, 0.80, 0.80])
    lexical = np.array([10.0, 2.0, 2.0])
    articles = np.array(["x", "x", "y"])
    without = fuse_scores(dense, lexical, articles, FusionConfig(article_weight=0.0))
    with_evidence = fuse_scores(dense, lexical, articles, FusionConfig(article_weight=0.2))
    assert without[1] == pytest.approx(without[2])
    assert with_evidence[1] > with_evidence[2]


def test_sentence_evidence_breaks_a_tie_and_is_optional() -> None:
    dense = np.array([0.80, 0.80, 0.50])
    lexical = np.array([4.0, 4.0, 1.0])
    articles = np.array(["x", "y", "z"])
    plain = fuse_scores(dense, lexical, articles)
    assert plain[0] == pytest.approx(plain[1])
    evidence = np.array([0.3, 1.0, 0.0])
    asked: list[list[int]] = []

    def sentence(positions: np.ndarray) -> np.ndarray:
        asked.append(sorted(positions.tolist()))
        return evidence[positions]

    lifted = fuse_scores(dense, lexical, articles, FusionConfig(sentence_weight=0.2), sentence)
    assert lifted[1] > lifted[0] > lifted[2]
    assert lifted[1] - plain[1] == pytest.approx(0.2)
    # Only the best candidates are asked for (the evidence costs a tokenization each).
    config = FusionConfig(sentence_weight=0.2, sentence_candidates=2)
    top_two = fuse_scores(dense, lexical, articles, config, sentence)
    assert asked[-1] == [0, 1] and top_two[2] == pytest.approx(plain[2])
    off = fuse_scores(dense, lexical, articles, FusionConfig(sentence_weight=0.0), sentence)
    assert off == pytest.approx(plain) and len(asked) == 2


def test_lead_evidence_favours_an_articles_first_passage_only_slightly() -> None:
    dense = np.array([0.80, 0.80, 0.90])
    lexical = np.array([4.0, 4.0, 4.0])
    articles = np.array(["x", "x", "x"])
    lead = np.array([False, True, False])
    fused = fuse_scores(dense, lexical, articles, FusionConfig(lead_weight=0.03), lead=lead)
    assert fused[1] > fused[0]  # a tie goes to the lead
    assert fused[2] > fused[1]  # a clearly better passage stays ahead
    off = fuse_scores(dense, lexical, articles, FusionConfig(lead_weight=0.0), lead=lead)
    assert off[0] == pytest.approx(off[1])


def test_rrf_adds_reciprocal_ranks_of_both_lists() -> None:
    fused = fuse_scores(
        np.array([0.9, 0.8, 0.7]), np.array([0.0, 5.0, 1.0]), np.arange(3), FusionConfig("rrf")
    )
    assert fused == pytest.approx([1 / 61, 1 / 62 + 1 / 61, 1 / 63 + 1 / 62])


def test_fusion_of_an_empty_pool_and_an_unknown_method() -> None:
    assert len(fuse_scores(np.array([]), np.array([]), np.array([]))) == 0
    with pytest.raises(ValueError):
        fuse_scores(np.ones(2), np.ones(2), np.arange(2), FusionConfig(method="magic"))


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


def test_hit_json_has_every_field(searcher: Searcher) -> None:
    payload = searcher.search("经济增长", k=1).to_json()
    hit = payload["results"][0]
    assert set(hit) >= {
        "rank",
        "score",
        "chunk_id",
        "doc_id",
        "title",
        "path",
        "date",
        "paragraph",
        "start",
        "end",
        "text",
        "context_before",
        "context_after",
        "highlights",
    }
    assert payload["mode"] == "hybrid"


def test_context_comes_from_the_neighbouring_chunks(searcher: Searcher) -> None:
    hit = searcher.search("消费和投资拉动经济增长", k=1, mode="keyword").hits[0]
    assert hit.doc_id == "econ" and hit.paragraph == 1
    assert hit.context_before == ARTICLES["econ"][3][0]
    assert hit.context_after == ARTICLES["econ"][3][2]
    plain = searcher.search("消费和投资拉动经济增长", k=1, mode="keyword", context=False)
    assert plain.hits[0].context_before == plain.hits[0].context_after == ""


def test_context_is_trimmed_and_skips_the_overlap() -> None:
    def stored(index: int, start: int, text: str) -> StoredChunk:
        return StoredChunk(index, "d", index, 0, start, start + len(text), text, "", "p", None)

    previous = stored(0, 0, "甲" * 200 + "重叠")
    hit = stored(1, 200, "重叠正文")
    following = stored(2, 202, "正文后面的内容" + "乙" * 300)
    before, after = context_around(hit, previous, following, limit=120)
    assert before == "甲" * 120
    assert after.startswith("后面的内容") and len(after) == 120
    assert context_around(hit, None, None) == ("", "")


# -- filters and collapsing ---------------------------------------------------------------------


def test_filter_by_doc_id_and_by_path_fragment(searcher: Searcher) -> None:
    hits = searcher.search("国家", k=10, doc_ids=["sport"]).hits
    assert hits and {hit.doc_id for hit in hits} == {"sport"}
    hits = searcher.search("国家", k=10, documents=["2024/ECON"]).hits
    assert hits and {hit.doc_id for hit in hits} == {"econ"}
    hits = searcher.search("国家", k=10, documents=["news/2024"], mode="keyword").hits
    assert {hit.doc_id for hit in hits} == {"econ", "sport"}


def test_unknown_document_is_a_clear_error(searcher: Searcher) -> None:
    with pytest.raises(SearchError, match="No article in the index matches 'nowhere'"):
        searcher.search("国家", documents=["nowhere"])


def test_date_range_keeps_dated_articles_inside_it(searcher: Searcher) -> None:
    hits = searcher.search("国家 经济 科技", k=20, date_from="2024-01-01").hits
    assert {hit.doc_id for hit in hits} == {"econ", "sport"}
    hits = searcher.search("国家 经济 科技", k=20, date_to="2023-12-31").hits
    assert {hit.doc_id for hit in hits} == {"taiwan"}
    hits = searcher.search("天气", k=20, date_from="2025-01-01", mode="keyword").hits
    assert hits == []


@pytest.mark.parametrize(
    "date_from, date_to, message",
    [
        ("2024-13-01", None, "The start date '2024-13-01' is not a date"),
        ("2024-05-01", "2024-01-01", "empty"),
    ],
)
def test_bad_dates_are_clear_errors(
    searcher: Searcher, date_from: str, date_to: str | None, message: str
) -> None:
    with pytest.raises(SearchError, match=message):
        searcher.search("国家", date_from=date_from, date_to=date_to)


def test_collapse_keeps_the_best_hit_of_each_article(searcher: Searcher) -> None:
    spread = searcher.search("经济增长", k=10, mode="hybrid")
    assert len({h.doc_id for h in spread.hits}) < len(spread.hits)
    collapsed = searcher.search("经济增长", k=10, mode="hybrid", collapse=True)
    doc_ids = [hit.doc_id for hit in collapsed.hits]
    assert len(doc_ids) == len(set(doc_ids))
    assert collapsed.hits[0].chunk_id == spread.hits[0].chunk_id
    assert [hit.rank for hit in collapsed.hits] == list(range(1, len(doc_ids) + 1))


@pytest.mark.parametrize(
    "query, options, message",
    [
        ("   ", {}, "empty"),
        ("国家", {"mode": "fuzzy"}, "Unknown search mode"),
        ("国家", {"k": 0}, "at least 1"),
    ],
)
def test_bad_requests_are_clear_errors(
    searcher: Searcher, query: str, options: dict, message: str
) -> None:
    with pytest.raises(SearchError, match=message):
        searcher.search(query, **options)


def test_keyword_mode_needs_no_model_and_semantic_mode_says_it_does() -> None:
    keyword_only = Searcher(MemoryReader(FakeEmbedder()), None)  # type: ignore[arg-type]
    assert keyword_only.search("冠军", mode="keyword").hits[0].doc_id == "sport"
    with pytest.raises(SearchError, match="needs the embedding model"):
        keyword_only.search("冠军", mode="hybrid")


# -- the real index ---------------------------------------------------------------------------


@pytest.fixture
def real_index(tmp_path: Path) -> Path:
    from semsearch.indexing import build_from_chunks

    documents, chunks_by_doc = _documents()
    build_from_chunks(tmp_path / "index", documents, chunks_by_doc, FakeEmbedder())
    return tmp_path / "index"


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


def test_blending_keeps_the_cosine_of_a_chunk_without_sentence_vectors() -> None:
    blended = blend_sentence_similarity(
        np.array([0.5, 0.6, 0.7]), np.array([0.9, np.nan, 0.7]), 0.5
    )
    assert blended.tolist() == pytest.approx([0.7, 0.6, 0.7])
    assert blend_sentence_similarity(np.array([0.5]), np.array([0.9]), 0.0).tolist() == [0.5]


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

    documents, chunks_by_doc = _documents()
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
    source = Path(__file__).resolve().parents[1] / "eval" / "xquad_zh"
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
