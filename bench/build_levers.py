"""The build's embedding levers, measured one on top of the other in one interleaved run.

A build embeds every chunk (``title + "\\n" + text``) and every sentence of a chunk of two or
more sentences (``title + "\\n" + sentence``). This script embeds exactly those texts for the
first articles of a news set of ``eval/`` with each candidate in turn, rotating the order on
every repeat so that the machine's load (shared, 2 cores) hits all alike, and reports the median
characters of chunk text per second (the measure ``bench/peers.py`` uses) and × the first row:

1. **before**: the export of version 2 (traced graph, int8), batches of 32 texts longest first,
   one forward pass at a time on ONNX Runtime's threads (2), chunks and sentences in separate
   calls (as ``indexing/vectors.py`` makes them);
2. **+ fused graph**: the export of version 3 (ONNX Runtime's transformer optimizer before
   quantization: Attention, SkipLayerNorm, BiasGelu);
3. **+ token budget**: batches packed to at most ``BATCH_TOKENS`` padded tokens;
4. **+ 2 passes × 1 thread**: two forward passes at once, one thread each;
5. **+ chunks and sentences in one call**: packed together by token length;
6. **+ no title on sentences**: the sentence alone (speed only: quality needs ``semsearch eval``).

It also prints the mean cosine of each candidate's chunk vectors to the first row's (quality
proxy; MRR@10 is measured with ``semsearch eval``). Needs both exports in the model cache (the
version-2 one is kept by earlier installs; without it the first row is left out).

Usage::

    .venv/bin/python bench/build_levers.py                 # ~8 min on 2 cores
    .venv/bin/python bench/build_levers.py --articles 40 --repeats 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import EVAL_DIR, load_average, print_table, write_result

from semsearch.chunking import chunk_document, passage_text, sentence_passages
from semsearch.embed import OnnxEmbedder, load_embedder, onnx_files
from semsearch.embed.batching import BATCH_TOKENS
from semsearch.evaluation import eval_documents, load_eval_set
from semsearch.text import split_sentences

#: Old-style batches: only the count limits them.
UNLIMITED_TOKENS = 10**9


@dataclass
class Texts:
    """What a build embeds for a corpus: chunk passages, sentence passages (with and without
    the title), and the characters of chunk text."""

    chunks: list[str]
    sentences: list[str]
    bare_sentences: list[str]
    characters: int


def corpus_texts(set_name: str, articles: int) -> Texts:
    """Chunk the first ``articles`` of a set as the build does; return the texts it embeds."""
    documents, _, _ = eval_documents(load_eval_set(EVAL_DIR / set_name))
    chunks = [chunk for document in documents[:articles] for chunk in chunk_document(document)]
    sentences = [text for chunk in chunks for text in sentence_passages(chunk.text, chunk.title)]
    bare = [
        sentence
        for chunk in chunks
        for sentence in (split_sentences(chunk.text) if sentence_passages(chunk.text) else [])
    ]
    return Texts(
        chunks=[passage_text(chunk) for chunk in chunks],
        sentences=sentences,
        bare_sentences=bare,
        characters=sum(len(chunk.text) for chunk in chunks),
    )


def version2_embedder(model: OnnxEmbedder) -> OnnxEmbedder | None:
    """The export of version 2 beside the current one in the model cache, if it is there."""
    folder = Path(str(model.onnx_path)[: -len(f"v{onnx_files.ONNX_EXPORT_VERSION}")] + "v2")
    if onnx_files.read_onnx_marker(folder, versions=(2,)) is None:
        return None
    embedder = OnnxEmbedder(folder, model.model_id, model.path, parallel_batches=1)
    embedder.load()
    return embedder


def candidates(texts: Texts) -> list[tuple[str, Callable[[], np.ndarray]]]:
    """The ladder of candidates; each returns the chunk vectors it made."""
    current = load_embedder()
    assert isinstance(current, OnnxEmbedder)
    fused_serial = OnnxEmbedder(current.onnx_path, current.model_id, current.path,
                                parallel_batches=1)  # fmt: skip
    fused_parallel = OnnxEmbedder(current.onnx_path, current.model_id, current.path,
                                  parallel_batches=2)  # fmt: skip
    old = version2_embedder(current)
    for embedder in (fused_serial, fused_parallel):
        embedder.load()

    def separate(embedder: OnnxEmbedder, budget: int) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            embedder.batch_tokens = budget
            vectors = embedder.embed_passages(texts.chunks)
            embedder.embed_passages(texts.sentences)
            return vectors

        return run

    def together(sentences: list[str]) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            fused_parallel.batch_tokens = BATCH_TOKENS
            return fused_parallel.embed_passages(texts.chunks + sentences)[: len(texts.chunks)]

        return run

    ladder = [
        ("+ fused graph (export v3)", separate(fused_serial, UNLIMITED_TOKENS)),
        (f"+ token budget ({BATCH_TOKENS})", separate(fused_serial, BATCH_TOKENS)),
        ("+ 2 passes × 1 thread", separate(fused_parallel, BATCH_TOKENS)),
        ("+ chunks and sentences in one call", together(texts.sentences)),
        ("+ no title on sentences", together(texts.bare_sentences)),
    ]
    if old is not None:
        ladder.insert(
            0, ("before (export v2, 32 texts, 2 threads)", separate(old, UNLIMITED_TOKENS))
        )
    return ladder


def main() -> None:
    """Embed the texts with every candidate, interleaved; print and write the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="president_news_short", help="a news set of eval/")
    parser.add_argument("--articles", type=int, default=100, help="first articles of the set")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    texts = corpus_texts(args.set, args.articles)
    ladder = candidates(texts)
    for _name, run in ladder:  # warm: first calls allocate ONNX Runtime's arenas
        run.__call__()
    seconds: dict[str, list[float]] = {name: [] for name, _ in ladder}
    vectors: dict[str, np.ndarray] = {}
    loads = [load_average()]
    for repeat in range(args.repeats):
        shift = repeat % len(ladder)
        for name, run in ladder[shift:] + ladder[:shift]:
            started = time.perf_counter()
            vectors[name] = run()
            seconds[name].append(time.perf_counter() - started)
            print(f"  {repeat + 1}/{args.repeats} {name}: {seconds[name][-1]:.1f} s", flush=True)
        loads.append(load_average())
    first = ladder[0][0]
    rows, results = [], []
    for name, _ in ladder:
        median = statistics.median(seconds[name])
        cosine = float(np.mean(np.sum(vectors[name] * vectors[first], axis=1)))
        result = {
            "candidate": name,
            "seconds": [round(value, 2) for value in seconds[name]],
            "median_seconds": round(median, 2),
            "chars_per_s": round(texts.characters / median, 1),
            "times_first": round(statistics.median(seconds[first]) / median, 2),
            "cosine_to_first": round(cosine, 4),
        }
        results.append(result)
        rows.append(
            [name, result["chars_per_s"], f"{result['times_first']}×", result["cosine_to_first"]]
        )
    print_table(
        f"{args.set}, first {args.articles} articles: {len(texts.chunks)} chunks "
        f"({texts.characters:,} characters), {len(texts.sentences)} sentences; medians of "
        f"{args.repeats} interleaved runs; load {loads[0]} → {loads[-1]}",
        ["candidate", "chunk chars/s", "× first", "cosine to first"],
        rows,
    )
    path = write_result(
        "build_levers",
        {
            "set": args.set,
            "articles": args.articles,
            "chunks": len(texts.chunks),
            "sentences": len(texts.sentences),
            "characters": texts.characters,
            "batch_tokens": BATCH_TOKENS,
            "repeats": args.repeats,
            "load_averages": loads,
            "candidates": results,
        },
    )
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
