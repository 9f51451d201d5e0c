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
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

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


def read_segment(directory: Path, opened: Mapping[str, BinaryIO] | None = None) -> KeywordSegment:
    """Read a segment's folder written by :func:`write_segment` (or a bm25s folder before it).

    Args:
        directory: The folder.
        opened: Its files, opened before by name (read even if their paths were deleted since);
            None: opened here.

    Returns:
        The segment.

    Raises:
        IndexStoreError: If the folder is missing, incomplete, damaged or of another format.
    """
    files = _Files(directory, opened or {})
    try:
        params = files.json(PARAMS_FILE)
        ids = files.array(IDS_FILE)
    except (OSError, ValueError) as error:
        raise IndexStoreError(
            f"The keyword index in {directory} is missing or damaged ({error}).",
            _REBUILD_HINT,
            key="keyword.missing",
            params={"folder": directory, "reason": error},
        ) from error
    version = params.get("format_version") if isinstance(params, dict) else None
    if version not in (FORMAT_VERSION, FOLDED_FORMAT_VERSION):
        raise IndexStoreError(
            f"The keyword index in {directory} has an unknown format.",
            _REBUILD_HINT,
            key="keyword.unknown_format",
            params={"folder": directory},
        )
    try:
        if version == FOLDED_FORMAT_VERSION:
            return _read_folded(files, params, ids.astype(np.int64))
        return _read_current(files, params, ids.astype(np.int64))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexStoreError(
            f"The keyword index in {directory} is damaged ({error}).",
            _REBUILD_HINT,
            key="keyword.damaged",
            params={"folder": directory, "reason": error},
        ) from error


class _Files:
    """A segment folder's files, by name: opened before, or opened now from the folder."""

    def __init__(self, directory: Path, opened: Mapping[str, BinaryIO]) -> None:
        self.directory = directory
        self.opened = opened

    def _source(self, name: str) -> BinaryIO | Path:
        handle = self.opened.get(name)
        if handle is None:
            return self.directory / name
        handle.seek(0)
        return handle

    def array(self, name: str, mapped: bool = False) -> np.ndarray:
        """A ``.npy`` file (memory-mapped if ``mapped``)."""
        source = self._source(name)
        if mapped and not isinstance(source, Path):
            # numpy maps only a named file; Linux names every open one (deleted or not).
            by_descriptor = Path(f"/proc/self/fd/{source.fileno()}")
            if not by_descriptor.exists():
                return np.load(source, allow_pickle=False)
            source = by_descriptor
        return np.load(source, mmap_mode="r" if mapped else None, allow_pickle=False)

    def json(self, name: str) -> Any:
        """A JSON file."""
        source = self._source(name)
        data = source.read_bytes() if isinstance(source, Path) else source.read()
        return json.loads(data.decode("utf-8"))


def _read_current(files: _Files, params: dict, ids: np.ndarray) -> KeywordSegment:
    postings = Postings(*(files.array(name) for name in _POSTINGS_FILES))
    counts = TermCounts(*(files.array(name, mapped=True) for name in _COUNTS_FILES))
    lengths = files.array(LENGTHS_FILE)
    vocabulary = files.json(_VOCABULARY_FILE)
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


def _read_folded(files: _Files, params: dict, ids: np.ndarray) -> KeywordSegment:
    vocabulary: dict[str, int] = {}
    postings = Postings.empty()
    if len(ids):
        bm25s_params = files.json(_BM25S_PARAMS_FILE)
        postings = Postings(*(files.array(name) for name in _BM25S_FILES))
        if bm25s_params["num_docs"] != len(ids):
            raise ValueError("its score matrix does not match its chunk ids")
        vocabulary = files.json(_BM25S_VOCABULARY_FILE)
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
