"""Turning new and changed files into what the index stores: cleaned and cut (keyword tokens are
made as each document is added).

Nothing is embedded here; each chunk gets its passage text and content key, so the next step
(:mod:`semsearch.indexing.vectors`) can look its vector up before embedding it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from semsearch import lexical
from semsearch.chunking import Chunk, ChunkingConfig, chunk_document, passage_text
from semsearch.errors import DocumentError
from semsearch.indexing.report import STAGE_READ
from semsearch.indexing.scan import FileToRead
from semsearch.ingest import Document, SkippedFile, read_document
from semsearch.ingest.boundary import Extraction, failure_reason
from semsearch.progress import Reporter
from semsearch.storage import FileState, StoredFile, embed_key

if TYPE_CHECKING:
    from semsearch.storage.base import IdentifiesModel


@dataclass
class NewDocument:
    """A document ready to be added: its chunks, their passages and content keys.

    Attributes:
        document: The cleaned document.
        chunks: Its chunks, in order.
        passages: The text embedded for each chunk (``chunking.passage_text``).
        keys: Each chunk's content key (``storage.embed_key``).
        state: The file's state (None for documents not read from a file).
        replaces: The stored document it replaces (a changed file).
    """

    document: Document
    chunks: list[Chunk]
    passages: list[str]
    keys: list[str]
    state: FileState | None
    replaces: StoredFile | None = None

    @property
    def tokens(self) -> list[list[str]]:
        """Each chunk's keyword tokens, made when the document is added.

        A build holds every prepared document until its vectors are embedded; their token
        lists were the largest part of that (74 MB for 4,912 chunks), and the writer keeps
        only their counts.
        """
        return [lexical.tokenize(passage) for passage in self.passages]


def prepare(
    document: Document, chunks: list[Chunk], state: FileState | None, embedder: IdentifiesModel
) -> NewDocument:
    """Give each chunk of a document its passage text and content key.

    Args:
        document: The cleaned document.
        chunks: Its chunks.
        state: Its file's state, if it was read from a file.
        embedder: Whose fingerprint goes into the content keys.
    """
    passages = [passage_text(chunk) for chunk in chunks]
    return NewDocument(
        document=document,
        chunks=chunks,
        passages=passages,
        keys=[embed_key(embedder.fingerprint, passage) for passage in passages],
        state=state,
    )


def read_files(
    to_read: list[FileToRead],
    stored: list[StoredFile],
    vanished: list[StoredFile],
    chunking: ChunkingConfig,
    embedder: IdentifiesModel,
    skipped: list[SkippedFile],
    reporter: Reporter,
    stored_elsewhere: Callable[[str], str | None] | None = None,
) -> tuple[list[NewDocument], int]:
    """Read, clean and cut new and changed files.

    Args:
        to_read: The files (from the scan).
        stored: The stored documents (their ids are taken unless they leave).
        vanished: Stored documents whose files are gone.
        chunking: How documents are cut.
        embedder: Whose fingerprint goes into the content keys.
        skipped: Receives the files that cannot be indexed, with the reasons.
        reporter: Receives the ``read`` stage, a message per skipped file and one per note
            (invalid bytes replaced, a parser's warning).
        stored_elsewhere: The path of a stored document with this id that ``stored`` leaves
            out (an update of named paths reads only the documents under them); None when
            ``stored`` holds every document.

    Returns:
        The new documents, and how many changed files became unreadable (they are removed).
    """
    leaving = {s.doc_id for s in vanished} | {i.old.doc_id for i in to_read if i.old is not None}
    taken = {s.doc_id: s.path for s in stored if s.doc_id not in leaving}

    def taken_by(doc_id: str) -> str | None:
        if doc_id in taken:
            return taken[doc_id]
        if doc_id in leaving or stored_elsewhere is None:
            return None
        return stored_elsewhere(doc_id)

    new_documents: list[NewDocument] = []
    removed = 0
    reporter.start(STAGE_READ, len(to_read))
    # One extraction worker for the whole build (started only if a file needs it).
    with Extraction() as extraction:
        for item in to_read:
            reporter.advance(STAGE_READ)
            read = _read_one(item, chunking, taken_by, extraction)
            if isinstance(read, str):
                skipped.append(SkippedFile(str(item.path), read))
                reporter.message(f"Skipped {item.path}: {read}")
                removed += item.old is not None
                continue
            document, chunks = read
            for note in document.notes:
                reporter.message(f"Note on {item.path}: {note}")
            taken[document.doc_id] = document.path
            new = prepare(document, chunks, item.state, embedder)
            new.replaces = item.old
            new_documents.append(new)
    return new_documents, removed


def _read_one(
    item: FileToRead,
    chunking: ChunkingConfig,
    taken_by: Callable[[str], str | None],
    extraction: Extraction,
) -> tuple[Document, list[Chunk]] | str:
    """A file's document and chunks, or the one-line reason it is skipped."""
    try:
        document = read_document(item.path, item.root, extraction)
        chunks = chunk_document(document, chunking)
    except DocumentError as error:
        # UnreadableFileError carries the reason without the path (the report shows it).
        return getattr(error, "reason", error.message)
    except Exception as error:  # the boundary's last line: one file never stops a build
        return failure_reason(error, "cannot be indexed")
    if not chunks:
        return "no text left after cleaning"
    owner = taken_by(document.doc_id)
    if owner is not None:
        return (
            f"its document id {document.doc_id!r} is already used by "
            f"{owner}; index the two folders separately"
        )
    return document, chunks
