"""The chunk vectors of a segment (``vectors.faiss``): exact below a size, IVF above.

Vectors are L2-normalized, so the inner product is the cosine; each is stored under its chunk
id. A segment of fewer than :data:`APPROXIMATE_MIN_CHUNKS` chunks is exact
(``IndexIDMap2(IndexFlatIP)``), a larger one approximate (``IndexIVFFlat``: inverted lists over
k-means cells, a query scans ``nprobe`` of them). A segment is never changed: its kind is chosen
when it is written (:func:`build_for`), and a merge writes a new one, trained anew.
docs/performance.md has the measurements behind every threshold here.
"""

from __future__ import annotations

import errno
import functools
import os
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from semsearch.storage.manifest import damaged

if TYPE_CHECKING:
    import faiss


@functools.cache
def load_faiss() -> ModuleType:
    """FAISS, imported when vectors are first read or written.

    Importing it costs 0.2–0.5 s (0.49 s measured at load 25), which commands that read no
    vectors (a no-op update, a removal, ``info``) need not pay.

    Returns:
        The ``faiss`` module, set to one OpenMP thread.
    """
    import faiss

    # One query is searched at a time, and FAISS's OpenMP threads cost more than they bring
    # then: on the 2-core machine an exact search of 100k vectors took 38 ms with 2 threads and
    # 8 ms with one (docs/performance.md). Training an IVF index, which does benefit, asks for
    # all cores itself.
    faiss.omp_set_num_threads(1)
    return faiss


#: From this many chunks on, a segment's vectors are kept in an approximate index (IVF, inverted
#: lists over k-means cells) instead of an exact one: a query then scans ``nprobe`` cells instead
#: of every vector. Below it exact search is fast enough (docs/performance.md has the
#: measurements). 200,000 until issue 17 item 3: at 100k the exact scan of every vector was
#: about half of a hybrid query (17 of 29 ms); IVF keeps recall@10 at 0.978 there.
APPROXIMATE_MIN_CHUNKS = 100_000
#: Cells of the IVF index per chunk count: ``sqrt(n)`` cells within these bounds.
IVF_MIN_CELLS = 256
IVF_MAX_CELLS = 4096
#: Training samples per cell (k-means on a sample keeps training to seconds).
IVF_TRAINING_POINTS_PER_CELL = 64
#: A filtered vector search over at most this many chunks is computed exactly from the stored
#: vectors (a matrix product over the allowed ones) instead of scanning the index with a filter.
EXACT_FILTER_MAX_CHUNKS = 50_000


def read_vectors(path: Path, index_dir: Path, handle: BinaryIO | None = None) -> faiss.Index:
    """Read ``vectors.faiss`` into memory.

    Args:
        path: The file.
        index_dir: The index folder (for the hint of errors).
        handle: The file, opened before (it is read even if its path was deleted since).

    Returns:
        The exact or IVF index.

    Raises:
        IndexStoreError: Missing, truncated, corrupt or of another kind.
    """
    faiss = load_faiss()
    if handle is None and not path.is_file():
        raise damaged(path, "is missing", index_dir)
    try:
        vectors = faiss.read_index(_readable(path, handle))
    except RuntimeError as error:
        reason = _last_line(error)
        raise damaged(path, f"is truncated or corrupt (FAISS: {reason[:160]})", index_dir) from None
    if not isinstance(vectors, faiss.IndexIDMap2 | faiss.IndexIVFFlat):
        raise damaged(
            path, f"holds a {type(vectors).__name__}, not an IndexIDMap2 or IndexIVFFlat", index_dir
        )
    return vectors


def _readable(path: Path, handle: BinaryIO | None) -> str | faiss.IOReader:
    """What FAISS reads a file from: its path, or the path of an open handle."""
    faiss = load_faiss()
    if handle is None:
        return str(path)
    handle.seek(0)
    by_descriptor = Path(f"/proc/self/fd/{handle.fileno()}")
    if by_descriptor.exists():  # Linux: a name for the open file, deleted or not, read fast
        return str(by_descriptor)
    return faiss.BufferedIOReader(faiss.PyCallbackIOReader(handle.read), 1 << 20)


def write_vectors(vectors: faiss.Index, path: Path) -> None:
    """Write a vector index to ``path``.

    Raises:
        OSError: The file cannot be written (FAISS's ``RuntimeError`` made an ``OSError`` with
            the system's error number when its message names one, so every write failure
            reads the same).
    """
    faiss = load_faiss()
    try:
        faiss.write_index(vectors, str(path))
    except RuntimeError as error:
        # FAISS ends its message with the system's reason: "… write error in <path>: 8110 !=
        # 38400 (No space left on device)".
        text = str(error)
        for number in sorted(errno.errorcode):
            if f"({os.strerror(number)})" in text:
                raise OSError(number, os.strerror(number), path.name) from error
        raise OSError(f"FAISS could not write {path.name}: {_last_line(error)}") from error


def _last_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[-1] if text else "write error"


def is_approximate(vectors: faiss.Index) -> bool:
    """Tell whether a vector index is the approximate (IVF) kind."""
    faiss = load_faiss()
    return isinstance(vectors, faiss.IndexIVF)


def ivf_cells(count: int) -> int:
    """The number of IVF cells for ``count`` vectors: ``sqrt(count)``, within bounds."""
    return int(min(IVF_MAX_CELLS, max(IVF_MIN_CELLS, round(count**0.5))))


