"""Exact or approximate vector search: recall@10 against exact search, latency and build cost.

Vectors are synthesized from the real cmrc2018_chunks vectors (see ``bench/synthetic.py``);
queries are real questions embedded by the default model. For each size, exact search
(``IndexFlatIP``, what the local engine uses below ``APPROXIMATE_MIN_CHUNKS``) is the reference;
IVF (``storage.local.vectors.build_ivf_index``: ``sqrt(n)`` cells) is measured over a range of
``nprobe`` and HNSW (M=32) over a range of ``efSearch``. Latency is one query at a time, as the
searcher asks.

Usage::

    .venv/bin/python bench/ann.py                  # 100k, 200k and 1M (~8 min)
    .venv/bin/python bench/ann.py --sizes 100000 --hnsw-max 100000
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np
from common import load_average, percentiles, print_table, write_result
from synthetic import base_vectors, synthetic_vectors

from semsearch.embed import load_embedder
from semsearch.storage.local import vectors as local_vectors

K = 10


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the exact top-k found by the approximate search."""
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def single_query_latency(search, queries: np.ndarray) -> dict[str, float]:
    """p50/p95 of ``search(query_row)`` over the queries, one at a time (after a warm-up)."""
    for query in queries[:5]:
        search(query[None, :])
    samples = []
    for query in queries:
        started = time.perf_counter()
        search(query[None, :])
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def nearest_neighbour_cosines(vectors: np.ndarray, sample: int = 300) -> dict[str, float]:
    """Cosine of each sampled vector to its nearest other vector (to compare with real data)."""
    rows = np.random.default_rng(1).choice(
        len(vectors), size=min(sample, len(vectors)), replace=False
    )
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    scores, _ = index.search(vectors[rows], 2)
    second = scores[:, 1]
    return {
        "mean": round(float(second.mean()), 3),
        "p10": round(float(np.percentile(second, 10)), 3),
    }


def measure_size(
    count: int, base: np.ndarray, queries: np.ndarray, hnsw_max: int, latency_queries: int
) -> dict:
    """All measurements at one corpus size."""
    vectors, _, _ = synthetic_vectors(base, count, seed=0)
    ids = np.arange(1, count + 1, dtype=np.int64)
    result: dict = {"chunks": count, "load_average_start": load_average()}
    if count <= 200_000:
        result["nn_cosine_synthetic"] = nearest_neighbour_cosines(vectors)

    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
    exact.add_with_ids(vectors, ids)
    _, truth = exact.search(queries, K)
    timed = queries[:latency_queries]
    result["exact"] = single_query_latency(lambda q: exact.search(q, K), timed)
    print(f"  exact: p50 {result['exact']['p50_ms']} ms", flush=True)

    started = time.perf_counter()
    ivf = local_vectors.build_ivf_index(vectors, ids)
    result["ivf_build_seconds"] = round(time.perf_counter() - started, 1)
    result["ivf_cells"] = int(ivf.nlist)
    result["ivf_default_nprobe"] = int(ivf.nprobe)
    result["ivf"] = []
    for nprobe in (4, 8, 16, 32, 64, 128):
        if nprobe > ivf.nlist:
            continue
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        _, found = ivf.search(queries, K, params=params)
        row = {
            "nprobe": nprobe,
            "recall_at_10": round(recall_at_k(found, truth), 4),
            **single_query_latency(lambda q, p=params: ivf.search(q, K, params=p), timed),
        }
        result["ivf"].append(row)
        print(
            f"  ivf nprobe {nprobe}: recall {row['recall_at_10']}, p50 {row['p50_ms']} ms",
            flush=True,
        )

    result["hnsw"] = []
    if count <= hnsw_max:
        hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        started = time.perf_counter()
        hnsw.add(vectors)
        result["hnsw_build_seconds"] = round(time.perf_counter() - started, 1)
        for ef in (16, 32, 64, 128):
            params = faiss.SearchParametersHNSW(efSearch=ef)
            _, found = hnsw.search(queries, K, params=params)
            row = {
                "ef_search": ef,
                "recall_at_10": round(recall_at_k(found + 1, truth), 4),
                **single_query_latency(lambda q, p=params: hnsw.search(q, K, params=p), timed),
            }
            result["hnsw"].append(row)
            print(
                f"  hnsw ef {ef}: recall {row['recall_at_10']}, p50 {row['p50_ms']} ms", flush=True
            )
    result["memory_mb"] = {
        "exact": round(count * vectors.shape[1] * 4 / 1e6, 1),
        "ivf": round((count * (vectors.shape[1] * 4 + 8 + 16)) / 1e6, 1),
        "hnsw_m32": round(count * (vectors.shape[1] * 4 + 32 * 2 * 4 * 1.05) / 1e6, 1),
    }
    result["load_average_end"] = load_average()
    return result


def main() -> None:
    """Measure every size, print the tables and write ``bench/results/ann.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,200000,1000000")
    parser.add_argument("--hnsw-max", type=int, default=200_000, help="largest size for HNSW")
    parser.add_argument("--queries", type=int, default=1000, help="queries for recall")
    parser.add_argument("--latency-queries", type=int, default=200)
    args = parser.parse_args()

    embedder = load_embedder()
    base, query_vectors = base_vectors(embedder)
    rows = np.random.default_rng(0).choice(len(query_vectors), size=args.queries, replace=False)
    queries = np.ascontiguousarray(query_vectors[np.sort(rows)], dtype=np.float32)
    faiss.omp_set_num_threads(1)  # one query at a time on a shared 2-core machine
    results = {
        "nn_cosine_real": nearest_neighbour_cosines(base),
        "sizes": [],
        "approximate_min_chunks": local_vectors.APPROXIMATE_MIN_CHUNKS,
    }
    for count in (int(size) for size in args.sizes.split(",")):
        print(f"\n{count:,} synthetic vectors (load {load_average()})…", flush=True)
        results["sizes"].append(
            measure_size(count, base, queries, args.hnsw_max, args.latency_queries)
        )

    table = []
    for size in results["sizes"]:
        table.append(
            [
                f"{size['chunks']:,}",
                "exact (IndexFlatIP)",
                "—",
                1.0,
                size["exact"]["p50_ms"],
                size["exact"]["p95_ms"],
                "—",
            ]
        )
        for row in size["ivf"]:
            table.append(
                [
                    f"{size['chunks']:,}",
                    f"IVF {size['ivf_cells']} cells",
                    f"nprobe {row['nprobe']}",
                    row["recall_at_10"],
                    row["p50_ms"],
                    row["p95_ms"],
                    size["ivf_build_seconds"],
                ]
            )
        for row in size["hnsw"]:
            table.append(
                [
                    f"{size['chunks']:,}",
                    "HNSW M=32",
                    f"efSearch {row['ef_search']}",
                    row["recall_at_10"],
                    row["p50_ms"],
                    row["p95_ms"],
                    size.get("hnsw_build_seconds"),
                ]
            )
    print_table(
        f"Vector search, one query at a time, recall@10 vs exact, {len(queries)} real questions "
        f"(real NN cosine {results['nn_cosine_real']})",
        ["chunks", "index", "setting", "recall@10", "p50 ms", "p95 ms", "build s"],
        table,
    )
    path = write_result("ann", results)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
