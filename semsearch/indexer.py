"""Build and update an index: files → documents → chunks → vectors and tokens → a new generation.

An update decides per file, cheapest test first:

1. same path, size and modification time as stored → unchanged, the file is not even opened;
2. size or time differ but the sha256 of the bytes is the stored one → unchanged (only touched);
3. otherwise the file is read, cleaned and cut again (new or changed); stored files that are no
   longer found under the paths being updated are removed (vanished).

Chunks of new and changed files are embedded only if their passage text is not already in the
index: vectors are looked up by content key (sha256 of the model fingerprint and the passage), so
an edited article re-embeds only its edited paragraphs, and a moved file re-embeds nothing. The
new generation is written by :class:`semsearch.store.IndexWriter`, atomically.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from semsearch import lexical, settings
from semsearch.chunking import (
    Chunk,
    ChunkingConfig,
    chunk_document,
    passage_text,
    sentence_passages,
)
from semsearch.errors import DocumentError, SemsearchError
from semsearch.ingest import Document, SkippedFile, discover_files, read_document
from semsearch.store import FileState, IndexWriter, StoredFile, embed_key

if TYPE_CHECKING:
    from semsearch.embed import Embedder

#: Stage names passed to the reporter, in the order they run.
STAGE_SCAN = "scan"
STAGE_READ = "read"
STAGE_EMBED = "embed"
STAGE_SENTENCES = "sentences"
STAGE_WRITE = "write"

#: Texts handed to the embedder per call: bounds memory, keeps progress moving.
EMBED_CALL_SIZE = 512

#: A file modified this close to the previous scan may have changed within the same mtime
#: tick after it was read, so its size and mtime alone are not trusted (it is hashed).
RACY_WINDOW_NS = 2_000_000_000

_SCAN_TIME_KEY = "scanned_at_ns"


class Reporter(Protocol):
    """Receives progress from the indexer (the CLI shows it as progress bars)."""

    def start(self, stage: str, total: int) -> None:
        """Begin ``stage`` with ``total`` units of work."""
        ...

    def advance(self, stage: str, n: int = 1) -> None:
        """Record ``n`` more units done in ``stage``."""
        ...

    def message(self, text: str) -> None:
        """Tell the user something (a skipped file, a notice)."""
        ...


class NullReporter:
    """A reporter that shows nothing."""

    def start(self, stage: str, total: int) -> None:
        """Ignore the start of a stage."""

    def advance(self, stage: str, n: int = 1) -> None:
        """Ignore progress."""

    def message(self, text: str) -> None:
        """Ignore a message."""


@dataclass
class IndexReport:
    """What a build or update did.

    Attributes:
        index_dir: The index folder.
        generation: The current generation afterwards (None if there is no index).
        added: Documents that were not in the index before.
        changed: Documents whose file changed (re-read and re-cut).
        removed: Documents dropped (file vanished, or changed into something unreadable).
        unchanged: Documents whose file did not change.
        chunks_embedded: Passages sent to the embedder.
        sentences_embedded: Sentences sent to the embedder (sentence vectors of new chunk
            texts, see :func:`semsearch.chunking.sentence_passages`).
        chunks_reused: New chunks whose vector was already in the index (or in this run).
        chunks_removed: Chunks dropped with removed and changed documents.
        documents_total: Documents in the index afterwards.
        chunks_total: Chunks in the index afterwards.
        skipped: Files that could not be indexed, with the reasons.
        seconds: Wall time of the whole operation.
        timings: Seconds per step (scan, read, embed, write and the writer's sub-steps).
        nothing_changed: True when no document was added, changed or removed and nothing was
            embedded; no new generation was written then, unless file metadata changed.
    """

    index_dir: str
    generation: str | None = None
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    chunks_reused: int = 0
    chunks_removed: int = 0
    documents_total: int = 0
    chunks_total: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    nothing_changed: bool = False


@dataclass
class _FileToRead:
    path: Path
    root: Path
    state: FileState
    old: StoredFile | None


@dataclass
class _NewDocument:
    document: Document
    chunks: list[Chunk]
    passages: list[str]
    keys: list[str]
    tokens: list[list[str]]
    state: FileState | None
    replaces: StoredFile | None = None


def build(
    paths: Sequence[Path],
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    rebuild: bool = False,
    reporter: Reporter | None = None,
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

    Returns:
        What was done.

    Raises:
        SemsearchError: A path does not exist, the index is locked, corrupt (without
            ``rebuild``) or was built with another model or chunking settings.
    """
    return _synchronize(list(paths), index_dir, embedder, chunking, rebuild, reporter)


def update(
    paths: Sequence[Path] | None,
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    reporter: Reporter | None = None,
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

    Returns:
        What was done.

    Raises:
        SemsearchError: As for :func:`build` without ``rebuild``.
    """
    return _synchronize(
        None if paths is None else list(paths), index_dir, embedder, chunking, False, reporter
    )


def build_from_chunks(
    index_dir: Path,
    documents: Sequence[Document],
    chunks_by_doc: dict[str, list[Chunk]],
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    reporter: Reporter | None = None,
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

    Returns:
        What was done (every document counts as added).
    """
    started = time.perf_counter()
    chunking = chunking or ChunkingConfig()
    reporter = reporter or NullReporter()
    report = IndexReport(index_dir=str(index_dir))
    with IndexWriter.open(
        index_dir, embedder, chunking, rebuild=True, reuse_vectors=True
    ) as writer:
        reporter.start(STAGE_READ, len(documents))
        new_documents = []
        for document in documents:
            chunks = list(chunks_by_doc.get(document.doc_id, []))
            new_documents.append(_prepare(document, chunks, None, embedder))
            reporter.advance(STAGE_READ)
        report.timings["read"] = time.perf_counter() - started
        _embed_and_add(writer, new_documents, embedder, reporter, report)
        _add_sentence_vectors(writer, embedder, reporter, report)
        report.added = len(new_documents)
        writer.set_skipped([])
        writer.set_corpus_roots([])
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
) -> IndexReport:
    started = time.perf_counter()
    chunking = chunking or ChunkingConfig()
    reporter = reporter or NullReporter()
    index_dir = Path(index_dir)
    report = IndexReport(index_dir=str(index_dir))
    with IndexWriter.open(index_dir, embedder, chunking, rebuild=rebuild) as writer:
        stored = writer.stored_files()
        stored_roots = [Path(root) for root in writer.corpus_roots]
        given = paths if paths is not None else stored_roots or [settings.default_corpus_dir()]
        scope = _check_paths(given, stored, explicit=paths is not None, reporter=reporter)
        scan_started = time.time_ns()

        to_read, unchanged, touched, vanished, skipped = _scan(
            scope, stored, stored_roots, writer, reporter, report
        )
        report.unchanged = unchanged
        report.timings["scan"] = time.perf_counter() - started

        step = time.perf_counter()
        new_documents, removed_by_read = _read(
            to_read, stored, vanished, chunking, embedder, skipped, reporter
        )
        report.timings["read"] = time.perf_counter() - step

        replaced = [item.old for item in to_read if item.old is not None]
        for old in [*vanished, *replaced]:
            report.chunks_removed += writer.remove_document(old.doc_id)
        report.changed = sum(1 for new in new_documents if new.replaces is not None)
        report.added = len(new_documents) - report.changed
        report.removed = len(vanished) + removed_by_read

        _embed_and_add(writer, new_documents, embedder, reporter, report)
        for old, state in touched:
            writer.update_file_state(old.doc_id, state)
        if writer.keyword_outdated():
            _retokenize(writer, reporter)
        _add_sentence_vectors(writer, embedder, reporter, report)

        skipped_before = [] if rebuild else writer.skipped_files()
        kept = [s for s in skipped_before if not _within(Path(s.path).resolve(), scope)]
        report.skipped = sorted([*kept, *skipped], key=lambda s: s.path)
        writer.set_skipped(report.skipped)
        roots = [Path(p) for p in given] if rebuild else [*stored_roots, *given]
        writer.set_corpus_roots(_outermost(roots))
        writer.manifest_extra[_SCAN_TIME_KEY] = scan_started

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
    report.seconds = time.perf_counter() - started
    return report


def _check_paths(
    paths: Sequence[Path], stored: list[StoredFile], explicit: bool, reporter: Reporter
) -> list[Path]:
    """Return the absolute paths to synchronize; refuse paths that exist neither here nor stored."""
    stored_files = [Path(s.state.file_path) for s in stored if s.state is not None]
    scope = []
    for path in paths:
        absolute = Path(path).resolve()
        if not absolute.exists():
            known = any(f == absolute or f.is_relative_to(absolute) for f in stored_files)
            if explicit and not known:
                raise SemsearchError(
                    f"No such file or folder: {path}",
                    "Check the path (folders are searched recursively).",
                )
            reporter.message(f"{path} no longer exists: its documents are removed from the index.")
        scope.append(absolute)
    return scope


def _within(path: Path, scope: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in scope)


def _outermost(roots: Sequence[Path]) -> list[str]:
    """Absolute roots without duplicates and without those inside another root, in order."""
    absolute = list(dict.fromkeys(Path(root).resolve() for root in roots))
    return [
        str(root)
        for root in absolute
        if not any(other != root and root.is_relative_to(other) for other in absolute)
    ]


def _display_path(path: Path) -> str:
    """The path relative to the working directory when it is inside it (as users type paths)."""
    absolute = Path(path).resolve()
    try:
        return str(absolute.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(absolute)


def _root_for(file: Path, scope: Sequence[Path], stored_roots: Sequence[Path]) -> Path:
    """The folder a file's document id is relative to: an indexed folder, else the given one."""
    absolute = file.resolve()
    for root in [*stored_roots, *scope]:
        root = root.resolve()
        if root.is_dir() and absolute.is_relative_to(root):
            return Path(_display_path(root))
    return file.parent


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scan(
    scope: list[Path],
    stored: list[StoredFile],
    stored_roots: list[Path],
    writer: IndexWriter,
    reporter: Reporter,
    report: IndexReport,
) -> tuple[
    list[_FileToRead], int, list[tuple[StoredFile, FileState]], list[StoredFile], list[SkippedFile]
]:
    """Classify every file under ``scope`` against the stored documents, reading none of them."""
    existing = [Path(_display_path(p)) for p in scope if p.exists()]
    files, skipped = discover_files(existing) if existing else ([], [])
    by_file = {s.state.file_path: s for s in stored if s.state is not None}
    last_scan = 0 if writer.base is None else int(writer.base.manifest.get(_SCAN_TIME_KEY, 0))
    to_read: list[_FileToRead] = []
    touched: list[tuple[StoredFile, FileState]] = []
    unchanged = 0
    seen: set[str] = set()
    reporter.start(STAGE_SCAN, len(files))
    for file in files:
        reporter.advance(STAGE_SCAN)
        try:
            stat = file.stat()
        except OSError as error:
            skipped.append(SkippedFile(str(file), f"cannot be read ({error.strerror})"))
            continue
        absolute = str(file.resolve())
        if absolute in seen:
            continue
        seen.add(absolute)
        state = FileState(absolute, stat.st_size, stat.st_mtime_ns)
        old = by_file.get(absolute)
        if old is None or old.state is None:
            to_read.append(_FileToRead(file, _root_for(file, scope, stored_roots), state, None))
            continue
        same_stat = old.state.size == state.size and old.state.mtime_ns == state.mtime_ns
        if same_stat and old.state.mtime_ns < last_scan - RACY_WINDOW_NS:
            unchanged += 1
            continue
        try:
            same_content = _sha256(file) == old.content_hash
        except OSError as error:
            skipped.append(SkippedFile(str(file), f"cannot be read ({error.strerror})"))
            continue
        if same_content:
            unchanged += 1
            if not same_stat:
                touched.append((old, state))
        else:
            to_read.append(_FileToRead(file, _root_for(file, scope, stored_roots), state, old))
    vanished = [
        s
        for s in stored
        if s.state is not None
        and s.state.file_path not in seen
        and _within(Path(s.state.file_path), scope)
    ]
    return to_read, unchanged, touched, vanished, skipped


def _read(
    to_read: list[_FileToRead],
    stored: list[StoredFile],
    vanished: list[StoredFile],
    chunking: ChunkingConfig,
    embedder: Embedder,
    skipped: list[SkippedFile],
    reporter: Reporter,
) -> tuple[list[_NewDocument], int]:
    """Read, clean, cut and tokenize new and changed files.

    Returns:
        The new documents, and how many changed files became unreadable (they are removed).
    """
    leaving = {s.doc_id for s in vanished} | {i.old.doc_id for i in to_read if i.old is not None}
    taken = {s.doc_id: s.path for s in stored if s.doc_id not in leaving}
    new_documents: list[_NewDocument] = []
    removed = 0
    reporter.start(STAGE_READ, len(to_read))
    for item in to_read:
        reporter.advance(STAGE_READ)
        reason = None
        try:
            document = read_document(item.path, item.root)
            chunks = chunk_document(document, chunking)
            if not chunks:
                reason = "no text left after cleaning"
            elif document.doc_id in taken:
                reason = (
                    f"its document id {document.doc_id!r} is already used by "
                    f"{taken[document.doc_id]}; index the two folders separately"
                )
        except DocumentError as error:
            # UnreadableFileError carries the reason without the path (the report shows it).
            reason = getattr(error, "reason", error.message)
        if reason is not None:
            skipped.append(SkippedFile(str(item.path), reason))
            reporter.message(f"Skipped {item.path}: {reason}")
            removed += item.old is not None
            continue
        taken[document.doc_id] = document.path
        new = _prepare(document, chunks, item.state, embedder)
        new.replaces = item.old
        new_documents.append(new)
    return new_documents, removed


def _prepare(
    document: Document, chunks: list[Chunk], state: FileState | None, embedder: Embedder
) -> _NewDocument:
    passages = [passage_text(chunk) for chunk in chunks]
    return _NewDocument(
        document=document,
        chunks=chunks,
        passages=passages,
        keys=[embed_key(embedder.fingerprint, passage) for passage in passages],
        tokens=[lexical.tokenize(passage) for passage in passages],
        state=state,
    )


def _embed_and_add(
    writer: IndexWriter,
    new_documents: list[_NewDocument],
    embedder: Embedder,
    reporter: Reporter,
    report: IndexReport,
) -> None:
    """Find or compute a vector for every new chunk, then add the documents to the writer."""
    started = time.perf_counter()
    if new_documents:
        # From here on a temporary generation exists; a crash leaves it for the next writer.
        writer.begin()
    wanted: dict[str, str] = {}
    for new in new_documents:
        wanted.update(zip(new.keys, new.passages, strict=True))
    vectors = writer.vectors_for_keys(wanted) if wanted else {}
    missing = [key for key in wanted if key not in vectors]
    reporter.start(STAGE_EMBED, len(missing))
    progress: Callable[[int], None] = lambda n: reporter.advance(STAGE_EMBED, n)  # noqa: E731
    for offset in range(0, len(missing), EMBED_CALL_SIZE):
        keys = missing[offset : offset + EMBED_CALL_SIZE]
        embedded = embedder.embed_passages([wanted[key] for key in keys], progress=progress)
        if embedded.shape != (len(keys), int(writer.embedder.dimension)):
            raise SemsearchError(
                f"The model {embedder.model_id!r} returned vectors of shape {embedded.shape}, "
                f"expected ({len(keys)}, {embedder.dimension}).",
                "Check the model folder; it may not be a sentence-transformers model.",
            )
        vectors.update(zip(keys, embedded, strict=True))
    report.chunks_embedded = len(missing)
    report.timings["embed"] = time.perf_counter() - started
    for new in new_documents:
        matrix = (
            np.stack([vectors[key] for key in new.keys])
            if new.keys
            else np.zeros((0, embedder.dimension), dtype=np.float32)
        )
        writer.add_document(new.document, new.chunks, matrix, new.tokens, new.keys, new.state)
        report.chunks_reused += len(new.keys)
    report.chunks_reused -= report.chunks_embedded


def _add_sentence_vectors(
    writer: IndexWriter, embedder: Embedder, reporter: Reporter, report: IndexReport
) -> None:
    """Give every chunk text without sentence vectors its vectors: reused, else embedded.

    Runs after the chunks are added, so it also completes an index made before sentence vectors
    existed (once; a message says why that update takes longer). Vectors are stored a few
    hundred chunks at a time, so memory stays flat on a large index.
    """
    started = time.perf_counter()
    upgrading = writer.base is not None and not writer.base.has_sentence_vectors
    missing = writer.chunks_without_sentence_vectors()
    if not missing:
        return
    if upgrading:
        reporter.message(
            f"This index has no sentence vectors yet: embedding the sentences of "
            f"{len(missing)} stored chunks (once)."
        )
    reused = writer.sentence_vectors_for_keys(key for key, _, _ in missing)
    writer.add_sentence_vectors(reused)
    passages_by_key = {
        key: sentence_passages(text, title) for key, title, text in missing if key not in reused
    }
    groups: list[list[str]] = [[]]
    count = 0
    for key, passages in passages_by_key.items():
        if count >= EMBED_CALL_SIZE:
            groups.append([])
            count = 0
        groups[-1].append(key)
        count += len(passages)
    texts_of = [
        list(dict.fromkeys(t for key in group for t in passages_by_key[key])) for group in groups
    ]
    reporter.start(STAGE_SENTENCES, sum(map(len, texts_of)))
    progress: Callable[[int], None] = lambda n: reporter.advance(STAGE_SENTENCES, n)  # noqa: E731
    empty = np.zeros((0, int(embedder.dimension)), dtype=np.float32)
    for group, texts in zip(groups, texts_of, strict=True):
        embedded = embedder.embed_passages(texts, progress=progress) if texts else empty
        row_of = {text: row for row, text in enumerate(texts)}
        writer.add_sentence_vectors(
            {key: embedded[[row_of[t] for t in passages_by_key[key]]] for key in group}
        )
        report.sentences_embedded += len(texts)
    report.timings["sentences"] = time.perf_counter() - started


def _retokenize(writer: IndexWriter, reporter: Reporter) -> None:
    """Recompute every stored chunk's tokens after the keyword tokenizer changed."""
    assert writer.base is not None
    reporter.message("The keyword tokenizer changed: re-tokenizing the stored chunks.")
    tokens = {}
    for chunk_id, title, text in writer.base.iter_chunk_rows():
        chunk = Chunk(
            doc_id="", index=0, paragraph=0, start=0, end=len(text), text=text, title=title
        )
        tokens[chunk_id] = lexical.tokenize(passage_text(chunk))
    writer.set_tokens(tokens)


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
