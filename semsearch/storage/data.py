"""The plain data that moves between an index and its callers, whatever engine holds it.

Records of chunks, documents and files as an index stores them, the filter a search passes
down, a writer's options, and the content key that lets an update reuse a passage's vector.
The protocols that hand them around are in :mod:`semsearch.storage.base`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from semsearch.chunking import Chunk

#: Seconds a second writer waits for the lock before giving up with a clear message.
DEFAULT_LOCK_TIMEOUT = 2.0


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as stored in the index, with what a hit needs from its document."""

    chunk_id: int
    doc_id: str
    index: int
    paragraph: int
    start: int
    end: int
    text: str
    title: str
    path: str
    date: str | None


@dataclass(frozen=True)
class DocumentRecord:
    """A document as stored in the index (``text`` is empty in listings).

    ``group`` names the document's reprint group (the smallest doc id of the documents that are
    copies of one article, :mod:`semsearch.indexing.reprints`); None for a document without
    reprints or not grouped yet.
    """

    doc_id: str
    path: str
    title: str
    date: str | None
    source: str | None
    author: str | None
    content_hash: str
    script: str
    chunk_count: int
    text: str
    group: str | None = None


@dataclass(frozen=True)
class ReprintState:
    """What the index keeps per document to find its reprints.

    Attributes:
        signature: The MinHash signature of its text (``b""``: too short to be grouped; None:
            not signed yet, e.g. in an index made before reprints were detected).
        group: Its reprint group (the smallest doc id of the group), None without reprints.
    """

    signature: bytes | None
    group: str | None


#: The LSH bands of a stored signature: :data:`SIGNATURE_BANDS` runs of :data:`BAND_BYTES`
#: bytes (four little-endian uint32 MinHash values each, :mod:`semsearch.indexing.reprints`).
#: The local engine indexes each band, so documents sharing one are found without reading every
#: signature.
SIGNATURE_BANDS = 32
BAND_BYTES = 16


def signature_bands(signature: bytes) -> list[bytes]:
    """A full signature's bands (none for an empty or short one, which is never matched).

    Args:
        signature: A stored signature.

    Returns:
        :data:`SIGNATURE_BANDS` runs of :data:`BAND_BYTES` bytes, or an empty list.
    """
    if len(signature) != SIGNATURE_BANDS * BAND_BYTES:
        return []
    return [signature[start : start + BAND_BYTES] for start in range(0, len(signature), BAND_BYTES)]


@dataclass(frozen=True)
class ReprintSelection:
    """Which documents' reprint states to read (any condition given selects a document).

    Attributes:
        doc_ids: These documents.
        groups: The members of these groups.
        unsigned: The documents without a signature yet.
        sharing_a_band: The documents whose full signature equals one of these (full)
            signatures in a whole band (:func:`signature_bands`).
    """

    doc_ids: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    unsigned: bool = False
    sharing_a_band: tuple[bytes, ...] = ()

    def holds(self, doc_id: str, state: ReprintState) -> bool:
        """Whether a document is selected (the engines without a query for it).

        Args:
            doc_id: The document.
            state: Its reprint state.

        Returns:
            True when one of the conditions selects it.
        """
        return (
            doc_id in self.doc_ids
            or (state.group is not None and state.group in self.groups)
            or (self.unsigned and state.signature is None)
            or (bool(self.sharing_a_band) and self._shares_a_band(state.signature))
        )

    def _shares_a_band(self, signature: bytes | None) -> bool:
        bands = signature_bands(signature or b"")
        return any(
            mine == theirs
            for other in self.sharing_a_band
            for mine, theirs in zip(bands, signature_bands(other), strict=False)
        )


@dataclass(frozen=True)
class FileState:
    """Where a document's file is and what it looked like when indexed.

    The indexer compares size and mtime to skip unchanged files without reading them.

    Attributes:
        file_path: Absolute, resolved path of the file.
        size: Size in bytes.
        mtime_ns: Modification time in nanoseconds.
    """

    file_path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class StoredFile:
    """A stored document seen from the file system: what the indexer needs to decide on it."""

    doc_id: str
    path: str
    content_hash: str
    state: FileState | None