def ivf_nprobe(cells: int) -> int:
    """Cells a query scans: 32, or 1/32 of them if more (recall@10 ≥ 0.97, see the docs)."""
    return int(min(cells, max(32, cells // 32)))


def new_exact_index(dimension: int) -> faiss.Index:
    """An empty exact index: inner product over normalized vectors, by chunk id."""
    faiss = load_faiss()
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def build_ivf_index(
    vectors: np.ndarray, ids: np.ndarray, cells: int | None = None, seed: int = 1234
) -> faiss.IndexIVFFlat:
    """Train an IVF index (inner product) on a sample of ``vectors`` and add them with ``ids``.

    The index keeps a direct map (id → position), so vectors can be read back by id and removed.

    Args:
        vectors: Normalized float32 rows.
        ids: One int64 chunk id per row.
        cells: Number of k-means cells (default :func:`ivf_cells`).
        seed: Seed of the k-means sample, for reproducible indexes.

    Returns:
        The trained index holding every vector.
    """
    faiss = load_faiss()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dimension = vectors.shape
    cells = cells or ivf_cells(count)
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, cells, faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()
    index.cp.seed = seed
    index.cp.max_points_per_centroid = IVF_TRAINING_POINTS_PER_CELL
    sample = min(count, cells * IVF_TRAINING_POINTS_PER_CELL)
    rows = np.random.default_rng(seed).choice(count, size=sample, replace=False)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        index.train(vectors[np.sort(rows)])
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.nprobe = ivf_nprobe(cells)
        index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
    finally:
        faiss.omp_set_num_threads(1)
    return index


def describe(vectors: faiss.Index, trained_on: int) -> dict[str, Any]:
    """The manifest's ``vector_index`` entry: kind and parameters of ``vectors.faiss``."""
    if is_approximate(vectors):
        return {
            "type": "ivf-flat",
            "cells": int(vectors.nlist),
            "nprobe": int(vectors.nprobe),
            "trained_on": int(trained_on),
        }
    return {"type": "flat"}


def build_for(
    ids: np.ndarray, matrix: np.ndarray, dimension: int, timings: dict[str, float]
) -> tuple[faiss.Index, dict[str, Any]]:
    """A new vector index of the kind its size calls for.

    Args:
        ids: The chunk ids.
        matrix: One normalized float32 row per id.
        dimension: The vector size (for an empty index).
        timings: Receives ``vectors_train`` when an IVF index is trained.

    Returns:
        The index and its manifest entry (:func:`describe`).
    """
    if len(ids) >= APPROXIMATE_MIN_CHUNKS:
        # Straight to IVF: at a million chunks an exact index first would cost gigabytes.
        started = time.perf_counter()
        if np.any(ids[1:] < ids[:-1]):
            order = np.argsort(ids, kind="stable")
            ids, matrix = ids[order], matrix[order]
        vectors = build_ivf_index(matrix, ids)
        timings["vectors_train"] = time.perf_counter() - started
        return vectors, describe(vectors, len(ids))
    vectors = new_exact_index(dimension)
    if len(ids):
        vectors.add_with_ids(matrix, ids)
    return vectors, describe(vectors, 0)


def best_first(ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best ``(id, score)`` pairs, best first; ties broken by the lower id, as FAISS does.

    Args:
        ids: Chunk ids (int64).
        scores: One score per id.
        k: How many at most.

    Returns:
        The pairs, best first.
    """
    k = min(k, len(ids))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k] if len(ids) > k else np.arange(len(ids))
    order = np.lexsort((ids[top], -scores[top]))
    return [(int(ids[top[i]]), float(scores[top[i]])) for i in order]


def index_search(
    vectors: faiss.Index,
    query: np.ndarray,
    k: int,
    allowed: np.ndarray | None = None,
    excluded: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """Search one segment's index, restricted to ``allowed`` ids or without ``excluded`` ones.

    Args:
        vectors: The segment's index.
        query: A ``(1, dimension)`` float32 query.
        k: How many results at most.
        allowed: Only these ids are candidates (a filter; takes precedence over ``excluded``).
        excluded: These ids are never returned (the segment's deleted chunks).

    Returns:
        ``(chunk id, cosine)`` pairs, best first.
    """
    faiss = load_faiss()
    k = min(k, int(vectors.ntotal), int(allowed.size) if allowed is not None else k)
    if k <= 0:
        return []
    selector = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(allowed)
    elif excluded is not None and len(excluded):
        # ``inner`` stays referenced until the search is over: IDSelectorNot does not own it.
        inner = faiss.IDSelectorBatch(excluded)
        selector = faiss.IDSelectorNot(inner)
    if is_approximate(vectors):
        nprobe = int(vectors.nprobe)
        if allowed is not None:
            # A filter leaves fewer candidates per cell: scan more cells to still find k.
            share = max(allowed.size / max(vectors.ntotal, 1), 1e-6)
            nprobe = int(min(vectors.nlist, nprobe * min(16.0, 1.0 / share)))
        params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
    else:
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
    scores, ids = vectors.search(query, k, params=params)
    return [
        (int(chunk_id), float(score))
        for chunk_id, score in zip(ids[0], scores[0], strict=True)
        if chunk_id >= 0
    ]


def exact_scores(vectors: faiss.Index, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The cosine of each given chunk to the query, from its stored vector.

    Args:
        vectors: A segment's index holding every id of ``ids``.
        query: The normalized query, shape (dimension,).
        ids: Chunk ids (int64).

    Returns:
        One float32 cosine per id.
    """
    return vectors.reconstruct_batch(ids) @ query
