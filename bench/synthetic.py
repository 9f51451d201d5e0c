"""Synthetic indexes of any size, made from the real eval corpus, for the scale benchmarks.

A real corpus of 100k or 1M Chinese news chunks is not available offline, and embedding one would
take hours here, so larger indexes are synthesized from ``cmrc2018_chunks`` (4,912 real chunks,
their real vectors and their real keyword tokens):

- **chunks**: each synthetic chunk joins the first half of one real chunk and the second half of
  another (chosen at random), under the first one's title; ten chunks form a document.
- **vectors**: ``normalize(w·a + (1−w)·b + σ·g)`` with ``a``, ``b`` the real vectors of those two
  chunks, ``w`` uniform in [0.55, 0.95] and ``g`` Gaussian noise (σ = 0.35/√384 per component), so
  the vectors stay on the real embedding manifold, are all distinct and have nearest-neighbour
  cosines like the real corpus (measured and printed by ``bench/ann.py``).
- **sentence vectors**: :data:`SENTENCES_PER_CHUNK` per chunk (real chunks of two or more
  sentences have 2.9 on average), each ``normalize(v + σ·g)`` around the chunk's vector ``v``
  (σ = 0.5/√384), stored as the indexer stores them; the search cost of sentence vectors is
  reading them and one small matrix product per candidate, which this reproduces.
- **keyword tokens**: the first half of one chunk's real tokens plus the second half of the
  other's, so term frequencies and posting-list lengths follow the real corpus. The BM25 index
  is the real one (``lexical.KeywordIndex``: a segment of term-frequency components and term
  counts), made from term ids and counts (``KeywordIndex.from_term_counts``), because Python
  token lists do not fit in memory at 1M.

:func:`write_index` writes the index through the product's writer (``storage.open_writer``), so
its schema, manifest, vector index kind (IVF from ``APPROXIMATE_MIN_CHUNKS`` on) and publishing
are the product's; only BM25 is handed over ready-made (``LocalWriter.commit(keyword_index=…)``).
The CLI and app open it like any index.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import CACHE_DIR, load_eval_corpus

NOISE = 0.35
SENTENCE_NOISE = 0.5
SENTENCES_PER_CHUNK = 3
CHUNKS_PER_DOCUMENT = 10


@dataclass
class BaseMaterial:
    """The real corpus the synthesis draws from."""

    titles: list[str]
    texts: list[str]
    vectors: np.ndarray
    token_ids: list[np.ndarray]
    vocabulary: dict[str, int]

    @functools.cached_property
    def words(self) -> list[str]:
        """The vocabulary as a list: the token of each term id."""
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)


def base_vectors(embedder: Any) -> tuple[np.ndarray, np.ndarray]:
    """Real passage and query vectors of cmrc2018_chunks for this embedder (cached on disk).

    ``bench/throughput.py`` leaves them in ``bench/.cache``; otherwise they are computed here
    (about 2 minutes with the ONNX backend).
    """
    passages_file = CACHE_DIR / f"cmrc2018_chunks-passages-{embedder.fingerprint}.npy"
    queries_file = CACHE_DIR / f"cmrc2018_chunks-queries-{embedder.fingerprint}.npy"
    if passages_file.is_file() and queries_file.is_file():
        return np.load(passages_file), np.load(queries_file)
    corpus = load_eval_corpus()
    print("Embedding the 4,912 real chunks once (cached in bench/.cache)…", flush=True)
    passages = embedder.embed_passages(corpus.passages)
    queries = embedder.embed_queries(corpus.query_texts)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(passages_file, passages)
    np.save(queries_file, queries)
    return passages, queries


def load_base(embedder: Any) -> BaseMaterial:
    """Read the real corpus, its vectors and its keyword tokens (as ids)."""
    from semsearch import lexical

    corpus = load_eval_corpus()
    passages, _queries = base_vectors(embedder)
    titles = [passage.split("\n", 1)[0] for passage in corpus.passages]
    texts = [
        passage.split("\n", 1)[1] if "\n" in passage else passage for passage in corpus.passages
    ]
    vocabulary: dict[str, int] = {}
    token_ids = []
    for passage in corpus.passages:
        tokens = lexical.tokenize(passage)
        token_ids.append(
            np.array([vocabulary.setdefault(t, len(vocabulary)) for t in tokens], dtype=np.int32)
        )
    return BaseMaterial(titles, texts, passages.astype(np.float32), token_ids, vocabulary)


def synthetic_vectors(
    base: np.ndarray, count: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mix pairs of real vectors with noise; return ``(vectors, first, second)`` source rows."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(base), size=count)
    second = rng.integers(0, len(base), size=count)
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    sigma = NOISE / np.sqrt(base.shape[1])
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        weight = rng.uniform(0.55, 0.95, size=(stop - start, 1)).astype(np.float32)
        mixed = weight * base[first[start:stop]] + (1 - weight) * base[second[start:stop]]
        mixed += rng.normal(0, sigma, size=mixed.shape).astype(np.float32)
        mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
        out[start:stop] = mixed
    return out, first, second


def synthetic_term_counts(base: BaseMaterial, first: np.ndarray, second: np.ndarray) -> Any:
    """Term counts of each synthetic chunk: the first half of the tokens of real chunk
    ``first[i]`` plus the second half of those of ``second[i]`` (a ``lexical.TermCounts``)."""
    from semsearch import lexical

    halves = [(ids[: len(ids) // 2], ids[len(ids) // 2 :]) for ids in base.token_ids]
    half_counts = [tuple(np.unique(part, return_counts=True) for part in pair) for pair in halves]
    term_parts, count_parts = [], []
    sizes = np.empty(len(first), dtype=np.int64)
    for doc in range(len(first)):
        (terms_a, counts_a), _ = half_counts[first[doc]]
        _, (terms_b, counts_b) = half_counts[second[doc]]
        term_parts += (terms_a, terms_b)
        count_parts += (counts_a, counts_b)
        sizes[doc] = len(terms_a) + len(terms_b)
    row_starts = np.zeros(len(first) + 1, dtype=np.int64)
    np.cumsum(sizes, out=row_starts[1:])
    return lexical.TermCounts(row_starts, np.concatenate(term_parts), np.concatenate(count_parts))


def synthetic_keyword_index(
    base: BaseMaterial, first: np.ndarray, second: np.ndarray, chunk_ids: np.ndarray
):
    """BM25 of the synthetic chunks, from the term counts of the real halves they join."""
    from semsearch import lexical

    return lexical.KeywordIndex.from_term_counts(
        chunk_ids, base.vocabulary, synthetic_term_counts(base, first, second)
    )


def _synthetic_key(chunk_id: int) -> str:
    return f"synthetic-{chunk_id}"


def synthetic_tokens(base: BaseMaterial, first: int, second: int) -> list[str]:
    """The keyword tokens of one synthetic chunk: the first half of real chunk ``first``'s plus
    the second half of real chunk ``second``'s (what :func:`synthetic_term_counts` counts)."""
    words = base.words
    a, b = base.token_ids[first], base.token_ids[second]
    return [words[i] for i in a[: len(a) // 2]] + [words[i] for i in b[len(b) // 2 :]]


def _document(
    base: BaseMaterial, rows: range, first: np.ndarray, second: np.ndarray, doc_id: str, day: int
) -> tuple[Any, list[Any]]:
    """A synthetic document of the given rows (each joins halves of two real chunks)."""
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document

    texts = []
    for row in rows:
        a, b = base.texts[first[row]], base.texts[second[row]]
        texts.append(a[: len(a) // 2] + b[len(b) // 2 :])
    title = base.titles[first[rows[0]]]
    document = Document(
        doc_id=doc_id,
        path=doc_id,
        title=title,
        text="\n".join(texts),
        date=str(np.datetime64("2020-01-01") + day % 1500),
        source="synthetic",
        author=None,
        content_hash=hashlib.sha256(doc_id.encode()).hexdigest(),
        script="simplified",
    )
    chunks, offset = [], 0
    for index_in_doc, text in enumerate(texts):
        chunks.append(
            Chunk(doc_id, index_in_doc, index_in_doc, offset, offset + len(text), text, title)
        )
        offset += len(text) + 1
    return document, chunks


def add_documents(
    writer: Any,
    base: BaseMaterial,
    vectors: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    with_tokens: bool = False,
    first_row: int = 0,
) -> None:
    """Add the synthetic documents (ten chunks each) with their chunk vectors to the writer.

    Chunk ``row`` gets id ``first_row + row + 1`` (a new index starts at 1), the id the BM25
    part uses; ``first_row`` numbers documents added to an index of that many chunks after its
    own. With ``with_tokens`` each chunk's keyword tokens are given too
    (:func:`synthetic_tokens`; an engine that keeps BM25 itself, such as Qdrant, needs them),
    else none are stored.
    """
    count = len(vectors)
    for number in range((count + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT):
        rows = range(number * CHUNKS_PER_DOCUMENT, min(count, (number + 1) * CHUNKS_PER_DOCUMENT))
        number += first_row // CHUNKS_PER_DOCUMENT
        document, chunks = _document(
            base, rows, first, second, f"synthetic/{number:07d}.txt", number
        )
        keys = [_synthetic_key(first_row + row + 1) for row in rows]
        # Without tokens none are stored: at 1M chunks the token lists do not fit in memory, and
        # the local engine's BM25 comes from term counts (synthetic_keyword_index).
        tokens = [
            synthetic_tokens(base, first[row], second[row]) if with_tokens else [] for row in rows
        ]
        ids = writer.add_document(document, chunks, vectors[rows.start : rows.stop], tokens, keys)
        assert ids[0] == first_row + rows.start + 1, "synthetic chunk ids follow the rows"


def _noisy_copies(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:data:`SENTENCES_PER_CHUNK` normalized noisy copies of each vector (its sentences)."""
    count, dimension = vectors.shape
    noisy = vectors[:, None, :] + rng.normal(
        0.0, SENTENCE_NOISE / np.sqrt(dimension), (count, SENTENCES_PER_CHUNK, dimension)
    ).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=2, keepdims=True)


def apply_updates(
    index_dir: Path, count: int, embedder: Any, base: BaseMaterial, chunks: int = 20, seed: int = 1
) -> list[float]:
    """Run ``count`` small updates, as a user's would: each adds an article of ``chunks`` chunks
    (vectors, keyword tokens and sentences made like the others') and removes an old one.

    Returns:
        The seconds each update took.
    """
    from semsearch.chunking import ChunkingConfig
    from semsearch.storage import open_writer

    rng = np.random.default_rng(seed)
    seconds = []
    for number in range(count):
        started = time.perf_counter()
        vectors, first, second = synthetic_vectors(base.vectors, chunks, seed + number)
        doc_id = f"updates/{seed}-{number:05d}.txt"
        document, parts = _document(base, range(chunks), first, second, doc_id, number)
        tokens = [synthetic_tokens(base, a, b) for a, b in zip(first, second, strict=True)]
        keys = [f"update-{seed}-{number}-{row}" for row in range(chunks)]
        with open_writer(index_dir, embedder, ChunkingConfig()) as writer:
            total = writer.base.document_count if writer.base is not None else 1
            writer.remove_document(f"synthetic/{int(rng.integers(0, total)):07d}.txt")
            writer.add_document(document, parts, vectors, tokens, keys)
            noisy = _noisy_copies(vectors, rng)
            writer.add_sentence_vectors({key: noisy[row] for row, key in enumerate(keys)})
            writer.commit().close()
        seconds.append(time.perf_counter() - started)
    return seconds


def add_sentence_vectors(writer: Any, vectors: np.ndarray, seed: int, first_row: int = 0) -> None:
    """Store :data:`SENTENCES_PER_CHUNK` noisy copies of each chunk vector as its sentences
    (the chunks of :func:`add_documents` with the same ``first_row``)."""
    rng = np.random.default_rng(seed + 1)
    for start in range(0, len(vectors), 50_000):
        rows = np.arange(start, min(len(vectors), start + 50_000))
        noisy = _noisy_copies(vectors[rows], rng)
        writer.add_sentence_vectors(
            {_synthetic_key(first_row + int(row) + 1): noisy[i] for i, row in enumerate(rows)}
        )


def write_index(
    index_dir: Path, count: int, embedder: Any, base: BaseMaterial, seed: int = 0
) -> dict[str, float]:
    """Write a complete synthetic index of ``count`` chunks into ``index_dir``; return timings.

    Everything but BM25 goes through the product's writer (``storage.open_writer``): the same
    schema, manifest, vector index kind and publishing as a real index.
    """
    from semsearch.chunking import ChunkingConfig
    from semsearch.storage import open_writer

    timings: dict[str, float] = {}
    started = time.perf_counter()
    vectors, first, second = synthetic_vectors(base.vectors, count, seed)
    timings["vectors"] = time.perf_counter() - started

    started = time.perf_counter()
    keyword_index = synthetic_keyword_index(
        base, first, second, np.arange(1, count + 1, dtype=np.int64)
    )
    timings["bm25"] = time.perf_counter() - started

    with open_writer(index_dir, embedder, ChunkingConfig(), rebuild=True) as writer:
        started = time.perf_counter()
        writer.extra_manifest["synthetic"] = {
            "seed": seed,
            "source": "cmrc2018_chunks",
            "noise": NOISE,
        }
        add_documents(writer, base, vectors, first, second)
        add_sentence_vectors(writer, vectors, seed)
        del vectors  # the writer keeps views of the rows until it builds the vector index
        timings["sqlite"] = time.perf_counter() - started
        started = time.perf_counter()
        writer.commit(keyword_index=keyword_index).close()
        timings["commit"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in timings.items()}


def expected_vector_kind(count: int) -> str:
    """The vector index kind the product writes for a fresh index of ``count`` chunks.

    Args:
        count: Chunks in the index (one segment).

    Returns:
        ``"ivf-flat"`` from ``APPROXIMATE_MIN_CHUNKS`` on, else ``"flat"``.
    """
    from semsearch.storage.local import vectors

    return "ivf-flat" if count >= vectors.APPROXIMATE_MIN_CHUNKS else "flat"


def ensure_index(count: int, embedder: Any, base: BaseMaterial | None = None) -> Path:
    """Return a synthetic index of ``count`` chunks in ``bench/.cache``, writing it if needed."""
    from semsearch.storage.local.opening import open_local_index

    index_dir = CACHE_DIR / f"synthetic-{count}-{embedder.fingerprint}-s{SENTENCES_PER_CHUNK}"
    try:
        # Lazily: checking that it is complete need not read a million vectors.
        reader = open_local_index(index_dir, lazy=True)
        kind = (reader.manifest.vector_index or {"type": "flat"})["type"]
        reader.close()
        if kind == expected_vector_kind(count):
            return index_dir
        # Written under another vector index policy (APPROXIMATE_MIN_CHUNKS changed since).
        print(f"{index_dir.name} holds {kind} vectors: writing it again", flush=True)
        raise FileNotFoundError(index_dir)
    except Exception:  # missing, half-written or of another vector kind: write it again
        import shutil

        shutil.rmtree(index_dir, ignore_errors=True)
    base = base or load_base(embedder)
    index_dir.mkdir(parents=True)
    print(f"Writing a synthetic index of {count:,} chunks into {index_dir}…", flush=True)
    timings = write_index(index_dir, count, embedder, base)
    print(f"  done: {timings}", flush=True)
    return index_dir
