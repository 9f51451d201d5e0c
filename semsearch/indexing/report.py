"""What a build or update reports: counts, totals, skipped files, timings; and its stage names."""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike

from semsearch.ingest import SkippedFile
from semsearch.progress import Note

#: Stage names passed to the reporter, in the order they run.
STAGE_SCAN = "scan"
STAGE_READ = "read"
STAGE_EMBED = "embed"
STAGE_SENTENCES = "sentences"
STAGE_WRITE = "write"


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


def skipped_note(path: str | PathLike[str], reason: str) -> Note:
    """The note that a file is skipped, and why.

    Args:
        path: The file.
        reason: Its one-line reason (English; front ends say it by its opening words).

    Returns:
        ``Skipped PATH: REASON`` as a :class:`~semsearch.progress.Note`.
    """
    return Note.of("note.skipped", f"Skipped {path}: {reason}", path=path, reason=reason)
