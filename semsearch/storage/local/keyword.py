"""The keyword side of a generation: each segment's BM25 folder, and the ``avgdl`` they share.

The postings of every segment are computed with one ``avgdl``, recorded in the manifest
(``keyword.average_length``, with ``k1`` and ``b``). A full write computes it exactly. An update
keeps it, so old segments are not rewritten, while the live average stays within
:data:`AVERAGE_LENGTH_TOLERANCE` of it; beyond that every segment's postings are recomputed
with the live average (a rewrite of the keyword files only, rare). The idf is not stored: the
reader computes it from live counts at query time (:mod:`semsearch.lexical.bm25_index`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from semsearch.errors import IndexStoreError
from semsearch.lexical import DEFAULT_B, DEFAULT_K1
from semsearch.lexical.bm25_files import read_segment
from semsearch.lexical.bm25_index import KeywordIndex
from semsearch.lexical.bm25_segment import KeywordSegment
from semsearch.storage.local.segments import SegmentSet
from semsearch.storage.manifest import Manifest, damaged, keyword_info

#: How far the live mean chunk length may drift from the recorded ``avgdl`` before the postings
#: are recomputed. Measured by ``bench/bm25_drift.py`` (docs/performance.md, "Updates"): on
#: cmrc2018_chunks a drift of ±1% changes 61–77 of the 4,218 keyword top-10 lists (mostly the
#: order of near ties), ±5% changes 320–380 and moves keyword MRR@10 by at most 0.01 point
#: (91.57), ±10% by 0.02; xquad_zh: 0.00 at ±5%, 0.05 at +10%. A corpus growing with articles
#: like its own stays well within it.
AVERAGE_LENGTH_TOLERANCE = 0.05


def load_keyword_segment(
    path: Path, index_dir: Path, opened: Mapping[str, BinaryIO] | None = None
) -> KeywordSegment:
    """Load one segment's BM25 folder.

    Args:
        path: The ``keyword/`` folder.
        index_dir: The index folder (for the hint of errors).
        opened: Its files, opened before by name (see ``bm25_files.read_segment``).

    Returns:
        The segment.

    Raises:
        IndexStoreError: The folder is missing or a file is damaged.
    """
    if opened is None and not path.is_dir():
        raise damaged(path, "is missing", index_dir)
    try:
        return read_segment(path, opened)
    except Exception as error:  # whatever numpy or json raise on a damaged file
        reason = error.message if isinstance(error, IndexStoreError) else repr(error)
        raise damaged(path, f"cannot be loaded ({reason})", index_dir) from None


def keyword_entry(average_length: float, k1: float = DEFAULT_K1, b: float = DEFAULT_B) -> dict:
    """The manifest's ``keyword`` entry.

    Args:
        average_length: The avgdl the generation's postings were computed with.
        k1: Term-frequency saturation.
        b: Length normalization.

    Returns:
        The tokenizer and BM25's parameters.
    """
    return {**keyword_info(), "k1": k1, "b": b, "average_length": average_length}


def recorded_average_length(manifest: Manifest | None) -> float | None:
    """The ``avgdl`` a generation's postings were computed with.

    Args:
        manifest: The generation's manifest (None: no generation).

    Returns:
        The value, or None (no generation, or one written before segments).
    """
    entry: dict[str, Any] = (manifest.keyword or {}) if manifest is not None else {}
    value = entry.get("average_length")
    return float(value) if value is not None and manifest.segments is not None else None


def choose_average_length(
    recorded: float | None, live_length: int, live_count: int
) -> tuple[float, bool]:
    """The ``avgdl`` the next generation's postings use, and whether old ones must be recomputed.

    Args:
        recorded: The current generation's ``avgdl`` (None: none to keep).
        live_length: The token count of every chunk of the next generation.
        live_count: How many chunks it has.

    Returns:
        ``(avgdl, recompute)``: the recorded value while the live mean stays within
        :data:`AVERAGE_LENGTH_TOLERANCE` of it, else the live mean and True.
    """
    live = live_length / live_count if live_count else 0.0
    if recorded and live and abs(live / recorded - 1) <= AVERAGE_LENGTH_TOLERANCE:
        return recorded, False
    return live, recorded is not None and live != recorded


def keyword_index(segments: SegmentSet, manifest: Manifest) -> KeywordIndex:
    """The BM25 index of a generation's segments (reading every segment's postings).

    Args:
        segments: The generation's segments and tombstones.
        manifest: Its manifest (k1, b and ``avgdl``).

    Returns:
        The index, searching every segment and leaving out the tombstones.
    """
    entry = manifest.keyword or {}
    return KeywordIndex.of_segments(
        [segment.keyword for segment in segments.segments],
        segments.deleted,
        float(entry.get("average_length", 0.0)),
        k1=float(entry.get("k1", DEFAULT_K1)),
        b=float(entry.get("b", DEFAULT_B)),
    )
