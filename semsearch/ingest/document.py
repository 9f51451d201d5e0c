"""The records of the reading stage: a cleaned document, its removed lines, skipped files.

:class:`Document`, :class:`RemovedLine` and :class:`SkippedFile` are the contract in
docs/architecture.md: the chunker, the store and the indexer import them from
:mod:`semsearch.ingest`. :class:`Extracted` passes from a format's extractor to the cleaner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from semsearch.errors import DocumentError


@dataclass
class Extracted:
    """Text pulled out of a file, with hints from the file format's own metadata.

    Attributes:
        text: The text, one line per line of the file (or paragraph of the format).
        title: A headline the format names (HTML title, first heading, docx Title style).
        date: A date the format's metadata gives, in any form the date rule reads.
        author: An author the format's metadata gives.
        notes: What went wrong without stopping the reading (invalid bytes replaced, a
            parser's warnings), one line each, for the build to print with the file's name.
    """

    text: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RemovedLine:
    """A piece of the file that the cleaner dropped, kept so that ``semsearch inspect`` can show it.

    Attributes:
        line_no: 1-based line number in the text extracted from the file.
        text: The removed text (a whole line, or the part of a line that was cut, e.g. a page
            marker or a headline glued to the first paragraph).
        reason: Why it was removed: ``navigation``, ``advertisement``, ``caption``,
            ``copyright``, ``share-site header``, ``duplicate``, ``page marker``, ``metadata``,
            ``byline`` or ``title``.
    """

    line_no: int
    text: str
    reason: str


@dataclass
class Document:
    """A cleaned article.

    Attributes:
        doc_id: Stable id from the path relative to the corpus root (see
            :func:`~semsearch.ingest.files.document_id`).
        path: The file's path as it was given.
        title: The headline (the file name when the text has none).
        text: The cleaned body, one paragraph a line (``"\\n"`` between paragraphs).
        date: Publication date ``YYYY-MM-DD`` when the text gives one, else None.
        source: Publishing outlet (``来源``) when given.
        author: Author or reporter names when given.
        content_hash: sha256 of the file's bytes (hex).
        script: ``"simplified"``, ``"traditional"`` or ``"unknown"``.
        removed: Every line (or part) the cleaner dropped, with its reason.
        notes: What went wrong while reading without stopping it (see :class:`Extracted`).
    """

    doc_id: str
    path: str
    title: str
    text: str
    date: str | None
    source: str | None
    author: str | None
    content_hash: str
    script: str
    removed: list[RemovedLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class SkippedFile:
    """A file that was not indexed, and why (one line, for the build report).

    Attributes:
        path: The file.
        reason: The one-line reason it was skipped.
    """

    path: str
    reason: str


class UnreadableFileError(DocumentError):
    """A :class:`~semsearch.errors.DocumentError` that also carries the path and the bare reason.

    Args:
        path: The file.
        reason: Short reason, e.g. ``"empty file"``.
        hint: What the user can do (optional).
        key: The catalogue key of the reason (see :class:`~semsearch.errors.SemsearchError`);
            its sentence gets ``path`` besides ``params``.
        params: The values of the reason's placeholders.
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        hint: str | None = None,
        *,
        key: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(
            f"{path}: {reason}", hint, key=key, params={"path": path, **(params or {})}
        )
        self.path = str(path)
        self.reason = reason
