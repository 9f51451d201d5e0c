"""Evaluation: retrieval quality of the shipped search on question sets (``semsearch eval``).

- :mod:`~semsearch.evaluation.sets`: reading a set, and its passages as articles and chunks;
- :mod:`~semsearch.evaluation.metrics`: Recall@k, MRR@k, nDCG@k and their averages;
- :mod:`~semsearch.evaluation.cache`: :class:`CachedEmbedder`, vectors embedded once per model;
- :mod:`~semsearch.evaluation.articles`: rows as article files, judged by article
  (``semsearch eval --articles``);
- :mod:`~semsearch.evaluation.runner`: :func:`run_eval`, a set through the real indexer and
  searcher;
- :mod:`~semsearch.evaluation.report`: the printed table.
"""

from __future__ import annotations

from semsearch.evaluation.articles import ArticleFiles, article_key, article_text, write_articles
from semsearch.evaluation.cache import CachedEmbedder, default_embedding_cache_dir
from semsearch.evaluation.metrics import (
    RANK_CUTOFF,
    RECALL_CUTOFFS,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    score_rankings,
)
from semsearch.evaluation.report import METRIC_COLUMNS, format_eval_table
from semsearch.evaluation.runner import run_eval
from semsearch.evaluation.sets import (
    EvalPassage,
    EvalQuery,
    EvalSet,
    EvalSetError,
    eval_documents,
    load_eval_set,
)

__all__ = [
    "METRIC_COLUMNS",
    "RANK_CUTOFF",
    "RECALL_CUTOFFS",
    "ArticleFiles",
    "CachedEmbedder",
    "EvalPassage",
    "EvalQuery",
    "EvalSet",
    "EvalSetError",
    "article_key",
    "article_text",
    "default_embedding_cache_dir",
    "eval_documents",
    "format_eval_table",
    "load_eval_set",
    "mrr_at_k",
    "ndcg_at_k",
    "recall_at_k",
    "run_eval",
    "score_rankings",
    "write_articles",
]
