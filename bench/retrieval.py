"""Retrieval quality benchmark: every step from plain BM25 and dense search to the hybrid default.

For each evaluation set it computes the full query × chunk score matrices once (dense cosine from
cached vectors, BM25 for each token scheme, the cosine of each chunk's best sentence), then, for
every configuration, replays what :class:`semsearch.search.Searcher` does with the ranking core
(:mod:`semsearch.ranking`): each retriever's top ``candidates`` rows (``ranking.top_rows``, ties
to the lower row as the engines give them to the lower chunk id), their union as
``ranking.Candidates``, and ``ranking.rank_hybrid`` / ``ranking.rank_semantic``. Articles are
the product's (``evaluation.eval_documents``) and the figures are ``semsearch eval``'s
(``evaluation.score_rankings``), so the default rows equal ``semsearch eval``'s. Rows are
cumulative steps; docs/retrieval.md explains each and what it gained. The two rejected
experiments (neighbour evidence, a second keyword field) are built on the core's output and
inputs; the product ships neither.

Usage (from the repository root; the first run embeds ~20k texts, later runs use the cache)::

    .venv/bin/python bench/retrieval.py                  # all four sets
    .venv/bin/python bench/retrieval.py eval/xquad_zh    # one set

Writes bench/results/retrieval.json and bench/results/retrieval.md (``--name`` changes the
file name, e.g. for a run with ``SEMSEARCH_BACKEND=torch``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_matrices import SCHEMES, SetMatrices, load_matrices  # noqa: E402

from semsearch import ranking  # noqa: E402
from semsearch.evaluation import CachedEmbedder, score_rankings  # noqa: E402
from semsearch.lexical import DEFAULT_B, DEFAULT_K1, sentence_coverage  # noqa: E402
from semsearch.ranking import FusionConfig  # noqa: E402

DEFAULT_SETS = ("cmrc2018_chunks", "xquad_zh", "cmrc2018_chunks_tw", "xquad_zh_tw")
#: Cross-script checks: (articles, questions) — traditional articles, simplified questions and
#: the reverse.
CROSS_SCRIPT = (
    ("cmrc2018_chunks_tw", "cmrc2018_chunks"),
    ("cmrc2018_chunks", "cmrc2018_chunks_tw"),
    ("xquad_zh_tw", "xquad_zh"),
    ("xquad_zh", "xquad_zh_tw"),
)
#: Hits per query, as ``semsearch eval`` asks for.
DEPTH = 10

RESULTS = ROOT / "bench" / "results"


def metrics(rankings: Sequence[np.ndarray], data: SetMatrices) -> dict[str, float]:
    """R@1, R@10 and MRR@10 in percent, as ``semsearch eval`` computes them (rows, best first)."""
    ranked_ids = [[data.passage_ids[row] for row in ranked] for ranked in rankings]
    scores = score_rankings(ranked_ids, data.queries)
    return {name: scores[name] for name in ("R@1", "R@10", "MRR@10")}


def _rows(ranked: Sequence[tuple[int, float]]) -> np.ndarray:
    return np.array([row for row, _ in ranked], dtype=np.int64)


def rank_single(scores: np.ndarray, positive_only: bool = False) -> list[np.ndarray]:
    """One retriever on its own, as the engine answers it: the best rows by one score matrix.

    Args:
        scores: Queries × chunks.
        positive_only: Only rows scoring above 0 (a keyword search returns only chunks that
            share a token with the query).
    """
    rankings = []
    for row in scores:
        top = ranking.top_rows(row, DEPTH, positive_only)
        rankings.append(_rows(ranking.order_by_score(top, row[top], DEPTH)))
    return rankings


def rank_semantic(data: SetMatrices, config: FusionConfig) -> list[np.ndarray]:
    """Semantic mode: the nearest chunks reranked with their best sentence (``rank_semantic``)."""
    rankings = []
    for dense, best in zip(data.dense, data.best_sentence, strict=True):
        top = ranking.top_rows(dense, max(config.candidates, DEPTH))
        rankings.append(_rows(ranking.rank_semantic(top, dense[top], best[top], config, DEPTH)))
    return rankings


def hybrid_candidates(
    data: SetMatrices, query: int, scheme: str, config: FusionConfig
) -> ranking.Candidates:
    """The searcher's pool for one query: both retrievers' top rows, scored on both sides."""
    dense, lexical = data.dense[query], data.keyword[scheme][query]
    size = max(config.candidates, DEPTH)
    pool = np.union1d(
        ranking.top_rows(dense, size), ranking.top_rows(lexical, size, positive_only=True)
    )
    return ranking.Candidates(
        ids=pool,
        dense=dense[pool],
        best_sentence=data.best_sentence[query][pool],
        lexical=lexical[pool],
        articles=data.articles[pool],
        lead=data.positions[pool] == 0,
    )


def sentence_evidence(data: SetMatrices, query: int, pool: np.ndarray) -> ranking.SentenceEvidence:
    """The searcher's sentence evidence for a pool, from the precomputed sentence tokens."""
    weights = data.query_weights[query]

    def evidence(positions: np.ndarray) -> np.ndarray:
        return np.array([sentence_coverage(weights, data.sentences[pool[i]]) for i in positions])

    return evidence


