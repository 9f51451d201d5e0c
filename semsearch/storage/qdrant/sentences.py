"""Sentence vectors of the version being written: which chunks still need them, and where they go.

New chunks get theirs before they are written (:mod:`.pending`). The chunks already written
need theirs only when every chunk's must be made again: the published version has none, or
incomplete ones, or ones of an older sentence version (``clear_sentence_vectors``). Readers of
that version may be using the live slot, so the new vectors go into the other slot
(:meth:`~semsearch.storage.qdrant.versions.Slots.flip`), which the manifest makes live when it is
published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.storage.qdrant.pending import BATCH_SIZE, PendingChunks, half_precision
from semsearch.storage.qdrant.schema import SENTENCES

if TYPE_CHECKING:
    from semsearch.storage.qdrant.versions import Slots
    from semsearch.storage.qdrant.written import WrittenChunks


class SentenceBook:
    """What the version being written still lacks of sentence vectors.

    Args:
        slots: The writer's slots.
        written: The chunk points of the version in Qdrant.
        redo_written: Whether the written chunks' vectors must be made again (see the module
            docstring); the slot flips when they are first asked for.
    """

    def __init__(self, slots: Slots, written: WrittenChunks, redo_written: bool) -> None:
        self._slots = slots
        self._written = written
        self._redo = redo_written
        self._targets: dict[str, list[Any]] | None = None
        self._texts: dict[str, tuple[str, str]] = {}
        self._done: set[str] = set()

    def redo_everything(self) -> None:
        """Make every chunk's vectors again (those given so far in this write too)."""
        self._slots.flip(SENTENCES)
        self._redo = True
        self._targets = None
        self._done.clear()

    def _written_targets(self) -> dict[str, list[Any]]:
        """The written chunk points by content key (read once per write; the slot flips first)."""
        if self._targets is None:
            self._slots.flip(SENTENCES)
            self._targets = {}
            for point in self._written.scroll(["embed_key", "title", "text"]):
                key = point.payload["embed_key"]
                self._targets.setdefault(key, []).append(point.id)
                self._texts.setdefault(key, (point.payload["title"], point.payload["text"]))
        return self._targets

    def missing(self, pending: PendingChunks) -> list[tuple[str, str, str]]:
        """``(embed_key, title, text)`` of each distinct chunk text lacking sentence vectors."""
        found: dict[str, tuple[str, str]] = {}
        for chunk in pending.without_sentences():
            found.setdefault(chunk.embed_key, (chunk.payload["title"], chunk.payload["text"]))
        if self._redo:
            for key in self._written_targets():
                if key not in self._done:
                    found.setdefault(key, self._texts[key])
        return [(key, title, text) for key, (title, text) in found.items()]

    def add(
        self,
        vectors_by_key: dict[str, np.ndarray],
        pending: PendingChunks,
        on_batch: Callable[[], None],
    ) -> None:
        """Give chunks their sentence vectors by content key (0 rows: one sentence)."""
        pending.set_sentences(vectors_by_key)
        if not self._redo:
            return
        targets = self._written_targets()
        vector = self._slots.vector(SENTENCES)
        updates = {
            point_id: {vector: half_precision(matrix)}
            for key, matrix in vectors_by_key.items()
            if len(matrix)
            for point_id in targets.get(key, [])
        }
        batches = list(updates.items())
        for start in range(0, len(batches), BATCH_SIZE):
            on_batch()
            self._written.update_vectors(dict(batches[start : start + BATCH_SIZE]))
        self._done.update(key for key in vectors_by_key if key in targets)

    def written_complete(self) -> bool:
        """Whether the chunks written before this write have all their vectors."""
        return not self._redo or set(self._written_targets()) <= self._done
