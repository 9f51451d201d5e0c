"""Run every benchmark (``make bench``), then print the targets and whether they are met.

Each script runs as its own process, one after the other (the machine has 2 cores: running them
together would measure the contention), and writes ``bench/results/<name>.json``; this script
then reads them back into ``bench/results/summary.json``.

Usage::

    .venv/bin/python bench/run_all.py                    # everything, ~40 min on 2 cores
    .venv/bin/python bench/run_all.py --only latency,update
    .venv/bin/python bench/run_all.py --only ""          # only the summary of the last results
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from common import PYTHON, REPO, RESULTS_DIR, load_average, print_table, write_result

SCRIPTS = ("throughput", "ann", "latency", "cold_start", "memory", "update")


def _load(name: str) -> dict | None:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _mode(latency: dict, size: int, mode: str) -> float | None:
    for row in latency.get("sizes", []):
        if row["size"] == size:
            return row["modes"].get(mode, {}).get("p50_ms")
    return None


def targets() -> list[list[object]]:
    """The issue's targets, the measured value and whether it is met."""
    rows: list[list[object]] = []

    def add(name: str, target: float, value: float | None, unit: str, lower: bool = True) -> None:
        if value is None:
            rows.append([name, f"{target} {unit}", "not measured", "—"])
            return
        met = value <= target if lower else value >= target
        rows.append(
            [
                name,
                f"{'≤' if lower else '≥'} {target} {unit}",
                f"{value} {unit}",
                "met" if met else "MISSED",
            ]
        )

    throughput = _load("throughput") or {}
    full = throughput.get("full") or {}
    comparison = throughput.get("comparison") or {}
    rates = [row["chunks_per_s"] for row in comparison.values()]
    default = [row["chunks_per_s"] for name, row in comparison.items() if "default" in name]
    speedup = round(default[0] / rates[0], 2) if rates and default else None
    add("embedding speed-up over fp32 (interleaved)", 1.5, speedup, "×", lower=False)
    add("MRR@10 loss of the default backend", 0.5, full.get("mrr_loss_points"), "points")
    latency = _load("latency") or {}
    add("hybrid p50 at 100k chunks", 50, _mode(latency, 100_000, "hybrid"), "ms")
    add("hybrid p50 at 1M chunks", 100, _mode(latency, 1_000_000, "hybrid"), "ms")
    update = _load("update") or {}
    add(
        "no-op update, 10k chunks (CLI process)", 2, update.get("noop", {}).get("cli_median_s"), "s"
    )
    cold = _load("cold_start") or {}
    onnx = cold.get("backends", {}).get("onnx-int8", {})
    add("CLI cold query, hybrid", 4, onnx.get("modes", {}).get("hybrid", {}).get("median_s"), "s")
    memory = _load("memory") or {}
    app = memory.get("app", {}).get("100k", {})
    add("app memory at 100k chunks", 2048, app.get("server_peak_rss_mb"), "MB")
    ann = _load("ann") or {}
    for size in ann.get("sizes", []):
        chosen = [r for r in size["ivf"] if r["nprobe"] == size["ivf_default_nprobe"]]
        if chosen:
            add(
                f"IVF recall@10 at {size['chunks']:,} (nprobe {chosen[0]['nprobe']})",
                0.95,
                chosen[0]["recall_at_10"],
                "",
                lower=False,
            )
    return rows


def main() -> None:
    """Run the scripts, then summarize."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SCRIPTS), help="comma-separated scripts")
    args = parser.parse_args()
    ran = {}
    for name in filter(None, args.only.split(",")):
        if name not in SCRIPTS:
            raise SystemExit(f"Unknown benchmark {name!r}; choose from {', '.join(SCRIPTS)}.")
        print(f"\n=== bench/{name}.py (load {load_average()}) ===", flush=True)
        started = time.perf_counter()
        done = subprocess.run([PYTHON, str(REPO / "bench" / f"{name}.py")], cwd=REPO, check=False)
        ran[name] = {
            "seconds": round(time.perf_counter() - started, 1),
            "returncode": done.returncode,
        }
        if done.returncode != 0:
            print(f"bench/{name}.py failed with exit code {done.returncode}", file=sys.stderr)
    rows = targets()
    print_table("Targets (issue 7)", ["target", "goal", "measured", "status"], rows)
    write_result(
        "summary",
        {
            "runs": ran,
            "targets": [
                dict(zip(("target", "goal", "measured", "status"), row, strict=True))
                for row in rows
            ],
        },
    )
    if any(run["returncode"] for run in ran.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
