"""Build and update an index: files → documents → chunks → vectors and tokens → a new version.

The steps, each in its module: classify the files against the stored ones
(:mod:`~semsearch.indexing.scan`), read, clean, cut and tokenize the new and changed ones
(:mod:`~semsearch.indexing.prepare`), find or embed their vectors and add them
(:mod:`~semsearch.indexing.vectors`), group reprints (:mod:`~semsearch.indexing.reprints`),
run the data upgrades an old index needs
(:mod:`~semsearch.indexing.upgrades`), and commit. Everything goes through the storage
protocol (:class:`semsearch.storage.IndexWriter`), which publishes the new version atomically.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch import settings
from semsearch.chunking import Chunk, ChunkingConfig
from semsearch.indexing.prepare import prepare, read_files
from semsearch.indexing.report import STAGE_READ, STAGE_WRITE, IndexReport
from semsearch.indexing.reprints import group_reprints, groups_losing_members
from semsearch.indexing.scan import ScanPlan, check_paths, covered, outermost, read_stored, scan
from semsearch.indexing.upgrades import run_due_upgrades
from semsearch.indexing.vectors import add_sentence_vectors, embed_and_add
from semsearch.ingest import Document
from semsearch.progress import NullReporter, Reporter
from semsearch.storage import EngineConfig, IndexWriter, open_writer

if TYPE_CHECKING:
    from semsearch.embed import Embedder


def build(
    paths: Sequence[Path],
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    rebuild: bool = False,
    reporter: Reporter | None = None,
    engine: str | EngineConfig = "local",
    release_model: bool = False,
) -> IndexReport:
    """Index files and folders into ``index_dir``.

    Without ``rebuild``, an existing index is updated with these paths (exactly like
    :func:`update`); with it, the index is made from scratch (still atomically: the old one stays
    queryable until the new one replaces it) and covers only ``paths``.

    Args:
        paths: Files and folders (searched recursively).
        index_dir: The index folder (created if missing).
        embedder: The embedding model.
        chunking: Chunking settings (default: ``ChunkingConfig()``).
        rebuild: Discard the existing index, e.g. after changing model or chunking settings.
        reporter: Receives progress (default: nothing shown).
        engine: The storage engine holding the index (``storage.EngineConfig``).
        release_model: Tokenize everything first and let the embedder release its tokenizer
            before the forward passes (:func:`~semsearch.indexing.vectors.encode_ahead`), and
            unload the embedder once everything is embedded, before the commit (see
            :func:`release_embedder`): for a process that will not embed again.

    Returns:
        What was done.

    Raises:
        SemsearchError: A path does not exist, the index is locked, corrupt (without
            ``rebuild``) or was built with another model or chunking settings.
    """
    return _synchronize(
        list(paths), index_dir, embedder, chunking, rebuild, reporter, engine, release_model
    )


def update(
    paths: Sequence[Path] | None,
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    reporter: Reporter | None = None,
    engine: str | EngineConfig = "local",
    release_model: bool = False,
) -> IndexReport:
    """Bring the index in line with the files under ``paths``.

    New files are added, changed ones re-read (re-embedding only passages whose text is new),
    files that vanished from under ``paths`` are removed; documents outside ``paths`` are left
    alone. Without paths, the files and folders the index was built from are used (``seeds/``
    or ``$SEMSEARCH_CORPUS`` for a new index). An update with nothing changed writes nothing.

    Args:
        paths: Files and folders, or None for the index's own.
        index_dir: The index folder (created if missing).
        embedder: The embedding model (must be the one the index was built with).
        chunking: Chunking settings (must be the index's; default: ``ChunkingConfig()``).
        reporter: Receives progress (default: nothing shown).
        engine: The storage engine holding the index (``storage.EngineConfig``).
        release_model: As for :func:`build`.

    Returns:
        What was done.

    Raises:
        SemsearchError: As for :func:`build` without ``rebuild``.
    """
    given = None if paths is None else list(paths)
    return _synchronize(
        given, index_dir, embedder, chunking, False, reporter, engine, release_model
    )


def build_from_chunks(
    index_dir: Path,
    documents: Sequence[Document],
    chunks_by_doc: dict[str, list[Chunk]],
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    reporter: Reporter | None = None,
    engine: str | EngineConfig = "local",
) -> IndexReport:
    """Make an index of documents that are already cut into chunks (evaluation corpora).

    The index is replaced as a whole, but vectors of passages already in the old index (same
    model and chunking settings) are reused, so re-running an evaluation embeds nothing.

    Args:
        index_dir: The index folder (created if missing).
        documents: The documents (their ``path`` is shown in hits; no file is read).
        chunks_by_doc: Each document's chunks, by ``doc_id``.
        embedder: The embedding model.
        chunking: The settings recorded in the manifest (default: ``ChunkingConfig()``).
        reporter: Receives progress (default: nothing shown).
        engine: The storage engine holding the index (``storage.EngineConfig``).

    Returns:
        What was done (every document counts as added).
    """
    started = time.perf_counter()
    chunking = chunking or ChunkingConfig()
    reporter = reporter or NullReporter()
    report = IndexReport(index_dir=str(index_dir))
    with open_writer(
        index_dir, embedder, chunking, rebuild=True, reuse_vectors=True, engine=engine
    ) as writer:
        reporter.start(STAGE_READ, len(documents))
        new_documents = []
        for document in documents:
            chunks = list(chunks_by_doc.get(document.doc_id, []))
            new_documents.append(prepare(document, chunks, None, embedder))
            reporter.advance(STAGE_READ)
        report.timings["read"] = time.perf_counter() - started
        embed_and_add(writer, new_documents, embedder, reporter, report)
        add_sentence_vectors(writer, embedder, reporter, report)
        report.added = len(new_documents)
        writer.set_sources([], [])
        _commit(writer, reporter, report)
    report.seconds = time.perf_counter() - started
    return report


def _synchronize(
    paths: list[Path] | None,
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkingConfig | None,
    rebuild: bool,
    reporter: Reporter | None,
    engine: str | EngineConfig,
    release_model: bool = False,
) -> IndexReport:
    started = time.perf_counter()
    chunking = chunking or ChunkingConfig()
    reporter = reporter or NullReporter()
    report = IndexReport(index_dir=str(index_dir))
    with open_writer(Path(index_dir), embedder, chunking, rebuild=rebuild, engine=engine) as writer:
        base = writer.base
        stored_roots = [Path(root) for root in base.manifest.corpus_roots] if base else []
        stored, stored_elsewhere = read_stored(base, paths, stored_roots)
        given = paths if paths is not None else stored_roots or [settings.default_corpus_dir()]
        scope = check_paths(given, stored, explicit=paths is not None, reporter=reporter)
        scan_started = time.time_ns()
        last_scan = (base.manifest.scanned_at_ns or 0) if base is not None else 0
        plan = scan(scope, stored, stored_roots, last_scan, reporter)
        report.unchanged = plan.unchanged
        report.timings["scan"] = time.perf_counter() - started

        step = time.perf_counter()
        new_documents, removed_by_read = read_files(
            plan.to_read,
            stored,
            plan.vanished,
            chunking,
            embedder,
            plan.skipped,
            reporter,
            stored_elsewhere,
        )
        report.timings["read"] = time.perf_counter() - step

        broken_groups = _remove_leaving(writer, plan, report)
        report.changed = sum(1 for new in new_documents if new.replaces is not None)
        report.added = len(new_documents) - report.changed
        report.removed = len(plan.vanished) + removed_by_read

        embed_and_add(writer, new_documents, embedder, reporter, report, ahead=release_model)
        for old, state in plan.touched:
            writer.update_file_state(old.doc_id, state)
        texts = {new.document.doc_id: new.document.text for new in new_documents}
        group_reprints(writer, texts, broken_groups)
        run_due_upgrades(writer, reporter)
        add_sentence_vectors(writer, embedder, reporter, report)

        skipped_before = base.skipped_files() if base is not None else []
        kept = [s for s in skipped_before if not covered(Path(s.path), scope)]
        report.skipped = sorted([*kept, *plan.skipped], key=lambda s: s.path)
        roots = [Path(p) for p in given] if rebuild else [*stored_roots, *given]
        writer.set_sources(outermost(roots), report.skipped, scanned_at_ns=scan_started)
        # Nothing embedded: the model was never loaded, and a no-op update stays quick.
        if release_model and (report.chunks_embedded or report.sentences_embedded):
            release_embedder(embedder)
        _finish(writer, reporter, report)
    report.seconds = time.perf_counter() - started
    return report


def release_embedder(embedder: Embedder) -> None:
    """Unload an embedder that has an ``unload`` (the model and its buffers), then collect.

    The commit builds the keyword index and writes every file; with the model still loaded
    (about 460 MB, plus ONNX Runtime's arena of about 140 MB kept after embedding) that was
    the build's peak (issue 17.2).

    Args:
        embedder: The embedder; one without ``unload`` (a stand-in) is left as it is.
    """
    from semsearch.embed.memory import return_freed_memory

    unload = getattr(embedder, "unload", None)
    if callable(unload):
        unload()
    gc.collect()
    return_freed_memory()  # what the collection freed, too


def _remove_leaving(writer: IndexWriter, plan: ScanPlan, report: IndexReport) -> set[str]:
    """Remove the vanished documents and those of changed files; the reprint groups they leave
    (noted before the removal, see :func:`~semsearch.indexing.reprints.group_reprints`)."""
    replaced = [item.old for item in plan.to_read if item.old is not None]
    leaving = [old.doc_id for old in [*plan.vanished, *replaced]]
    broken_groups = groups_losing_members(writer, leaving)
    for doc_id in leaving:
        report.chunks_removed += writer.remove_document(doc_id)
    return broken_groups


def _finish(writer: IndexWriter, reporter: Reporter, report: IndexReport) -> None:
    """Commit if anything changed (or the index is new); otherwise report the current version."""
    report.nothing_changed = not (
        report.added
        or report.changed
        or report.removed
        or report.chunks_embedded
        or report.sentences_embedded
    )
    if writer.changed or writer.base is None:
        _commit(writer, reporter, report)
    else:
        report.generation = writer.base.generation
        report.documents_total = writer.base.document_count
        report.chunks_total = writer.base.chunk_count


def _commit(writer: IndexWriter, reporter: Reporter, report: IndexReport) -> None:
    started = time.perf_counter()
    reporter.start(STAGE_WRITE, 1)
    reader = writer.commit()
    reporter.advance(STAGE_WRITE)
    try:
        report.generation = reader.generation
        report.documents_total = reader.document_count
        report.chunks_total = reader.chunk_count
    finally:
        reader.close()
    report.timings["write"] = time.perf_counter() - started
    report.timings.update({f"write.{name}": value for name, value in writer.timings.items()})
