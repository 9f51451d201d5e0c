"""The score matrices of the retrieval benchmark: every query against every chunk of a set.

Computed once per set (dense cosines from cached vectors, BM25 for each keyword scheme, the
cosine of each chunk's best sentence, sentence tokens and query weights), then replayed by every
configuration of ``bench/retrieval.py`` through the ranking core.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from semsearch.chunking import Chunk, passage_text, sentence_passages
from semsearch.evaluation import (
    CachedEmbedder,
    EvalQuery,
    EvalSet,
    eval_documents,
    load_eval_set,
)
from semsearch.lexical import (
    DEFAULT_B,
    DEFAULT_K1,
    KeywordIndex,
    normalize,
    sentence_tokens,
    tokenize,
    tokenize_query,
)
from semsearch.lexical.analyzer import jieba_segmenter


@dataclass(frozen=True)
class KeywordScheme:
    """A BM25 configuration: how passages and queries become tokens, and k1 / b."""

    name: str
    passage_tokens: Callable[[str], list[str]]
    query_tokens: Callable[[str], list[str]]
    k1: float
    b: float


def _jieba_words(text: str) -> list[str]:
    """jieba words of the simplified text (the usual Chinese BM25 baseline)."""
    words = jieba_segmenter().lcut(normalize(text))
    return [w for w in words if re.fullmatch(r"[\w.]+", w)]


SCHEMES = {
    "jieba": KeywordScheme("BM25 jieba words", _jieba_words, _jieba_words, 1.5, 0.75),
    "chars": KeywordScheme("BM25 Han 1–2-grams", tokenize, tokenize, 1.5, 0.75),
    "chars_q": KeywordScheme("+ question words removed", tokenize, tokenize_query, 1.5, 0.75),
    "final": KeywordScheme(
        f"+ k1 {DEFAULT_K1}, b {DEFAULT_B} (keyword mode)",
        tokenize,
        tokenize_query,
        DEFAULT_K1,
        DEFAULT_B,
    ),
}


@dataclass
class SetMatrices:
    """Everything a configuration needs for one set: scores, queries and article labels."""

    name: str
    queries: list[EvalQuery]
    passage_ids: list[str]  # per chunk row
    dense: np.ndarray  # queries × chunks cosine
    keyword: dict[str, np.ndarray]  # scheme → queries × chunks BM25
    articles: np.ndarray  # per chunk: its article's number (evaluation.eval_documents)
    positions: np.ndarray  # per chunk: index inside its article
    sentences: list[tuple[frozenset[str], ...]]  # per chunk: lexical.sentence_tokens
    query_weights: list[dict[str, float]]  # per query: KeywordIndex.token_weights
    best_sentence: np.ndarray  # queries × chunks: best sentence cosine (NaN: one sentence)


def passage_texts(eval_set: EvalSet) -> list[str]:
    """Each row's text as the index embeds and tokenizes it (title in front)."""
    return [
        passage_text(Chunk("", 0, 0, 0, len(p.text), p.text, p.title)) for p in eval_set.passages
    ]


def _articles(eval_set: EvalSet) -> tuple[np.ndarray, np.ndarray]:
    """Each row's article number and index in it, as ``semsearch eval`` indexes the set."""
    row_of = {p.passage_id: row for row, p in enumerate(eval_set.passages)}
    articles = np.empty(len(row_of), dtype=np.int64)
    positions = np.empty(len(row_of), dtype=np.int64)
    numbers: dict[str, int] = {}
    for (doc_id, index), passage_id in eval_documents(eval_set)[2].items():
        articles[row_of[passage_id]] = numbers.setdefault(doc_id, len(numbers))
        positions[row_of[passage_id]] = index
    return articles, positions


def load_matrices(
    directory: Path,
    embedder: CachedEmbedder,
    queries_from: Path | None = None,
    schemes: dict[str, KeywordScheme] | None = None,
) -> SetMatrices:
    """Embed (through the cache) and score every query against every chunk of a set.

    Args:
        directory: The set.
        embedder: The cached model.
        queries_from: Take the questions from this twin set instead (same ids), to measure a
            query in one script against articles in the other.
        schemes: The keyword schemes to score (default :data:`SCHEMES`; one named ``final``
            gives the query weights of sentence evidence).
    """
    eval_set = load_eval_set(directory)
    if queries_from is not None:
        eval_set.queries = load_eval_set(queries_from).queries
        eval_set.name = f"{eval_set.name} ← {queries_from.name} queries"
    passages = passage_texts(eval_set)
    started = time.perf_counter()
    vectors = embedder.embed_passages(passages)
    query_vectors = embedder.embed_queries([q.text for q in eval_set.queries])
    print(f"  {eval_set.name}: vectors ready ({time.perf_counter() - started:.0f} s)", flush=True)
    keyword_scores = {}
    weights: list[dict[str, float]] = []
    for key, scheme in (SCHEMES if schemes is None else schemes).items():
        index = KeywordIndex(k1=scheme.k1, b=scheme.b)
        index.build(range(len(passages)), [scheme.passage_tokens(p) for p in passages])
        keyword_scores[key] = np.stack(
            [index.scores(scheme.query_tokens(q.text)) for q in eval_set.queries]
        )
        if key == "final":
            weights = [index.token_weights(scheme.query_tokens(q.text)) for q in eval_set.queries]
    articles, positions = _articles(eval_set)
    return SetMatrices(
        name=eval_set.name,
        queries=eval_set.queries,
        passage_ids=[p.passage_id for p in eval_set.passages],
        dense=query_vectors @ vectors.T,
        keyword=keyword_scores,
        articles=articles,
        positions=positions,
        sentences=[sentence_tokens(p.text, p.title) for p in eval_set.passages],
        query_weights=weights,
        best_sentence=_best_sentence(eval_set, embedder, query_vectors),
    )


def _best_sentence(
    eval_set: EvalSet, embedder: CachedEmbedder, query_vectors: np.ndarray
) -> np.ndarray:
    """Cosine of each query to the nearest sentence of each chunk (as the index stores them).

    The score matrix behind :attr:`ranking.Candidates.best_sentence`, for every query and chunk
    at once: the searcher gets the same values from ``ranking.best_sentence_cosines`` one pool
    at a time, which would take hours here.
    """
    texts: list[str] = []
    owners: list[int] = []
    for row, passage in enumerate(eval_set.passages):
        for text in sentence_passages(passage.text, passage.title):
            texts.append(text)
            owners.append(row)
    best = np.full((len(query_vectors), len(eval_set.passages)), np.nan, dtype=np.float32)
    if not texts:
        return best
    # Rounded to float16 and back, as the index stores sentence vectors.
    stored = embedder.embed_passages(texts).astype(np.float16).astype(np.float32)
    similarity = query_vectors @ stored.T
    owner = np.array(owners)
    # Sentences of one chunk are adjacent: reduce each run with a maximum.
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    best[:, owner[starts]] = np.maximum.reduceat(similarity, starts, axis=1)
    return best
