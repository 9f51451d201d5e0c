"""Plain text (``.txt``): the decoded bytes, one paragraph a line."""

from __future__ import annotations

from pathlib import Path

from semsearch.ingest.decode import decode_or_raise
from semsearch.ingest.document import Extracted


def extract_plain_text(path: Path, data: bytes) -> Extracted:
    """Decode a text file (encoding detected, see :func:`~semsearch.ingest.decode.decode_text`).

    Args:
        path: The file (named in errors).
        data: Its bytes.

    Returns:
        The text, with no hints (a note when invalid bytes were replaced).

    Raises:
        UnreadableFileError: binary or undecodable content.
    """
    decoded = decode_or_raise(path, data)
    return Extracted(decoded.text, notes=decoded.notes)