#: Ranks one query's pool: (query, candidates, their sentence evidence) → ``(row, score)`` pairs.
PoolRanker = Callable[[int, ranking.Candidates, ranking.SentenceEvidence], list[tuple[int, float]]]


def rank_pools(
    data: SetMatrices, scheme: str, config: FusionConfig, rank_pool: PoolRanker
) -> list[np.ndarray]:
    """Build each query's pool as the searcher does and rank it with ``rank_pool``."""
    rankings = []
    for query in range(len(data.queries)):
        candidates = hybrid_candidates(data, query, scheme, config)
        evidence = sentence_evidence(data, query, candidates.ids)
        rankings.append(_rows(rank_pool(query, candidates, evidence)))
    return rankings


def rank_hybrid(data: SetMatrices, scheme: str, config: FusionConfig) -> list[np.ndarray]:
    """Hybrid mode with one keyword scheme, for every query of a set (``rank_hybrid``)."""
    return rank_pools(
        data,
        scheme,
        config,
        lambda _, candidates, evidence: ranking.rank_hybrid(candidates, config, DEPTH, evidence),
    )


# -- rejected experiments: built on the core, not shipped --------------------------------------


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


def experiment_neighbour_evidence(
    data: SetMatrices, config: FusionConfig, weight: float
) -> list[np.ndarray]:
    """Rejected: add ``weight`` times the best fused score of a chunk's pooled neighbours."""

    def rank_pool(
        _: int, candidates: ranking.Candidates, evidence: ranking.SentenceEvidence
    ) -> list[tuple[int, float]]:
        # Every candidate with its fused score, from the core, then the neighbours' share.
        fused_pairs = ranking.rank_hybrid(candidates, config, len(candidates.ids), evidence)
        rows = _rows(fused_pairs)
        fused = np.array([score for _, score in fused_pairs])
        fused = fused + weight * neighbour_max(fused, data.articles[rows], data.positions[rows])
        return ranking.order_by_score(rows, fused, DEPTH)

    return rank_pools(data, "final", config, rank_pool)


def experiment_passage_coverage(
    data: SetMatrices, config: FusionConfig, weight: float
) -> list[np.ndarray]:
    """Rejected (issue 16, round 3): article coverage at passage level.

    Each pooled chunk's fused score gains ``weight × coverage × the pool's best fused score``,
    ``coverage`` being the share of the query's keyword weight that the pooled chunks of its
    article hold together (``ranking.rank_articles``'s evidence, without collapsing).
    """

    def rank_pool(
        query: int, candidates: ranking.Candidates, evidence: ranking.SentenceEvidence
    ) -> list[tuple[int, float]]:
        fused_pairs = ranking.rank_hybrid(candidates, config, len(candidates.ids), evidence)
        if not weight or not fused_pairs:
            return fused_pairs[:DEPTH]
        rows = _rows(fused_pairs)
        fused = np.array([score for _, score in fused_pairs])
        weights = data.query_weights[query]
        wanted = frozenset(weights)
        held: dict[int, set[str]] = {}
        for row in rows:
            tokens = held.setdefault(int(data.articles[row]), set())
            for sentence in data.sentences[row]:
                tokens |= wanted & sentence
        coverage = {a: sentence_coverage(weights, (frozenset(t),)) for a, t in held.items()}
        shares = np.array([coverage[int(data.articles[row])] for row in rows])
        fused = fused + weight * max(fused[0], 0.0) * shares
        return ranking.order_by_score(rows, fused, DEPTH)

    return rank_pools(data, "final", config, rank_pool)


