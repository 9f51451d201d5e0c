"""Where a local write starts from: the current generation, or nothing for a rebuild.

A rebuild still reads the old manifest, so chunk ids keep going up, and (for the evaluation,
which rebuilds often) may look up vectors of known passages in the old generation.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from semsearch.errors import IndexStoreError
from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.data import WriteOptions
from semsearch.storage.local.generations import CURRENT_LINK, MANIFEST_FILE, resolve_current
from semsearch.storage.local.opening import open_local_index
from semsearch.storage.local.reader import LocalIndex
from semsearch.storage.manifest import Manifest


def now() -> str:
    """The current time as the manifest records it.

    Returns:
        ISO-8601 UTC, to the second.
    """
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Start:
    """What a writer builds on.

    Attributes:
        base: The current generation, or None for a new index or a rebuild.
        vector_source: Where vectors of known passages are looked up (the base, or the old
            generation of a rebuild that reuses vectors).
        next_chunk_id: The first chunk id to give out.
        created_at: When the index was first made (a rebuild starts anew).
    """

    base: LocalIndex | None
    vector_source: LocalIndex | None
    next_chunk_id: int
    created_at: str

    def close(self) -> None:
        """Close the readers (once each)."""
        for reader in {id(r): r for r in (self.base, self.vector_source) if r}.values():
            reader.close()
        self.base = self.vector_source = None


def starting_point(
    index_dir: Path,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
    options: WriteOptions,
) -> Start:
    """Open the generation a write starts from.

    Args:
        index_dir: The index folder.
        embedder: The embedder of the write (the index must have been built with it).
        chunking: The chunking settings of the write (likewise).
        options: Rebuild or not, reuse of old vectors (see :class:`WriteOptions`).

    Returns:
        What the writer builds on.

    Raises:
        IndexStoreError: (Without ``rebuild``) the current generation is corrupt or was built
            with another model or chunking.
    """
    if not (index_dir / CURRENT_LINK).is_symlink():
        return Start(None, None, 1, now())
    if options.rebuild:
        previous = _readable_manifest(index_dir)
        reuse = options.reuse_vectors
        source = _compatible_reader(index_dir, embedder, chunking) if reuse else None
        return Start(None, source, previous.next_chunk_id if previous else 1, now())
    base = open_local_index(index_dir, lazy=True)  # an update reads what it touches
    try:
        base.check_compatible(embedder, chunking)
    except IndexStoreError:
        base.close()
        raise
    return Start(base, base, base.manifest.next_chunk_id, base.manifest.created_at or now())


def _readable_manifest(index_dir: Path) -> Manifest | None:
    """The old manifest if it is readable (a rebuild keeps chunk ids monotonic)."""
    try:
        return Manifest.read(resolve_current(index_dir) / MANIFEST_FILE, index_dir)
    except IndexStoreError:
        return None


def _compatible_reader(
    index_dir: Path, embedder: IdentifiesModel, chunking: DescribesChunking
) -> LocalIndex | None:
    """The old generation if it opens and matches the model and chunking, else None."""
    with contextlib.suppress(IndexStoreError):
        reader = open_local_index(index_dir, lazy=True)
        try:
            reader.check_compatible(embedder, chunking)
            return reader
        except IndexStoreError:
            reader.close()
    return None
