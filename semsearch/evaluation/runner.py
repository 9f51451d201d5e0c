"""``semsearch eval``: retrieval quality on a question set, per search mode, through the product.

:func:`run_eval` indexes a set's passages in a temporary index (each row one chunk of the
article named by its ``title``, see :func:`~semsearch.evaluation.sets.eval_documents`), runs
every question through the real :class:`~semsearch.search.Searcher` and reports Recall@1/5/10,
MRR@10, nDCG@10 (binary gains) and the median query time. With ``articles=True`` the rows are
written as article files and indexed through the real reading, cleaning and chunking instead,
and judged one hit per article (:mod:`~semsearch.evaluation.articles`). It reaches the index
only through :mod:`semsearch.storage` and :mod:`semsearch.indexing`, and the ranking only
through :mod:`semsearch.search`, so it measures exactly what ships.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.evaluation.articles import article_key, write_articles
from semsearch.evaluation.cache import CachedEmbedder
from semsearch.evaluation.metrics import RANK_CUTOFF, score_rankings
from semsearch.evaluation.sets import EvalQuery, EvalSet, eval_documents, load_eval_set
from semsearch.progress import NullReporter, Reporter

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.search import Searcher
    from semsearch.storage import EngineConfig, SearchIndex


def run_eval(
    directory: Path,
    modes: Sequence[str],
    embedder: Embedder,
    reporter: Reporter | None = None,
    cache_dir: Path | None = None,
    k: int = RANK_CUTOFF,
    limit: int | None = None,
    query_time_samples: int = 20,
    articles: bool = False,
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
        articles: Article level: each corpus row is written as a ``.txt`` article, indexed
            through the real reading, cleaning and chunking, searched with one hit per article
            and judged by article (:mod:`~semsearch.evaluation.articles`). Otherwise each row
            is one chunk and judged by row.
        engine: The storage engine of the temporary index. A Qdrant one lives where
            ``EngineConfig.qdrant_url`` says, as the index ``semsearch-eval-<set>``, replaced by
            each run.

    Returns:
        ``{"set", "level", "chunks", "queries", "model", "query_embed_ms", "modes": {mode:
        {"R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "median_ms"}}}`` (and ``"articles"`` at
        article level); metrics in percent. ``median_ms`` is the searcher's time per query with
        the query vector taken from the cache, so it measures retrieval and fusion;
        ``query_embed_ms`` is the median time to embed one query.

    Raises:
        EvalSetError: If the set cannot be read.
        SemsearchError: For an unknown mode.
    """
    from semsearch.search import Searcher
    from semsearch.storage import engine_config, open_index

    _check_modes(modes)
    eval_set = load_eval_set(directory)
    queries = eval_set.queries[:limit] if limit else eval_set.queries
    cached = CachedEmbedder(embedder, cache_dir)
    result: dict[str, Any] = {
        "set": eval_set.name,
        "level": "article" if articles else "passage",
        "chunks": len(eval_set.passages),
        "queries": len(queries),
        "model": embedder.model_id,
        "modes": {},
    }
    reporter = reporter or NullReporter()
    try:
        with tempfile.TemporaryDirectory(prefix="semsearch-eval-") as scratch:
            index_dir = Path(scratch) / _index_name(eval_set.name, engine_config(engine))
            index = _Indexed.build(eval_set, queries, index_dir, cached, reporter, articles, engine)
            reader = open_index(index_dir, engine=engine)
            try:
                key_of_chunk = index.keys_by_chunk(reader)
                if articles:
                    result["articles"] = len(eval_set.passages)
                    result["chunks"] = len(key_of_chunk)
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
                        searcher, mode, index.queries, key_of_chunk, k, reporter, articles
                    )
            finally:
                reader.close()
    finally:
        cached.close()
    return result


def _check_modes(modes: Sequence[str]) -> None:
    """Raise :class:`SemsearchError` unless ``modes`` is a non-empty list of known modes."""
    from semsearch.search import MODES

    unknown = [mode for mode in modes if mode not in MODES]
    if unknown or not modes:
        raise SemsearchError(
            f"Unknown search mode(s): {', '.join(unknown) or '(none given)'}.",
            f"Choose from {', '.join(MODES)}.",
            key="eval.unknown_mode",
            params={"modes": ", ".join(unknown) or "—", "choices": ", ".join(MODES)},
        )


@dataclass(frozen=True)
class _Indexed:
    """A set indexed for evaluation: where, the judged queries, and what a hit is judged as.

    ``passage_of`` maps ``(doc id, chunk index)`` to a row id at passage level; at article
    level it is None and a hit is judged by its article (the file written for its row).
    """

    index_dir: Path
    queries: list[EvalQuery]
    passage_of: dict[tuple[str, int], str] | None

    @classmethod
    def build(
        cls,
        eval_set: EvalSet,
        queries: list[EvalQuery],
        index_dir: Path,
        embedder: CachedEmbedder,
        reporter: Reporter,
        articles: bool,
        engine: str | EngineConfig,
    ) -> _Indexed:
        """Index the set as ``index_dir``: rows as chunks, or (``articles``) as article files
        written beside it."""
        from semsearch.indexing import build, build_from_chunks

        if articles:
            files = write_articles(eval_set, queries, index_dir.parent / "articles")
            build(
                [files.folder], index_dir, embedder, rebuild=True, reporter=reporter, engine=engine
            )
            return cls(index_dir, files.queries, None)
        documents, chunks_by_doc, passage_of = eval_documents(eval_set)
        build_from_chunks(
            index_dir, documents, chunks_by_doc, embedder, reporter=reporter, engine=engine
        )
        return cls(index_dir, queries, passage_of)

    def keys_by_chunk(self, reader: SearchIndex) -> dict[int, str]:
        """What each chunk of the index is judged as: its row id or its article key."""
        stored = reader.chunks(reader.chunk_ids().tolist())
        if self.passage_of is None:
            return {chunk.chunk_id: article_key(chunk.path) for chunk in stored}
        return {chunk.chunk_id: self.passage_of[(chunk.doc_id, chunk.index)] for chunk in stored}


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
    key_of_chunk: dict[int, str],
    k: int,
    reporter: Reporter,
    collapse: bool = False,
) -> dict[str, float]:
    """Search every query in one mode; the metrics (rounded to 0.01) and the median time.

    A hit is judged by ``key_of_chunk`` (its row, or its article); with ``collapse`` the
    searcher keeps one hit per article.
    """
    stage = f"eval {mode}"
    reporter.start(stage, len(queries))
    rankings: list[list[str]] = []
    timings: list[float] = []
    for query in queries:
        started = time.perf_counter()
        found = searcher.search(
            query.text, k=k, mode=mode, collapse=collapse, context=False, highlight=False
        )
        timings.append((time.perf_counter() - started) * 1000.0)
        rankings.append([key_of_chunk[hit.chunk_id] for hit in found.hits])
        reporter.advance(stage)
    scores = {name: round(value, 2) for name, value in score_rankings(rankings, queries).items()}
    scores["median_ms"] = round(float(np.median(timings)), 2) if timings else 0.0
    return scores
