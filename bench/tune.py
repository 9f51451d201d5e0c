"""Leave-one-group-out cross-validation of the keyword parameters and the fusion weights.

Every evaluation set is replayed through the ranking core on score matrices
(``bench/retrieval_matrices.py``, cached vectors), so a configuration costs seconds, not an
index build. The sets are grouped so that a set and its twin are never split between fitting
and reporting: ``cmrc2018_chunks`` and ``cmrc2018`` hold the same questions over the same
paragraphs (cut into chunks, or whole), and a set and its ``_tw`` twin are the same data. A
group's score is the mean MRR@10 of its sets.

The selection rule, declared before any figure was seen (docs/retrieval.md):

1. Keyword parameters: on the fit groups, the (k1, b) of :data:`KEYWORD_GRID` with the best mean
   over groups of ``(keyword MRR@10 + hybrid MRR@10) / 2``, hybrid with the current fusion
   weights (both modes ship, so both count).
2. Fusion weights: with that (k1, b), one pass of coordinate ascent over :data:`FUSION_AXES`,
   in their order: each weight in turn takes the value of its axis with the best mean hybrid
   MRR@10 over the fit groups, the others held at their values so far (a full grid of the
   five axes would cost an hour of replays on two cores).
3. Ties (within :data:`TIE`) go to the point nearer the current defaults (fewest changed
   values), so a change has to earn its place.

Each group is left out in turn: the rule is fitted on the others and its choice is reported on
the left-out group, beside the current defaults and two baselines (textbook BM25 k1 1.2, b 0.75
over Han 1–2-grams, and the plain convex fusion of that BM25 with the dense score). The shipped
defaults change only if the rule fitted on every group picks something else, its left-out
figures beat the current defaults' on the mean, and no group loses more than noise (twice the
standard error of the paired per-query difference of reciprocal ranks).

Usage (from the repository root; cached vectors make a run take minutes)::

    .venv/bin/python bench/tune.py
    # on a busy machine, fill the cache set by set in parallel first:
    .venv/bin/python bench/tune.py --warm cmrc2018_chunks &
    .venv/bin/python bench/tune.py --warm drcd xquad_zh &

Writes bench/results/tune.json and bench/results/tune.md; reciprocal ranks are cached under
``<user cache>/semsearch/tune/<model fingerprint>/``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval import DEPTH, hybrid_candidates, rank_single  # noqa: E402
from retrieval_matrices import (  # noqa: E402
    SCHEMES,
    SetMatrices,
    load_matrices,
    passage_texts,
)

from semsearch import ranking  # noqa: E402
from semsearch.evaluation import CachedEmbedder, load_eval_set, mrr_at_k  # noqa: E402
from semsearch.lexical import (  # noqa: E402
    DEFAULT_B,
    DEFAULT_K1,
    KeywordIndex,
    sentence_coverage,
    tokenize,
    tokenize_query,
)
from semsearch.ranking import FusionConfig  # noqa: E402

#: Groups of sets that share data: never split between fitting and reporting.
#: The traditional twins (``*_tw``) are left out of the replays: their figures equal their
#: twin's within 0.02 MRR@10 for every configuration measured (bench/results/retrieval.md),
#: and they would add a third of the cost. ``semsearch eval`` checks them for the bars.
GROUPS: dict[str, tuple[str, ...]] = {
    "cmrc2018": ("cmrc2018_chunks", "cmrc2018"),
    "xquad": ("xquad_zh",),
    "drcd": ("drcd",),
    "president_news": ("president_news",),
    "president_news_short": ("president_news_short",),
}
#: (k1, b) points: the corners from the current low saturation to the textbook values, and
#: the centre.
KEYWORD_GRID: tuple[tuple[float, float], ...] = (
    *itertools.product((0.3, 1.2), (0.3, 0.75)),
    (0.6, 0.5),
)
#: Sets with more queries than this are replayed on every second query (selection and report
#: alike): the replays must fit two cores shared with other jobs. ``semsearch eval`` gives the
#: full figures.
SUBSAMPLE_ABOVE = 2000
#: Fusion weights: each around its current value.
FUSION_AXES: dict[str, tuple[float, ...]] = {
    "dense_weight": (0.5, 0.6, 0.7),
    "article_weight": (0.1, 0.2, 0.3),
    "sentence_weight": (0.1, 0.2),
    "lead_weight": (0.0, 0.03),
    "sentence_vector_weight": (0.3, 0.5),
}
CURRENT = FusionConfig()
#: MRR@10 differences below this are ties.
TIE = 0.05
TEXTBOOK = (1.2, 0.75)
#: The plain convex fusion: calibrated dense and textbook BM25, no evidence, no sentence vectors.
CONVEX_PLAIN = replace(
    CURRENT, article_weight=0.0, sentence_weight=0.0, lead_weight=0.0, sentence_vector_weight=0.0
)
RESULTS = ROOT / "bench" / "results"
T = TypeVar("T")


@dataclass
class TunedSet:
    """One set's matrices and its keyword scores per (k1, b), computed on demand."""

    data: SetMatrices
    passage_tokens: list[list[str]]
    query_tokens: list[list[str]]

    def keyword_key(self, k1: float, b: float) -> str:
        """The key of the BM25 matrix for ``(k1, b)`` in ``data.keyword`` (computed once)."""
        key = f"k1={k1},b={b}"
        if key not in self.data.keyword:
            index = KeywordIndex(k1=k1, b=b)
            index.build(range(len(self.passage_tokens)), self.passage_tokens)
            self.data.keyword[key] = np.stack([index.scores(q) for q in self.query_tokens])
        return key

    coverage: np.ndarray | None = None  # queries × rows sentence evidence, NaN: not yet known

    def rank_hybrid(self, key: str, config: FusionConfig) -> list[np.ndarray]:
        """``retrieval.rank_hybrid`` with the sentence evidence remembered across configurations.

        Sentence evidence depends on the query and the chunk only, and computing it is most of
        a replay's time; the ranking itself is the core's (``ranking.rank_hybrid``).
        """
        data = self.data
        if self.coverage is None:
            self.coverage = np.full(data.dense.shape, np.nan, dtype=np.float32)
        rankings = []
        for query in range(len(data.queries)):
            candidates = hybrid_candidates(data, query, key, config)

            def evidence(
                positions: np.ndarray, pool: np.ndarray = candidates.ids, query: int = query
            ) -> np.ndarray:
                rows = pool[positions]
                for row in rows[np.isnan(self.coverage[query, rows])]:
                    self.coverage[query, row] = sentence_coverage(
                        data.query_weights[query], data.sentences[row]
                    )
                return self.coverage[query, rows].astype(np.float64)

            ranked = ranking.rank_hybrid(candidates, config, DEPTH, evidence)
            rankings.append(np.array([row for row, _ in ranked], dtype=np.int64))
        return rankings

    def reciprocal_ranks(self, rankings: Sequence[np.ndarray]) -> np.ndarray:
        """Per query, 1 / rank of the first relevant row in the top 10 (0 if none)."""
        ids = self.data.passage_ids
        return np.array(
            [
                mrr_at_k([ids[row] for row in ranked], query.relevant, DEPTH)
                for ranked, query in zip(rankings, self.data.queries, strict=True)
            ]
        )


