"""A keyword segment's folder: numpy arrays and two small JSON files.

- ``keyword.json``: the format, k1, b, the ``avgdl`` the postings were computed with and the
  tokenizer version;
- ``ids.npy`` (int64) and ``lengths.npy`` (int64): each row's chunk id and token count;
- ``vocab.json``: token → column;
- ``postings.values.npy`` (float32), ``postings.rows.npy`` (int32), ``postings.indptr.npy``
  (int64): the term-frequency components in compressed sparse columns (read by every query);
- ``counts.starts.npy`` (int64), ``counts.terms.npy`` (int32), ``counts.counts.npy`` (uint8 or
  wider): the term counts in compressed sparse rows, memory-mapped when read (only deletions,
  merges and a new ``avgdl`` look at them).

Indexes written before segments kept bm25s 0.3's layout (``keyword.json`` of format 1, scores
with the idf folded in, no counts); :func:`read_segment` still reads them, as a folded segment.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.lexical.analyzer import TOKENIZER_VERSION
from semsearch.lexical.bm25 import Postings, TermCounts
from semsearch.lexical.bm25_segment import KeywordSegment

PARAMS_FILE = "keyword.json"
IDS_FILE = "ids.npy"
FORMAT_VERSION = 2
#: The format of the bm25s-based folders written before segments.
FOLDED_FORMAT_VERSION = 1

LENGTHS_FILE = "lengths.npy"
_VOCABULARY_FILE = "vocab.json"
#: The array files of the postings and of the counts, in the order of their fields.
_POSTINGS_FILES = ("postings.values.npy", "postings.rows.npy", "postings.indptr.npy")
_COUNTS_FILES = ("counts.starts.npy", "counts.terms.npy", "counts.counts.npy")

_REBUILD_HINT = "Rebuild the index: semsearch build --rebuild"


def write_segment(directory: Path, segment: KeywordSegment) -> None:
    """Write a segment's folder (created if needed).

    Args:
        directory: A folder of its own.
        segment: The segment (not a folded one).

    Raises:
        ValueError: The segment is folded (written before segments; it is never written again).
    """
    if segment.counts is None or segment.idf_folded:
        raise ValueError("a folded keyword segment cannot be written")
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        IDS_FILE: segment.ids,
        LENGTHS_FILE: segment.lengths,
        **dict(zip(_POSTINGS_FILES, segment.postings, strict=True)),
        **dict(zip(_COUNTS_FILES, segment.counts, strict=True)),
    }
    for name, array in arrays.items():
        np.save(directory / name, array, allow_pickle=False)
    (directory / _VOCABULARY_FILE).write_text(
        json.dumps(segment.vocabulary, ensure_ascii=False), encoding="utf-8"
    )
    params = {
        "format_version": FORMAT_VERSION,
        "k1": segment.k1,
        "b": segment.b,
        "average_length": segment.average_length,
        "tokenizer": TOKENIZER_VERSION,
    }
    (directory / PARAMS_FILE).write_text(json.dumps(params), encoding="utf-8")


def read_segment(directory: Path) -> KeywordSegment:
    """Read a segment's folder written by :func:`write_segment` (or a bm25s folder before it).

    Args:
        directory: The folder.

    Returns:
        The segment.

    Raises:
        IndexStoreError: If the folder is missing, incomplete, damaged or of another format.
    """
    try:
        params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
        ids = np.load(directory / IDS_FILE, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise IndexStoreError(
            f"The keyword index in {directory} is missing or damaged ({error}).", _REBUILD_HINT
        ) from error
    version = params.get("format_version") if isinstance(params, dict) else None
    if version not in (FORMAT_VERSION, FOLDED_FORMAT_VERSION):
        raise IndexStoreError(
            f"The keyword index in {directory} has an unknown format.", _REBUILD_HINT
        )
    try:
        if version == FOLDED_FORMAT_VERSION:
            return _read_folded(directory, params, ids.astype(np.int64))
        return _read_current(directory, params, ids.astype(np.int64))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexStoreError(
            f"The keyword index in {directory} is damaged ({error}).", _REBUILD_HINT
        ) from error


def _read_current(directory: Path, params: dict, ids: np.ndarray) -> KeywordSegment:
    postings = Postings(
        *(np.load(directory / name, allow_pickle=False) for name in _POSTINGS_FILES)
    )
    counts = TermCounts(
        *(np.load(directory / name, mmap_mode="r", allow_pickle=False) for name in _COUNTS_FILES)
    )
    lengths = np.load(directory / LENGTHS_FILE, allow_pickle=False)
    vocabulary = json.loads((directory / _VOCABULARY_FILE).read_text(encoding="utf-8"))
    _check_shapes(postings, vocabulary)
    if len(lengths) != len(ids) or len(counts.row_starts) != len(ids) + 1:
        raise ValueError("its term counts do not match its chunk ids")
    if counts.row_starts[-1] != len(postings.data) or len(counts.term_ids) != len(postings.data):
        raise ValueError("its term counts do not match its postings")
    return KeywordSegment(
        ids=ids,
        vocabulary=vocabulary,
        postings=postings,
        lengths=lengths.astype(np.int64),
        counts=counts,
        average_length=float(params["average_length"]),
        k1=float(params["k1"]),
        b=float(params["b"]),
    )


def _check_shapes(postings: Postings, vocabulary: dict[str, int]) -> None:
    """Refuse arrays that disagree with each other (a damaged or mismatched file)."""
    if postings.indptr[-1] != len(postings.data) or len(postings.indices) != len(postings.data):
        raise ValueError("its score matrix is incomplete")
    if len(postings.indptr) - 1 < len(vocabulary):
        raise ValueError("its vocabulary is larger than its score matrix")


# -- the bm25s folders written before segments ----------------------------------------------------

_BM25S_FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy")
_BM25S_VOCABULARY_FILE = "vocab.index.json"
_BM25S_PARAMS_FILE = "params.index.json"
#: bm25s gives the empty token a column number past the last column when no chunk holds it.
_EMPTY_TOKEN = ""


def _read_folded(directory: Path, params: dict, ids: np.ndarray) -> KeywordSegment:
    vocabulary: dict[str, int] = {}
    postings = Postings.empty()
    if len(ids):
        bm25s_params = json.loads((directory / _BM25S_PARAMS_FILE).read_text(encoding="utf-8"))
        postings = Postings(*(np.load(directory / name) for name in _BM25S_FILES))
        if bm25s_params["num_docs"] != len(ids):
            raise ValueError("its score matrix does not match its chunk ids")
        vocabulary = json.loads((directory / _BM25S_VOCABULARY_FILE).read_text(encoding="utf-8"))
        if vocabulary.get(_EMPTY_TOKEN, 0) >= len(postings.indptr) - 1:
            del vocabulary[_EMPTY_TOKEN]  # bm25s's extra entry, past the last column
        _check_shapes(postings, vocabulary)
    return KeywordSegment(
        ids=ids,
        vocabulary=vocabulary,
        postings=postings,
        lengths=np.zeros(len(ids), dtype=np.int64),
        counts=None,
        average_length=0.0,
        k1=float(params["k1"]),
        b=float(params["b"]),
        idf_folded=True,
    )
