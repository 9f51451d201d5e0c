"""Check that bench/retrieval.py replays the product: per query, its default rows give the same
top 10 as the real searcher on a real index of the set.

bench/retrieval.py ranks through the same core as the searcher (``semsearch.ranking``), but from
score matrices it computes itself; this compares, query by query, its default semantic, keyword
and hybrid rows with ``semsearch.search.Searcher`` over an index built by the real indexer (the
index ``semsearch eval`` builds). A difference means the matrices no longer model what the index
stores (as float32 sentence vectors once did, where the index keeps float16).

Cosines are float32 dot products, and FAISS, numpy's matrix-vector product (the index's rescoring)
and numpy's matrix product (the benchmark's matrices) sum them in different orders, so the same
cosine can differ in its last bits: two chunks tied in one can be 3e-7 apart in the other. Hybrid
mode scales cosines by the pool's spread, which magnifies that to a few 1e-6 in fused scores. A
query whose orders differ only among hits whose scores in the product are within
:data:`FLOAT_NOISE` is counted apart, as noise; any other difference makes the check fail.

Usage (from the repository root; vectors come from the evaluation cache)::

    .venv/bin/python bench/retrieval_parity.py eval/xquad_zh eval/cmrc2018_chunks
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval import DEPTH, FINAL, rank_hybrid, rank_semantic, rank_single  # noqa: E402
from retrieval_matrices import SetMatrices, load_matrices  # noqa: E402

from semsearch.evaluation import CachedEmbedder, eval_documents, load_eval_set  # noqa: E402
from semsearch.indexing import build_from_chunks  # noqa: E402
from semsearch.search import Searcher  # noqa: E402
from semsearch.storage import open_index  # noqa: E402

#: Scores this close in the product are equal up to float32 rounding of the cosines (measured:
#: up to 3e-7 apart in blended cosines, 2e-6 in fused scores).
FLOAT_NOISE = 1e-5


def replays(data: SetMatrices) -> dict[str, list[np.ndarray]]:
    """The benchmark's default row of each mode: chunk rows per query, best first."""
    return {
        "hybrid": rank_hybrid(data, "final", FINAL),
        "semantic": rank_semantic(data, FINAL),
        "keyword": rank_single(data.keyword["final"], True),
    }


def only_float_noise(product: list[tuple[str, float]], replay: list[str]) -> bool:
    """Whether two orders of the same hits differ only among scores equal up to rounding.

    Args:
        product: The searcher's ``(passage id, score)`` hits, best first.
        replay: The benchmark's passage ids, best first.

    Returns:
        True when both hold the same passages and, at every position, the benchmark's passage
        has a product score within :data:`FLOAT_NOISE` of the product's score there.
    """
    scores = dict(product)
    if set(scores) != set(replay):
        return False
    return all(abs(scores[item] - product[i][1]) <= FLOAT_NOISE for i, item in enumerate(replay))


def compare(folder: Path, embedder: CachedEmbedder) -> int:
    """Print, per mode, how many queries the benchmark ranks otherwise than the searcher.

    Args:
        folder: An evaluation set.
        embedder: The cached model.

    Returns:
        The number of (query, mode) pairs that differ beyond float noise.
    """
    data = load_matrices(folder, embedder)
    eval_set = load_eval_set(folder)
    documents, chunks_by_doc, passage_of = eval_documents(eval_set)
    differ_total = 0
    with tempfile.TemporaryDirectory(prefix="semsearch-parity-") as scratch:
        build_from_chunks(Path(scratch) / "index", documents, chunks_by_doc, embedder)
        reader = open_index(Path(scratch) / "index")
        try:
            passage_of_chunk = {
                chunk.chunk_id: passage_of[(chunk.doc_id, chunk.index)]
                for chunk in reader.chunks(reader.chunk_ids().tolist())
            }
            searcher = Searcher(reader, embedder)
            for mode, rankings in replays(data).items():
                differ = noise = 0
                for query, rows in zip(eval_set.queries, rankings, strict=True):
                    found = searcher.search(
                        query.text, k=DEPTH, mode=mode, context=False, highlight=False
                    )
                    product = [(passage_of_chunk[hit.chunk_id], hit.score) for hit in found.hits]
                    replay = [data.passage_ids[row] for row in rows]
                    if [passage for passage, _ in product] == replay:
                        continue
                    if only_float_noise(product, replay):
                        noise += 1
                        continue
                    differ += 1
                    print(f"  {mode} {query.query_id}: product {product}, bench {replay}")
                print(
                    f"{data.name} {mode}: {differ} of {len(rankings)} queries differ"
                    f" (and {noise} only in the order of scores within {FLOAT_NOISE:g})",
                    flush=True,
                )
                differ_total += differ
        finally:
            reader.close()
    return differ_total


def main() -> None:
    """Compare the benchmark with the product on the given sets; exit 1 if any query differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, help="eval folders")
    parser.add_argument("--model", default=None, help="model name or path (default: default)")
    arguments = parser.parse_args()

    from semsearch.embed import load_embedder

    embedder = CachedEmbedder(load_embedder(arguments.model))
    try:
        differ = sum(compare(folder, embedder) for folder in arguments.sets)
    finally:
        embedder.close()
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
