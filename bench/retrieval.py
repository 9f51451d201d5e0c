"""Retrieval quality benchmark: every step from plain BM25 and dense search to the hybrid default.

For each evaluation set it computes the full query × chunk score matrices once (dense cosine from
cached vectors, BM25 for each token scheme), then replays what :class:`semsearch.search.Searcher`
does for every configuration: the top ``candidates`` chunks of each retriever, both scores for
the pooled chunks, articles by title (rows in file order), and :func:`semsearch.search.fuse_scores`.
Rows are cumulative steps; docs/retrieval.md explains each and what it gained.

Usage (from the repository root; the first run embeds ~20k texts, later runs use the cache)::

    .venv/bin/python bench/retrieval.py                  # all four sets
    .venv/bin/python bench/retrieval.py eval/xquad_zh    # one set

Writes bench/results/retrieval.json and bench/results/retrieval.md (``--name`` changes the
file name, e.g. for a run with ``SEMSEARCH_BACKEND=torch``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from semsearch.chunking import Chunk, passage_text, sentence_passages  # noqa: E402
from semsearch.evaluation import CachedEmbedder, EvalSet, load_eval_set  # noqa: E402
from semsearch.lexical import (  # noqa: E402
    DEFAULT_B,
    DEFAULT_K1,
    KeywordIndex,
    normalize,
    sentence_coverage,
    sentence_tokens,
    tokenize,
    tokenize_query,
)
from semsearch.lexical.analyzer import jieba_segmenter  # noqa: E402
from semsearch.search import (  # noqa: E402
    FusionConfig,
    blend_sentence_similarity,
    fuse_scores,
)

DEFAULT_SETS = ("cmrc2018_chunks", "xquad_zh", "cmrc2018_chunks_tw", "xquad_zh_tw")
#: Cross-script checks: (articles, questions) — traditional articles, simplified questions and
#: the reverse.
CROSS_SCRIPT = (
    ("cmrc2018_chunks_tw", "cmrc2018_chunks"),
    ("cmrc2018_chunks", "cmrc2018_chunks_tw"),
    ("xquad_zh_tw", "xquad_zh"),
    ("xquad_zh", "xquad_zh_tw"),
)

RESULTS = ROOT / "bench" / "results"


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
        "+ k1 0.3, b 0.3 (keyword mode)",
        tokenize,
        tokenize_query,
        DEFAULT_K1,
        DEFAULT_B,
    ),
}


@dataclass
class SetMatrices:
    """Everything a configuration needs for one set: scores, relevance and article labels."""

    name: str
    dense: np.ndarray  # queries × chunks cosine
    keyword: dict[str, np.ndarray]  # scheme → queries × chunks BM25
    relevant: list[np.ndarray]  # per query: relevant chunk rows
    articles: np.ndarray  # per chunk: article label (by title, as the eval index does)
    positions: np.ndarray  # per chunk: index inside its article
    sentences: list[tuple[frozenset[str], ...]]  # per chunk: lexical.sentence_tokens
    query_weights: list[dict[str, float]]  # per query: KeywordIndex.token_weights
    best_sentence: np.ndarray  # queries × chunks: best sentence cosine (NaN: one sentence)


def _passages(eval_set: EvalSet) -> list[str]:
    return [
        passage_text(Chunk("", 0, 0, 0, len(p.text), p.text, p.title)) for p in eval_set.passages
    ]


def _articles(eval_set: EvalSet) -> tuple[np.ndarray, np.ndarray]:
    labels: dict[str, int] = {}
    articles, positions, counts = [], [], {}
    for row, passage in enumerate(eval_set.passages):
        key = f"t:{passage.title}" if passage.title else f"r:{row}"
        label = labels.setdefault(key, len(labels))
        articles.append(label)
        positions.append(counts.get(label, 0))
        counts[label] = counts.get(label, 0) + 1
    return np.array(articles), np.array(positions)


def load_matrices(
    directory: Path, embedder: CachedEmbedder, queries_from: Path | None = None
) -> SetMatrices:
    """Embed (through the cache) and score every query against every chunk of a set.

    Args:
        directory: The set.
        embedder: The cached model.
        queries_from: Take the questions from this twin set instead (same ids), to measure a
            query in one script against articles in the other.
    """
    eval_set = load_eval_set(directory)
    if queries_from is not None:
        eval_set.queries = load_eval_set(queries_from).queries
        eval_set.name = f"{eval_set.name} ← {queries_from.name} queries"
    passages = _passages(eval_set)
    row_of = {p.passage_id: i for i, p in enumerate(eval_set.passages)}
    relevant = [np.array([row_of[r] for r in q.relevant if r in row_of]) for q in eval_set.queries]
    started = time.perf_counter()
    vectors = embedder.embed_passages(passages)
    query_vectors = embedder.embed_queries([q.text for q in eval_set.queries])
    print(f"  {eval_set.name}: vectors ready ({time.perf_counter() - started:.0f} s)", flush=True)
    keyword_scores = {}
    weights: list[dict[str, float]] = []
    for key, scheme in SCHEMES.items():
        index = KeywordIndex(k1=scheme.k1, b=scheme.b)
        index.build(range(len(passages)), [scheme.passage_tokens(p) for p in passages])
        keyword_scores[key] = np.stack(
            [index.scores(scheme.query_tokens(q.text)) for q in eval_set.queries]
        )
        if key == "final":
            weights = [index.token_weights(scheme.query_tokens(q.text)) for q in eval_set.queries]
    articles, positions = _articles(eval_set)
    sentences = [sentence_tokens(p.text, p.title) for p in eval_set.passages]
    best_sentence = _best_sentence(eval_set, embedder, query_vectors)
    return SetMatrices(
        eval_set.name,
        query_vectors @ vectors.T,
        keyword_scores,
        relevant,
        articles,
        positions,
        sentences,
        weights,
        best_sentence,
    )


def _best_sentence(
    eval_set: EvalSet, embedder: CachedEmbedder, query_vectors: np.ndarray
) -> np.ndarray:
    """Cosine of each query to the nearest sentence of each chunk (as the index stores them)."""
    texts: list[str] = []
    owners: list[int] = []
    for row, passage in enumerate(eval_set.passages):
        for text in sentence_passages(passage.text, passage.title):
            texts.append(text)
            owners.append(row)
    best = np.full((len(query_vectors), len(eval_set.passages)), np.nan, dtype=np.float32)
    if not texts:
        return best
    similarity = query_vectors @ embedder.embed_passages(texts).T
    owner = np.array(owners)
    # Sentences of one chunk are adjacent: reduce each run with a maximum.
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    best[:, owner[starts]] = np.maximum.reduceat(similarity, starts, axis=1)
    return best


def metrics(rankings: Sequence[np.ndarray], relevant: Sequence[np.ndarray]) -> dict[str, float]:
    """R@1, R@10 and MRR@10 in percent (rankings: chunk rows, best first)."""
    r1 = r10 = mrr = 0.0
    for ranked, wanted in zip(rankings, relevant, strict=True):
        hits = np.isin(ranked[:10], wanted)
        r1 += hits[:1].sum() / len(wanted)
        r10 += hits.sum() / len(wanted)
        first = np.flatnonzero(hits)
        mrr += 1.0 / (first[0] + 1) if len(first) else 0.0
    count = len(relevant)
    return {"R@1": 100 * r1 / count, "R@10": 100 * r10 / count, "MRR@10": 100 * mrr / count}


def rank_single(scores: np.ndarray) -> list[np.ndarray]:
    """Top 10 rows of each query by one score matrix (ties: lower row first)."""
    return [np.argsort(-row, kind="stable")[:10] for row in scores]


def rank_semantic(data: SetMatrices, weight: float, depth: int = 100) -> list[np.ndarray]:
    """Semantic mode: the nearest ``depth`` chunks reranked with their best sentence."""
    rankings = []
    for dense, best in zip(data.dense, data.best_sentence, strict=True):
        top = np.argsort(-dense, kind="stable")[:depth]
        scores = blend_sentence_similarity(dense[top], best[top], weight)
        rankings.append(top[np.lexsort((top, -scores))[:10]])
    return rankings


def neighbour_max(values: np.ndarray, articles: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Best value among the previous and next chunk of the same article present in the pool."""
    key = articles.astype(np.int64) * 1_000_000 + positions
    order = np.argsort(key)
    sorted_key, sorted_values = key[order], values[order]
    previous, following = np.zeros_like(sorted_values), np.zeros_like(sorted_values)
    adjacent = np.diff(sorted_key) == 1
    previous[1:][adjacent] = sorted_values[:-1][adjacent]
    following[:-1][adjacent] = sorted_values[1:][adjacent]
    best = np.empty_like(sorted_values)
    best[order] = np.maximum(previous, following)
    return best


