"""semsearch's side of ``bench/peers.py``: index the chunks and answer the queries.

The same work as the peer's runner (``bench/peer_txtai.py``), with the product's code: the
default model and backend, ``indexing.build_from_chunks`` (chunk vectors, sentence vectors,
SQLite, FAISS, BM25) into a temporary index, then ``Searcher.search`` in hybrid mode, one query at
a time, the query's embedding included.

Usage (by ``bench/peers.py``)::

    .venv/bin/python bench/peer_semsearch.py CHUNKS.jsonl QUERIES.jsonl MODEL_FOLDER RESULT.json
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

from peer_result import load_average, time_queries, write_peer_result

from semsearch.chunking import Chunk
from semsearch.embed import load_embedder
from semsearch.indexing import build_from_chunks
from semsearch.ingest import Document
from semsearch.search import Searcher
from semsearch.storage import open_index

#: Results per query (MRR@10 needs 10), and queries searched before timing.
K = 10
WARM_UP = 5
CHUNK_FIELDS = tuple(field.name for field in dataclasses.fields(Chunk))


def read_corpus(folder: Path) -> tuple[list[Document], dict[str, list[Chunk]], dict[str, str]]:
    """The documents and chunks ``bench/peers.py`` wrote, and each document's article id."""
    documents = [
        Document(**json.loads(line))
        for line in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    chunks_by_doc: dict[str, list[Chunk]] = {}
    article_of: dict[str, str] = {}
    for line in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        article_of[row["doc_id"]] = row["article"]
        chunk = Chunk(**{field: row[field] for field in CHUNK_FIELDS})
        chunks_by_doc.setdefault(chunk.doc_id, []).append(chunk)
    return documents, chunks_by_doc, article_of


def main() -> None:
    """Load the model, index the chunks, run the queries one at a time; write the result."""
    chunks_file, queries_file, _model, result_file = (Path(value) for value in sys.argv[1:5])
    documents, chunks_by_doc, article_of = read_corpus(chunks_file.parent)
    queries = [json.loads(line) for line in queries_file.read_text(encoding="utf-8").splitlines()]
    started = time.perf_counter()
    embedder = load_embedder()
    embedder.embed_queries(["预热"])  # loads the session outside the timed index
    load_seconds = time.perf_counter() - started
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="semsearch-peer-") as folder:
        index_dir = Path(folder) / "index"
        started = time.perf_counter()
        build_from_chunks(index_dir, documents, chunks_by_doc, embedder)
        index_seconds = time.perf_counter() - started
        searcher = Searcher(open_index(index_dir), embedder)
        timings, rankings = time_queries(
            lambda text: [
                article_of[hit.doc_id]
                for hit in searcher.search(
                    text, k=K, mode="hybrid", context=False, highlight=False
                ).hits
            ],
            queries,
            WARM_UP,
        )
    seconds = {"load_seconds": load_seconds, "index_seconds": index_seconds}
    write_peer_result(str(result_file), "semsearch", seconds, timings, rankings, load_before)


if __name__ == "__main__":
    main()
