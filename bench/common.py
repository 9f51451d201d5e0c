"""Helpers shared by the benchmark scripts: data, machine description, tables and JSON results.

Every script prints a table and writes ``bench/results/<name>.json`` with the numbers, the
machine and the load average while it ran (the project's machine has 2 cores shared with other
jobs, so the load is part of every figure).
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"
#: Vectors computed by one script and reused by another (not committed: .cache is ignored).
CACHE_DIR = REPO / "bench" / ".cache"
#: The eval corpora live in the repo's eval/ (copied from the shared data).
EVAL_DIR = REPO / "eval"
CMRC_CHUNKS = EVAL_DIR / "cmrc2018_chunks"
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").is_dir() else sys.executable


@dataclass(frozen=True)
class EvalCorpus:
    """An eval set as the benchmarks need it: passages (title in front) and queries."""

    ids: list[str]
    passages: list[str]
    query_texts: list[str]
    relevant: list[set[str]]


def load_eval_corpus(directory: Path = CMRC_CHUNKS) -> EvalCorpus:
    """Read ``corpus.jsonl`` and ``queries.jsonl``; passages are ``f"{title}\\n{text}"``.

    Raises:
        SystemExit: The folder is missing, with how to get it.
    """
    if not (directory / "corpus.jsonl").is_file():
        raise SystemExit(
            f"The eval corpus {directory} is missing: copy ../shared/eval/{directory.name} into "
            f"{EVAL_DIR}."
        )
    rows = _read_jsonl(directory / "corpus.jsonl")
    queries = _read_jsonl(directory / "queries.jsonl")
    return EvalCorpus(
        ids=[row["id"] for row in rows],
        passages=[
            f"{row['title']}\n{row['text']}" if row.get("title") else row["text"] for row in rows
        ],
        query_texts=[query["text"] for query in queries],
        relevant=[set(query["relevant"]) for query in queries],
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def machine() -> dict[str, Any]:
    """Describe the machine: CPU model, cores, memory, Python and the main library versions."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "faiss", "onnxruntime", "torch", "sentence_transformers", "bm25s"):
        versions[name] = _version(name)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": versions,
    }


def _version(module: str) -> str | None:
    from importlib import metadata

    names = {"faiss": "faiss-cpu", "sentence_transformers": "sentence-transformers"}
    try:
        return metadata.version(names.get(module, module))
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (2 cores: above 2 means waiting for a core)."""
    return [round(value, 2) for value in os.getloadavg()]


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (atomically) with the machine description added."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain-text table (Markdown pipe syntax, so it pastes into the docs)."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / mean of latencies in milliseconds."""
    values = np.asarray(samples_ms, dtype=np.float64)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "mean_ms": round(float(values.mean()), 2),
        "n": len(values),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (ru_maxrss)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_measured(
    command: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 600,
) -> dict[str, Any]:
    """Run a command, returning wall seconds, peak RSS (MB) from GNU time, exit code, output.

    Falls back to the children's ru_maxrss when ``/usr/bin/time`` is missing.
    """
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    use_time = Path("/usr/bin/time").is_file()
    full = ["/usr/bin/time", "-f", "__maxrss_kb=%M", *command] if use_time else list(command)
    done = subprocess.run(
        full, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    seconds = time.perf_counter() - started
    stderr = done.stderr
    peak_kb = None
    if use_time:
        lines = stderr.rstrip("\n").splitlines()
        for index in range(len(lines) - 1, -1, -1):
            if lines[index].startswith("__maxrss_kb="):
                peak_kb = int(lines[index].split("=", 1)[1])
                stderr = "\n".join(lines[:index])
                break
    if peak_kb is None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_kb = after if after > before else None
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None,
        "returncode": done.returncode,
        "stdout": done.stdout,
        "stderr": stderr,
    }


def bench_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: this one, offline, plus ``extra``."""
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra})
    return env


def sample_indices(total: int, count: int, seed: int = 0) -> list[int]:
    """A fixed random sample of ``count`` indices out of ``total`` (the same in every run)."""
    indices = list(range(total))
    random.Random(seed).shuffle(indices)
    return sorted(indices[: min(count, total)])
