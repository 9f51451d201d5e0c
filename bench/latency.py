"""Warm query latency per search mode at 5k, 100k and 1M chunks.

- **5k**: the real ``cmrc2018_chunks`` index (4,912 chunks), built with the real indexer (its
  vectors come from the cache ``bench/throughput.py`` leaves, else they are computed).
- **100k, 1M**: synthetic indexes (``bench/synthetic.py``: real chunks, vectors and tokens mixed
  pairwise), written through the product's index writer and opened with ``storage.open_index``.
- **after updates**: each index again after ``--updates`` small updates through the writer
  (each adds a 20-chunk article and removes an old one: new segments, tombstones, merges), on a
  copy made of hard links (generations are never changed in place).

Each query is a real cmrc2018 question, answered with ``Searcher.search(q, k=10, mode=…)``, the
call the CLI and the app make: query embedding (default model, default backend), retrieval,
fusion, and the hits with their context and highlights. After a warm-up, p50 / p95 over
``--queries`` questions; also the parts (query embedding, vector search, BM25) alone, and the
time to open the index with its checksums verified as usual (remembered files trusted), all
read again, or not verified.

Usage::

    .venv/bin/python bench/latency.py                        # 5k, 100k, 1M (~12 min)
    .venv/bin/python bench/latency.py --sizes 5000,100000 --queries 100 --updates 0
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from common import (
    CACHE_DIR,
    CMRC_CHUNKS,
    load_average,
    load_eval_corpus,
    peak_rss_mb,
    percentiles,
    print_table,
    write_result,
)
from synthetic import apply_updates, base_vectors, ensure_index, load_base

from semsearch import lexical
from semsearch.embed import load_embedder
from semsearch.search import MODES, Searcher
from semsearch.storage import open_index

REAL_SIZE = 5000


class ReplayEmbedder:
    """The real embedder, but passages already embedded (cached vectors) are not embedded again.

    Args:
        inner: The real embedder (its id and fingerprint go into the index).
        known: Vectors by passage text.
    """

    def __init__(self, inner, known: dict[str, np.ndarray]) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.fingerprint = inner.fingerprint
        self.known = known

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, progress=None):
        """Cached vectors, the real model for the rest."""
        missing = [text for text in texts if text not in self.known]
        if missing:
            self.known.update(zip(missing, self.inner.embed_passages(missing), strict=True))
        if progress is not None:
            progress(len(texts))
        return (
            np.stack([self.known[text] for text in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )

    def embed_queries(self, texts: Sequence[str], progress=None):
        """Queries always go to the real model."""
        return self.inner.embed_queries(texts, progress=progress)


def real_index(embedder) -> Path:
    """The real cmrc2018_chunks index, built once into ``bench/.cache``."""
    from semsearch.evaluation import eval_documents, load_eval_set
    from semsearch.indexing import build_from_chunks
    from semsearch.storage.manifest import FORMAT_VERSION

    index_dir = CACHE_DIR / f"cmrc2018_chunks-index-{embedder.fingerprint}"
    try:
        reader = open_index(index_dir)
        # An index of another format is rebuilt (its vectors are reused: it takes seconds).
        complete = reader.has_sentence_vectors and reader.manifest.format_version == FORMAT_VERSION
        reader.close()
        if complete:
            return index_dir
    except Exception:  # not built yet
        pass
    corpus = load_eval_corpus()
    passages, _ = base_vectors(embedder)
    known = dict(zip(corpus.passages, passages, strict=True))
    documents, chunks_by_doc, _ = eval_documents(load_eval_set(CMRC_CHUNKS))
    build_from_chunks(index_dir, documents, chunks_by_doc, ReplayEmbedder(embedder, known))
    return index_dir


def with_sentence_files(index_dir: Path, embedder) -> Path:
    """The index, or a copy (hard links) whose segments all have sentence-vector files.

    An index written before ``storage/local/sentence_file.py`` reads a pool's sentence vectors
    from SQLite; its next write gives every kept segment the files. The cached indexes are not
    written to: a copy gets one write that changes nothing else (made once).
    """
    from semsearch.chunking import ChunkingConfig
    from semsearch.storage import open_writer
    from semsearch.storage.local.opening import open_local_index

    def has_files(directory: Path) -> bool:
        reader = open_local_index(directory, lazy=True)
        try:
            return all(s.sentence_file is not None for s in reader.segments.segments)
        finally:
            reader.close()

    if has_files(index_dir):
        return index_dir
    target = index_dir.with_name(f"{index_dir.name}-sentence-files")
    try:
        if has_files(target):
            return target
    except Exception:  # not made yet
        shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(index_dir, target, symlinks=True, copy_function=os.link)
    started = time.perf_counter()
    reader = open_index(target)
    chunking = ChunkingConfig(**reader.manifest.chunking)
    reader.close()
    with open_writer(target, embedder, chunking) as writer:
        writer.commit().close()
    print(f"  sentence-vector files added in {time.perf_counter() - started:.1f} s", flush=True)
    return target


def timed(function: Callable[[str], object], queries: Sequence[str], warmup: int = 5) -> dict:
    """p50/p95 of ``function(query)`` in milliseconds, after ``warmup`` calls."""
    for query in queries[:warmup]:
        function(query)
    samples, cpu = [], []
    for query in queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        function(query)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    # The process's CPU time as well: on the shared machine the wall time swings with the load.
    return {**percentiles(samples), "cpu_p50_ms": round(float(np.median(cpu)), 2)}


def updated_copy(index_dir: Path, updates: int, embedder, base) -> Path:
    """A copy of an index (hard links) after ``updates`` small updates, made once."""
    target = index_dir.with_name(f"{index_dir.name}-after{updates}")
    try:
        reader = open_index(target)
        reader.close()
        return target
    except Exception:  # not made yet
        shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(index_dir, target, symlinks=True, copy_function=os.link)
    seconds = apply_updates(target, updates, embedder, base)
    print(f"  {updates} updates: median {sorted(seconds)[len(seconds) // 2]:.2f} s", flush=True)
    return target


def open_times(index_dir: Path) -> dict[str, float]:
    """Seconds to open the index: verified as usual (a warm cache), all files read, unverified."""
    from semsearch.storage.local.opening import open_local_index

    open_local_index(index_dir).close()  # files verified once, remembered
    seconds = {}
    for mode in ("cached", "full", "none"):
        gc.collect()
        started = time.perf_counter()
        open_local_index(index_dir, verify=mode).close()
        seconds[mode] = round(time.perf_counter() - started, 3)
    return seconds


def measure(index_dir: Path, embedder, queries: list[str]) -> dict:
    """Open one index and time every mode and the parts."""
    opening = open_times(index_dir)
    gc.collect()
    reader = open_index(index_dir)
    searcher = Searcher(reader, embedder)
    result: dict = {
        "chunks": reader.chunk_count,
        "segments": len(reader.manifest.segments or [None]),
        "vector_index": reader.manifest.vector_index or {"type": "flat"},
        "open_seconds": opening["cached"],
        "open_seconds_by_verification": opening,
        "load_average_start": load_average(),
        "modes": {},
    }
    for mode in MODES:
        try:
            result["modes"][mode] = timed(
                lambda q, m=mode: searcher.search(q, k=10, mode=m), queries
            )
        except Exception as error:  # a mode that fails is reported, the others still measured
            result["modes"][mode] = {"error": f"{type(error).__name__}: {error}"}
        print(f"  {mode}: {result['modes'][mode]}", flush=True)
    vectors = {q: embedder.embed_queries([q])[0] for q in queries}
    result["parts"] = {
        "query embedding": timed(lambda q: embedder.embed_queries([q]), queries),
        "vector search (top 100)": timed(lambda q: reader.dense_search(vectors[q], 100), queries),
        "BM25 search (top 100)": timed(
            lambda q: reader.keyword_search(lexical.tokenize_query(q), 100), queries
        ),
    }
    result["load_average_end"] = load_average()
    result["process_peak_rss_mb"] = peak_rss_mb()
    reader.close()
    return result


def print_tables(sizes: list[dict], queries: int) -> None:
    """Print the latency table and the table of opening times."""
    table = []
    for row in sizes:
        chunks = f"{row['chunks']:,}" + (f" (+{row['updates']} updates)" if row["updates"] else "")
        for mode, stats in row["modes"].items():
            table.append(
                [
                    chunks,
                    row["vector_index"]["type"],
                    mode,
                    stats.get("p50_ms"),
                    stats.get("p95_ms"),
                ]
            )
        for part, stats in row["parts"].items():
            table.append(
                [
                    chunks,
                    row["vector_index"]["type"],
                    f"  part: {part}",
                    stats["p50_ms"],
                    stats["p95_ms"],
                ]
            )
    print_table(
        f"Warm query latency, k=10, {queries} real questions (ms)",
        ["chunks", "vectors", "mode", "p50 ms", "p95 ms"],
        table,
    )
    print_table(
        "Opening an index (s): checksums verified as usual (files verified before are trusted), "
        "every file hashed, not verified",
        ["chunks", "segments", "usual", "all hashed", "unverified"],
        [
            [
                f"{row['chunks']:,}" + (f" (+{row['updates']} updates)" if row["updates"] else ""),
                row["segments"],
                *row["open_seconds_by_verification"].values(),
            ]
            for row in sizes
        ],
    )


def main() -> None:
    """Measure each size, print the table and write ``bench/results/latency.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--updates", type=int, default=20, help="then again after N updates")
    args = parser.parse_args()

    embedder = load_embedder()
    corpus = load_eval_corpus()
    rows = np.random.default_rng(7).choice(
        len(corpus.query_texts), size=args.queries, replace=False
    )
    queries = [corpus.query_texts[i] for i in rows]
    base = load_base(embedder)
    sizes = []
    for size in (int(value) for value in args.sizes.split(",")):
        if size == REAL_SIZE:
            index_dir = real_index(embedder)
        else:
            index_dir = ensure_index(size, embedder, base)
        index_dir = with_sentence_files(index_dir, embedder)
        versions = [(0, index_dir)]
        if args.updates:
            versions.append((args.updates, updated_copy(index_dir, args.updates, embedder, base)))
        for updates, directory in versions:
            print(f"\n{size:,} chunks ({directory.name}), load {load_average()}", flush=True)
            measured = measure(directory, embedder, queries)
            sizes.append(
                {"size": size, "synthetic": size != REAL_SIZE, "updates": updates, **measured}
            )

    print_tables(sizes, len(queries))
    path = write_result(
        "latency",
        {"queries": len(queries), "backend": getattr(embedder, "backend", None), "sizes": sizes},
    )
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
