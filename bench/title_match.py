"""Title match in keyword mode: the weight of ``FusionConfig.title_weight``, cross-validated.

Keyword mode orders the keyword retriever's pool by BM25 plus ``weight × match × top``
(``ranking.rank_keyword``): ``match`` is the share of a chunk's title (its tokens' idf) that the
query names (``lexical.title_match``), ``top`` the pool's best BM25 score. A question that names
an article's subject (大沙地站共有几层？) then prefers the article of that name to a neighbour
whose body repeats more of the question's characters (大沙东站). This script replays keyword
mode over a grid of weights at both levels ``semsearch eval`` measures:

- passage level: every row of a set is a passage (title in front), scored by a BM25 index of
  the rows (``lexical.KeywordIndex``, as ``bench/tune.py`` replays keyword mode; equal to
  ``semsearch eval``'s keyword figures), the pool being the first 100 rows;
- article level: the rows are written as article files and indexed through the real reading,
  cleaning and chunking with a constant embedder (keyword mode reads no vectors), ranked by
  the searcher's ``CandidateRanker.keyword`` to the collapsing depth and collapsed by
  ``ranking.rank_articles`` with the shipped article coverage, as ``semsearch eval --articles``
  does (weight 0 equals its keyword figures).

The selection rule, declared with the grid: leave one group of sets out (``cmrc2018_chunks``
and ``cmrc2018`` are one group, as in ``bench/tune.py``); on the others, pick the weight with
the best mean gain over weight 0 (a group's gain: the mean over its sets and levels), ties
within 0.05 to the smaller weight. A weight ships only if the rule fitted on every group picks
it and no set loses more than noise at either level (twice the standard error of the paired
per-query difference).

Usage::

    .venv/bin/python bench/title_match.py

Writes bench/results/title_match.json.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from article_coverage import ConstantEmbedder, group_gains, leave_one_out
from common import EVAL_DIR, load_average, print_table, write_result
from tune import GROUPS, paired_noise

from semsearch import lexical, ranking
from semsearch.chunking import Chunk, passage_text
from semsearch.evaluation import CachedEmbedder, load_eval_set, mrr_at_k
from semsearch.evaluation.articles import article_key, write_articles
from semsearch.search.candidates import CandidateRanker
from semsearch.search.searcher import COLLAPSE_DEPTH_FACTOR

#: The levels measured for each set (cmrc2018_chunks is a chunking of cmrc2018: its rows are
#: not articles).
ARTICLE_LEVEL = ("cmrc2018", "xquad_zh", "drcd", "president_news", "president_news_short")
WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
DEPTH = 10
POOL = ranking.FusionConfig().candidates
TEXTBOOK = (1.2, 0.75)


def passage_level(name: str) -> tuple[dict[float, np.ndarray], np.ndarray]:
    """Reciprocal ranks per weight over whole rows, and textbook BM25's."""
    eval_set = load_eval_set(EVAL_DIR / name)
    texts = [
        passage_text(Chunk("", 0, 0, 0, len(p.text), p.text, p.title)) for p in eval_set.passages
    ]
    tokens = [lexical.tokenize(text) for text in texts]
    ids = [p.passage_id for p in eval_set.passages]
    index = lexical.KeywordIndex()
    index.build(range(len(tokens)), tokens)
    textbook = lexical.KeywordIndex(*TEXTBOOK)
    textbook.build(range(len(tokens)), tokens)
    found: dict[float, list[float]] = {w: [] for w in WEIGHTS}
    baseline = []
    for query in eval_set.queries:
        query_tokens = lexical.tokenize_query(query.text)
        scores = index.scores(query_tokens)
        pool = ranking.top_rows(scores, POOL, True)
        weights = index.token_weights(query_tokens)
        titles = [eval_set.passages[row].title for row in pool]
        match = np.array(
            [
                lexical.title_match(weights, index.token_weights(list(lexical.title_tokens(t))))
                for t in titles
            ]
        )
        for weight in WEIGHTS:
            ranked = ranking.rank_keyword(
                pool, scores[pool].astype(np.float64), match, weight, DEPTH
            )
            found[weight].append(mrr_at_k([ids[row] for row, _ in ranked], query.relevant, DEPTH))
        plain = textbook.scores(query_tokens)
        top = ranking.top_rows(plain, DEPTH, True)
        ranked = ranking.order_by_score(top, plain[top], DEPTH)
        baseline.append(mrr_at_k([ids[row] for row, _ in ranked], query.relevant, DEPTH))
    return {w: np.array(v) for w, v in found.items()}, np.array(baseline)


