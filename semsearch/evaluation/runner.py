"""``semsearch eval``: retrieval quality on a question set, per search mode, through the product.

:func:`run_eval` indexes a set's passages in a temporary index (each row one chunk of the
article named by its ``title``, see :func:`~semsearch.evaluation.sets.eval_documents`), runs
every question through the real :class:`~semsearch.search.Searcher` and reports Recall@1/5/10,
MRR@10, nDCG@10 (binary gains) and the median query time. It reaches the index only through
:mod:`semsearch.storage` and :mod:`semsearch.indexing`, and the ranking only through
:mod:`semsearch.search`, so it measures exactly what ships.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.evaluation.cache import CachedEmbedder
from semsearch.evaluation.metrics import RANK_CUTOFF, score_rankings
from semsearch.evaluation.sets import EvalQuery, eval_documents, load_eval_set
from semsearch.progress import NullReporter, Reporter

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.search import Searcher
    from semsearch.storage import EngineConfig


def run_eval(
    directory: Path,
    modes: Sequence[str],
    embedder: Embedder,
    reporter: Reporter | None = None,
    cache_dir: Path | None = None,
    k: int = RANK_CUTOFF,
    limit: int | None = None,
    query_time_samples: int = 20,
    engine: str | EngineConfig = "local",
) -> dict[str, Any]:
    """Index an evaluation set in a temporary index and measure each search mode on it.

    Args:
        directory: The set's folder (``corpus.jsonl``, ``queries.jsonl``).
        modes: Search modes to measure (``hybrid``, ``semantic``, ``keyword``).
        embedder: The model (wrapped in a :class:`CachedEmbedder` here).
        reporter: Receives progress (indexing, then one stage per mode).
        cache_dir: Where vectors are cached (default
            :func:`~semsearch.evaluation.cache.default_embedding_cache_dir`).
        k: Results retrieved per query (metrics use cut-offs up to 10).
        limit: Only the first ``limit`` queries (for quick checks).
        query_time_samples: Queries embedded without the cache to time the model's share of a
            query (0 to skip).
        engine: The storage engine of the temporary index. A Qdrant one lives where
            ``EngineConfig.qdrant_url`` says, as the index ``semsearch-eval-<set>``, replaced by
            each run.

    Returns:
        ``{"set", "chunks", "queries", "model", "query_embed_ms", "modes": {mode: {"R@1", "R@5",
        "R@10", "MRR@10", "nDCG@10", "median_ms"}}}``; metrics in percent. ``median_ms`` is the
        searcher's time per query with the query vector taken from the cache, so it measures
        retrieval and fusion; ``query_embed_ms`` is the median time to embed one query.

    Raises:
        EvalSetError: If the set cannot be read.
        SemsearchError: For an unknown mode.
    """
    from semsearch.indexing import build_from_chunks
    from semsearch.search import MODES, Searcher
    from semsearch.storage import engine_config, open_index

    unknown = [mode for mode in modes if mode not in MODES]
    if unknown or not modes:
        raise SemsearchError(
            f"Unknown search mode(s): {', '.join(unknown) or '(none given)'}.",
            f"Choose from {', '.join(MODES)}.",
        )
    eval_set = load_eval_set(directory)
    queries = eval_set.queries[:limit] if limit else eval_set.queries
    documents, chunks_by_doc, passage_of = eval_documents(eval_set)
    cached = CachedEmbedder(embedder, cache_dir)
    result: dict[str, Any] = {
        "set": eval_set.name,
        "chunks": len(eval_set.passages),
        "queries": len(queries),
        "model": embedder.model_id,
        "modes": {},
    }
    reporter = reporter or NullReporter()
    try:
        with tempfile.TemporaryDirectory(prefix="semsearch-eval-") as scratch:
            index_dir = Path(scratch) / _index_name(eval_set.name, engine_config(engine))
            build_from_chunks(
                index_dir, documents, chunks_by_doc, cached, reporter=reporter, engine=engine
            )
            reader = open_index(index_dir, engine=engine)
            try:
                passage_by_chunk = {
                    chunk.chunk_id: passage_of[(chunk.doc_id, chunk.index)]
                    for chunk in reader.chunks(reader.chunk_ids().tolist())
                }
                if any(mode != "keyword" for mode in modes):
                    # One batch call fills the cache, so each search below only looks its
                    # vector up; the model's own share of a query is timed apart.
                    reporter.start("embed queries", len(queries))
                    cached.embed_queries([q.text for q in queries])
                    reporter.advance("embed queries", len(queries))
                    result["query_embed_ms"] = _median_embed_ms(
                        embedder, queries, query_time_samples
                    )
                searcher = Searcher(reader, cached)
                for mode in modes:
                    result["modes"][mode] = _run_mode(
                        searcher, mode, queries, passage_by_chunk, k, reporter
                    )
            finally:
                reader.close()
    finally:
        cached.close()
    return result


def _index_name(set_name: str, engine: EngineConfig) -> str:
    """The temporary index's name: a Qdrant place outside the scratch folder may be shared, so
    the index there is named after the set (each run replaces it)."""
    if engine.name != "qdrant" or not (engine.qdrant_url or settings.default_qdrant_url()):
        return "index"
    return "semsearch-eval-" + re.sub(r"[^A-Za-z0-9_-]", "-", set_name)


def _median_embed_ms(embedder: Embedder, queries: Sequence[EvalQuery], samples: int) -> float:
    """Median milliseconds to embed one query with the model itself (no cache)."""
    if samples <= 0 or not queries:
        return 0.0
    step = max(1, len(queries) // samples)
    timings = []
    for query in list(queries)[::step][:samples]:
        started = time.perf_counter()
        embedder.embed_queries([query.text])
        timings.append((time.perf_counter() - started) * 1000.0)
    return round(float(np.median(timings)), 2)


def _run_mode(
    searcher: Searcher,
    mode: str,
    queries: Sequence[EvalQuery],
    passage_by_chunk: dict[int, str],
    k: int,
    reporter: Reporter,
) -> dict[str, float]:
    """Search every query in one mode; the metrics (rounded to 0.01) and the median time."""
    stage = f"eval {mode}"
    reporter.start(stage, len(queries))
    rankings: list[list[str]] = []
    timings: list[float] = []
    for query in queries:
        started = time.perf_counter()
        found = searcher.search(query.text, k=k, mode=mode, context=False, highlight=False)
        timings.append((time.perf_counter() - started) * 1000.0)
        rankings.append([passage_by_chunk[hit.chunk_id] for hit in found.hits])
        reporter.advance(stage)
    scores = {name: round(value, 2) for name, value in score_rankings(rankings, queries).items()}
    scores["median_ms"] = round(float(np.median(timings)), 2) if timings else 0.0
    return scores
