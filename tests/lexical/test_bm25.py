"""Tests of the BM25 index: a written-out reference, parity with bm25s, files, filters.

The index computes idf at query time (the postings hold the term-frequency component only), so
its scores equal bm25s's to float32 rounding (about 1e-7 relative), not bit for bit; an index
written by bm25s before segments still loads and scores exactly as bm25s does.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from semsearch.chunking import Chunk, passage_text
from semsearch.errors import IndexStoreError
from semsearch.evaluation import load_eval_set
from semsearch.lexical import bm25
from semsearch.lexical.analyzer import TOKENIZER_VERSION, tokenize, tokenize_query
from semsearch.lexical.bm25 import TermCounts
from semsearch.lexical.bm25_index import KeywordIndex

CORPUS = [
    "北京今天天气晴朗，气温二十度。",
    "上海的天气多云，有小雨。",
    "台灣的資訊科技產業發展迅速。",
    "北京大学和清华大学都在北京。",
    "NASA 在 2024 年发射了新的探测器 Europa Clipper。",
    "今天的新闻：北京地铁新线路开通。",
    "天气预报说明天北京有雨，气温下降。",
]
XQUAD = Path(__file__).resolve().parents[2] / "eval" / "xquad_zh"


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


def test_a_repeated_query_is_scored_once(monkeypatch: pytest.MonkeyPatch) -> None:
    index = KeywordIndex()
    index.build(range(len(CORPUS)), [tokenize(text) for text in CORPUS])
    calls: list[int] = []
    original = bm25.accumulate_scores

    def counting(postings: bm25.Postings, chunks: int, columns: list[int], weights: list[float]):
        calls.append(len(columns))
        return original(postings, chunks, columns, weights)

    monkeypatch.setattr(bm25, "accumulate_scores", counting)
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


def test_load_of_an_index_without_its_score_matrix_says_it_is_damaged(tmp_path) -> None:
    index = KeywordIndex()
    index.build([1, 2], [tokenize("北京"), tokenize("上海")])
    index.save(tmp_path)
    (tmp_path / "postings.values.npy").unlink()
    with pytest.raises(IndexStoreError, match="is damaged") as raised:
        KeywordIndex.load(tmp_path)
    assert "semsearch build --rebuild" in str(raised.value)


def test_tokenizer_version_is_recorded_with_saved_index(tmp_path) -> None:
    index = KeywordIndex()
    index.build([1], [tokenize("北京")])
    index.save(tmp_path)
    assert TOKENIZER_VERSION in (tmp_path / "keyword.json").read_text(encoding="utf-8")


# -- the same index from term counts -------------------------------------------------------------


def _term_counts(token_lists: list[list[str]]) -> tuple[dict[str, int], TermCounts]:
    """Term counts as a caller without token lists has them: sorted vocabulary, chunk by chunk,
    a chunk's terms split over two runs (so a term can repeat within a chunk)."""
    corpus = [tokens or [bm25.EMPTY_CHUNK_TOKEN] for tokens in token_lists]
    vocabulary = {token: i for i, token in enumerate(sorted({t for ts in corpus for t in ts}))}
    starts, terms, counts = [0], [], []
    for tokens in corpus:
        for half in (tokens[: len(tokens) // 2], tokens[len(tokens) // 2 :]):
            for token, count in Counter(half).items():
                terms.append(vocabulary[token])
                counts.append(count)
        starts.append(len(terms))
    return vocabulary, TermCounts(np.array(starts), np.array(terms), np.array(counts))


def test_an_index_from_term_counts_equals_the_built_one() -> None:
    token_lists = _random_corpus(np.random.default_rng(3), 300)
    ids = np.arange(1000, 1300)
    built = KeywordIndex()
    built.build(ids, token_lists)
    vocabulary, counts = _term_counts(token_lists)
    counted = KeywordIndex.from_term_counts(ids, vocabulary, counts)
    for query in token_lists[:40]:
        assert np.array_equal(counted.scores(query[:8]), built.scores(query[:8]))
        assert counted.token_weights(query) == built.token_weights(query)
    with pytest.raises(ValueError):
        KeywordIndex.from_term_counts(ids[:5], vocabulary, counts)


# -- parity with bm25s (the reference the index replaced) ----------------------------------------


def _random_corpus(rng: np.random.Generator, count: int) -> list[list[str]]:
    """Chunks of Zipf-distributed tokens of uneven length, some empty, repeats included."""
    alphabet = [f"t{i}" for i in range(400)]
    lengths = rng.integers(0, 120, size=count)
    lengths[rng.random(count) < 0.05] = 0
    return [
        [alphabet[min(int(i), 399)] for i in rng.zipf(1.3, size=length) - 1] for length in lengths
    ]


def _xquad_corpus() -> tuple[list[list[str]], list[list[str]]]:
    eval_set = load_eval_set(XQUAD)
    passages = [
        passage_text(Chunk("", 0, 0, 0, len(p.text), p.text, p.title)) for p in eval_set.passages
    ]
    return [tokenize(p) for p in passages], [tokenize_query(q.text) for q in eval_set.queries]


def _bm25s_index(token_lists: list[list[str]], k1: float, b: float):  # -> bm25s.BM25
    """The index as the product built it before: bm25s, Lucene variant, empty chunks as ``""``."""
    import bm25s

    reference = bm25s.BM25(k1=k1, b=b, method="lucene")
    reference.index([tokens or [""] for tokens in token_lists], show_progress=False)
    return reference


def _bm25s_scores(reference, tokens: list[str]) -> np.ndarray:
    term_ids = [reference.vocab_dict[t] for t in tokens if t and t in reference.vocab_dict]
    if not term_ids:
        return np.zeros(reference.scores["num_docs"], dtype=np.float32)
    return np.asarray(reference.get_scores_from_ids(term_ids), dtype=np.float32)


def _bm25s_weights(reference, tokens: list[str]) -> dict[str, float]:
    """Token weights as the product computed them from bm25s's matrix."""
    pointers = reference.scores["indptr"]
    count = reference.scores["num_docs"]
    weights = {}
    for token in dict.fromkeys(tokens):
        column = reference.vocab_dict.get(token) if token else None
        if column is None or column + 1 >= len(pointers):
            continue
        frequency = int(pointers[column + 1] - pointers[column])
        if frequency:
            weights[token] = float(np.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5)))
    return weights