@dataclass(frozen=True)
class FileScope:
    """Which stored documents an update of named paths needs (any condition given selects).

    Reading every document's file state costs the index's size (22,783 rows at 100k chunks);
    an update of one folder needs only the documents whose files lie in it.

    Attributes:
        under: Normalized absolute paths: documents whose file is one of them or inside one.
        outside: Normalized absolute paths (None: no condition): also the documents whose file
            lies in none of them (indexed through a link that led out of the corpus folders).
        doc_ids: Also these documents (whether an id is taken).
    """

    under: tuple[str, ...] = ()
    outside: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] = ()

    def holds(self, stored: StoredFile) -> bool:
        """Whether a stored document is selected (the engines without a query for it).

        Args:
            stored: A stored document.

        Returns:
            True when one of the conditions selects it.
        """
        if stored.doc_id in self.doc_ids:
            return True
        if stored.state is None:
            return False
        path = stored.state.file_path
        if self.outside is not None and not path_within(path, self.outside):
            return True
        return path_within(path, self.under)


def path_within(path: str, roots: Sequence[str]) -> bool:
    """Whether a normalized absolute path is one of ``roots`` or inside one (compared as text).

    Args:
        path: A normalized absolute path.
        roots: Normalized absolute paths.

    Returns:
        True when ``path`` equals a root or starts with a root and a separator.
    """
    prefixes = tuple(root if root.endswith(os.sep) else root + os.sep for root in roots)
    return path in roots or path.startswith(prefixes)


def prefix_range(root: str) -> tuple[str, str]:
    """The text range holding exactly the paths inside a folder (for an indexed range query).

    Args:
        root: A normalized absolute path.

    Returns:
        ``(low, high)``: a path lies inside ``root`` when ``low <= path < high`` (code point
        order, which UTF-8 bytes and SQLite's BINARY collation share).
    """
    low = root if root.endswith(os.sep) else root + os.sep
    return low, low[:-1] + chr(ord(os.sep) + 1)


@dataclass(frozen=True)
class ChunkFilter:
    """Which chunks a search may return; every given condition must hold (None: no condition).

    Attributes:
        doc_ids: Only chunks of these documents.
        date_from: Only documents dated on or after this ISO day (undated ones drop out).
        date_to: Only documents dated on or before this ISO day (undated ones drop out).
    """

    doc_ids: tuple[str, ...] | None = None
    date_from: str | None = None
    date_to: str | None = None

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets every chunk through."""
        return self.doc_ids is None and self.date_from is None and self.date_to is None


@dataclass(frozen=True)
class VersionFiles:
    """What one version of an index occupies on disk (``semsearch info`` shows it).

    Attributes:
        files: The size in bytes of each file at the top of the version (by name).
        total_bytes: The size of everything the version holds, sub-folders included.
    """

    files: dict[str, int]
    total_bytes: int


@dataclass(frozen=True)
class WriteOptions:
    """How a writer starts.

    Attributes:
        rebuild: Start from an empty index instead of the current version.
        reuse_vectors: With ``rebuild``, still look up vectors of known passages in the old
            version when it is compatible (the evaluation rebuilds often).
        lock_timeout: Seconds to wait for another writer before giving up.
    """

    rebuild: bool = False
    reuse_vectors: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


def embed_key(model_fingerprint: str, passage: str) -> str:
    """Return the content key of a passage's vector: the same text and weights give the same key.

    Args:
        model_fingerprint: The embedder's weights fingerprint.
        passage: The exact text that is embedded (``chunking.passage_text``).

    Returns:
        A sha256 hex digest.
    """
    return hashlib.sha256(f"{model_fingerprint}\x00{passage}".encode()).hexdigest()


def checked_chunk_vectors(
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    tokens: Sequence[Sequence[str]],
    embed_keys: Sequence[str],
    dimension: int,
) -> np.ndarray:
    """Check the arguments of :meth:`IndexWriter.add_document`; the vectors as one matrix.

    Args:
        chunks: The document's chunks.
        vectors: One vector per chunk.
        tokens: One token list per chunk.
        embed_keys: One content key per chunk.
        dimension: The index's vector size.

    Returns:
        A contiguous float32 ``(chunks, dimension)`` matrix.

    Raises:
        ValueError: The lengths or the vector size disagree.
    """
    count = len(chunks)
    if not (len(tokens) == len(embed_keys) == count):
        raise ValueError("chunks, tokens and embed_keys must have the same length")
    matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(count, -1)
    if count and matrix.shape[1] != int(dimension):
        raise ValueError(f"vectors have dimension {matrix.shape[1]}, the index {dimension}")
    return matrix
