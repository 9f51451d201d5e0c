"""Article coverage at article level: the weight of ``FusionConfig.article_coverage_weight``.

With one hit per article (``semsearch query --collapse``, ``semsearch eval --articles``), the
searcher orders articles by their best hit plus ``weight × coverage × top``
(``ranking.rank_articles``): ``coverage`` is the share of the query's keyword weight that the
article's pooled chunks hold together (``lexical.article_coverage``), ``top`` the list's best
score. This script replays that step over a grid of weights, per set and mode:

1. each set's rows are written as article files and indexed through the real reading, cleaning
   and chunking (``evaluation.write_articles``, ``indexing.build``), as ``semsearch eval
   --articles`` does;
2. every query is ranked once by the real searcher's candidate ranking to the collapsing depth
   (``CandidateRanker`` in hybrid mode, the index's BM25 search in keyword mode);
3. for each weight, ``ranking.rank_articles`` orders the articles, judged as ``semsearch eval
   --articles`` judges them (weight 0 equals its figures; the shipped weight does too).

The selection rule, declared with the grid: leave one set out, pick on the others the weight
with the best mean gain over weight 0 (keyword and hybrid averaged), ties within 0.05 to the
smaller weight; a weight ships only if no set and mode loses more than noise (twice the
standard error of the paired per-query difference).

Keyword mode reads no vectors, so ``--keyword-only`` indexes with a constant embedder (no model
time). Hybrid mode embeds the article chunks through the vector cache (``evaluation.
CachedEmbedder``); a set's first run costs its chunks' embeddings (minutes to an hour on the
shared machine).

Usage::

    .venv/bin/python bench/article_coverage.py --keyword-only
    .venv/bin/python bench/article_coverage.py president_news_short xquad_zh

Writes bench/results/article_coverage.json.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import EVAL_DIR, load_average, print_table, write_result

from semsearch import lexical, ranking
from semsearch.evaluation import CachedEmbedder, load_eval_set, mrr_at_k
from semsearch.evaluation.articles import article_key, write_articles
from semsearch.progress import Progress
from semsearch.search.candidates import CandidateRanker
from semsearch.search.searcher import COLLAPSE_DEPTH_FACTOR

SETS = ("cmrc2018", "xquad_zh", "drcd", "president_news", "president_news_short")
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
#: Hits per query, as ``semsearch eval`` asks for; the searcher collapses from this many × 8.
DEPTH = 10
TIE = 0.05


class ConstantEmbedder:
    """Every text the same unit vector: indexes a set for keyword mode without model time."""

    model_id = "constant"
    dimension = 8
    fingerprint = "constant-8"

    def _vectors(self, count: int) -> np.ndarray:
        vectors = np.zeros((count, self.dimension), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Constant vectors (see :class:`semsearch.embed.Embedder`)."""
        if progress is not None:
            progress(len(texts))
        return self._vectors(len(texts))

    def embed_queries(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Constant vectors (see :class:`semsearch.embed.Embedder`)."""
        return self._vectors(len(texts))


@dataclass
class Pooled:
    """One query's ranking to the collapsing depth, with what article coverage reads."""

    ranked: list[tuple[int, float]]
    articles: list[str]
    chunks: list[tuple[str, str]]
    weights: dict[str, float]
    relevant: tuple[str, ...]


def pooled_rankings(name: str, embedder: CachedEmbedder, modes: Sequence[str]) -> dict:
    """Index a set as articles and rank every query in each mode to the collapsing depth."""
    from semsearch.indexing import build
    from semsearch.storage import open_index

    eval_set = load_eval_set(EVAL_DIR / name)
    found: dict[str, list[Pooled]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="article-coverage-") as scratch:
        files = write_articles(eval_set, eval_set.queries, Path(scratch) / "articles")
        build([files.folder], Path(scratch) / "index", embedder, rebuild=True)
        reader = open_index(Path(scratch) / "index")
        ranker = CandidateRanker(reader, ranking.FusionConfig())
        depth = DEPTH * COLLAPSE_DEPTH_FACTOR
        for query in files.queries:
            analyzed = lexical.analyze_query(query.text)
            weights = reader.keyword_weights(analyzed.tokens)
            for mode in modes:
                if mode == "keyword":
                    ranked = reader.keyword_search(analyzed.tokens, depth)
                else:
                    vector = embedder.embed_queries([query.text])[0]
                    ranked = ranker.hybrid(analyzed, vector, depth, None)
                chunks = reader.chunks([chunk_id for chunk_id, _ in ranked])
                found[mode].append(
                    Pooled(
                        ranked,
                        [article_key(chunk.path) for chunk in chunks],
                        [(chunk.text, chunk.title) for chunk in chunks],
                        weights,
                        query.relevant,
                    )
                )
        reader.close()
    return found


def reciprocal_ranks(queries: Sequence[Pooled], weight: float) -> np.ndarray:
    """Per query, 1 / rank of the first relevant article in the top 10 (0 if none)."""
    values = []
    for query in queries:
        held: dict[str, list[tuple[str, str]]] = {}
        for article, chunk in zip(query.articles, query.chunks, strict=True):
            held.setdefault(article, []).append(chunk)
        coverage = {a: lexical.article_coverage(query.weights, c) for a, c in held.items()}
        kept = ranking.rank_articles(query.ranked, query.articles, coverage, weight)
        values.append(mrr_at_k([query.articles[i] for i, _ in kept], query.relevant, DEPTH))
    return np.array(values)


def select(
    gains: dict[str, dict[float, float]], fit: Sequence[str], weights: Sequence[float] = WEIGHTS
) -> float:
    """The declared rule on the fit sets: best mean gain, ties within :data:`TIE` to the
    smaller weight."""
    means = {w: float(np.mean([gains[name][w] for name in fit])) for w in weights}
    top = max(means.values())
    return min(w for w, value in means.items() if value >= top - TIE)


def group_gains(
    runs: dict[str, dict[float, np.ndarray]],
    groups: dict[str, tuple[str, ...]],
    weights: Sequence[float],
) -> dict[str, dict[float, float]]:
    """Per group of sets, each weight's mean gain over weight 0 (MRR@10 points).

    Args:
        runs: Reciprocal ranks per weight, keyed by set name (or "set level").
        groups: Group → its set names.
        weights: The grid (0 first).

    Returns:
        Per group, the mean over its runs of each weight's gain.
    """
    return {
        group: {
            w: float(
                np.mean(
                    [
                        100 * (ranks[w].mean() - ranks[0.0].mean())
                        for run, ranks in runs.items()
                        if run.split()[0] in names
                    ]
                )
            )
            for w in weights
        }
        for group, names in groups.items()
    }


def leave_one_out(
    gains: dict[str, dict[float, float]], weights: Sequence[float]
) -> tuple[dict[str, dict[str, float]], float]:
    """:func:`select` fitted without each set (or group) in turn, and on all of them.

    Args:
        gains: Per set or group, the gain over weight 0 of each weight (MRR@10 points).
        weights: The grid.

    Returns:
        Per left-out name the weight chosen on the others and its gain there; the weight
        chosen on all.
    """
    folds = {}
    for left_out in gains:
        chosen = select(gains, [name for name in gains if name != left_out], weights)
        folds[left_out] = {"chosen": chosen, "gain": round(gains[left_out][chosen], 2)}
    return folds, select(gains, list(gains), weights)


def main() -> None:
    """Replay the grid on each set, cross-validate the weight and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", default=list(SETS))
    parser.add_argument("--keyword-only", action="store_true", help="no vectors, keyword mode")
    arguments = parser.parse_args()
    modes = ("keyword",) if arguments.keyword_only else ("keyword", "hybrid")
    if arguments.keyword_only:
        embedder = CachedEmbedder(ConstantEmbedder(), Path(tempfile.mkdtemp()))  # type: ignore[arg-type]
    else:
        from semsearch.embed import load_embedder

        embedder = CachedEmbedder(load_embedder(None))
    table: dict[str, dict[str, dict[float, np.ndarray]]] = {}
    for name in arguments.sets:
        pooled = pooled_rankings(name, embedder, modes)
        table[name] = {m: {w: reciprocal_ranks(pooled[m], w) for w in WEIGHTS} for m in modes}
        print(name, {m: round(100 * table[name][m][0.5].mean(), 2) for m in modes}, flush=True)
    # Gain over weight 0 per set: keyword and hybrid averaged (one weight for both), and per
    # mode (what a weight of each mode's own would choose).
    views = {"both": tuple(modes), **{mode: (mode,) for mode in modes}}
    folds: dict[str, dict] = {}
    fit_on_all: dict[str, float] = {}
    for view, chosen_modes in views.items():
        gains = {
            name: {
                w: float(
                    np.mean([100 * (rows[m][w].mean() - rows[m][0.0].mean()) for m in chosen_modes])
                )
                for w in WEIGHTS
            }
            for name, rows in table.items()
        }
        folds[view] = {}
        for left_out in table if len(table) > 1 else ():
            chosen = select(gains, [n for n in table if n != left_out])
            folds[view][left_out] = {"chosen": chosen, "gain": round(gains[left_out][chosen], 2)}
        fit_on_all[view] = select(gains, list(table))
    payload = {
        "load_average": load_average(),
        "weights": WEIGHTS,
        "mrr@10": {
            name: {
                m: {str(w): round(100 * r.mean(), 2) for w, r in rows.items()}
                for m, rows in modes_.items()
            }
            for name, modes_ in table.items()
        },
        "noise": {
            name: {
                m: {
                    str(w): round(
                        float(200 * np.std(r[w] - r[0.0], ddof=1) / np.sqrt(len(r[0.0]))), 2
                    )
                    for w in WEIGHTS[1:]
                }
                for m, r in modes_.items()
            }
            for name, modes_ in table.items()
        },
        "folds": folds,
        "fit on all": fit_on_all,
    }
    suffix = "_keyword" if arguments.keyword_only else ""
    write_result(f"article_coverage{suffix}", payload)
    rows = [
        [name, mode, *(f"{100 * r[w].mean():.2f}" for w in WEIGHTS)]
        for name, modes_ in table.items()
        for mode, r in modes_.items()
    ]
    print_table("MRR@10 at article level by weight", ["set", "mode", *map(str, WEIGHTS)], rows)
    print("folds:", folds, "fit on all:", payload["fit on all"])


if __name__ == "__main__":
    main()
