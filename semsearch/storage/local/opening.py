"""Opening a generation: find it, check every file, load what a query needs, check the counts.

Every problem ends in an :class:`IndexStoreError` naming the file and saying "rebuild": a missing
or truncated file (sizes in the manifest), bytes changed in place (CRC-32 checksums, see
:mod:`~semsearch.storage.local.checksums`), a file FAISS, SQLite or numpy cannot read, and files
that disagree on the counts. A generation written before segments (format 1) is opened as one
segment of its own folder, without checksums (it had none).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.storage.local.catalog import Catalog, LegacyCatalog
from semsearch.storage.local.checksums import verify_files
from semsearch.storage.local.database import open_readonly
from semsearch.storage.local.generations import (
    DELETED_FILE,
    KEYWORD_DIR,
    MANIFEST_FILE,
    META_FILE,
    RECORDS_FILE,
    VECTORS_FILE,
    resolve_current,
)
from semsearch.storage.local.keyword import keyword_index, load_keyword_segment
from semsearch.storage.local.reader import LocalIndex
from semsearch.storage.local.records import SegmentRecords
from semsearch.storage.local.schema import check_records_version
from semsearch.storage.local.segments import Segment, SegmentSet
from semsearch.storage.local.vectors import read_vectors
from semsearch.storage.manifest import Manifest, damaged, rebuild_hint


def open_local_index(index_dir: Path, verify: str = "cached") -> LocalIndex:
    """Open the current generation of the local index in ``index_dir``.

    Args:
        index_dir: The index folder (holding ``current``).
        verify: How file checksums are verified (``cached``, ``full`` or ``none``; see
            :func:`~semsearch.storage.local.checksums.verify_files`).

    Returns:
        A reader of the generation that was current at the time of the call.

    Raises:
        IndexStoreError: No index there, or a file is missing, truncated, damaged, of an
            unknown format, or the files disagree with each other.
    """
    index_dir = Path(index_dir)
    # A writer may swap `current` and delete the generation between our readlink and the
    # opening of its files; resolving again then lands on a complete newer generation.
    for _attempt in range(5):
        generation_dir = resolve_current(index_dir)
        try:
            return _open_generation(index_dir, generation_dir, verify)
        except IndexStoreError:
            if generation_dir.exists() or resolve_current(index_dir) == generation_dir:
                raise
    raise IndexStoreError(
        f"The index in {index_dir} keeps changing while it is being opened.",
        "Try again when the running build/update has finished.",
    )


def _open_generation(index_dir: Path, generation_dir: Path, verify: str) -> LocalIndex:
    if not generation_dir.is_dir():
        raise IndexStoreError(
            f"The index generation {generation_dir} is missing.", rebuild_hint(index_dir)
        )
    manifest = Manifest.read(generation_dir / MANIFEST_FILE, index_dir)
    for name, size in manifest.files.items():
        file_path = generation_dir / name
        if not file_path.is_file():
            raise damaged(file_path, "is missing", index_dir)
        actual = file_path.stat().st_size
        if actual != size:
            raise damaged(
                file_path, f"is truncated or damaged ({actual} bytes, expected {size})", index_dir
            )
    verify_files(generation_dir, manifest.crc32, index_dir, verify)
    lock = threading.Lock()
    catalog_type = Catalog if manifest.segments is not None else LegacyCatalog
    catalog = catalog_type(
        open_readonly(generation_dir / META_FILE, index_dir),
        generation_dir / META_FILE,
        index_dir,
        lock,
    )
    segments: list[Segment] = []
    try:
        deleted = _read_deleted(generation_dir, manifest, index_dir)
        entries = manifest.segments if manifest.segments is not None else [{"name": ""}]
        for entry in entries:
            segments.append(_open_segment(generation_dir, entry["name"], deleted, index_dir, lock))
        segment_set = SegmentSet(segments, manifest.dimension)
        _check_consistent(manifest, catalog, segment_set, generation_dir, index_dir)
        keywords = [segment.keyword for segment in segments]
        search = keyword_index(keywords, segment_set.deleted, manifest)
    except BaseException:
        for segment in segments:
            segment.records.close()
        catalog.close()
        raise
    return LocalIndex(index_dir, generation_dir, manifest, catalog, segment_set, search)


def _read_deleted(generation_dir: Path, manifest: Manifest, index_dir: Path) -> np.ndarray:
    """The generation's tombstones (sorted chunk ids); none before segments or without deletes."""
    path = generation_dir / DELETED_FILE
    expected = sum(int(entry["deleted"]) for entry in manifest.segments or [])
    if not expected:
        return np.zeros(0, dtype=np.int64)
    try:
        deleted = np.load(path, allow_pickle=False).astype(np.int64)
    except (OSError, ValueError) as error:
        raise damaged(path, f"cannot be read ({error})", index_dir) from None
    if len(deleted) != expected:
        raise damaged(path, f"holds {len(deleted)} ids, the manifest {expected}", index_dir)
    return np.sort(deleted)


