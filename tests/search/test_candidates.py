"""The searcher ranks through the ranking core (search.candidates): its order equals the core's
on the same arrays.

The benchmarks (bench/retrieval.py) replay the searcher from full score matrices: each
retriever's top rows (:func:`~semsearch.ranking.top_rows`), their union, and
:func:`~semsearch.ranking.rank_hybrid` / :func:`~semsearch.ranking.rank_semantic`. These tests
do the same over the in-memory index and fail if the searcher ever ranks in a way of its own,
so the figures of docs/retrieval.md stay the figures of the shipped ranking.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fakes import FakeEmbedder

from semsearch import lexical, ranking
from semsearch.search import Searcher
from semsearch.storage import SearchIndex

from .memory_index import MemoryReader

QUERIES = ("亚洲杯决赛冠军", "经济增长", "台湾半导体产业", "明天会下雨吗", "国家 经济 科技", "出口")


def replay_hybrid(
    reader: MemoryReader, query: str, config: ranking.FusionConfig, depth: int
) -> list[tuple[int, float]]:
    """The hybrid ranking rebuilt from the full score arrays, as the benchmark does it."""
    vector = FakeEmbedder().embed_queries([query])[0]
    analyzed = lexical.analyze_query(query)
    dense = reader.vectors @ vector
    keyword = reader.keyword.scores(analyzed.tokens)
    pool_size = max(config.candidates, depth)
    rows = np.union1d(
        ranking.top_rows(dense, pool_size), ranking.top_rows(keyword, pool_size, True)
    )
    chunks = [reader.stored[row] for row in rows]
    candidates = ranking.Candidates(
        ids=reader.ids[rows],
        dense=dense[rows].astype(np.float64),
        best_sentence=np.full(len(rows), np.nan),
        lexical=keyword[rows].astype(np.float64),
        articles=np.array([chunk.doc_id for chunk in chunks]),
        lead=np.array([chunk.index == 0 for chunk in chunks]),
    )
    weights = reader.keyword.token_weights(analyzed.tokens)

    def sentence(positions: np.ndarray) -> np.ndarray:
        return np.array(
            [
                lexical.best_sentence_coverage(weights, chunks[i].text, chunks[i].title)
                for i in positions
            ]
        )

    return ranking.rank_hybrid(candidates, config, depth, sentence)


def ranked(searcher: Searcher, query: str, mode: str, k: int) -> list[tuple[int, float]]:
    hits = searcher.search(query, k=k, mode=mode, context=False, highlight=False).hits
    return [(hit.chunk_id, hit.score) for hit in hits]


@pytest.mark.parametrize("candidates", [3, 100])
@pytest.mark.parametrize("query", QUERIES)
def test_the_searchers_hybrid_order_is_the_cores_order(query: str, candidates: int) -> None:
    embedder = FakeEmbedder()
    reader = MemoryReader(embedder)
    config = replace(ranking.FusionConfig(), candidates=candidates)
    searcher = Searcher(reader, embedder, config)  # type: ignore[arg-type]
    expected = replay_hybrid(reader, query, config, depth=5)
    found = ranked(searcher, query, "hybrid", 5)
    assert [chunk_id for chunk_id, _ in found] == [chunk_id for chunk_id, _ in expected]
    assert [score for _, score in found] == pytest.approx([score for _, score in expected])


@pytest.mark.parametrize("query", QUERIES)
def test_the_searchers_semantic_order_is_the_cores_order(query: str) -> None:
    embedder = FakeEmbedder()
    reader = MemoryReader(embedder)
    # Sentence vectors of two chunks, so the blend changes the order.
    reader.sentence_vectors = lambda ids: {  # type: ignore[method-assign]
        int(i): reader.vectors[[0, 5]] for i in ids if int(i) in (15, 45)
    }
    searcher = Searcher(reader, embedder)  # type: ignore[arg-type]
    vector = embedder.embed_queries([query])[0]
    dense = reader.vectors @ vector
    rows = ranking.top_rows(dense, searcher.fusion.candidates)
    ids = reader.ids[rows]
    best = ranking.best_sentence_cosines(vector, ids, reader.sentence_vectors(ids.tolist()))
    expected = ranking.rank_semantic(ids, dense[rows], best, searcher.fusion, depth=4)
    found = ranked(searcher, query, "semantic", 4)
    assert [chunk_id for chunk_id, _ in found] == [chunk_id for chunk_id, _ in expected]
    assert [score for _, score in found] == pytest.approx([score for _, score in expected])


@pytest.mark.parametrize("depth", [1, 4])
@pytest.mark.parametrize("weight", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("query", (*QUERIES, "体育新闻 冠军", "经济观察"))
def test_the_searchers_keyword_order_is_the_cores_order(
    query: str, weight: float, depth: int
) -> None:
    # The searcher reads the titles of the chunks that the lift can bring into the top
    # ``depth`` only; the order must be the core's over the whole pool.
    embedder = FakeEmbedder()
    reader = MemoryReader(embedder)
    config = replace(ranking.FusionConfig(), title_weight=weight, candidates=5)
    searcher = Searcher(reader, embedder, config)  # type: ignore[arg-type]
    tokens = lexical.analyze_query(query).tokens
    scores = reader.keyword.scores(tokens)
    rows = ranking.top_rows(scores, config.candidates, True)
    weights = reader.keyword_weights(tokens)
    named = []
    for row in rows:
        title_tokens = lexical.title_tokens(reader.stored[row].title)
        named.append(lexical.title_match(weights, reader.keyword_weights(list(title_tokens))))
    expected = ranking.rank_keyword(
        reader.ids[rows], scores[rows].astype(np.float64), np.array(named), weight, depth
    )
    found = ranked(searcher, query, "keyword", depth)
    assert [chunk_id for chunk_id, _ in found] == [chunk_id for chunk_id, _ in expected]
    assert [score for _, score in found] == pytest.approx([score for _, score in expected])
    if query == "经济观察" and weight:
        assert found[0][1] > scores.max()  # the title named whole lifts its article


def test_collapsing_keeps_the_cores_best_per_article() -> None:
    embedder = FakeEmbedder()
    reader = MemoryReader(embedder)
    searcher = Searcher(reader, embedder)  # type: ignore[arg-type]
    spread = ranked(searcher, "经济增长", "hybrid", 80)
    chunks = reader.chunks([chunk_id for chunk_id, _ in spread])
    articles = [chunk.doc_id for chunk in chunks]
    weights = reader.keyword_weights(lexical.analyze_query("经济增长").tokens)
    coverage = {
        article: lexical.article_coverage(
            weights, [(c.text, c.title) for c in chunks if c.doc_id == article]
        )
        for article in articles
    }
    weight = searcher.fusion.article_coverage_weight
    expected = [
        (spread[i][0], score)
        for i, score in ranking.rank_articles(spread, articles, coverage, weight)
    ][:10]
    assert ranked(searcher, "经济增长", "hybrid", 10) != expected  # collapsing changes the list
    collapsed = searcher.search("经济增长", k=10, collapse=True, context=False, highlight=False)
    assert [(hit.chunk_id, hit.score) for hit in collapsed.hits] == expected
    plain = Searcher(reader, embedder, replace(searcher.fusion, article_coverage_weight=0.0))  # type: ignore[arg-type]
    uncovered = plain.search("经济增长", k=10, collapse=True, context=False, highlight=False)
    best = [spread[i] for i in ranking.best_per_article(spread, articles)][:10]
    assert [(hit.chunk_id, hit.score) for hit in uncovered.hits] == best


def test_the_in_memory_index_has_every_member_of_the_protocol() -> None:
    members = {name for name in vars(SearchIndex) if not name.startswith("_")}
    members |= set(SearchIndex.__annotations__)
    reader = MemoryReader(FakeEmbedder())
    assert [name for name in sorted(members) if not hasattr(reader, name)] == []
