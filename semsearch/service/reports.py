"""Descriptions the front ends show: the index (``semsearch info``, the page's index panel) and
how one file is read (``semsearch inspect``).

Both are plain data with a ``to_json`` whose shape is the CLI's ``--json`` output.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from semsearch.chunking import Chunk
    from semsearch.ingest import Document, SkippedFile
    from semsearch.storage import DocumentRecord, SearchIndex, VersionFiles

#: How many of the largest reprint groups ``semsearch info`` lists.
LARGEST_GROUPS = 5


@dataclass(frozen=True)
class ReprintGroup:
    """One group of documents that are copies of one article.

    Attributes:
        group: Its id (the smallest doc id in it).
        paths: The paths of its documents, sorted.
    """

    group: str
    paths: list[str]


@dataclass(frozen=True)
class ReprintSummary:
    """The reprint groups of an index (:mod:`semsearch.indexing.reprints`).

    Attributes:
        groups: Number of groups (of two or more documents).
        documents: Documents in a group.
        largest: The largest groups, largest first (ties by id).
    """

    groups: int = 0
    documents: int = 0
    largest: list[ReprintGroup] = field(default_factory=list)


def summarize_reprints(
    documents: Sequence[DocumentRecord], largest: int = LARGEST_GROUPS
) -> ReprintSummary:
    """Count the reprint groups of an index's documents.

    Args:
        documents: Every document (``SearchIndex.documents``).
        largest: How many of the largest groups to list.

    Returns:
        The summary.
    """
    paths: dict[str, list[str]] = defaultdict(list)
    for document in documents:
        if document.group is not None:
            paths[document.group].append(document.path)
    ordered = sorted(paths.items(), key=lambda item: (-len(item[1]), item[0]))
    return ReprintSummary(
        groups=len(paths),
        documents=sum(len(members) for members in paths.values()),
        largest=[ReprintGroup(group, sorted(members)) for group, members in ordered[:largest]],
    )


@dataclass(frozen=True)
class IndexInfo:
    """Everything known about one version of an index.

    Attributes:
        index: The index folder.
        generation: The version described.
        documents: Articles in it.
        chunks: Passages in it.
        model: The model it was built with.
        model_fingerprint: That model's weights and text preparation, hashed.
        dimension: The vector size.
        chunking: The chunking settings.
        sentence_vectors: Whether every passage's sentence vectors are stored.
        format_version: The index layout.
        created_at: When the index was first made (ISO-8601 UTC).
        updated_at: When this version was written.
        corpus_roots: The files and folders it covers.
        size_bytes: What the version occupies on disk.
        files: Its top-level files and their sizes.
        skipped: The files the last build/update could not index, with the reasons.
        reprints: Its groups of reprinted articles.
    """

    index: str
    generation: str
    documents: int
    chunks: int
    model: str
    model_fingerprint: str
    dimension: int
    chunking: dict[str, Any]
    sentence_vectors: bool
    format_version: int
    created_at: str | None
    updated_at: str | None
    corpus_roots: list[str]
    size_bytes: int
    files: dict[str, int]
    skipped: list[SkippedFile]
    reprints: ReprintSummary = field(default_factory=ReprintSummary)

    def to_json(self) -> dict[str, Any]:
        """Return the description as JSON-ready data.

        Returns:
            The fields in order, skipped files as ``{"path", "reason"}`` (``semsearch info
            --json``).
        """
        return asdict(self)


def describe_index(reader: SearchIndex, index_dir: Path | str, disk: VersionFiles) -> IndexInfo:
    """Describe an open version of an index.

    Args:
        reader: The open version.
        index_dir: The index folder (shown as given), or where another engine keeps it.
        disk: What the version occupies on disk.

    Returns:
        The description.
    """
    manifest = reader.manifest
    return IndexInfo(
        index=str(index_dir),
        generation=reader.generation,
        documents=reader.document_count,
        chunks=reader.chunk_count,
        model=manifest.model_id,
        model_fingerprint=manifest.model_fingerprint,
        dimension=manifest.dimension,
        chunking=manifest.chunking,
        sentence_vectors=reader.has_sentence_vectors,
        format_version=manifest.format_version,
        created_at=manifest.created_at,
        updated_at=manifest.updated_at,
        corpus_roots=manifest.corpus_roots,
        size_bytes=disk.total_bytes,
        files=disk.files,
        skipped=reader.skipped_files(),
        reprints=summarize_reprints(reader.documents()),
    )


@dataclass(frozen=True)
class Inspection:
    """How one file is read: the cleaned document (with the lines removed) and its chunks.

    Attributes:
        document: The document as the indexer would store it.
        chunks: Its passages with the default chunking settings.
    """

    document: Document
    chunks: list[Chunk]

    def to_json(self) -> dict[str, Any]:
        """Return the inspection as JSON-ready data.

        Returns:
            The document's fields, its removed lines and its chunks (``semsearch inspect
            --json``).
        """
        document = self.document
        return {
            "path": document.path,
            "doc_id": document.doc_id,
            "title": document.title,
            "date": document.date,
            "source": document.source,
            "author": document.author,
            "script": document.script,
            "content_hash": document.content_hash,
            "text": document.text,
            "removed": [
                {"line": r.line_no, "text": r.text, "reason": r.reason} for r in document.removed
            ],
            "chunks": [
                {
                    "index": c.index,
                    "paragraph": c.paragraph + 1,  # 1-based, as shown everywhere
                    "start": c.start,
                    "end": c.end,
                    "text": c.text,
                }
                for c in self.chunks
            ],
        }