def _assert_same_as_bm25s(
    index: KeywordIndex, reference, ids: np.ndarray, queries: list[list[str]]
) -> None:
    """Bit for bit: an index bm25s wrote, loaded by ours, scores as bm25s does."""
    for query in queries:
        expected = _bm25s_scores(reference, query)
        assert np.array_equal(index.scores(query), expected)
        rows = np.flatnonzero(expected > 0)
        order = np.lexsort((ids[rows], -expected[rows]))
        ranking = [(int(ids[rows[i]]), float(expected[rows[i]])) for i in order]
        assert index.search(query, k=len(ids)) == ranking
        # Among equal scores at the cut, which ones make the top 10 is not defined.
        assert [score for _, score in index.search(query, k=10)] == [s for _, s in ranking[:10]]
        assert index.token_weights(query) == pytest.approx(_bm25s_weights(reference, query))


def _assert_close_to_bm25s(
    index: KeywordIndex, reference, ids: np.ndarray, queries: list[list[str]]
) -> None:
    """To float32 rounding: scores, the order of the ranking (but for near ties), the weights."""
    for query in queries:
        expected = _bm25s_scores(reference, query)
        scores = index.scores(query)
        np.testing.assert_allclose(scores, expected, rtol=2e-6, atol=1e-7)
        assert np.array_equal(scores > 0, expected > 0)
        ranked = [chunk_id for chunk_id, _ in index.search(query, k=len(ids))]
        row_of = {int(chunk_id): row for row, chunk_id in enumerate(ids)}
        reference_scores = [float(expected[row_of[i]]) for i in ranked]
        assert len(ranked) == int((expected > 0).sum())
        # Best first by the reference's scores too, up to float32 rounding between near ties.
        assert all(a >= b - 2e-6 * a for a, b in itertools.pairwise(reference_scores))
        assert index.token_weights(query) == pytest.approx(_bm25s_weights(reference, query))


@pytest.mark.parametrize("seed, k1, b", [(0, 0.3, 0.3), (1, 1.5, 0.75), (2, 0.9, 0.0)])
def test_scores_equal_bm25s_on_random_corpora(seed: int, k1: float, b: float) -> None:
    rng = np.random.default_rng(seed)
    token_lists = _random_corpus(rng, 500)
    ids = rng.permutation(10_000)[:500].astype(np.int64)
    index = KeywordIndex(k1=k1, b=b)
    index.build(ids, token_lists)
    queries = [list(rng.choice(tokens, size=min(len(tokens), 6))) for tokens in token_lists[:60]]
    queries += [["t0", "t0", "t1"], ["t399", "absent"], [""], []]
    _assert_close_to_bm25s(index, _bm25s_index(token_lists, k1, b), ids, queries)


def test_scores_equal_bm25s_on_xquad() -> None:
    token_lists, queries = _xquad_corpus()
    ids = np.arange(len(token_lists), dtype=np.int64) * 3 + 1
    index = KeywordIndex()
    index.build(ids, token_lists)
    _assert_close_to_bm25s(index, _bm25s_index(token_lists, index.k1, index.b), ids, queries)


def _save_like_before(reference, ids: np.ndarray, directory: Path) -> None:
    """Write a keyword folder the way the bm25s-based index wrote it."""
    directory.mkdir(parents=True)
    np.save(directory / "ids.npy", ids)
    reference.save(str(directory), show_progress=False)
    params = {"format_version": 1, "k1": reference.k1, "b": reference.b}
    params["tokenizer"] = TOKENIZER_VERSION
    (directory / "keyword.json").write_text(json.dumps(params), encoding="utf-8")


def test_a_folder_bm25s_wrote_before_segments_loads_and_scores_as_before(tmp_path: Path) -> None:
    token_lists = _random_corpus(np.random.default_rng(4), 200)
    ids = np.arange(200, dtype=np.int64)[::-1].copy()
    reference = _bm25s_index(token_lists, bm25.DEFAULT_K1, bm25.DEFAULT_B)
    _save_like_before(reference, ids, tmp_path / "before")
    queries = [tokens[:6] for tokens in token_lists[:30]]
    loaded_before = KeywordIndex.load(tmp_path / "before")
    assert [segment.idf_folded for segment in loaded_before.segments] == [True]
    _assert_same_as_bm25s(loaded_before, reference, ids, queries)
    # Our own folder: the term-frequency components and counts, not bm25s's files.
    index = KeywordIndex()
    index.build(ids, token_lists)
    index.save(tmp_path / "ours")
    assert not (tmp_path / "ours" / "data.csc.index.npy").exists()
    params = json.loads((tmp_path / "ours" / "keyword.json").read_text(encoding="utf-8"))
    assert params["format_version"] == 2 and params["average_length"] == index.average_length
    _assert_close_to_bm25s(KeywordIndex.load(tmp_path / "ours"), reference, ids, queries)
