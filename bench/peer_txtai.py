"""The peer's side of ``bench/peers.py``: index chunks and answer queries with txtai.

Run by ``bench/peers.py`` with the Python of the peer's own virtual environment (made on
demand, see there), so it imports only the standard library and txtai. The configuration is the
best one found for this kind of corpus (/work/shared/docs/peers.md): hybrid search with BM25
over character 1–2-grams of every word run, ``bb25`` normalization and log-odds fusion, the same
e5 model folder semsearch converts, prompts ``query: `` / ``passage: ``, each chunk indexed as
``title + "\\n" + text``.

Usage (by ``bench/peers.py``)::

    PEER_PYTHON bench/peer_txtai.py CHUNKS.jsonl QUERIES.jsonl MODEL_FOLDER RESULT.json
"""

from __future__ import annotations

import json
import sys
import time

from peer_result import load_average, time_queries, write_peer_result

#: Results per query (MRR@10 needs 10).
K = 10
#: Queries searched before timing (first calls allocate and warm caches).
WARM_UP = 5


def best_config(model: str) -> dict:
    """The best txtai configuration measured on the shared sets (docs/peers.md)."""
    return {
        "path": model,
        "content": True,
        "instructions": {"query": "query: ", "data": "passage: "},
        "hybrid": True,
        "scoring": {
            "method": "bm25",
            "terms": True,
            "normalize": "bb25",
            "tokenizer": {"ngrams": {"nmin": 1, "nmax": 2}},
        },
    }


def read_jsonl(path: str) -> list[dict]:
    """Read one JSON object a line."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main() -> None:
    """Load the model, index the chunks, run the queries one at a time; write the result."""
    chunks_file, queries_file, model, result_file = sys.argv[1:5]
    from txtai import Embeddings

    chunks = read_jsonl(chunks_file)
    queries = read_jsonl(queries_file)
    started = time.perf_counter()
    embeddings = Embeddings(best_config(model))
    # txtai loads the model lazily; one tiny batch loads it outside the timed index.
    embeddings.batchtransform(["预热"])
    load_seconds = time.perf_counter() - started
    load_before = load_average()
    started = time.perf_counter()
    embeddings.index(
        (chunk["id"], f"{chunk['title']}\n{chunk['text']}" if chunk["title"] else chunk["text"])
        for chunk in chunks
    )
    index_seconds = time.perf_counter() - started
    article_of = {chunk["id"]: chunk["article"] for chunk in chunks}
    timings, rankings = time_queries(
        lambda text: [article_of[str(hit["id"])] for hit in embeddings.search(text, K)],
        queries,
        WARM_UP,
    )
    seconds = {"load_seconds": load_seconds, "index_seconds": index_seconds}
    write_peer_result(result_file, "txtai", seconds, timings, rankings, load_before)


if __name__ == "__main__":
    main()
