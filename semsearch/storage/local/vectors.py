"""The chunk vectors of a generation (``vectors.faiss``): exact below a size, IVF above.

Vectors are L2-normalized, so the inner product is the cosine; each is stored under its chunk
id. Up to :data:`APPROXIMATE_MIN_CHUNKS` the index is exact (``IndexIDMap2(IndexFlatIP)``),
from there on approximate (``IndexIVFFlat``: inverted lists over k-means cells, a query scans
``nprobe`` of them). :func:`fit_to_size` switches between the two as an index grows and shrinks;
docs/performance.md has the measurements behind every threshold here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from semsearch.storage.manifest import damaged

# One query is searched at a time, and FAISS's OpenMP threads cost more than they bring then: on
# the 2-core machine an exact search of 100k vectors took 38 ms with 2 threads and 8 ms with one
# (docs/performance.md). Training an IVF index, which does benefit, asks for all cores itself.
faiss.omp_set_num_threads(1)

#: From this many chunks on, vectors are kept in an approximate index (IVF, inverted lists over
#: k-means cells) instead of an exact one: a query then scans ``nprobe`` cells instead of every
#: vector. Below it exact search is fast enough (docs/performance.md has the measurements).
APPROXIMATE_MIN_CHUNKS = 200_000
#: An approximate index goes back to exact search when it shrinks below this many chunks.
EXACT_MAX_CHUNKS = APPROXIMATE_MIN_CHUNKS // 2
#: Cells of the IVF index per chunk count: ``sqrt(n)`` cells within these bounds.
IVF_MIN_CELLS = 256
IVF_MAX_CELLS = 4096
#: Training samples per cell (k-means on a sample keeps training to seconds).
IVF_TRAINING_POINTS_PER_CELL = 64
#: The IVF index is retrained (cells recomputed) once it holds this many times the vectors it
#: was trained on, so that the cells keep following the corpus.
IVF_RETRAIN_GROWTH = 2.0
#: A filtered vector search over at most this many chunks is computed exactly from the stored
#: vectors (a matrix product over the allowed ones) instead of scanning the index with a filter.
EXACT_FILTER_MAX_CHUNKS = 50_000


def read_vectors(path: Path, index_dir: Path) -> faiss.Index:
    """Read ``vectors.faiss`` into memory.

    Raises:
        IndexStoreError: Missing, truncated, corrupt or of another kind.
    """
    if not path.is_file():
        raise damaged(path, "is missing", index_dir)
    try:
        vectors = faiss.read_index(str(path))
    except RuntimeError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "read error"
        raise damaged(path, f"is truncated or corrupt (FAISS: {reason[:160]})", index_dir) from None
    if not isinstance(vectors, faiss.IndexIDMap2 | faiss.IndexIVFFlat):
        raise damaged(
            path, f"holds a {type(vectors).__name__}, not an IndexIDMap2 or IndexIVFFlat", index_dir
        )
    return vectors


def write_vectors(vectors: faiss.Index, path: Path) -> None:
    """Write a vector index to ``path``."""
    faiss.write_index(vectors, str(path))


def is_approximate(vectors: faiss.Index) -> bool:
    """Tell whether a vector index is the approximate (IVF) kind."""
    return isinstance(vectors, faiss.IndexIVF)


def ivf_cells(count: int) -> int:
    """The number of IVF cells for ``count`` vectors: ``sqrt(count)``, within bounds."""
    return int(min(IVF_MAX_CELLS, max(IVF_MIN_CELLS, round(count**0.5))))


def ivf_nprobe(cells: int) -> int:
    """Cells a query scans: 32, or 1/32 of them if more (recall@10 ≥ 0.97, see the docs)."""
    return int(min(cells, max(32, cells // 32)))


def new_exact_index(dimension: int) -> faiss.Index:
    """An empty exact index: inner product over normalized vectors, by chunk id."""
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


def all_vectors(vectors: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(ids, vectors)`` of every entry of an exact or IVF index (ids sorted)."""
    if isinstance(vectors, faiss.IndexIDMap2):
        ids = faiss.vector_to_array(vectors.id_map).astype(np.int64)
    else:
        ids_parts = []
        invlists = vectors.invlists
        for cell in range(vectors.nlist):
            size = invlists.list_size(cell)
            if size:
                pointer = invlists.get_ids(cell)
                ids_parts.append(faiss.rev_swig_ptr(pointer, size).copy())
        ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int64)
    ids = np.sort(ids.astype(np.int64))
    if not len(ids):
        return ids, np.zeros((0, vectors.d), dtype=np.float32)
    return ids, vectors.reconstruct_batch(ids)


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