def rank_hybrid(
    data: SetMatrices,
    scheme: str,
    config: FusionConfig,
    neighbour_weight: float = 0.0,
    extra_scheme: str | None = None,
) -> list[np.ndarray]:
    """Replay the searcher's hybrid ranking for every query of a set."""
    lexical_all = data.keyword[scheme]
    rankings = []
    for query in range(len(data.relevant)):
        dense, lexical = data.dense[query], lexical_all[query]
        n = config.candidates
        top_dense = np.argpartition(-dense, n)[:n] if len(dense) > n else np.arange(len(dense))
        matching = np.flatnonzero(lexical > 0)
        if len(matching) > n:
            matching = matching[np.argpartition(-lexical[matching], n - 1)[:n]]
        pool = np.union1d(top_dense, matching)
        pool_dense = blend_sentence_similarity(
            dense[pool], data.best_sentence[query][pool], config.sentence_vector_weight
        )
        pool_lexical = lexical[pool]
        if extra_scheme is not None:
            # A second keyword field: the mean of the two max-normalized BM25 scores.
            other = data.keyword[extra_scheme][query][pool]
            pool_lexical = pool_lexical / max(pool_lexical.max(), 1e-9) + other / max(
                other.max(), 1e-9
            )
        weights, sentences = data.query_weights[query], data.sentences

        def sentence(
            positions: np.ndarray,
            pool: np.ndarray = pool,
            weights: dict[str, float] = weights,
            sentences: list[tuple[frozenset[str], ...]] = sentences,
        ) -> np.ndarray:
            return np.array([sentence_coverage(weights, sentences[pool[i]]) for i in positions])

        lead = data.positions[pool] == 0
        fused = fuse_scores(pool_dense, pool_lexical, data.articles[pool], config, sentence, lead)
        if neighbour_weight:
            fused = fused + neighbour_weight * neighbour_max(
                fused, data.articles[pool], data.positions[pool]
            )
        rankings.append(pool[np.lexsort((pool, -fused))[:10]])
    return rankings


