"""Indexing throughput: which embedding path is fastest without losing retrieval quality.

Two parts, in one process so that both backends meet the same machine load:

1. **Comparison** on a fixed sample of ``cmrc2018_chunks`` passages (title in front, as the
   indexer embeds them): sentence-transformers float32 (the reference: sorted by length, as
   the indexer does), the same unsorted, with ``max_seq_length`` fitted to the chunk size
   (256 tokens: 230 characters at most plus the title), with one thread; ONNX int8 (the
   default), with one thread and fitted ``max_seq_length``. The sample is cut in slices and
   every candidate embeds each slice in turn (rotating the order), so load changes hit all alike.
2. **Full corpus** (4,912 chunks, 4,218 questions), float32 then ONNX int8 back to back:
   chunks/s of embedding alone and of a real index build (``indexing.build_from_chunks``: tokenize,
   embed, SQLite, FAISS, BM25), and MRR@10 / Recall@1 / Recall@10 of dense retrieval (exact
   cosine) with each backend's vectors. The default must lose at most 0.5 MRR@10 points.

Vectors are cached in ``bench/.cache/`` for ``bench/latency.py``.

Usage::

    .venv/bin/python bench/throughput.py              # ~10 min on 2 cores
    .venv/bin/python bench/throughput.py --sample 300 --no-full   # the comparison only
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CACHE_DIR,
    CMRC_CHUNKS,
    RESULTS_DIR,
    load_average,
    load_eval_corpus,
    print_table,
    sample_indices,
    write_result,
)

from semsearch import ranking
from semsearch.embed import (
    BACKEND_ONNX,
    BACKEND_TORCH,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    load_embedder,
)
from semsearch.evaluation import mrr_at_k, recall_at_k

FITTED_MAX_SEQ_LENGTH = 256
BATCH_SIZE = 32

EmbedFunction = Callable[[Sequence[str]], np.ndarray]


def unsorted_passages(embedder: SentenceTransformerEmbedder, texts: Sequence[str]) -> np.ndarray:
    """Embed in input order, batch by batch (what the indexer did before sorting by length)."""
    parts = [
        embedder.model.encode_document(
            list(texts[start : start + BATCH_SIZE]),
            prompt=embedder.prompts.passage,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        for start in range(0, len(texts), BATCH_SIZE)
    ]
    return np.vstack(parts).astype(np.float32)


def with_max_seq_length(embedder: SentenceTransformerEmbedder | OnnxEmbedder) -> EmbedFunction:
    """Embed with ``max_seq_length`` fitted to the chunk size, restoring it afterwards."""

    def embed(texts: Sequence[str]) -> np.ndarray:
        previous = embedder.max_seq_length
        embedder.max_seq_length = FITTED_MAX_SEQ_LENGTH
        try:
            return embedder.embed_passages(texts, batch_size=BATCH_SIZE)
        finally:
            embedder.max_seq_length = previous

    return embed


def torch_one_thread(embedder: SentenceTransformerEmbedder) -> EmbedFunction:
    """Embed with torch limited to one thread (the others run with torch's default)."""
    import torch

    def embed(texts: Sequence[str]) -> np.ndarray:
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return embedder.embed_passages(texts, batch_size=BATCH_SIZE)
        finally:
            torch.set_num_threads(previous)

    return embed


def compare(
    candidates: dict[str, EmbedFunction], texts: list[str], slices: int
) -> dict[str, dict[str, float]]:
    """Run every candidate on every slice of ``texts`` in rotating order; return their rates."""
    seconds = dict.fromkeys(candidates, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in candidates}
    bounds = np.linspace(0, len(texts), slices + 1).astype(int)
    names = list(candidates)
    for name in names:  # warm-up: first calls allocate buffers and pick kernels
        candidates[name](texts[:BATCH_SIZE])
    for number in range(slices):
        part = texts[bounds[number] : bounds[number + 1]]
        rotation = names[number % len(names) :] + names[: number % len(names)]
        for name in rotation:
            started = time.perf_counter()
            vectors[name].append(candidates[name](part))
            seconds[name] += time.perf_counter() - started
        print(f"  slice {number + 1}/{slices} done, load {load_average()[0]}", flush=True)
    reference = np.vstack(vectors[names[0]])
    results = {}
    for name in names:
        matrix = np.vstack(vectors[name])
        cosines = np.sum(matrix * reference, axis=1)
        results[name] = {
            "chunks_per_s": round(len(texts) / seconds[name], 2),
            "seconds": round(seconds[name], 2),
            "cosine_to_reference_mean": round(float(cosines.mean()), 5),
            "cosine_to_reference_min": round(float(cosines.min()), 5),
        }
    return results


def dense_metrics(
    passage_vectors: np.ndarray, query_vectors: np.ndarray, ids: list[str], relevant: list[set[str]]
) -> dict[str, float]:
    """MRR@10, Recall@1 and Recall@10 (in points) of exact cosine retrieval.

    Recall@1 here is the share of questions whose first result is relevant (a question with two
    relevant chunks counts 1, not 0.5, as the figures in bench/results/throughput.json do).
    """
    reciprocal = recall1 = recall10 = 0.0
    for start in range(0, len(query_vectors), 512):
        scores = query_vectors[start : start + 512] @ passage_vectors.T
        for row, wanted in zip(scores, relevant[start : start + 512], strict=True):
            top = ranking.top_rows(row, 10)
            ranked = [ids[index] for index, _ in ranking.order_by_score(top, row[top], 10)]
            reciprocal += mrr_at_k(ranked, wanted, 10)
            recall1 += float(mrr_at_k(ranked, wanted, 1) == 1.0)
            recall10 += recall_at_k(ranked, wanted, 10)
    count = len(query_vectors)
    return {
        "mrr_at_10": round(100 * reciprocal / count, 2),
        "recall_at_1": round(100 * recall1 / count, 2),
        "recall_at_10": round(100 * recall10 / count, 2),
    }


class RecordingEmbedder:
    """Passes calls to an embedder and keeps each passage's vector (to score the build's vectors).

    Args:
        inner: The real embedder.
    """

    def __init__(self, inner: OnnxEmbedder | SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.fingerprint = inner.fingerprint
        self.vectors: dict[str, np.ndarray] = {}

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Callable | None = None
    ) -> np.ndarray:
        """Embed and record."""
        vectors = self.inner.embed_passages(texts, batch_size=batch_size, progress=progress)
        self.vectors.update(zip(texts, vectors, strict=True))
        return vectors

    def embed_queries(self, texts: Sequence[str], progress: Callable | None = None) -> np.ndarray:
        """Embed queries (not recorded)."""
        return self.inner.embed_queries(texts, progress=progress)


def full_build(embedder: OnnxEmbedder | SentenceTransformerEmbedder) -> tuple[dict, np.ndarray]:
    """Build a real index of the whole corpus; return its timings and the passage vectors."""
    from semsearch.evaluation import eval_documents, load_eval_set
    from semsearch.indexing import build_from_chunks

    eval_set = load_eval_set(CMRC_CHUNKS)
    documents, chunks_by_doc, _ = eval_documents(eval_set)
    recorder = RecordingEmbedder(embedder)
    with tempfile.TemporaryDirectory(prefix="semsearch-bench-") as folder:
        report = build_from_chunks(Path(folder) / "index", documents, chunks_by_doc, recorder)
    chunks = report.chunks_total
    embed_seconds = report.timings.get("embed", float("nan"))
    summary = {
        "chunks": chunks,
        "build_seconds": round(report.seconds, 1),
        "build_chunks_per_s": round(chunks / report.seconds, 2),
        "embed_seconds": round(embed_seconds, 1),
        "embed_chunks_per_s": round(report.chunks_embedded / embed_seconds, 2),
        "timings": {key: round(value, 2) for key, value in report.timings.items()},
    }
    return summary, recorder


def main() -> None:
    """Run the comparison and the full-corpus measurement; print tables and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=600, help="passages in the comparison")
    parser.add_argument("--slices", type=int, default=6, help="interleaving slices")
    parser.add_argument("--no-full", action="store_true", help="skip the full-corpus part")
    args = parser.parse_args()

    corpus = load_eval_corpus()
    sample = [corpus.passages[i] for i in sample_indices(len(corpus.passages), args.sample)]
    load_before = load_average()
    print(f"Loading both backends (load average {load_before})…", flush=True)
    fp32 = load_embedder(backend=BACKEND_TORCH)
    int8 = load_embedder(backend=BACKEND_ONNX)
    assert isinstance(fp32, SentenceTransformerEmbedder) and isinstance(int8, OnnxEmbedder)
    int8_one_thread = OnnxEmbedder(int8.onnx_path, int8.model_id, int8.path, threads=1)
    int8_spinning = OnnxEmbedder(int8.onnx_path, int8.model_id, int8.path, spinning=True)
    candidates: dict[str, EmbedFunction] = {
        "torch fp32 (sorted by length; reference)": lambda t: fp32.embed_passages(t, BATCH_SIZE),
        "torch fp32, unsorted": lambda t: unsorted_passages(fp32, t),
        f"torch fp32, max_seq_length {FITTED_MAX_SEQ_LENGTH}": with_max_seq_length(fp32),
        "torch fp32, 1 thread": torch_one_thread(fp32),
        "onnx int8 (default: no spin-wait)": lambda t: int8.embed_passages(t, BATCH_SIZE),
        f"onnx int8, max_seq_length {FITTED_MAX_SEQ_LENGTH}": with_max_seq_length(int8),
        "onnx int8, 1 thread": lambda t: int8_one_thread.embed_passages(t, BATCH_SIZE),
        "onnx int8, threads spin-wait": lambda t: int8_spinning.embed_passages(t, BATCH_SIZE),
    }
    print(f"Comparing {len(candidates)} paths on {len(sample)} passages…", flush=True)
    comparison = compare(candidates, sample, args.slices)
    baseline = comparison[next(iter(comparison))]["chunks_per_s"]
    print_table(
        f"Embedding throughput, {len(sample)} cmrc2018_chunks passages, interleaved "
        f"(load {load_before[0]} → {load_average()[0]})",
        ["path", "chunks/s", "× fp32", "cosine to fp32 (mean / min)"],
        [
            [
                name,
                row["chunks_per_s"],
                f"{row['chunks_per_s'] / baseline:.2f}",
                f"{row['cosine_to_reference_mean']:.4f} / {row['cosine_to_reference_min']:.4f}",
            ]
            for name, row in comparison.items()
        ],
    )
    payload: dict = {
        "sample": len(sample),
        "load_average_start": load_before,
        "comparison": comparison,
    }
    if not args.no_full:
        payload["full"] = run_full(corpus, fp32, int8)
    else:
        previous = RESULTS_DIR / "throughput.json"
        if previous.is_file():  # keep the last full-corpus measurement
            payload["full"] = json.loads(previous.read_text(encoding="utf-8")).get("full")
    payload["load_average_end"] = load_average()
    path = write_result("throughput", payload)
    print(f"\nWrote {path}")


def run_full(corpus, fp32: SentenceTransformerEmbedder, int8: OnnxEmbedder) -> dict:
    """Full corpus with both backends, back to back: speed and retrieval quality."""
    results: dict[str, dict] = {}
    for name, embedder in (("torch fp32", fp32), ("onnx int8", int8)):
        load = load_average()
        print(f"\nFull corpus with {name}: building a real index (load {load})…", flush=True)
        build, recorder = full_build(embedder)
        passages = np.stack([recorder.vectors[text] for text in corpus.passages])
        started = time.perf_counter()
        queries = embedder.embed_queries(corpus.query_texts)
        query_seconds = time.perf_counter() - started
        metrics = dense_metrics(passages, queries, corpus.ids, corpus.relevant)
        results[name] = {
            **build,
            "queries": len(queries),
            "queries_per_s": round(len(queries) / query_seconds, 1),
            **metrics,
            "load_average": load,
        }
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        np.save(CACHE_DIR / f"cmrc2018_chunks-passages-{embedder.fingerprint}.npy", passages)
        np.save(CACHE_DIR / f"cmrc2018_chunks-queries-{embedder.fingerprint}.npy", queries)
    fp32_row, int8_row = results["torch fp32"], results["onnx int8"]
    print_table(
        "Full cmrc2018_chunks (4,912 chunks, 4,218 questions): real index build + dense retrieval",
        ["backend", "embed chunks/s", "build chunks/s", "MRR@10", "R@1", "R@10", "load"],
        [
            [
                name,
                row["embed_chunks_per_s"],
                row["build_chunks_per_s"],
                row["mrr_at_10"],
                row["recall_at_1"],
                row["recall_at_10"],
                row["load_average"][0],
            ]
            for name, row in results.items()
        ],
    )
    speedup = int8_row["embed_chunks_per_s"] / fp32_row["embed_chunks_per_s"]
    loss = fp32_row["mrr_at_10"] - int8_row["mrr_at_10"]
    print(f"ONNX int8: {speedup:.2f}× the float32 embedding rate, MRR@10 loss {loss:+.2f} points")
    return {"backends": results, "speedup": round(speedup, 2), "mrr_loss_points": round(loss, 2)}


if __name__ == "__main__":
    main()
