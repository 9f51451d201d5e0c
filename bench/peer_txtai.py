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
import os
import resource
import statistics
import sys
import time

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
    load_before = os.getloadavg()
    started = time.perf_counter()
    embeddings.index(
        (chunk["id"], f"{chunk['title']}\n{chunk['text']}" if chunk["title"] else chunk["text"])
        for chunk in chunks
    )
    index_seconds = time.perf_counter() - started
    article_of = {chunk["id"]: chunk["article"] for chunk in chunks}
    for query in queries[:WARM_UP]:
        embeddings.search(query["text"], K)
    timings, rankings = [], []
    for query in queries:
        started = time.perf_counter()
        found = embeddings.search(query["text"], K)
        timings.append((time.perf_counter() - started) * 1000.0)
        rankings.append([article_of[str(hit["id"])] for hit in found])
    result = {
        "system": "txtai",
        "load_seconds": round(load_seconds, 2),
        "index_seconds": round(index_seconds, 2),
        "query_p50_ms": round(statistics.median(timings), 2),
        "rankings": rankings,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": [round(value, 2) for value in load_before],
    }
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
