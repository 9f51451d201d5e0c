"""The Qdrant engine: build, update and query time at 20k chunks, and its evaluation figures.

- **build**: a synthetic index of ``--size`` chunks (``bench/synthetic.py``: real cmrc2018 chunks,
  vectors and keyword tokens mixed pairwise, three sentence vectors per chunk) written through
  the product's writer (``storage.open_writer(engine=…)``) into Qdrant's local mode, on disk by
  default (``--memory``: in this process's memory), timed by step; then an **update** that
  removes 1 % of the documents and adds as many new ones.
- **open**: ``semsearch info`` on the index in a new process, timed with its peak memory (local
  mode reads every point of a folder when it opens it).
- **query**: ``Searcher.search(q, k=10, mode=…)`` per mode, with the real cmrc2018 questions and
  their cached vectors (the model's share is measured by ``bench/latency.py``), warm, p50/p95;
  also with a date filter; the same queries on the same synthetic chunks in the local engine as
  the reference.
- **eval**: ``run_eval`` of ``--eval-set`` (xquad_zh) on both engines: the issue asks for Qdrant
  within 0.2 MRR@10 of the local engine in every mode.

Writes ``bench/results/qdrant.json``.

Usage::

    .venv/bin/python bench/qdrant.py                      # 20k on disk + eval (~40 min)
    .venv/bin/python bench/qdrant.py --size 2000 --memory --queries 10 --skip-eval
    .venv/bin/python bench/qdrant.py --qdrant-url http://qdrant:6333 --size 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common
import numpy as np
from synthetic import (
    CHUNKS_PER_DOCUMENT,
    BaseMaterial,
    add_documents,
    add_sentence_vectors,
    base_vectors,
    load_base,
    synthetic_vectors,
)

from semsearch import settings
from semsearch.chunking import ChunkingConfig
from semsearch.embed import load_embedder
from semsearch.search import MODES, Searcher
from semsearch.storage import EngineConfig, SearchIndex, open_index, open_writer


class QueryVectors:
    """The real embedder's identity with cached query vectors (queries are not embedded again).

    Args:
        inner: The real embedder.
        vectors: Query vectors by query text.
    """

    def __init__(self, inner: Any, vectors: dict[str, np.ndarray]) -> None:
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.fingerprint = inner.fingerprint
        self._vectors = vectors

    def embed_queries(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        """The cached vectors of the queries."""
        return np.stack([self._vectors[text] for text in texts])


def build(
    index_dir: Path, engine: str | EngineConfig, count: int, embedder: Any, base: BaseMaterial
) -> dict[str, float]:
    """Write a synthetic index of ``count`` chunks; the seconds of each step."""
    vectors, first, second = synthetic_vectors(base.vectors, count)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with open_writer(index_dir, embedder, ChunkingConfig(), rebuild=True, engine=engine) as writer:
        add_documents(writer, base, vectors, first, second, with_tokens=True)
        timings["add_documents_s"] = time.perf_counter() - started
        step = time.perf_counter()
        add_sentence_vectors(writer, vectors, seed=0)
        timings["sentence_vectors_s"] = time.perf_counter() - step
        step = time.perf_counter()
        writer.commit().close()
        timings["commit_s"] = time.perf_counter() - step
    timings["total_s"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in timings.items()}


def update(
    index_dir: Path, engine: str | EngineConfig, count: int, embedder: Any, base: BaseMaterial
) -> dict[str, Any]:
    """Remove 1 % of the documents and add as many new ones (other chunks); timed."""
    reader = open_index(index_dir, engine=engine)
    doc_ids = sorted(d.doc_id for d in reader.documents())
    reader.close()
    removed = doc_ids[::100][: max(1, len(doc_ids) // 100)]
    added = len(removed) * CHUNKS_PER_DOCUMENT
    vectors, first, second = synthetic_vectors(base.vectors, added, seed=1)
    started = time.perf_counter()
    with open_writer(index_dir, embedder, ChunkingConfig(), engine=engine) as writer:
        for doc_id in removed:
            writer.remove_document(doc_id)
        add_documents(writer, base, vectors, first, second, with_tokens=True, first_row=count)
        add_sentence_vectors(writer, vectors, seed=1, first_row=count)
        writer.commit().close()
    return {
        "documents_removed": len(removed),
        "chunks_added": added,
        "seconds": round(time.perf_counter() - started, 1),
    }


def query_times(reader: SearchIndex, embedder: QueryVectors, queries: list[str]) -> dict:
    """p50/p95 per mode, and hybrid with a date filter that keeps about a twelfth of the
    documents, after one warm-up query per mode."""
    searcher = Searcher(reader, embedder)
    found: dict[str, Any] = {}
    runs: list[tuple[str, dict[str, Any]]] = [(mode, {}) for mode in MODES]
    dates = sorted(d.date for d in reader.documents() if d.date)
    runs.append(("hybrid+date", {"date_from": dates[0], "date_to": dates[len(dates) // 12]}))
    for name, options in runs:
        mode = name.split("+")[0]
        searcher.search(queries[0], k=10, mode=mode, **options)
        samples = []
        for query in queries:
            started = time.perf_counter()
            searcher.search(query, k=10, mode=mode, **options)
            samples.append((time.perf_counter() - started) * 1000)
        found[name] = common.percentiles(samples)
    return found


def evaluation(set_dir: Path, qdrant_url: str) -> dict[str, Any]:
    """``run_eval`` on both engines, and the MRR@10 difference per mode."""
    from semsearch.evaluation import run_eval

    embedder = load_embedder(settings.DEFAULT_MODEL)
    results: dict[str, Any] = {}
    for name, engine in (("local", "local"), ("qdrant", EngineConfig("qdrant", qdrant_url))):
        started = time.perf_counter()
        result = run_eval(set_dir, list(MODES), embedder, engine=engine)
        result["seconds"] = round(time.perf_counter() - started, 1)
        results[name] = result
    results["mrr_difference"] = {
        mode: round(
            results["qdrant"]["modes"][mode]["MRR@10"] - results["local"]["modes"][mode]["MRR@10"],
            2,
        )
        for mode in MODES
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="chunks (default 20,000)")
    parser.add_argument("--queries", type=int, default=30, help="timed queries per mode")
    parser.add_argument("--memory", action="store_true", help="local mode in memory")
    parser.add_argument("--qdrant-url", help="a server (or folder) instead of local mode")
    parser.add_argument("--eval-set", default="xquad_zh", help="evaluation set of eval/")
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    kind = "server" if args.qdrant_url else "local mode, " + ("memory" if args.memory else "disk")
    result: dict[str, Any] = {"size": args.size, "qdrant": kind}
    with tempfile.TemporaryDirectory(prefix="semsearch-qdrant-bench-") as scratch:
        place = args.qdrant_url or (":memory:" if args.memory else str(Path(scratch) / "qdrant"))
        if not args.skip_scale:
            result.update(scale(Path(scratch), place, args.size, args.queries))
        if not args.skip_eval:
            eval_place = str(Path(scratch) / "eval")
            result["eval"] = evaluation(common.EVAL_DIR / args.eval_set, eval_place)
            report_eval(result["eval"])
    result["load_average"] = common.load_average()
    result["peak_rss_mb"] = common.peak_rss_mb()
    print(f"\nwrote {common.write_result('qdrant', result)}")


def scale(scratch: Path, place: str, size: int, query_count: int) -> dict[str, Any]:
    """Build, update and query the synthetic index in both engines."""
    embedder = load_embedder(settings.DEFAULT_MODEL)
    base = load_base(embedder)
    corpus = common.load_eval_corpus()
    _passages, query_vectors = base_vectors(embedder)
    queries = corpus.query_texts[:query_count]
    cached = QueryVectors(embedder, dict(zip(corpus.query_texts, query_vectors, strict=True)))
    engines = {"qdrant": EngineConfig("qdrant", place), "local": "local"}
    found: dict[str, Any] = {}
    for name, engine in engines.items():
        index_dir = scratch / f"synthetic-{name}"
        print(f"{name}: writing {size:,} chunks…", flush=True)
        row: dict[str, Any] = {"build": build(index_dir, engine, size, embedder, base)}
        print(f"  {row['build']}", flush=True)
        if place != ":memory:":
            row["open_in_new_process"] = cold_open(index_dir, engine)
        reader = open_index(index_dir, engine=engine)
        row["query"] = query_times(reader, cached, queries)
        reader.close()
        row["update"] = update(index_dir, engine, size, embedder, base)
        found[name] = row
        if name == "qdrant" and Path(place).is_dir():
            row["folder_mb"] = round(_size_mb(Path(place)), 1)
    report_scale(found, size)
    return {"scale": found}


def cold_open(index_dir: Path, engine: str | EngineConfig) -> dict[str, Any]:
    """``semsearch info`` on the index in a new process: seconds and peak memory."""
    from semsearch.storage.qdrant.connection import close_unused

    close_unused()  # this process lets go of a local-mode folder, so another may open it
    command = [common.PYTHON, "-m", "semsearch.cli", "info", "--index", str(index_dir)]
    if isinstance(engine, EngineConfig):
        command += ["--engine", "qdrant", "--qdrant-url", str(engine.qdrant_url)]
    measured = common.run_measured(command, env=common.bench_env(), timeout=1800)
    if measured["returncode"]:
        raise SystemExit(f"semsearch info failed:\n{measured['stderr'][-2000:]}")
    return {"seconds": measured["seconds"], "peak_rss_mb": measured["peak_rss_mb"]}


def _size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def report_scale(found: dict[str, Any], size: int) -> None:
    rows = []
    for name, row in found.items():
        query = row["query"]
        rows.append(
            [
                name,
                row["build"]["total_s"],
                row["update"]["seconds"],
                row.get("open_in_new_process", {}).get("seconds"),
                row.get("open_in_new_process", {}).get("peak_rss_mb"),
                *(query[mode]["p50_ms"] for mode in (*MODES, "hybrid+date")),
            ]
        )
    header = ["engine", "build s", "1% update s", "open (new process) s", "its peak MB"]
    header += [f"{mode} p50 ms" for mode in (*MODES, "hybrid+date")]
    common.print_table(f"{size:,} synthetic chunks", header, rows)


def report_eval(found: dict[str, Any]) -> None:
    local, qdrant = found["local"]["modes"], found["qdrant"]["modes"]
    rows = [
        [mode, local[mode]["MRR@10"], qdrant[mode]["MRR@10"], found["mrr_difference"][mode]]
        for mode in MODES
    ]
    common.print_table(
        f"eval {found['local']['set']}: MRR@10", ["mode", "local", "qdrant", "difference"], rows
    )


if __name__ == "__main__":
    main()
