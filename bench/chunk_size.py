"""Measure how the chunk size (max_chars) affects retrieval, to choose the default.

Data: ``../shared/eval/cmrc2018`` (1,104 whole Wikipedia paragraphs of ~513 characters, 4,218
questions, one relevant paragraph each). Each paragraph is cut with ``chunk_spans`` at each
size; a paragraph's rank is the rank of its best chunk (``ranking.best_per_article``). Keyword
retrieval (BM25 over character unigrams + bigrams, title in front of each chunk, with the
product's ``lexical.KeywordIndex``) runs for every size; dense retrieval (the real embedder) for
the sizes given with ``--dense``, on a fixed sample of questions, caching vectors under ``/tmp``
so that a second run costs nothing.

Usage::

    .venv/bin/python bench/chunk_size.py                       # BM25 only, a few seconds
    .venv/bin/python bench/chunk_size.py --dense 150,300 --queries 600
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from semsearch import ranking
from semsearch.chunking import ChunkingConfig, chunk_spans
from semsearch.lexical import KeywordIndex

EVAL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "cmrc2018"
CACHE_DIR = Path("/tmp/semsearch-chunk-bench")
WHOLE = 100_000  # a max_chars no paragraph reaches: the paragraph as one chunk


def load(eval_dir: Path) -> tuple[list[dict], list[dict]]:
    """Return the corpus and the queries of an eval set."""
    with (eval_dir / "corpus.jsonl").open(encoding="utf-8") as handle:
        corpus = [json.loads(line) for line in handle if line.strip()]
    with (eval_dir / "queries.jsonl").open(encoding="utf-8") as handle:
        queries = [json.loads(line) for line in handle if line.strip()]
    return corpus, queries


def chunk_corpus(corpus: list[dict], max_chars: int) -> tuple[list[str], list[int]]:
    """Cut every paragraph; return the passages (title + chunk) and their paragraph numbers."""
    config = ChunkingConfig(max_chars=max_chars, min_chars=min(30, max_chars - 1), overlap=0)
    passages: list[str] = []
    owners: list[int] = []
    for number, record in enumerate(corpus):
        text = record["text"]
        for _, start, end in chunk_spans(text, config):
            title = record.get("title") or ""
            passages.append(f"{title}\n{text[start:end]}" if title else text[start:end])
            owners.append(number)
    return passages, owners


def char_grams(text: str) -> list[str]:
    """Character unigrams and bigrams of the non-space characters."""
    chars = [ch for ch in text.lower() if not ch.isspace()]
    return chars + [a + b for a, b in itertools.pairwise(chars)]


def paragraph_ranks(
    scores: np.ndarray, owners: np.ndarray, relevant: int, depth: int = 10
) -> int | None:
    """1-based rank of the relevant paragraph when paragraphs are ranked by their best chunk."""
    top = ranking.top_rows(scores, depth * 50)
    ranked = ranking.order_by_score(top, scores[top], depth * 50)
    best = ranking.best_per_article(ranked, [int(owners[row]) for row, _ in ranked])
    paragraphs = [int(owners[ranked[position][0]]) for position in best[:depth]]
    return paragraphs.index(relevant) + 1 if relevant in paragraphs else None


def answer_on_top(scores: np.ndarray, passages: list[str], answers: list[str]) -> bool:
    """Whether the best chunk shows an answer: what a reader sees first without scrolling."""
    text = passages[int(np.argmax(scores))].split("\n", 1)[-1]
    return any(answer and answer in text for answer in answers)


def metrics(ranks: list[int | None], shown: list[bool]) -> dict[str, float]:
    """MRR@10, R@1, R@5 and answer-in-top-chunk, in percent."""
    n = len(ranks)
    return {
        "MRR@10": 100 * sum(1 / r for r in ranks if r) / n,
        "R@1": 100 * sum(1 for r in ranks if r == 1) / n,
        "R@5": 100 * sum(1 for r in ranks if r and r <= 5) / n,
        "Ans@1": 100 * sum(shown) / n,
    }


def bm25_run(passages: list[str], owners: list[int], queries: list[dict], ids: dict) -> dict:
    """Keyword retrieval over the passages (the product's BM25 with bm25s's default k1 and b)."""
    index = KeywordIndex(k1=1.5, b=0.75)
    index.build(range(len(passages)), [char_grams(p) for p in passages])
    owner_array = np.asarray(owners)
    ranks = []
    shown = []
    for query in queries:
        scores = index.scores(char_grams(query["text"]))
        ranks.append(paragraph_ranks(scores, owner_array, ids[query["relevant"][0]]))
        shown.append(answer_on_top(scores, passages, query.get("answers", [])))
    return metrics(ranks, shown)


def dense_run(
    passages: list[str], owners: list[int], queries: list[dict], ids: dict, embedder: object
) -> dict:
    """Dense retrieval over the passages, with vectors cached on disk."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    fingerprint = getattr(embedder, "fingerprint", "model")

    def cached(kind: str, texts: list[str], embed: object) -> np.ndarray:
        key = hashlib.sha1(("\x00".join(texts) + fingerprint).encode()).hexdigest()[:16]
        path = CACHE_DIR / f"{kind}-{key}.npy"
        if path.exists():
            return np.load(path)
        started = time.perf_counter()
        vectors = embed(texts)  # type: ignore[operator]
        print(
            f"  embedded {len(texts)} {kind} in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        np.save(path, vectors)
        return vectors

    passage_vectors = cached("passages", passages, embedder.embed_passages)  # type: ignore[attr-defined]
    query_vectors = cached("queries", [q["text"] for q in queries], embedder.embed_queries)  # type: ignore[attr-defined]
    owner_array = np.asarray(owners)
    ranks = []
    shown = []
    for query, vector in zip(queries, query_vectors, strict=True):
        scores = passage_vectors @ vector
        ranks.append(paragraph_ranks(scores, owner_array, ids[query["relevant"][0]]))
        shown.append(answer_on_top(scores, passages, query.get("answers", [])))
    return metrics(ranks, shown)


def main() -> None:
    """Print a markdown table of retrieval quality per chunk size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--sizes", default="100,150,200,300,whole")
    parser.add_argument("--dense", default="", help="sizes to run with the real embedder")
    parser.add_argument("--queries", type=int, default=600, help="question sample for dense")
    args = parser.parse_args()

    corpus, queries = load(args.eval_dir)
    ids = {record["id"]: number for number, record in enumerate(corpus)}
    sizes = [WHOLE if s == "whole" else int(s) for s in args.sizes.split(",")]
    dense_sizes = {WHOLE if s == "whole" else int(s) for s in args.dense.split(",") if s}
    sample = random.Random(13).sample(queries, min(args.queries, len(queries)))
    embedder = None
    if dense_sizes:
        from semsearch.embed import load_embedder

        embedder = load_embedder()

    print(f"cmrc2018: {len(corpus)} paragraphs, {len(queries)} questions")
    print(
        "| max_chars | chunks | median chars | BM25 MRR@10 | BM25 R@1 | BM25 Ans@1 |"
        f" dense MRR@10 (n={len(sample)}) | dense R@1 | dense Ans@1 | BM25 MRR@10 same sample |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        passages, owners = chunk_corpus(corpus, size)
        lengths = [len(p.split("\n", 1)[-1]) for p in passages]
        keyword = bm25_run(passages, owners, queries, ids)
        dense_cells = ["", "", "", ""]
        if size in dense_sizes and embedder is not None:
            dense = dense_run(passages, owners, sample, ids, embedder)
            keyword_sample = bm25_run(passages, owners, sample, ids)
            dense_cells = [
                f"{dense['MRR@10']:.1f}",
                f"{dense['R@1']:.1f}",
                f"{dense['Ans@1']:.1f}",
                f"{keyword_sample['MRR@10']:.1f}",
            ]
        label = "whole" if size == WHOLE else str(size)
        print(
            f"| {label} | {len(passages)} | {statistics.median(lengths):.0f} |"
            f" {keyword['MRR@10']:.1f} | {keyword['R@1']:.1f} | {keyword['Ans@1']:.1f} | "
            + " | ".join(dense_cells)
            + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