def fit_to_size(
    vectors: faiss.Index, trained_on: int, timings: dict[str, float]
) -> tuple[faiss.Index, dict[str, Any]]:
    """Switch between exact and approximate search as the index crosses the thresholds.

    An exact index becomes IVF at :data:`APPROXIMATE_MIN_CHUNKS`; an IVF index goes back to
    exact below :data:`EXACT_MAX_CHUNKS` (the gap avoids switching back and forth), and is
    retrained when it has grown :data:`IVF_RETRAIN_GROWTH` times since its cells were made.
    Ids never change.

    Args:
        vectors: The index with every change applied.
        trained_on: How many vectors its cells were trained on (0 for an exact index).
        timings: Receives ``vectors_train`` when an IVF index is trained.

    Returns:
        The index to write and its manifest entry (:func:`describe`).
    """
    count = int(vectors.ntotal)
    if is_approximate(vectors):
        shrunk = count < EXACT_MAX_CHUNKS
        train = not shrunk and trained_on > 0 and count >= IVF_RETRAIN_GROWTH * trained_on
    else:
        shrunk, train = False, count >= APPROXIMATE_MIN_CHUNKS
    if shrunk:
        ids, matrix = all_vectors(vectors)
        vectors, _ = build_for(ids, matrix, int(vectors.d), timings)
        trained_on = 0
    elif train:
        started = time.perf_counter()
        ids, matrix = all_vectors(vectors)
        vectors = build_ivf_index(matrix, ids)
        timings["vectors_train"] = time.perf_counter() - started
        trained_on = count
    return vectors, describe(vectors, trained_on)


def build_for(
    ids: np.ndarray, matrix: np.ndarray, dimension: int, timings: dict[str, float]
) -> tuple[faiss.Index, dict[str, Any]]:
    """A new vector index of the kind its size calls for (what :func:`fit_to_size` would make).

    Args:
        ids: The chunk ids.
        matrix: One normalized float32 row per id.
        dimension: The vector size (for an empty index).
        timings: Receives ``vectors_train`` when an IVF index is trained.
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


def remove_ids(vectors: faiss.Index, ids: np.ndarray) -> None:
    """Remove the vectors of these chunk ids (absent ids are ignored)."""
    # The IVF index finds ids through its hash table, which takes a plain id list.
    if is_approximate(vectors):
        vectors.remove_ids(faiss.IDSelectorArray(ids))
    else:
        vectors.remove_ids(faiss.IDSelectorBatch(ids))


def exact_search(
    vectors: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray
) -> list[tuple[int, float]] | None:
    """Score the allowed chunks exactly from their stored vectors (None if an id is unknown)."""
    try:
        candidates = vectors.reconstruct_batch(allowed)
    except RuntimeError:  # an id that is not in the index: let the filtered index search decide
        return None
    scores = candidates @ query
    k = min(k, len(allowed))
    top = np.argpartition(-scores, k - 1)[:k] if len(allowed) > k else np.arange(len(allowed))
    # Best first; ties broken by the lower chunk id, as FAISS does.
    order = np.lexsort((allowed[top], -scores[top]))
    return [(int(allowed[top[i]]), float(scores[top[i]])) for i in order]


def index_search(
    vectors: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None
) -> list[tuple[int, float]]:
    """Search the index itself, optionally restricted to ``allowed`` chunk ids."""
    k = min(k, int(vectors.ntotal), int(allowed.size) if allowed is not None else k)
    selector = faiss.IDSelectorBatch(allowed) if allowed is not None else None
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
    """The cosine of each given chunk to the query, from its stored vector (NaN if unknown)."""
    try:
        return vectors.reconstruct_batch(ids) @ query
    except RuntimeError:  # an id that is not in the index: score the others one by one
        scores = np.full(len(ids), np.nan, dtype=np.float32)
        for row, chunk_id in enumerate(ids):
            try:
                scores[row] = vectors.reconstruct(int(chunk_id)) @ query
            except RuntimeError:
                continue
        return scores


class PendingVectors:
    """The chunk vectors added and removed by a write, applied to the index at commit."""

    def __init__(self) -> None:
        self._ids: list[np.ndarray] = []
        self._matrices: list[np.ndarray] = []
        self._removed: list[int] = []

    def add(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        """Add one normalized float32 row per chunk id."""
        self._ids.append(ids)
        self._matrices.append(matrix)

    def remove(self, ids: Sequence[int]) -> None:
        """Remove the vectors of these chunk ids."""
        self._removed.extend(ids)

    def apply_to(
        self, vectors: faiss.Index, trained_on: int, timings: dict[str, float]
    ) -> tuple[faiss.Index, dict[str, Any]]:
        """Apply the changes to the previous generation's index, then :func:`fit_to_size`."""
        if self._removed:
            remove_ids(vectors, np.array(sorted(set(self._removed)), dtype=np.int64))
        if self._ids:
            vectors.add_with_ids(np.concatenate(self._matrices), np.concatenate(self._ids))
        return fit_to_size(vectors, trained_on, timings)

    def build(
        self, dimension: int, timings: dict[str, float]
    ) -> tuple[faiss.Index, dict[str, Any]]:
        """A new index of the added vectors (a new or rebuilt index), see :func:`build_for`."""
        if not self._ids:
            return build_for(
                np.zeros(0, np.int64), np.zeros((0, dimension), np.float32), dimension, timings
            )
        matrix = np.concatenate(self._matrices)
        self._matrices = []  # at a million chunks, the parts and the whole are gigabytes each
        return build_for(np.concatenate(self._ids), matrix, dimension, timings)