def article_level(name: str, embedder: CachedEmbedder) -> dict[float, np.ndarray]:
    """Reciprocal ranks per weight with one hit per article (the real index and collapsing)."""
    from semsearch.indexing import build
    from semsearch.storage import open_index

    eval_set = load_eval_set(EVAL_DIR / name)
    coverage_weight = ranking.FusionConfig().article_coverage_weight
    found: dict[float, list[float]] = {w: [] for w in WEIGHTS}
    with tempfile.TemporaryDirectory(prefix="title-match-") as scratch:
        files = write_articles(eval_set, eval_set.queries, Path(scratch) / "articles")
        build([files.folder], Path(scratch) / "index", embedder, rebuild=True)
        reader = open_index(Path(scratch) / "index")
        for query in files.queries:
            analyzed = lexical.analyze_query(query.text)
            weights = reader.keyword_weights(analyzed.tokens)
            for weight in WEIGHTS:
                ranker = CandidateRanker(reader, ranking.FusionConfig(title_weight=weight))
                ranked = ranker.keyword(analyzed, DEPTH * COLLAPSE_DEPTH_FACTOR, None)
                chunks = reader.chunks([chunk_id for chunk_id, _ in ranked])
                articles = [article_key(chunk.path) for chunk in chunks]
                held: dict[str, list[tuple[str, str]]] = {}
                for article, chunk in zip(articles, chunks, strict=True):
                    held.setdefault(article, []).append((chunk.text, chunk.title))
                coverage = {a: lexical.article_coverage(weights, c) for a, c in held.items()}
                kept = ranking.rank_articles(ranked, articles, coverage, coverage_weight)
                found[weight].append(
                    mrr_at_k([articles[i] for i, _ in kept], query.relevant, DEPTH)
                )
        reader.close()
    return {w: np.array(v) for w, v in found.items()}


def main() -> None:
    """Replay both levels on every set, cross-validate the weight and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    embedder = CachedEmbedder(ConstantEmbedder(), Path(tempfile.mkdtemp()))  # type: ignore[arg-type]
    runs: dict[str, dict[float, np.ndarray]] = {}
    textbook: dict[str, float] = {}
    for names in GROUPS.values():
        for name in names:
            runs[f"{name} passage"], baseline = passage_level(name)
            textbook[f"{name} passage"] = round(100 * baseline.mean(), 2)
            if name in ARTICLE_LEVEL:
                runs[f"{name} article"] = article_level(name, embedder)
            print(name, flush=True)
    folds, fit_on_all = leave_one_out(group_gains(runs, GROUPS, WEIGHTS), WEIGHTS)
    payload = {
        "load_average": load_average(),
        "weights": WEIGHTS,
        "mrr@10": {
            run: {str(w): round(100 * r[w].mean(), 2) for w in WEIGHTS} for run, r in runs.items()
        },
        "noise": {
            run: {str(w): round(paired_noise(r[w], r[0.0]), 2) for w in WEIGHTS[1:]}
            for run, r in runs.items()
        },
        "textbook BM25": textbook,
        "folds": folds,
        "fit on all": fit_on_all,
    }
    write_result("title_match", payload)
    rows = [[run, *(f"{100 * r[w].mean():.2f}" for w in WEIGHTS)] for run, r in runs.items()]
    print_table("Keyword MRR@10 by title weight", ["set, level", *map(str, WEIGHTS)], rows)
    print("folds:", folds, "fit on all:", payload["fit on all"])


if __name__ == "__main__":
    main()
