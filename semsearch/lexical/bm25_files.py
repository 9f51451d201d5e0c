"""The keyword index's folder: bm25s's file layout, written and read with numpy and json.

Indexes written before the index was our own were saved by bm25s 0.3; this module writes the
same files with the same arrays (so those indexes still load, and bm25s can load ours):

- ``ids.npy``: the chunk id of each row (int64);
- ``data.csc.index.npy``, ``indices.csc.index.npy``, ``indptr.csc.index.npy``: the term ×
  chunk score matrix in compressed sparse columns (float32 scores, int32 rows, int64 pointers);
- ``vocab.index.json``: token → column, with bm25s's extra entry for the empty token;
- ``params.index.json``: bm25s's parameters (k1, b, method, dtypes, chunk count…);
- ``keyword.json``: our own parameters and the tokenizer version.

An empty index has only ``ids.npy`` and ``keyword.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.lexical.analyzer import TOKENIZER_VERSION

IDS_FILE = "ids.npy"
PARAMS_FILE = "keyword.json"
FORMAT_VERSION = 1

_DATA_FILE = "data.csc.index.npy"
_INDICES_FILE = "indices.csc.index.npy"
_INDPTR_FILE = "indptr.csc.index.npy"
_VOCABULARY_FILE = "vocab.index.json"
_BM25S_PARAMS_FILE = "params.index.json"
#: The bm25s release whose layout the files follow (bm25s records its version there).
_BM25S_VERSION = "0.3.16"
#: bm25s gives the empty token a column number past the last column when no chunk holds it.
_EMPTY_TOKEN = ""

_REBUILD_HINT = "Rebuild the index: semsearch build --rebuild"


class Postings(NamedTuple):
    """The term × chunk score matrix in compressed sparse columns.

    Attributes:
        data: The float32 BM25 score of each (term, chunk) entry, column after column.
        indices: The chunk row of each entry (int32), ascending within a column.
        indptr: Column ``t`` is ``data[indptr[t]:indptr[t + 1]]`` (int64, terms + 1 long).
    """

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray

    @classmethod
    def empty(cls) -> Postings:
        """The matrix of an index without terms.

        Returns:
            Empty arrays (one pointer).
        """
        return cls(
            np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64)
        )


class Contents(NamedTuple):
    """Everything a keyword index folder holds.

    Attributes:
        k1: Term-frequency saturation.
        b: Length normalization.
        ids: The chunk id of each row (int64).
        vocabulary: Token → column of ``postings``.
        postings: The score matrix.
    """

    k1: float
    b: float
    ids: np.ndarray
    vocabulary: dict[str, int]
    postings: Postings


def write(directory: Path, contents: Contents) -> None:
    """Write a keyword index folder (created if needed).

    Args:
        directory: A folder of its own.
        contents: What to write.
    """
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / IDS_FILE, contents.ids)
    if len(contents.ids):
        _write_bm25s_files(directory, contents)
    params = {"format_version": FORMAT_VERSION, "k1": contents.k1, "b": contents.b}
    params["tokenizer"] = TOKENIZER_VERSION
    (directory / PARAMS_FILE).write_text(json.dumps(params), encoding="utf-8")


def _write_bm25s_files(directory: Path, contents: Contents) -> None:
    postings = contents.postings
    np.save(directory / _DATA_FILE, postings.data, allow_pickle=False)
    np.save(directory / _INDICES_FILE, postings.indices, allow_pickle=False)
    np.save(directory / _INDPTR_FILE, postings.indptr, allow_pickle=False)
    vocabulary = dict(contents.vocabulary)
    vocabulary.setdefault(_EMPTY_TOKEN, len(postings.indptr) - 1)
    (directory / _VOCABULARY_FILE).write_text(
        json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8"
    )
    bm25s_params = {
        "k1": contents.k1,
        "b": contents.b,
        "delta": 0.5,
        "method": "lucene",
        "idf_method": "lucene",
        "dtype": "float32",
        "int_dtype": "int32",
        "num_docs": len(contents.ids),
        "version": _BM25S_VERSION,
        "backend": "numpy",
    }
    (directory / _BM25S_PARAMS_FILE).write_text(json.dumps(bm25s_params, indent=4))


def read(directory: Path) -> Contents:
    """Read a keyword index folder written by :func:`write` (or by bm25s before it).

    Args:
        directory: The folder.

    Returns:
        Its contents.

    Raises:
        IndexStoreError: If the folder is missing, incomplete, damaged or of another format.
    """
    try:
        params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
        ids = np.load(directory / IDS_FILE)
    except (OSError, ValueError) as error:
        raise IndexStoreError(
            f"The keyword index in {directory} is missing or damaged ({error}).", _REBUILD_HINT
        ) from error
    if params.get("format_version") != FORMAT_VERSION:
        raise IndexStoreError(
            f"The keyword index in {directory} has an unknown format.", _REBUILD_HINT
        )
    vocabulary: dict[str, int] = {}
    postings = Postings.empty()
    if len(ids):
        try:
            vocabulary, postings = _read_bm25s_files(directory, len(ids))
        except (OSError, ValueError, KeyError) as error:
            raise IndexStoreError(
                f"The keyword index in {directory} is damaged ({error}).", _REBUILD_HINT
            ) from error
    return Contents(
        float(params["k1"]), float(params["b"]), ids.astype(np.int64), vocabulary, postings
    )


def _read_bm25s_files(directory: Path, chunk_count: int) -> tuple[dict[str, int], Postings]:
    bm25s_params = json.loads((directory / _BM25S_PARAMS_FILE).read_text(encoding="utf-8"))
    postings = Postings(
        data=np.load(directory / _DATA_FILE),
        indices=np.load(directory / _INDICES_FILE),
        indptr=np.load(directory / _INDPTR_FILE),
    )
    if bm25s_params["num_docs"] != chunk_count or postings.indptr[-1] != len(postings.data):
        raise ValueError("its score matrix does not match its chunk ids")
    if len(postings.indices) != len(postings.data):
        raise ValueError("its score matrix is incomplete")
    vocabulary = json.loads((directory / _VOCABULARY_FILE).read_text(encoding="utf-8"))
    if vocabulary.get(_EMPTY_TOKEN, 0) >= len(postings.indptr) - 1:
        del vocabulary[_EMPTY_TOKEN]  # bm25s's extra entry, past the last column
    return vocabulary, postings
