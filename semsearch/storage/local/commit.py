"""Assembling the generation a local write publishes.

:func:`write_generation` completes the temporary generation folder: the merges the policy asks for
(:mod:`~semsearch.storage.local.merge_policy`), the new segments, hard links to every unchanged
segment's files, the tombstones, the catalog, the checksums and, last, the manifest. Copying
stops at the catalog (one small row per document); nothing else of the old generation is read
or written unless a merge, a new ``avgdl`` or an upgrade asks for it.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from semsearch.lexical import DEFAULT_B, DEFAULT_K1
from semsearch.lexical.bm25_files import write_segment
from semsearch.lexical.bm25_segment import KeywordSegment
from semsearch.storage.local.checksums import file_crc32
from semsearch.storage.local.generations import (
    DELETED_FILE,
    KEYWORD_DIR,
    MANIFEST_FILE,
    file_sizes,
    generation_of,
    link_file,
    segment_name,
    segment_number,
)
from semsearch.storage.local.keyword import (
    choose_average_length,
    keyword_entry,
    recorded_average_length,
)
from semsearch.storage.local.merge_policy import SegmentSize, plan_merges
from semsearch.storage.local.reader import LocalIndex
from semsearch.storage.local.segment_builder import SegmentBuilder
from semsearch.storage.local.segments import Segment
from semsearch.storage.local.sentence_file import write_sentence_file
from semsearch.storage.local.sentences import SentenceVectorTable
from semsearch.storage.local.start import now
from semsearch.storage.local.working_copy import CatalogCopy
from semsearch.storage.manifest import FORMAT_VERSION, Manifest


@dataclass
class Changes:
    """What a write did to the starting generation's segments.

    Attributes:
        builder: The new segment: added chunks, and every chunk merged into it so far.
        absorbed: Segments of the start whose live chunks are already in ``builder``.
        deleted: Per segment of the start, the chunk ids this write deleted from it.
    """

    builder: SegmentBuilder
    absorbed: set[str] = field(default_factory=set)
    deleted: dict[str, set[int]] = field(default_factory=dict)

    def gone(self, segment: Segment) -> np.ndarray:
        """An old segment's chunks deleted before or by this write (its next tombstones).

        Args:
            segment: A segment of the starting generation.

        Returns:
            Their ids, sorted.
        """
        now = np.fromiter(self.deleted.get(segment.name, ()), dtype=np.int64)
        return np.union1d(segment.deleted, now) if len(now) else segment.deleted

    def live_ids(self, segment: Segment) -> np.ndarray:
        """An old segment's chunks still live after this write.

        Args:
            segment: A segment of the starting generation.

        Returns:
            Their ids, sorted.
        """
        gone = self.gone(segment)
        # Tombstones are few: cut them out by position instead of comparing every id.
        return (
            np.delete(segment.ids, np.searchsorted(segment.ids, gone))
            if len(gone)
            else (segment.ids)
        )


def absorb(
    changes: Changes,
    builder: SegmentBuilder,
    segment: Segment,
    catalog: CatalogCopy,
    copy_sentences: bool,
) -> None:
    """Merge an old segment's live chunks and documents into a builder.

    Args:
        changes: The write's changes (records the segment as absorbed).
        builder: The segment being written.
        segment: The old segment.
        catalog: The catalog (its documents move to the builder).
        copy_sentences: Copy their sentence vectors (they are of the current version).
    """
    builder.absorb(
        segment, changes.live_ids(segment), catalog.documents_in(segment.name), copy_sentences
    )
    catalog.move_documents([segment.name], builder.name)
    changes.absorbed.add(segment.name)


def absorb_everything(
    changes: Changes, base: LocalIndex | None, catalog: CatalogCopy, copy_sentences: bool
) -> bool:
    """Merge every segment of the start into the new one (an upgrade that changes all chunks).

    Args:
        changes: The write's changes.
        base: The starting generation.
        catalog: The catalog (its documents move to the new segment).
        copy_sentences: Copy the sentence vectors (they are of the current version).

    Returns:
        Whether a segment was merged (the write changed chunks).
    """
    merged = False
    for segment in base.segments.segments if base is not None else []:
        if segment.name not in changes.absorbed:
            absorb(changes, changes.builder, segment, catalog, copy_sentences)
            merged = True
    return merged


@dataclass
class Layout:
    """The next generation's segments, in chunk id order.

    Attributes:
        entries: Per position, an old segment kept as it is or a builder.
        tombstones: Per kept segment's name, its deleted chunk ids (old and new).
    """

    entries: list[Segment | SegmentBuilder]
    tombstones: dict[str, np.ndarray]


def plan_layout(
    work_dir: Path,
    changes: Changes,
    base: LocalIndex | None,
    catalog: CatalogCopy,
    copy_sentences: bool,
) -> Layout:
    """Apply the merge policy: which old segments stay, and which are merged into what.

    Args:
        work_dir: The temporary generation folder (merged segments get new folders there).
        changes: The write's changes.
        base: The starting generation.
        catalog: The catalog (documents follow their segments).
        copy_sentences: Whether merged segments keep their sentence vectors.

    Returns:
        The segments of the next generation and the tombstones of the kept ones.
    """
    old = [s for s in (base.segments.segments if base else []) if s.name not in changes.absorbed]
    entries: list[Segment | SegmentBuilder] = list(old)
    sizes = []
    for segment in old:
        gone = len(changes.gone(segment))
        sizes.append(SegmentSize(len(segment.ids) - gone, gone))
    if changes.builder.row_count or changes.builder.document_ids():
        entries.append(changes.builder)
        sizes.append(SegmentSize(changes.builder.row_count))
    numbers = [segment_number(s.name) or 0 for s in old] + [
        segment_number(changes.builder.name) or 0
    ]
    for run in reversed(plan_merges(sizes)):
        members = entries[run.start : run.stop]
        target = members[-1] if isinstance(members[-1], SegmentBuilder) else None
        if target is None:
            numbers.append(max(numbers) + 1)
            folder = work_dir / segment_name(numbers[-1])
            target = SegmentBuilder(folder, changes.builder.dimension)
        for member in members:
            if isinstance(member, Segment):
                absorb(changes, target, member, catalog, copy_sentences)
        entries[run.start : run.stop] = [target]
    tombstones = {s.name: changes.gone(s) for s in entries if isinstance(s, Segment)}
    return Layout(entries, tombstones)


def write_generation(
    work_dir: Path,
    catalog: CatalogCopy,
    changes: Changes,
    sentences: SentenceVectorTable,
    base: LocalIndex | None,
    manifest_values: dict[str, Any],
    timings: dict[str, float],
    keyword: KeywordSegment | None = None,
) -> tuple[list[str], list[str]]:
    """Complete a temporary generation folder; publishing it is the caller's next step.

    Args:
        work_dir: The temporary generation folder (holding the catalog and the new segment).
        catalog: The catalog; finished and closed here.
        changes: What the write did to the starting generation's segments.
        sentences: The sentence vectors' bookkeeping.
        base: The starting generation (None: everything is in the new segment).
        manifest_values: The manifest fields the writer knows (model, chunking, ids, roots…).
        timings: Receives the seconds of each step.
        keyword: BM25 postings to publish for the new segment instead of its own (the synthetic
            benchmark computes them from term counts); only when nothing else is kept.

    Returns:
        The files written and the files hard-linked from ``base`` (paths in the generation).
    """
    started = time.perf_counter()
    layout = plan_layout(work_dir, changes, base, catalog, sentences.rows_current)
    builders = [entry for entry in layout.entries if isinstance(entry, SegmentBuilder)]
    for builder in builders:
        sentences.drop_unused(builder.db)  # texts no chunk of the segment has any more
    sentence_entry = sentences.manifest_entry([builder.db for builder in builders])
    timings["merge"] = time.perf_counter() - started
    k1, b, average_length, recompute = _bm25_parameters(layout, base, keyword)
    segments, linked = _write_segments(
        work_dir, layout, (k1, b, average_length, recompute), base, keyword, timings
    )
    if sentence_entry is not None:
        _add_sentence_files(work_dir, layout, changes.builder.dimension, timings)
    started = time.perf_counter()
    tombstones = [ids for ids in layout.tombstones.values() if len(ids)]
    if tombstones:
        np.save(work_dir / DELETED_FILE, np.sort(np.concatenate(tombstones)), allow_pickle=False)
    largest = max(segments, key=lambda entry: entry["chunks"], default=None)
    sizes, checksums, (chunk_count, document_count) = _finish_files(work_dir, catalog, base, linked)
    Manifest(
        format_version=FORMAT_VERSION,
        keyword=keyword_entry(average_length, k1, b),
        sentence_vectors=sentence_entry,
        document_count=document_count,
        chunk_count=chunk_count,
        updated_at=now(),
        generation=generation_of(work_dir),
        files=sizes,
        vector_index=largest["vector_index"] if largest else {"type": "flat"},
        segments=segments,
        crc32=checksums,
        **manifest_values,
    ).write(work_dir / MANIFEST_FILE)
    timings["meta"] = time.perf_counter() - started
    return [name for name in sizes if name not in linked], sorted(linked)


def _finish_files(
    work_dir: Path, catalog: CatalogCopy, base: LocalIndex | None, linked: set[str]
) -> tuple[dict[str, int], dict[str, int], tuple[int, int]]:
    """Close the catalog (``linked`` receives its base when kept); every file's size and
    checksum (a linked one keeps its recorded checksum, unread), and the catalog's
    ``(chunks, documents)``."""
    counts = catalog.counts()
    linked |= catalog.finish()
    known = base.manifest.crc32 if base is not None else {}
    sizes = file_sizes(work_dir)
    checksums = {
        name: known[name] if name in linked and name in known else file_crc32(work_dir / name)
        for name in sizes
    }
    return sizes, checksums, counts


def _bm25_parameters(
    layout: Layout, base: LocalIndex | None, keyword: KeywordSegment | None
) -> tuple[float, float, float, bool]:
    """``(k1, b, avgdl, recompute)`` of the next generation (see ``keyword.py``)."""
    if keyword is not None:
        if any(isinstance(entry, Segment) for entry in layout.entries):
            raise RuntimeError("internal error: ready-made BM25 beside kept segments")
        return keyword.k1, keyword.b, keyword.average_length, False
    live_length, live_count = 0, 0
    for entry in layout.entries:
        if isinstance(entry, Segment):
            gone = np.searchsorted(entry.ids, layout.tombstones[entry.name])
            live_length += int(entry.lengths.sum()) - int(entry.lengths[gone].sum())
            live_count += len(entry.ids) - len(gone)
        else:
            lengths = entry.lengths()
            live_length += int(lengths.sum())
            live_count += len(lengths)
    kept = any(isinstance(entry, Segment) for entry in layout.entries)
    recorded = recorded_average_length(base.manifest) if base is not None and kept else None
    parameters = (base.manifest.keyword or {}) if base is not None else {}
    k1, b = DEFAULT_K1, DEFAULT_B
    changed = kept and (parameters.get("k1"), parameters.get("b")) != (k1, b)
    average_length, recompute = choose_average_length(
        None if changed else recorded, live_length, live_count
    )
    return k1, b, average_length, recompute or changed


def _write_segments(
    work_dir: Path,
    layout: Layout,
    parameters: tuple[float, float, float, bool],
    base: LocalIndex | None,
    keyword: KeywordSegment | None,
    timings: dict[str, float],
) -> tuple[list[dict[str, Any]], set[str]]:
    """Finish the new segments and link the kept ones; their manifest entries and the links."""
    k1, b, average_length, recompute = parameters
    entries: list[dict[str, Any]] = []
    linked: set[str] = set()
    old_entries = {e["name"]: e for e in (base.manifest.segments or [])} if base else {}
    for entry in layout.entries:
        if isinstance(entry, SegmentBuilder):
            if not entry.row_count and not entry.document_ids():
                entry.close()
                shutil.rmtree(entry.folder)
                continue
            written = entry.finish(k1, b, average_length, timings, keyword)
            entries.append({**written, "deleted": 0})
            continue
        started = time.perf_counter()
        rescored = entry.keyword.rescored(average_length, k1, b) if recompute else None
        linked |= _link_segment(entry, work_dir / entry.name, rescored)
        timings["link"] = timings.get("link", 0.0) + time.perf_counter() - started
        deleted = len(layout.tombstones[entry.name])
        vector_index = old_entries.get(entry.name, {}).get("vector_index", {"type": "flat"})
        entries.append(
            {
                "name": entry.name,
                "chunks": len(entry.ids),
                "deleted": deleted,
                "vector_index": vector_index,
            }
        )
    return entries, linked


def _add_sentence_files(
    work_dir: Path, layout: Layout, dimension: int, timings: dict[str, float]
) -> None:
    """Give each kept segment written before sentence-vector files its files (once: the next
    generation links them), so a search slices them instead of querying its records."""
    started = time.perf_counter()
    for entry in layout.entries:
        if isinstance(entry, Segment) and entry.sentence_file is None and entry.name:
            write_sentence_file(work_dir / entry.name, entry.records.select, dimension)
    timings["sentence_file"] = timings.get("sentence_file", 0.0) + time.perf_counter() - started


def _link_segment(segment: Segment, target: Path, rescored: KeywordSegment | None) -> set[str]:
    """Hard-link an unchanged segment's files into the new generation (its BM25 rewritten when
    ``rescored`` is given); the paths linked, relative to the generation."""
    linked = set()
    for path in sorted(segment.path.rglob("*")):
        relative = path.relative_to(segment.path)
        if not path.is_file() or (rescored is not None and relative.parts[0] == KEYWORD_DIR):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        link_file(path, destination)
        linked.add(f"{segment.name}/{relative.as_posix()}")
    if rescored is not None:
        write_segment(target / KEYWORD_DIR, rescored)
    return linked