def _open_segment(
    generation_dir: Path, name: str, deleted: np.ndarray, index_dir: Path, lock: threading.Lock
) -> Segment:
    """Open one segment (``name`` empty: the folder of a format-1 generation)."""
    folder = generation_dir / name if name else generation_dir
    records_path = folder / (RECORDS_FILE if name else META_FILE)
    connection = open_readonly(records_path, index_dir)
    records = SegmentRecords(connection, records_path, index_dir, lock)
    try:
        if name:
            check_records_version(connection, records_path, index_dir)
        vectors = read_vectors(folder / VECTORS_FILE, index_dir)
        keyword = load_keyword_segment(folder / KEYWORD_DIR, index_dir)
    except BaseException:
        records.close()
        raise
    ids = np.sort(keyword.ids)
    held = deleted[np.isin(deleted, ids)] if len(deleted) else deleted
    return Segment(name, folder, records, vectors, keyword, ids, held)


def _check_consistent(
    manifest: Manifest,
    catalog: Catalog,
    segments: SegmentSet,
    generation_dir: Path,
    index_dir: Path,
) -> None:
    """Refuse a generation whose files disagree on the dimension or the counts."""
    counts: dict[str, int] = {}
    for number, segment in enumerate(segments.segments):
        prefix = f"{segment.name}/" if segment.name else ""
        if segment.vectors.d != manifest.dimension:
            raise damaged(
                segment.path / VECTORS_FILE,
                f"holds {segment.vectors.d}-dimensional vectors but the manifest says "
                f"{manifest.dimension}",
                index_dir,
            )
        rows = {
            f"{prefix}{VECTORS_FILE} vectors": int(segment.vectors.ntotal),
            f"{prefix}{segment.records.path.name} chunks": segment.records.row_count(),
            f"{prefix}{KEYWORD_DIR} chunks": len(segment.ids),
        }
        if manifest.segments is not None:
            rows[f"{MANIFEST_FILE} segment {number + 1} chunks"] = manifest.segments[number][
                "chunks"
            ]
        if len(set(rows.values())) != 1:
            counts.update(rows)
            break
    live = int(sum(segment.live_count for segment in segments.segments))
    catalog_chunks, catalog_documents = catalog.counts()
    totals = {
        "live chunks": live,
        f"{META_FILE} chunks": catalog_chunks,
        f"{MANIFEST_FILE} chunk_count": manifest.chunk_count,
    }
    if counts or len(set(totals.values())) != 1 or manifest.document_count != catalog_documents:
        detail = ", ".join(f"{name} {value}" for name, value in {**counts, **totals}.items())
        detail += f", {META_FILE} documents {catalog_documents}"
        detail += f", {MANIFEST_FILE} document_count {manifest.document_count}"
        raise IndexStoreError(
            f"The index generation {generation_dir} is inconsistent ({detail}).",
            rebuild_hint(index_dir),
        )
