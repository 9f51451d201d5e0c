"""Cold start of a CLI query: ``semsearch query`` from process start to printed results.

The seeds are indexed once (``semsearch build seeds``) with each backend; then each query runs
as a new process, as a user types it: ``--runs`` times per mode (files are in the page cache
after the first run, as on a machine in use). A second script, run the same way, times the
phases inside one process (imports, index and model loading, the query) and lists which heavy
modules were imported, to show where the time goes.

Usage::

    .venv/bin/python bench/cold_start.py            # ~2 min
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
from pathlib import Path

from common import (
    CACHE_DIR,
    PYTHON,
    REPO,
    bench_env,
    load_average,
    print_table,
    run_measured,
    write_result,
)

SEMSEARCH = str(REPO / ".venv" / "bin" / "semsearch")
QUERY = "台风登陆后气象部门发布了什么预警"

#: Runs inside a fresh interpreter; prints one JSON line of phase times (seconds since start).
PHASES = r"""
import json, sys, time
started = time.perf_counter()
marks = {}
import semsearch.cli
marks["import cli (typer, rich)"] = time.perf_counter() - started
from semsearch.storage import open_index
reader = open_index(sys.argv[1])
marks["open index (FAISS, SQLite, BM25)"] = time.perf_counter() - started
from semsearch.embed import load_embedder
embedder = load_embedder(reader.model_id)
marks["load model"] = time.perf_counter() - started
from semsearch.search import Searcher
searcher = Searcher(reader, embedder)
result = searcher.search(sys.argv[2], k=10, mode="hybrid")
marks["first hybrid query (incl. highlights)"] = time.perf_counter() - started
searcher.search(sys.argv[2] + "吗", k=10, mode="hybrid")
marks["second query"] = time.perf_counter() - started
heavy = [m for m in ("torch", "transformers", "sentence_transformers", "onnxruntime", "jieba",
                     "scipy", "sklearn", "pandas") if m in sys.modules]
print(json.dumps({"marks": marks, "imported": heavy, "hits": len(result.hits)}))
"""


def build_seeds_index(index_dir: Path, backend: str) -> dict:
    """Index ``seeds/`` with the CLI and the given backend (rebuilding)."""
    shutil.rmtree(index_dir, ignore_errors=True)
    done = run_measured(
        [SEMSEARCH, "build", "seeds", "--index", str(index_dir), "--rebuild"],
        env=bench_env(SEMSEARCH_BACKEND=backend),
    )
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch build failed:\n{done['stderr'][-2000:]}")
    return {"seconds": done["seconds"], "peak_rss_mb": done["peak_rss_mb"]}


def query_runs(index_dir: Path, backend: str, mode: str, runs: int) -> dict:
    """Run ``semsearch query`` ``runs`` times as new processes; wall times and peak memory."""
    samples = []
    for _ in range(runs):
        # CPU seconds too: on the shared machine wall times swing with the load, the work less.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = run_measured(
            [SEMSEARCH, "query", QUERY, "--mode", mode, "--index", str(index_dir), "--json"],
            env=bench_env(SEMSEARCH_BACKEND=backend),
        )
        if done["returncode"] != 0:
            raise SystemExit(f"semsearch query failed:\n{done['stderr'][-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        done["cpu_seconds"] = used
        hits = len(json.loads(done["stdout"])["results"])
        samples.append(done)
    seconds = [s["seconds"] for s in samples]
    return {
        "median_s": round(statistics.median(seconds), 2),
        "min_s": round(min(seconds), 2),
        "max_s": round(max(seconds), 2),
        "median_cpu_s": round(statistics.median(s["cpu_seconds"] for s in samples), 2),
        "peak_rss_mb": max(s["peak_rss_mb"] or 0 for s in samples),
        "hits": hits,
        "runs": runs,
    }


def phases(index_dir: Path, backend: str) -> dict:
    """Phase times inside one fresh process (median of 3 runs, by phase)."""
    runs = []
    for _ in range(3):
        done = run_measured(
            [PYTHON, "-c", PHASES, str(index_dir), QUERY], env=bench_env(SEMSEARCH_BACKEND=backend)
        )
        if done["returncode"] != 0:
            raise SystemExit(f"phase script failed:\n{done['stderr'][-2000:]}")
        runs.append(json.loads(done["stdout"].strip().splitlines()[-1]))
    marks = {
        name: round(statistics.median(r["marks"][name] for r in runs), 2)
        for name in runs[0]["marks"]
    }
    return {"cumulative_s": marks, "imported": runs[0]["imported"]}


def main() -> None:
    """Measure both backends, print the tables and write ``bench/results/cold_start.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    results: dict = {"query": QUERY, "load_average_start": load_average(), "backends": {}}
    for backend in ("onnx-int8", "torch"):
        index_dir = CACHE_DIR / f"seeds-index-{backend}"
        print(f"\nBackend {backend}: indexing seeds/ (load {load_average()})…", flush=True)
        entry: dict = {"build": build_seeds_index(index_dir, backend), "modes": {}}
        for mode in ("hybrid", "semantic", "keyword"):
            entry["modes"][mode] = query_runs(index_dir, backend, mode, args.runs)
            print(f"  query --mode {mode}: {entry['modes'][mode]}", flush=True)
        entry["phases"] = phases(index_dir, backend)
        print(f"  phases: {entry['phases']}", flush=True)
        results["backends"][backend] = entry
    results["load_average_end"] = load_average()

    print_table(
        f"CLI cold query (new process each run, median of {args.runs}; load "
        f"{results['load_average_start'][0]} → {results['load_average_end'][0]})",
        ["backend", "mode", "median s", "min s", "max s", "median CPU s", "peak RSS MB"],
        [
            [
                backend,
                mode,
                row["median_s"],
                row["min_s"],
                row["max_s"],
                row["median_cpu_s"],
                row["peak_rss_mb"],
            ]
            for backend, entry in results["backends"].items()
            for mode, row in entry["modes"].items()
        ],
    )
    rows = []
    for backend, entry in results["backends"].items():
        previous = 0.0
        for phase, cumulative in entry["phases"]["cumulative_s"].items():
            rows.append([backend, phase, round(cumulative - previous, 2), cumulative])
            previous = cumulative
        rows.append([backend, "heavy modules imported", ", ".join(entry["phases"]["imported"]), ""])
    print_table(
        "Where a cold hybrid query spends its time (one process)",
        ["backend", "phase", "s", "cumulative s"],
        rows,
    )
    path = write_result("cold_start", results)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
