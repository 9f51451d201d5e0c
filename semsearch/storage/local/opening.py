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
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from semsearch.errors import IndexStoreError
from semsearch.lexical.bm25_files import IDS_FILE, LENGTHS_FILE
from semsearch.lexical.bm25_segment import KeywordSegment
from semsearch.storage.local.catalog import Catalog, LegacyCatalog
from semsearch.storage.local.checksums import verify_files
from semsearch.storage.local.database import RECORDS_CACHE_KIB, open_readonly
from semsearch.storage.local.generations import (
    BASE_FILE,
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
from semsearch.storage.local.sentence_file import SentenceFile
from semsearch.storage.local.vectors import read_vectors
from semsearch.storage.manifest import Manifest, damaged, rebuild_hint

if TYPE_CHECKING:
    import faiss


def open_local_index(index_dir: Path, verify: str = "cached", lazy: bool = False) -> LocalIndex:
    """Open the current generation of the local index in ``index_dir``.

    Args:
        index_dir: The index folder (holding ``current``).
        verify: How file checksums are verified (``cached``, ``full`` or ``none``; see
            :func:`~semsearch.storage.local.checksums.verify_files`).
        lazy: Read each segment's vectors and BM25 postings only when first used. Only for a
            writer's starting generation, which no other writer can delete meanwhile: an
            update reads what it touches, not the whole index.

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
            return _open_generation(index_dir, generation_dir, verify, lazy)
        except IndexStoreError:
            if generation_dir.exists() or resolve_current(index_dir) == generation_dir:
                raise
    raise IndexStoreError(
        f"The index in {index_dir} keeps changing while it is being opened.",
        "Try again when the running build/update has finished.",
        key="index.changing",
        params={"index": index_dir},
    )


def _open_generation(index_dir: Path, generation_dir: Path, verify: str, lazy: bool) -> LocalIndex:
    if not generation_dir.is_dir():
        raise IndexStoreError(
            f"The index generation {generation_dir} is missing.",
            rebuild_hint(index_dir),
            key="index.generation_missing",
            params={"generation": generation_dir, "index": index_dir},
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
        if BASE_FILE in manifest.files:
            catalog.attach_base(generation_dir / BASE_FILE)
        deleted = _read_deleted(generation_dir, manifest, index_dir)
        entries = manifest.segments if manifest.segments is not None else [{"name": ""}]
        for entry in entries:
            opened = _open_segment(generation_dir, entry["name"], deleted, manifest, lock)
            segments.append(opened)
        segment_set = SegmentSet(segments, manifest.dimension)
        _check_consistent(manifest, catalog, segment_set, generation_dir, lazy)
        search = None if lazy else keyword_index(segment_set, manifest)
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
    generation_dir: Path, name: str, deleted: np.ndarray, manifest: Manifest, lock: threading.Lock
) -> Segment:
    """Open one segment (``name`` empty: the folder of a format-1 generation)."""
    index_dir = generation_dir.parent
    folder = generation_dir / name if name else generation_dir
    records_path = folder / (RECORDS_FILE if name else META_FILE)
    connection = open_readonly(records_path, index_dir, RECORDS_CACHE_KIB)
    records = SegmentRecords(connection, records_path, index_dir, lock)
    try:
        if name:
            check_records_version(connection, records_path, index_dir)
        ids, lengths = _read_ids(folder / KEYWORD_DIR, index_dir)
        # Mapped now, like the other files pinned: a reader keeps them after a deletion.
        sentence_file = (
            SentenceFile.open(folder, ids, manifest.dimension, index_dir) if name else None
        )
    except BaseException:
        records.close()
        raise
    held = deleted[np.isin(deleted, ids)] if len(deleted) else deleted
    prefix = f"{name}/" if name else ""
    try:
        pinned = _pin(folder, index_dir)
    except BaseException:
        records.close()
        raise

    def load() -> tuple[faiss.Index, KeywordSegment]:
        """Read the segment's vectors and postings and check them against its ids."""
        vectors = read_vectors(folder / VECTORS_FILE, index_dir, pinned[VECTORS_FILE])
        keyword = load_keyword_segment(
            folder / KEYWORD_DIR,
            index_dir,
            {key.split("/", 1)[1]: h for key, h in pinned.items() if key.startswith(KEYWORD_DIR)},
        )
        if vectors.d != manifest.dimension:
            raise damaged(
                folder / VECTORS_FILE,
                f"holds {vectors.d}-dimensional vectors but the manifest says {manifest.dimension}",
                index_dir,
            )
        rows = {
            f"{prefix}{VECTORS_FILE} vectors": int(vectors.ntotal),
            f"{prefix}{KEYWORD_DIR} chunks": len(keyword.ids),
            f"{prefix}{KEYWORD_DIR}/{IDS_FILE} chunks": len(ids),
        }
        if len(set(rows.values())) != 1:
            raise _inconsistent(generation_dir, rows)
        return vectors, keyword

    return Segment(
        name, folder, records, ids, lengths, held, load, list(pinned.values()), sentence_file
    )


def _pin(folder: Path, index_dir: Path) -> dict[str, BinaryIO]:
    """Open a segment's vector file and BM25 files now, to read them later (by name)."""
    if not (folder / VECTORS_FILE).is_file():
        raise damaged(folder / VECTORS_FILE, "is missing", index_dir)
    names = [VECTORS_FILE] + [
        f"{KEYWORD_DIR}/{path.name}" for path in sorted((folder / KEYWORD_DIR).iterdir())
    ]
    pinned: dict[str, BinaryIO] = {}
    try:
        for name in names:
            pinned[name] = (folder / name).open("rb")
    except OSError as error:
        for handle in pinned.values():
            handle.close()
        raise damaged(folder / name, f"cannot be opened ({error})", index_dir) from None
    return pinned


def _read_ids(folder: Path, index_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """A segment's chunk ids (sorted) and their token counts, without its postings."""
    if not folder.is_dir():
        raise damaged(folder, "is missing", index_dir)
    try:
        ids = np.load(folder / IDS_FILE, allow_pickle=False).astype(np.int64).reshape(-1)
        lengths_file = folder / LENGTHS_FILE
        lengths = (
            np.load(lengths_file, allow_pickle=False).astype(np.int64).reshape(-1)
            if lengths_file.is_file()
            else np.zeros(len(ids), dtype=np.int64)  # format 1: not needed, never merged
        )
    except (OSError, ValueError) as error:
        raise damaged(folder, f"cannot be loaded ({error})", index_dir) from None
    if len(lengths) != len(ids):
        raise damaged(folder, f"holds {len(ids)} ids and {len(lengths)} lengths", index_dir)
    if np.all(ids[1:] > ids[:-1]):  # as written (a segment's rows are in id order)
        return ids, lengths
    order = np.argsort(ids, kind="stable")
    return ids[order], lengths[order]


def _inconsistent(generation_dir: Path, counts: dict[str, int]) -> IndexStoreError:
    detail = ", ".join(f"{name} {value}" for name, value in counts.items())
    return IndexStoreError(
        f"The index generation {generation_dir} is inconsistent ({detail}).",
        rebuild_hint(generation_dir.parent),
        key="index.inconsistent",
        params={"generation": generation_dir, "detail": detail, "index": generation_dir.parent},
    )


def _check_consistent(
    manifest: Manifest,
    catalog: Catalog,
    segments: SegmentSet,
    generation_dir: Path,
    lazy: bool,
) -> None:
    """Refuse a generation whose files disagree on the counts (vectors and postings are checked
    against the ids when they are read; a lazy open, a writer's, does not count the records'
    rows either: their checksums were verified, and every reader counts them)."""
    counts: dict[str, int] = {}
    for number, segment in enumerate(segments.segments):
        prefix = f"{segment.name}/" if segment.name else ""
        rows = {f"{prefix}{KEYWORD_DIR}/{IDS_FILE} chunks": len(segment.ids)}
        if not lazy:
            rows[f"{prefix}{segment.records.path.name} chunks"] = segment.records.row_count()
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
        counts = {
            **counts,
            **totals,
            f"{META_FILE} documents": catalog_documents,
            f"{MANIFEST_FILE} document_count": manifest.document_count,
        }
        raise _inconsistent(generation_dir, counts)