SEMANTIC_ROW = "semantic: e5-small, title in front"
SEMANTIC_DEFAULT_ROW = "  + sentence vectors 0.5 (semantic default)"
DEFAULT_ROW = "  + sentence vectors 0.5 (default)"
FINAL = FusionConfig()
RRF = FusionConfig(method="rrf", sentence_vector_weight=0.0)
LEAD = replace(FINAL, sentence_vector_weight=0.0)
SENTENCE = replace(LEAD, lead_weight=0.0)
ARTICLE = replace(SENTENCE, sentence_weight=0.0)
CONVEX_PLAIN = replace(ARTICLE, article_weight=0.0)


#: One setting of the default changed at a time: (row label, configuration).
SENSITIVITIES: list[tuple[str, FusionConfig]] = [
    ("  sensitivity: sentence vectors 0.3", replace(FINAL, sentence_vector_weight=0.3)),
    ("  sensitivity: sentence vectors 0.7", replace(FINAL, sentence_vector_weight=0.7)),
    ("  sensitivity: sentence evidence 0.1", replace(FINAL, sentence_weight=0.1)),
    ("  sensitivity: lead passage 0.01", replace(FINAL, lead_weight=0.01)),
    ("  sensitivity: lead passage 0.06", replace(FINAL, lead_weight=0.06)),
    ("  sensitivity: dense weight 0.5", replace(FINAL, dense_weight=0.5)),
    ("  sensitivity: dense weight 0.7", replace(FINAL, dense_weight=0.7)),
    ("  sensitivity: 50 candidates per side", replace(FINAL, candidates=50)),
]


