"""``semsearch eval``: retrieval quality on a question set, per search mode.

An evaluation set is a folder with ``corpus.jsonl`` (passages: ``id``, ``text``, ``title``) and
``queries.jsonl`` (questions: ``id``, ``text``, ``relevant`` passage ids), the format of the
shared sets described in ``eval/README.md``. :func:`run_eval` indexes the passages in a
temporary index, each row one chunk of the article named by its ``title`` (rows with the same
title form one article, in file order, so neighbouring-chunk evidence works as in a real index),
runs every question through the real :class:`~semsearch.search.Searcher` and reports
Recall@1/5/10, MRR@10, nDCG@10 (binary gains) and the median query time.

Passage and query vectors are cached on disk, keyed by the model fingerprint and the text, so a
second run of the same set costs no model time.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.progress import Reporter

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.embed import Embedder
    from semsearch.ingest import Document
    from semsearch.search import Searcher
    from semsearch.storage import EngineConfig

#: The cut-offs reported by ``semsearch eval``.
RECALL_CUTOFFS: tuple[int, ...] = (1, 5, 10)
RANK_CUTOFF = 10


class EvalSetError(SemsearchError):
    """An evaluation folder is missing a file or holds a malformed line."""


@dataclass(frozen=True)
class EvalPassage:
    """One corpus row of an evaluation set."""

    passage_id: str
    text: str
    title: str


@dataclass(frozen=True)
class EvalQuery:
    """One question with the ids of the passages that answer it."""

    query_id: str
    text: str
    relevant: tuple[str, ...]


@dataclass
class EvalSet:
    """A loaded evaluation set: its name (the folder name), passages and queries."""

    name: str
    directory: Path
    passages: list[EvalPassage]
    queries: list[EvalQuery] = field(default_factory=list)


def _read_jsonl(path: Path, required: Sequence[str]) -> list[dict]:
    if not path.is_file():
        raise EvalSetError(
            f"{path} is missing.",
            "An evaluation set is a folder with corpus.jsonl and queries.jsonl "
            "(see eval/README.md).",
        )
    rows: list[dict] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalSetError(
                    f"{path}, line {line_no}: not valid JSON ({error.msg}).",
                    "Each line must be one JSON object.",
                ) from error
            missing = [key for key in required if not isinstance(row, dict) or key not in row]
            if missing:
                raise EvalSetError(
                    f"{path}, line {line_no}: missing field(s) {', '.join(missing)}.",
                    f"Each line needs: {', '.join(required)}.",
                )
            rows.append(row)
    return rows


def load_eval_set(directory: Path) -> EvalSet:
    """Read an evaluation folder (``corpus.jsonl`` + ``queries.jsonl``).

    Args:
        directory: The folder.

    Returns:
        The set; queries whose relevant ids are all unknown are kept (they score zero), so a
        broken set shows up as low figures rather than silently shrinking.

    Raises:
        EvalSetError: If the folder or a file is missing, a line is not JSON or lacks a field,
            a passage id repeats, or there are no passages or no queries.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise EvalSetError(
            f"Evaluation folder {directory} does not exist.",
            "Give a folder with corpus.jsonl and queries.jsonl, e.g. eval/cmrc2018_chunks.",
        )
    corpus_path = directory / "corpus.jsonl"
    queries_path = directory / "queries.jsonl"
    corpus_rows = _read_jsonl(corpus_path, ("id", "text"))
    query_rows = _read_jsonl(queries_path, ("id", "text", "relevant"))
    passages = [
        EvalPassage(str(row["id"]), str(row["text"]), str(row.get("title") or ""))
        for row in corpus_rows
    ]
    seen: set[str] = set()
    for passage in passages:
        if passage.passage_id in seen:
            raise EvalSetError(
                f"{corpus_path}: passage id {passage.passage_id!r} appears twice.",
                "Passage ids must be unique.",
            )
        seen.add(passage.passage_id)
    queries = []
    for row in query_rows:
        relevant = row["relevant"]
        if isinstance(relevant, str):
            relevant = [relevant]
        queries.append(EvalQuery(str(row["id"]), str(row["text"]), tuple(map(str, relevant))))
    if not passages:
        raise EvalSetError(f"{corpus_path} holds no passages.", "Add at least one passage.")
    if not queries:
        raise EvalSetError(f"{queries_path} holds no queries.", "Add at least one query.")
    return EvalSet(directory.name, directory, passages, queries)


