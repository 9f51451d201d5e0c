"""From a file to its raw text: the registry of formats by suffix, and the guarded read.

Each supported suffix names a :class:`FileFormat`: the extractor that turns the file's bytes into
:class:`~semsearch.ingest.document.Extracted` text (one module of
:mod:`semsearch.ingest.formats` each), the largest file it reads, and whether it runs in the
extraction worker. Adding a format is a module there and a line in :data:`FORMATS`. Every
extractor runs behind the boundary of :mod:`semsearch.ingest.boundary`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from semsearch.ingest.boundary import Extraction, shared_extraction
from semsearch.ingest.document import Extracted, UnreadableFileError
from semsearch.ingest.formats.docx import extract_docx
from semsearch.ingest.formats.html import extract_html
from semsearch.ingest.formats.markdown import extract_markdown
from semsearch.ingest.formats.pdf import extract_pdf
from semsearch.ingest.formats.plain import extract_plain_text

#: Largest plain-text or HTML file read (bytes). A web copy of an article is a few hundred KB at
#: most; anything bigger is a dump or a mistake, and decoding it would stall a build.
MAX_TEXT_BYTES = 20 * 1024 * 1024
#: Largest ``.docx`` / ``.pdf`` read (bytes): these carry images, so they are allowed to be larger.
MAX_PACKAGE_BYTES = 50 * 1024 * 1024

#: What a format module provides: ``(path, bytes) -> Extracted``, raising UnreadableFileError.
Extractor = Callable[[Path, bytes], Extracted]


@dataclass(frozen=True)
class FileFormat:
    """How files of one suffix are read.

    Attributes:
        extract: Turns the file's bytes into text and hints (a module-level function, so that
            the extraction worker can import it).
        max_bytes: Larger files are refused before they are read.
        isolated: Run in the extraction worker, with a time and a memory limit: the formats
            whose parsers are third-party code (lxml, python-docx, pypdf, trafilatura).
    """

    extract: Extractor
    max_bytes: int
    isolated: bool = False


#: The readable file types, by lower-case suffix.
FORMATS: dict[str, FileFormat] = {
    ".txt": FileFormat(extract_plain_text, MAX_TEXT_BYTES),
    ".md": FileFormat(extract_markdown, MAX_TEXT_BYTES),
    ".html": FileFormat(extract_html, MAX_TEXT_BYTES, isolated=True),
    ".htm": FileFormat(extract_html, MAX_TEXT_BYTES, isolated=True),
    ".docx": FileFormat(extract_docx, MAX_PACKAGE_BYTES, isolated=True),
    ".pdf": FileFormat(extract_pdf, MAX_PACKAGE_BYTES, isolated=True),
}

#: File types that can be read, by lower-case suffix.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(FORMATS)


def extract_file(path: Path, extraction: Extraction | None = None) -> tuple[bytes, Extracted]:
    """Read a file's bytes and pull its text out with the extractor of its suffix.

    Args:
        path: The file.
        extraction: Runs the extractor (None: the process's shared one).

    Returns:
        The file's bytes (for its content hash) and the extracted text with its hints.

    Raises:
        UnreadableFileError: unsupported type, missing/vanished, empty, too large, or anything
            that goes wrong in the extractor (binary, undecodable, corrupt, a limit…).
    """
    file_format = format_for(path)
    data = read_file_bytes(path, file_format.max_bytes)
    return data, (extraction or shared_extraction()).run(file_format, path, data)


def extract_bytes(path: Path, data: bytes, extraction: Extraction | None = None) -> Extracted:
    """Pull the text out of bytes that are not on disk yet (an upload), as if read from ``path``.

    Args:
        path: The name the bytes would have (its suffix picks the format).
        data: The bytes.
        extraction: Runs the extractor (None: the process's shared one).

    Returns:
        The extracted text with its hints.

    Raises:
        UnreadableFileError: As for :func:`extract_file`.
    """
    file_format = format_for(path)
    _refuse_too_large(path, len(data), file_format.max_bytes)
    _refuse_blank(path, data)
    return (extraction or shared_extraction()).run(file_format, path, data)


def format_for(path: Path) -> FileFormat:
    """Return how a file is read, from its suffix (any case).

    Args:
        path: The file.

    Returns:
        Its format.

    Raises:
        UnreadableFileError: the suffix is not in :data:`FORMATS`.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UnreadableFileError(
            path,
            f"unsupported file type {suffix or '(no extension)'}",
            "supported: " + ", ".join(sorted(SUPPORTED_SUFFIXES)),
            key="file.unsupported",
            params={
                "suffix": suffix or "—",
                "supported": ", ".join(sorted(SUPPORTED_SUFFIXES)),
            },
        )
    return FORMATS[suffix]


def read_file_bytes(path: Path, limit: int) -> bytes:
    """Read a whole file, refusing a missing, empty or too large one with a one-line reason.

    Args:
        path: The file.
        limit: The largest size read, in bytes.

    Returns:
        The file's bytes (not blank).

    Raises:
        UnreadableFileError: not a regular file, vanished, permission denied, other OS errors,
            too large, or empty.
    """
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UnreadableFileError(path, "not a regular file")
        # Checked before reading so that a huge file is refused at once, not after loading it.
        _refuse_too_large(path, size, limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise UnreadableFileError(
            path, "file disappeared before it could be read", key="file.disappeared"
        ) from None
    except PermissionError:
        raise UnreadableFileError(path, "permission denied", key="file.permission") from None
    except IsADirectoryError:
        raise UnreadableFileError(path, "not a regular file") from None
    except OSError as error:
        raise UnreadableFileError(path, f"cannot read file ({error.strerror or error})") from None
    if len(data) > limit:  # it grew while we were reading it
        raise UnreadableFileError(path, f"file too large (over {limit // 2**20} MB)")
    _refuse_blank(path, data)
    return data


def _refuse_too_large(path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise UnreadableFileError(
            path,
            f"file too large ({size / 2**20:.0f} MB; the limit for {path.suffix.lower()} is "
            f"{limit // 2**20} MB)",
            "split it into smaller files or leave it out",
            key="file.too_large",
            params={"size": f"{size / 2**20:.0f}", "limit": limit // 2**20},
        )


def _refuse_blank(path: Path, data: bytes) -> None:
    if not data.strip():
        raise UnreadableFileError(path, "empty file", key="file.empty")