def configurations() -> list[tuple[str, Callable[[SetMatrices], list[np.ndarray]]]]:
    """The rows of the table: single modes, then the hybrid steps, then rejected variants."""
    rows: list[tuple[str, Callable[[SetMatrices], list[np.ndarray]]]] = [
        (SEMANTIC_ROW, lambda d: rank_single(d.dense)),
        (SEMANTIC_DEFAULT_ROW, lambda d: rank_semantic(d, FINAL.sentence_vector_weight)),
        ("  sentence vectors alone", lambda d: rank_semantic(d, 1.0)),
    ]
    for key, scheme in SCHEMES.items():
        rows.append((f"keyword: {scheme.name}", lambda d, key=key: rank_single(d.keyword[key])))
    rows += [
        ("hybrid: RRF k=60 (dense + Han 1–2-gram BM25)", lambda d: rank_hybrid(d, "chars", RRF)),
        ("hybrid: RRF k=60, final keyword side", lambda d: rank_hybrid(d, "final", RRF)),
        (
            "hybrid: convex 0.6 min-max dense + 0.4 BM25/max (Han 1–2-grams)",
            lambda d: rank_hybrid(d, "chars", CONVEX_PLAIN),
        ),
        ("  + question words removed", lambda d: rank_hybrid(d, "chars_q", CONVEX_PLAIN)),
        ("  + k1 0.3, b 0.3", lambda d: rank_hybrid(d, "final", CONVEX_PLAIN)),
        ("  + article keyword evidence 0.2", lambda d: rank_hybrid(d, "final", ARTICLE)),
        ("  + sentence keyword evidence 0.2", lambda d: rank_hybrid(d, "final", SENTENCE)),
        ("  + lead passage 0.03", lambda d: rank_hybrid(d, "final", LEAD)),
        (DEFAULT_ROW, lambda d: rank_hybrid(d, "final", FINAL)),
        (
            "  rejected: + neighbour evidence 0.05",
            lambda d: rank_hybrid(d, "final", FINAL, neighbour_weight=0.05),
        ),
        (
            "  rejected: + jieba-word BM25 as a second field",
            lambda d: rank_hybrid(d, "final", FINAL, extra_scheme="jieba"),
        ),
    ]
    rows += [
        (label, lambda d, config=config: rank_hybrid(d, "final", config))
        for label, config in SENSITIVITIES
    ]
    return rows


def markdown(results: dict[str, dict[str, dict[str, float]]], sets: Sequence[str]) -> str:
    """The results as a Markdown table (R@1 / R@10 / MRR@10 per set)."""
    lines = [
        "| configuration | " + " | ".join(sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for row, by_set in results.items():
        cells = [
            "{R@1:.1f} / {R@10:.1f} / **{MRR@10:.1f}**".format(**by_set[name]) for name in sets
        ]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every configuration on the chosen sets and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, help="eval folders (default: all four)")
    parser.add_argument("--model", default=None, help="model name or path (default: default)")
    parser.add_argument(
        "--no-cross-script", action="store_true", help="skip the cross-script checks"
    )
    parser.add_argument(
        "--name", default="retrieval", help="results file name (default: retrieval → .json/.md)"
    )
    arguments = parser.parse_args()
    folders = arguments.sets or [ROOT / "eval" / name for name in DEFAULT_SETS]
    cross = [] if arguments.sets or arguments.no_cross_script else list(CROSS_SCRIPT)

    from semsearch.embed import load_embedder

    embedder = CachedEmbedder(load_embedder(arguments.model))
    print(f"model {embedder.model_id} (fingerprint {embedder.fingerprint})", flush=True)
    data = [load_matrices(folder, embedder) for folder in folders]
    names = [d.name for d in data]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for label, rank in configurations():
        results[label] = {d.name: metrics(rank(d), d.relevant) for d in data}
        cells = "  ".join(
            "{R@1:5.1f} {R@10:5.1f} {MRR@10:5.1f}".format(**results[label][n]) for n in names
        )
        print(f"{label[:62]:<62} {cells}", flush=True)
    cross_results: dict[str, dict[str, dict[str, float]]] = {}
    if cross:
        print("\ncross-script: articles in one script, questions in the other", flush=True)
        cross_data = [
            load_matrices(ROOT / "eval" / corpus, embedder, ROOT / "eval" / questions)
            for corpus, questions in cross
        ]
        for label, rank in configurations():
            if label not in (
                SEMANTIC_ROW,
                SEMANTIC_DEFAULT_ROW,
                f"keyword: {SCHEMES['final'].name}",
                DEFAULT_ROW,
            ):
                continue
            cross_results[label] = {d.name: metrics(rank(d), d.relevant) for d in cross_data}
            cells = "  ".join(
                "{R@1:5.1f} {R@10:5.1f} {MRR@10:5.1f}".format(**cross_results[label][d.name])
                for d in cross_data
            )
            print(f"{label[:62]:<62} {cells}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"model": embedder.model_id, "fingerprint": embedder.fingerprint, "sets": names}
    payload["results"] = results
    payload["cross_script"] = cross_results
    (RESULTS / f"{arguments.name}.json").write_text(
        json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (RESULTS / f"{arguments.name}.md").write_text(
        f"Model {embedder.model_id} ({embedder.fingerprint}); R@1 / R@10 / MRR@10.\n\n"
        + markdown(results, names)
        + (
            "\nCross-script (articles ← questions):\n\n"
            + markdown(cross_results, list(next(iter(cross_results.values()))))
            if cross_results
            else ""
        ),
        encoding="utf-8",
    )
    embedder.close()


if __name__ == "__main__":
    main()
