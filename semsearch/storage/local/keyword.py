"""The keyword index of a generation (``keyword/``): BM25 over the chunks' stored tokens.

BM25 weights depend on statistics of the whole corpus, so every generation whose chunks changed
gets its BM25 rebuilt from the tokens stored in ``meta.sqlite`` (no re-tokenizing); one whose
chunks did not change copies the previous files.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.lexical import KeywordIndex
from semsearch.storage.manifest import damaged


def load_keyword_index(path: Path, index_dir: Path) -> KeywordIndex:
    """Load a generation's BM25 files.

    Raises:
        IndexStoreError: The folder is missing or a file is damaged.
    """
    if not path.is_dir():
        raise damaged(path, "is missing", index_dir)
    try:
        return KeywordIndex.load(path)
    except Exception as error:  # whatever the BM25 library raises on a damaged file
        reason = error.message if isinstance(error, IndexStoreError) else repr(error)
        raise damaged(path, f"cannot be loaded ({reason})", index_dir) from None


def build_from_stored_tokens(db: sqlite3.Connection, expected: int) -> KeywordIndex:
    """Build BM25 over every chunk's stored tokens, in chunk id order.

    Args:
        db: The generation's database.
        expected: The number of chunk vectors (the two must agree).

    Raises:
        RuntimeError: The database holds another number of chunks (a bug, not a user error).
    """
    ids: list[int] = []
    token_lists: list[list[str]] = []
    for chunk_id, tokens in db.execute("SELECT chunk_id, tokens FROM chunks ORDER BY chunk_id"):
        ids.append(chunk_id)
        token_lists.append(json.loads(tokens))
    if len(ids) != expected:
        raise RuntimeError(f"internal error: {len(ids)} chunk rows but {expected} vectors")
    index = KeywordIndex()
    index.build(ids, token_lists)
    return index


def copy_keyword_index(source: Path, target: Path) -> None:
    """Copy a generation's BM25 files unchanged into the next generation."""
    shutil.copytree(source, target)


def keyword_scores(index: KeywordIndex, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
    """The BM25 score of each given chunk for the tokens (0 where none is shared or unknown)."""
    found = dict(index.search(tokens, len(ids), chunk_ids=ids)) if tokens and len(ids) else {}
    return np.array([found.get(int(chunk_id), 0.0) for chunk_id in ids], dtype=np.float64)
