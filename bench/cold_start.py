"""Cold start of a CLI query: ``semsearch query`` from process start to printed results.

The seeds are indexed once (``semsearch build seeds``) with each backend; then each query runs
as a new process, as a user types it: ``--runs`` times per mode (files are in the page cache
after the first run, as on a machine in use). A second script, run the same way, times the
phases inside one process (imports, index and model loading, the query) and lists which heavy
modules were imported, to show where the time goes.

With ``--before DIR`` the ONNX default is also run from another checkout (e.g. ``/work/main``),
alternating with this one query by query, so both see the same load; each run's CPU seconds
(user + system) are kept besides its wall time, since on the shared machine the wall time moves
with the load and the work does not.

Python's bytecode cache is allowed in the child processes (an installed package has its
``.pyc`` files; with ``PYTHONDONTWRITEBYTECODE`` set, as on the shared machine, every cold
start compiled the modules changed since the last cache, about 0.35 s), and the first run of
each case is not counted.

Usage::

    .venv/bin/python bench/cold_start.py            # ~2 min
    .venv/bin/python bench/cold_start.py --backends onnx-int8 --before /work/main --runs 7
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


def semsearch(checkout: Path, backend: str) -> tuple[list[str], dict[str, str]]:
    """The ``semsearch`` command run from a checkout's code, and its environment."""
    env = bench_env(SEMSEARCH_BACKEND=backend, PYTHONPATH=str(checkout))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return [PYTHON, "-c", "from semsearch.cli import run; run()"], env


def build_seeds_index(index_dir: Path, backend: str) -> dict:
    """Index ``seeds/`` with the CLI and the given backend (rebuilding)."""
    shutil.rmtree(index_dir, ignore_errors=True)
    command, env = semsearch(REPO, backend)
    arguments = ["build", "seeds", "--index", str(index_dir), "--rebuild"]
    done = run_measured([*command, *arguments], env=env)
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch build failed:\n{done['stderr'][-2000:]}")
    return {"seconds": done["seconds"], "peak_rss_mb": done["peak_rss_mb"]}


def one_query(index_dir: Path, backend: str, mode: str, checkout: Path = REPO) -> dict:
    """Run ``semsearch query`` once as a new process: wall and CPU seconds, peak memory."""
    command, env = semsearch(checkout, backend)
    # CPU seconds too: on the shared machine wall times swing with the load, the work less.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # From the checkout's folder: ``python -c`` puts the current folder first on the path.
    done = run_measured(
        [*command, "query", QUERY, "--mode", mode, "--index", str(index_dir), "--json"],
        env=env,
        cwd=checkout,
    )
    if done["returncode"] != 0:
        raise SystemExit(f"semsearch query failed:\n{done['stderr'][-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done["hits"] = len(json.loads(done["stdout"])["results"])
    return done


def summary(samples: list[dict]) -> dict:
    """Medians and extremes of query runs."""
    seconds = [s["seconds"] for s in samples]
    return {
        "median_s": round(statistics.median(seconds), 2),
        "min_s": round(min(seconds), 2),
        "max_s": round(max(seconds), 2),
        "median_cpu_s": round(statistics.median(s["cpu_seconds"] for s in samples), 2),
        "peak_rss_mb": max(s["peak_rss_mb"] or 0 for s in samples),
        "hits": samples[-1]["hits"],
        "runs": len(samples),
    }


def query_runs(index_dir: Path, backend: str, mode: str, runs: int) -> dict:
    """Run ``semsearch query`` ``runs`` times as new processes (after one uncounted run)."""
    one_query(index_dir, backend, mode)
    return summary([one_query(index_dir, backend, mode) for _ in range(runs)])


def compare(index_dir: Path, before: Path, runs: int) -> dict:
    """The ONNX hybrid query from this checkout and from ``before``, alternating run by run."""
    checkouts = {"after": REPO, "before": before}
    samples: dict[str, list[dict]] = {name: [] for name in checkouts}
    for checkout in checkouts.values():
        one_query(index_dir, "onnx-int8", "hybrid", checkout)  # uncounted: caches warm
    for run in range(runs):
        order = list(checkouts) if run % 2 == 0 else list(checkouts)[::-1]
        for name in order:
            samples[name].append(one_query(index_dir, "onnx-int8", "hybrid", checkouts[name]))
    return {name: summary(found) for name, found in samples.items()}


def phases(index_dir: Path, backend: str) -> dict:
    """Phase times inside one fresh process (median of 3 runs, by phase)."""
    runs = []
    for _ in range(3):
        done = run_measured(
            [PYTHON, "-c", PHASES, str(index_dir), QUERY], env=semsearch(REPO, backend)[1]
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
    parser.add_argument("--backends", default="onnx-int8,torch")
    parser.add_argument("--before", type=Path, help="another checkout to compare with (ONNX)")
    args = parser.parse_args()

    results: dict = {"query": QUERY, "load_average_start": load_average(), "backends": {}}
    for backend in args.backends.split(","):
        index_dir = CACHE_DIR / f"seeds-index-{backend}"
        print(f"\nBackend {backend}: indexing seeds/ (load {load_average()})…", flush=True)
        entry: dict = {"build": build_seeds_index(index_dir, backend), "modes": {}}
        for mode in ("hybrid", "semantic", "keyword"):
            entry["modes"][mode] = query_runs(index_dir, backend, mode, args.runs)
            print(f"  query --mode {mode}: {entry['modes'][mode]}", flush=True)
        entry["phases"] = phases(index_dir, backend)
        print(f"  phases: {entry['phases']}", flush=True)
        results["backends"][backend] = entry
    if args.before is not None:
        results["comparison"] = compare(CACHE_DIR / "seeds-index-onnx-int8", args.before, args.runs)
        print(f"  hybrid, this checkout vs {args.before}: {results['comparison']}", flush=True)
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