# ---------------------------------------------------------------------------------------------
# Metrics (per query; average them over queries)
# ---------------------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant items found in the first ``k`` results.

    Args:
        ranked: Result ids, best first.
        relevant: The ids that answer the query.
        k: The cut-off.

    Returns:
        ``|relevant ∩ ranked[:k]| / |relevant|`` (0 when nothing is relevant).
    """
    if not relevant:
        return 0.0
    relevant_set = set(relevant)
    return len(relevant_set.intersection(ranked[:k])) / len(relevant_set)


def mrr_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Reciprocal rank of the first relevant result within the first ``k`` (0 if none).

    Args:
        ranked: Result ids, best first.
        relevant: The ids that answer the query.
        k: The cut-off.
    """
    relevant_set = set(relevant)
    for position, item in enumerate(ranked[:k], start=1):
        if item in relevant_set:
            return 1.0 / position
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Normalized discounted cumulative gain at ``k`` with binary gains.

    DCG adds ``1 / log2(position + 1)`` for each relevant result in the first ``k``; the ideal
    DCG puts all relevant items first.

    Args:
        ranked: Result ids, best first.
        relevant: The ids that answer the query.
        k: The cut-off.
    """
    relevant_set = set(relevant)
    if not relevant_set:
        return 0.0
    dcg = sum(
        1.0 / math.log2(position + 1)
        for position, item in enumerate(ranked[:k], start=1)
        if item in relevant_set
    )
    ideal = sum(
        1.0 / math.log2(position + 1) for position in range(1, min(len(relevant_set), k) + 1)
    )
    return dcg / ideal


def score_rankings(
    rankings: Sequence[Sequence[str]], queries: Sequence[EvalQuery]
) -> dict[str, float]:
    """Average every reported metric over queries, in percent.

    Args:
        rankings: For each query, the result ids, best first.
        queries: The queries, same order.

    Returns:
        ``{"R@1", "R@5", "R@10", "MRR@10", "nDCG@10"}`` in percent (0–100).
    """
    if len(rankings) != len(queries):
        raise ValueError(f"{len(rankings)} rankings for {len(queries)} queries")
    count = max(len(queries), 1)
    totals = {f"R@{k}": 0.0 for k in RECALL_CUTOFFS}
    totals[f"MRR@{RANK_CUTOFF}"] = 0.0
    totals[f"nDCG@{RANK_CUTOFF}"] = 0.0
    for ranked, query in zip(rankings, queries, strict=True):
        for k in RECALL_CUTOFFS:
            totals[f"R@{k}"] += recall_at_k(ranked, query.relevant, k)
        totals[f"MRR@{RANK_CUTOFF}"] += mrr_at_k(ranked, query.relevant, RANK_CUTOFF)
        totals[f"nDCG@{RANK_CUTOFF}"] += ndcg_at_k(ranked, query.relevant, RANK_CUTOFF)
    return {name: 100.0 * value / count for name, value in totals.items()}


# ---------------------------------------------------------------------------------------------
# Embedding cache
# ---------------------------------------------------------------------------------------------


def default_embedding_cache_dir() -> Path:
    """Where cached vectors live: ``embeddings/`` beside the model cache."""
    return settings.default_model_cache().parent / "embeddings"


class CachedEmbedder:
    """An :class:`~semsearch.embed.Embedder` that remembers every vector it computed.

    Vectors are kept in one SQLite file per model fingerprint, keyed by the kind (passage or
    query, which the model prefixes differently) and the SHA-256 of the text. Only texts not seen
    before reach the wrapped model.

    Args:
        embedder: The real model.
        cache_dir: Folder of the cache files (default :func:`default_embedding_cache_dir`).
    """

    def __init__(self, embedder: Embedder, cache_dir: Path | None = None) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        self.fingerprint = embedder.fingerprint
        directory = Path(cache_dir) if cache_dir is not None else default_embedding_cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{embedder.fingerprint}.sqlite"
        self._lock = threading.Lock()
        # One connection per instance; timeout covers another process writing the same cache.
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self._db.commit()
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        """Close the cache file."""
        self._db.close()

    @staticmethod
    def _key(kind: str, text: str) -> str:
        return hashlib.sha256(f"{kind}\0{text}".encode()).hexdigest()

    def _lookup(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            batch = unique[start : start + 500]
            marks = ",".join("?" * len(batch))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch
                ).fetchall()
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if len(vector) == self.dimension:
                    found[key] = vector
        return found

    def _embed(
        self,
        kind: str,
        texts: Sequence[str],
        compute: Callable[[list[str]], np.ndarray],
        progress: Callable[[int], None] | None,
    ) -> np.ndarray:
        keys = [self._key(kind, text) for text in texts]
        found = self._lookup(keys)
        missing = list(
            dict.fromkeys(t for t, key in zip(texts, keys, strict=True) if key not in found)
        )
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if progress is not None and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        # Embed and store in slices so an interrupted run keeps what it already paid for.
        for start in range(0, len(missing), 256):
            batch = missing[start : start + 256]
            vectors = np.asarray(compute(batch), dtype=np.float32)
            rows = []
            for text, vector in zip(batch, vectors, strict=True):
                key = self._key(kind, text)
                found[key] = vector
                rows.append((key, vector.tobytes()))
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                self._db.commit()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def embed_passages(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed passages, reusing cached vectors (see the Embedder protocol)."""
        return self._embed(
            "passage",
            texts,
            lambda batch: self.embedder.embed_passages(batch, batch_size, progress),
            progress,
        )

    def embed_queries(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed queries, reusing cached vectors (see the Embedder protocol).

        Each query is embedded on its own, as the searcher embeds a user's query: with int8
        weights, activations are quantized per batch, so a query embedded among others gets a
        slightly different vector (measured: ±0.2 MRR@10 on xquad_zh).
        """

        def one_by_one(batch: list[str]) -> np.ndarray:
            return np.vstack([self.embedder.embed_queries([text], progress) for text in batch])

        return self._embed("query-alone", texts, one_by_one, progress)


# ---------------------------------------------------------------------------------------------
# Running an evaluation through the real index and searcher
# ---------------------------------------------------------------------------------------------


def eval_documents(eval_set: EvalSet) -> tuple[list[Document], dict[str, list[Chunk]], dict]:
    """Turn corpus rows into articles and chunks, as a real index would hold them.

    Rows sharing a ``title`` form one article, in file order: each row is one chunk and one
    paragraph of it, so chunk order and article membership (all that neighbour and article
    evidence use) are real. A row without a title is an article of its own. The eval-only
    ``parent`` field is not used.

    Args:
        eval_set: A loaded set.

    Returns:
        The documents, their chunks by doc id, and a map ``(doc_id, chunk index) → passage id``.
    """
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document

    rows_by_article: dict[str, list[EvalPassage]] = {}
    for number, passage in enumerate(eval_set.passages):
        key = f"title:{passage.title}" if passage.title else f"row:{number}"
        rows_by_article.setdefault(key, []).append(passage)
    documents: list[Document] = []
    chunks_by_doc: dict[str, list[Chunk]] = {}
    passage_of: dict[tuple[str, int], str] = {}
    for number, rows in enumerate(rows_by_article.values()):
        doc_id = f"{eval_set.name}-{number:06d}"
        title = rows[0].title
        chunks: list[Chunk] = []
        offset = 0
        for index, row in enumerate(rows):
            chunks.append(
                Chunk(
                    doc_id=doc_id,
                    index=index,
                    paragraph=index,
                    start=offset,
                    end=offset + len(row.text),
                    text=row.text,
                    title=title,
                )
            )
            passage_of[(doc_id, index)] = row.passage_id
            offset += len(row.text) + 1  # the "\n" between paragraphs
        text = "\n".join(row.text for row in rows)
        documents.append(
            Document(
                doc_id=doc_id,
                path=f"{eval_set.name}/{title or rows[0].passage_id}",
                title=title,
                text=text,
                date=None,
                source=None,
                author=None,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                script="unknown",
            )
        )
        chunks_by_doc[doc_id] = chunks
    return documents, chunks_by_doc, passage_of


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
        cache_dir: Where vectors are cached (default :func:`default_embedding_cache_dir`).
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
    import tempfile

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
    try:
        with tempfile.TemporaryDirectory(prefix="semsearch-eval-") as scratch:
            index_dir = Path(scratch) / _index_name(eval_set.name, engine_config(engine))
            build_from_chunks(
                index_dir, documents, chunks_by_doc, cached, reporter=reporter, engine=engine
            )
            reader = open_index(index_dir, engine=engine)
            try:
                all_ids = reader.chunk_ids()
                passage_by_chunk = {
                    chunk.chunk_id: passage_of[(chunk.doc_id, chunk.index)]
                    for chunk in reader.chunks(all_ids.tolist())
                }
                if any(mode != "keyword" for mode in modes):
                    # One batch call fills the cache, so each search below only looks its
                    # vector up; the model's own share of a query is timed apart.
                    _announce(reporter, "embed queries", len(queries))
                    cached.embed_queries([q.text for q in queries])
                    _advance(reporter, "embed queries", len(queries))
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


def _announce(reporter: Reporter | None, stage: str, total: int) -> None:
    if reporter is not None:
        reporter.start(stage, total)


def _advance(reporter: Reporter | None, stage: str, n: int = 1) -> None:
    if reporter is not None:
        reporter.advance(stage, n)


def _median_embed_ms(embedder: Embedder, queries: Sequence[EvalQuery], samples: int) -> float:
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
    reporter: Reporter | None,
) -> dict[str, float]:
    stage = f"eval {mode}"
    _announce(reporter, stage, len(queries))
    rankings: list[list[str]] = []
    timings: list[float] = []
    for query in queries:
        started = time.perf_counter()
        found = searcher.search(query.text, k=k, mode=mode, context=False, highlight=False)
        timings.append((time.perf_counter() - started) * 1000.0)
        rankings.append([passage_by_chunk[hit.chunk_id] for hit in found.hits])
        _advance(reporter, stage)
    scores = {name: round(value, 2) for name, value in score_rankings(rankings, queries).items()}
    scores["median_ms"] = round(float(np.median(timings)), 2) if timings else 0.0
    return scores


#: Column order of the printed table.
METRIC_COLUMNS: tuple[str, ...] = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "median_ms")


def format_eval_table(result: dict[str, Any]) -> str:
    """Render :func:`run_eval`'s result as a plain-text table, one row per mode.

    Args:
        result: The dict returned by :func:`run_eval`.

    Returns:
        A header line with the set and its size, then the table.
    """
    header = (
        f"{result['set']}: {result['chunks']:,} chunks, {result['queries']:,} queries"
        f" (model {result.get('model', '?')})"
    )
    names = ["mode", *METRIC_COLUMNS]
    rows = [
        [mode] + [f"{scores[column]:.1f}" for column in METRIC_COLUMNS]
        for mode, scores in result["modes"].items()
    ]
    widths = [max(len(str(row[i])) for row in [names, *rows]) for i in range(len(names))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    lines = [header, "", line(names), line(["-" * w for w in widths]), *map(line, rows)]
    if "query_embed_ms" in result:
        lines.append("")
        lines.append(
            "median_ms: search with the query vector cached; embedding a query adds "
            f"{result['query_embed_ms']:.0f} ms (median)."
        )
    return "\n".join(lines)