def load_set(folder: Path, embedder: CachedEmbedder) -> TunedSet:
    """Matrices of one set with only the current keyword scheme (others come on demand)."""
    data = load_matrices(folder, embedder, schemes={"final": SCHEMES["final"]})
    eval_set = load_eval_set(folder)
    passages = [tokenize(text) for text in passage_texts(eval_set)]
    if len(data.queries) > SUBSAMPLE_ABOVE:
        kept = np.arange(0, len(data.queries), 2)
        data.queries = [data.queries[i] for i in kept]
        data.dense, data.best_sentence = data.dense[kept], data.best_sentence[kept]
        data.keyword = {key: scores[kept] for key, scores in data.keyword.items()}
        data.query_weights = [data.query_weights[i] for i in kept]
    queries = [tokenize_query(query.text) for query in data.queries]
    return TunedSet(data, passages, queries)


class Scorer:
    """Per-query reciprocal ranks of each (set, mode, k1, b, fusion) asked.

    Kept in memory and on disk (one ``.npy`` per key under ``cache_dir``), so that several
    processes can fill the cache set by set (``--warm``) and the selection reads it. Sets are
    loaded on first use.

    Args:
        load: Loads a set by name.
        cache_dir: Where reciprocal ranks are kept (per model fingerprint).
    """

    def __init__(self, load: Callable[[str], TunedSet], cache_dir: Path) -> None:
        self.load = load
        self.sets: dict[str, TunedSet] = {}
        self.cache_dir = cache_dir
        self.memo: dict[tuple, np.ndarray] = {}
        cache_dir.mkdir(parents=True, exist_ok=True)

    def tuned(self, name: str) -> TunedSet:
        """The set, loaded once."""
        if name not in self.sets:
            self.sets[name] = self.load(name)
        return self.sets[name]

    def _remembered(self, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self.memo:
            digest = hashlib.sha1(repr(key).encode()).hexdigest()[:20]
            path = self.cache_dir / f"{key[1]}-{digest}.npy"
            if path.is_file():
                self.memo[key] = np.load(path)
            else:
                self.memo[key] = compute()
                np.save(path, self.memo[key])
        return self.memo[key]

    def keyword(self, name: str, k1: float, b: float) -> np.ndarray:
        """Keyword mode with BM25 ``(k1, b)``."""

        def compute() -> np.ndarray:
            tuned = self.tuned(name)
            scores = tuned.data.keyword[tuned.keyword_key(k1, b)]
            return tuned.reciprocal_ranks(rank_single(scores, True))

        return self._remembered(("keyword", name, k1, b), compute)

    def hybrid(self, name: str, k1: float, b: float, config: FusionConfig) -> np.ndarray:
        """Hybrid mode with BM25 ``(k1, b)`` on the keyword side and fusion ``config``."""

        def compute() -> np.ndarray:
            tuned = self.tuned(name)
            key = tuned.keyword_key(k1, b)
            return tuned.reciprocal_ranks(tuned.rank_hybrid(key, config))

        return self._remembered(("hybrid", name, k1, b, config), compute)

    def group_mean(self, group: str, measure: Callable[[str], np.ndarray]) -> float:
        """A group's MRR@10 (percent): the mean over its sets of ``measure(set name)``."""
        return float(np.mean([100.0 * measure(name).mean() for name in GROUPS[group]]))


def warm(scorer: Scorer, names: Sequence[str]) -> None:
    """Fill the cache for some sets: the (k1, b) grid, then every one-axis fusion change at
    each of its points (what the rule asks first; its later steps combine changes)."""
    for name in names:
        scorer.keyword(name, *TEXTBOOK)
        scorer.hybrid(name, *TEXTBOOK, CONVEX_PLAIN)
        for k1, b in KEYWORD_GRID:
            scorer.keyword(name, k1, b)
            scorer.hybrid(name, k1, b, CURRENT)
            print(f"{name} k1 {k1} b {b}", flush=True)
        for k1, b in KEYWORD_GRID:
            for axis, values in FUSION_AXES.items():
                for value in values:
                    scorer.hybrid(name, k1, b, replace(CURRENT, **{axis: value}))
            print(f"{name} k1 {k1} b {b}: fusion axes", flush=True)


def changed_values(k1: float, b: float, config: FusionConfig) -> int:
    """How many values differ from the current defaults (the tie-break: fewer first)."""
    fusion = sum(getattr(config, axis) != getattr(CURRENT, axis) for axis in FUSION_AXES)
    return fusion + (k1 != DEFAULT_K1) + (b != DEFAULT_B)


def best_by(
    candidates: Sequence[T], objective: Callable[[T], float], simplicity: Callable[[T], int]
) -> T:
    """The candidate with the best objective; within :data:`TIE`, the simplest."""
    values = [objective(candidate) for candidate in candidates]
    top = max(values)
    near = [c for c, value in zip(candidates, values, strict=True) if value >= top - TIE]
    return min(near, key=simplicity)


def select(scorer: Scorer, fit: Sequence[str]) -> tuple[float, float, FusionConfig]:
    """The declared rule on the fit groups: (k1, b) first, then the fusion weights."""

    def keyword_objective(point: tuple[float, float]) -> float:
        k1, b = point
        return float(
            np.mean(
                [
                    (
                        scorer.group_mean(g, lambda n: scorer.keyword(n, k1, b))
                        + scorer.group_mean(g, lambda n: scorer.hybrid(n, k1, b, CURRENT))
                    )
                    / 2
                    for g in fit
                ]
            )
        )

    k1, b = best_by(KEYWORD_GRID, keyword_objective, lambda p: changed_values(*p, CURRENT))

    def fusion_objective(config: FusionConfig) -> float:
        return float(
            np.mean([scorer.group_mean(g, lambda n: scorer.hybrid(n, k1, b, config)) for g in fit])
        )

    config = CURRENT
    for axis, values in FUSION_AXES.items():
        options = [replace(config, **{axis: value}) for value in values]
        config = best_by(options, fusion_objective, lambda c: changed_values(k1, b, c))
        print(f"    {axis}: {getattr(config, axis)}", flush=True)
    return k1, b, config


def paired_noise(candidate: np.ndarray, baseline: np.ndarray) -> float:
    """Twice the standard error of the mean paired difference, in MRR@10 points."""
    difference = 100.0 * (candidate - baseline)
    return float(2.0 * difference.std(ddof=1) / np.sqrt(len(difference)))


def describe(k1: float, b: float, config: FusionConfig) -> dict[str, float]:
    """A chosen point as a flat dict of the tuned values."""
    return {"k1": k1, "b": b} | {axis: getattr(config, axis) for axis in FUSION_AXES}


def cross_validate(scorer: Scorer) -> dict:
    """Leave each group out, fit the rule on the rest, report on it; then fit on all."""
    folds = {}
    for left_out in GROUPS:
        started = time.perf_counter()
        fit = [g for g in GROUPS if g != left_out]
        k1, b, config = select(scorer, fit)
        folds[left_out] = report_group(scorer, left_out, k1, b, config)
        folds[left_out]["chosen"] = describe(k1, b, config)
        print(
            f"left out {left_out}: chose {describe(k1, b, config)} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        print("   ", json.dumps(folds[left_out]["sets"], ensure_ascii=False), flush=True)
    k1, b, config = select(scorer, list(GROUPS))
    everywhere = {g: report_group(scorer, g, k1, b, config) for g in GROUPS}
    return {"folds": folds, "fit_on_all": {"chosen": describe(k1, b, config), "groups": everywhere}}


def report_group(scorer: Scorer, group: str, k1: float, b: float, config: FusionConfig) -> dict:
    """Left-out figures per set: the choice, the current defaults and the baselines."""
    sets = {}
    for name in GROUPS[group]:
        chosen_h = scorer.hybrid(name, k1, b, config)
        current_h = scorer.hybrid(name, DEFAULT_K1, DEFAULT_B, CURRENT)
        chosen_k = scorer.keyword(name, k1, b)
        current_k = scorer.keyword(name, DEFAULT_K1, DEFAULT_B)
        sets[name] = {
            "hybrid chosen": round(100 * chosen_h.mean(), 2),
            "hybrid current": round(100 * current_h.mean(), 2),
            "hybrid noise": round(paired_noise(chosen_h, current_h), 2),
            "keyword chosen": round(100 * chosen_k.mean(), 2),
            "keyword current": round(100 * current_k.mean(), 2),
            "keyword noise": round(paired_noise(chosen_k, current_k), 2),
            "textbook BM25": round(100 * scorer.keyword(name, *TEXTBOOK).mean(), 2),
            "plain convex": round(100 * scorer.hybrid(name, *TEXTBOOK, CONVEX_PLAIN).mean(), 2),
        }
    return {"sets": sets}


def grid_table(scorer: Scorer) -> dict[str, dict[str, dict[str, float]]]:
    """Every (k1, b) point on every set: keyword and hybrid (current fusion) MRR@10."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for k1, b in KEYWORD_GRID:
        row = {}
        for name in (n for names in GROUPS.values() for n in names):
            row[name] = {
                "keyword": round(100 * scorer.keyword(name, k1, b).mean(), 2),
                "hybrid": round(100 * scorer.hybrid(name, k1, b, CURRENT).mean(), 2),
            }
        table[f"k1 {k1}, b {b}"] = row
        print(f"k1 {k1}, b {b}: {json.dumps(row)}", flush=True)
    return table


def markdown(payload: dict) -> str:
    """The CV table, the fit-on-all choice and the (k1, b) grid as Markdown."""
    columns = (
        "hybrid chosen",
        "hybrid current",
        "hybrid noise",
        "keyword chosen",
        "keyword current",
        "textbook BM25",
        "plain convex",
    )
    lines = [
        "Leave-one-group-out: the rule fitted on the other groups, reported on the left-out one"
        " (MRR@10).",
        "",
        "| left out | set | chosen on the others | " + " | ".join(columns) + " |",
        "|---|---|---|" + "---|" * len(columns),
    ]
    for group, fold in payload["cv"]["folds"].items():
        chosen = ", ".join(f"{k} {v}" for k, v in fold["chosen"].items())
        for name, cells in fold["sets"].items():
            values = " | ".join(f"{cells[c]:.2f}" for c in columns)
            lines.append(f"| {group} | {name} | {chosen} | {values} |")
    final = payload["cv"]["fit_on_all"]["chosen"]
    lines += ["", "Fitted on every group: " + ", ".join(f"{k} {v}" for k, v in final.items()), ""]
    names = list(next(iter(payload["grid"].values())))
    lines += [
        "Grid of (k1, b), current fusion weights: keyword / hybrid MRR@10.",
        "",
        "| k1, b | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for point, row in payload["grid"].items():
        cells = " | ".join(f"{row[n]['keyword']:.2f} / {row[n]['hybrid']:.2f}" for n in names)
        lines.append(f"| {point} | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Load every set, run the cross-validation and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model name or path (default: default)")
    parser.add_argument("--name", default="tune", help="results file name (default: tune)")
    parser.add_argument("--warm", nargs="+", metavar="SET", help="only fill the cache for these")
    arguments = parser.parse_args()

    from semsearch.embed import load_embedder
    from semsearch.evaluation import default_embedding_cache_dir

    embedder = CachedEmbedder(load_embedder(arguments.model))
    cache_dir = default_embedding_cache_dir().parent / "tune" / embedder.fingerprint
    scorer = Scorer(lambda name: load_set(ROOT / "eval" / name, embedder), cache_dir)
    if arguments.warm:
        warm(scorer, arguments.warm)
        return
    payload = {
        "model": embedder.model_id,
        "groups": GROUPS,
        "keyword_grid": KEYWORD_GRID,
        "fusion_axes": FUSION_AXES,
        "current": describe(DEFAULT_K1, DEFAULT_B, CURRENT),
        "rule": __doc__.split("The selection rule")[1].split("Usage")[0].strip(),
    }
    payload["grid"] = grid_table(scorer)
    payload["cv"] = cross_validate(scorer)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{arguments.name}.json").write_text(
        json.dumps(payload, ensure_ascii=False, indent=2, default=asdict), encoding="utf-8"
    )
    (RESULTS / f"{arguments.name}.md").write_text(markdown(payload), encoding="utf-8")
    print(markdown(payload))
    embedder.close()


if __name__ == "__main__":
    main()