def experiment_second_keyword_field(
    data: SetMatrices, config: FusionConfig, second: str
) -> list[np.ndarray]:
    """Rejected: the keyword side as the mean of two max-normalized BM25 fields."""

    def rank_pool(
        query: int, candidates: ranking.Candidates, evidence: ranking.SentenceEvidence
    ) -> list[tuple[int, float]]:
        first = candidates.lexical
        other = data.keyword[second][query][candidates.ids]
        lexical = first / max(first.max(), 1e-9) + other / max(other.max(), 1e-9)
        return ranking.rank_hybrid(replace(candidates, lexical=lexical), config, DEPTH, evidence)

    return rank_pools(data, "final", config, rank_pool)


SEMANTIC_ROW = "semantic: e5-small, title in front"
SEMANTIC_DEFAULT_ROW = "  + sentence vectors 0.5 (semantic default)"
DEFAULT_ROW = "  + sentence vectors 0.5 (default)"
FINAL = FusionConfig()
RRF = FusionConfig(method="rrf", sentence_vector_weight=0.0)
LEAD = replace(FINAL, sentence_vector_weight=0.0)
SENTENCE = replace(LEAD, lead_weight=0.0)
ARTICLE = replace(SENTENCE, sentence_weight=0.0)
CONVEX_PLAIN = replace(ARTICLE, article_weight=0.0)
SENTENCE_VECTORS_ALONE = replace(FINAL, sentence_vector_weight=1.0)


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
        (SEMANTIC_DEFAULT_ROW, lambda d: rank_semantic(d, FINAL)),
        ("  sentence vectors alone", lambda d: rank_semantic(d, SENTENCE_VECTORS_ALONE)),
    ]
    for key, scheme in SCHEMES.items():
        rows.append(
            (f"keyword: {scheme.name}", lambda d, key=key: rank_single(d.keyword[key], True))
        )
    rows += [
        ("hybrid: RRF k=60 (dense + Han 1–2-gram BM25)", lambda d: rank_hybrid(d, "chars", RRF)),
        ("hybrid: RRF k=60, final keyword side", lambda d: rank_hybrid(d, "final", RRF)),
        (
            "hybrid: convex 0.6 min-max dense + 0.4 BM25/max (Han 1–2-grams)",
            lambda d: rank_hybrid(d, "chars", CONVEX_PLAIN),
        ),
        ("  + question words removed", lambda d: rank_hybrid(d, "chars_q", CONVEX_PLAIN)),
        (f"  + k1 {DEFAULT_K1}, b {DEFAULT_B}", lambda d: rank_hybrid(d, "final", CONVEX_PLAIN)),
        ("  + article keyword evidence 0.2", lambda d: rank_hybrid(d, "final", ARTICLE)),
        ("  + sentence keyword evidence 0.2", lambda d: rank_hybrid(d, "final", SENTENCE)),
        ("  + lead passage 0.03", lambda d: rank_hybrid(d, "final", LEAD)),
        (DEFAULT_ROW, lambda d: rank_hybrid(d, "final", FINAL)),
        (
            "  rejected: + neighbour evidence 0.05",
            lambda d: experiment_neighbour_evidence(d, FINAL, 0.05),
        ),
        (
            "  rejected: + jieba-word BM25 as a second field",
            lambda d: experiment_second_keyword_field(d, FINAL, "jieba"),
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
        results[label] = {d.name: metrics(rank(d), d) for d in data}
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
            cross_results[label] = {d.name: metrics(rank(d), d) for d in cross_data}
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
