"""Reading one article file into a :class:`~semsearch.ingest.document.Document`, or many.

The flow of one file: its bytes are read and its text extracted by the format of its suffix
(:mod:`semsearch.ingest.extract`, behind the boundary of :mod:`semsearch.ingest.boundary`),
the Unicode is evened out (:mod:`semsearch.ingest.normalize`), the page around the article is
removed (:mod:`semsearch.ingest.clean`), and the metadata the text lacks is taken from the
format's hints or the file name. Whatever goes wrong on the way is the file's one-line reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from semsearch.errors import DocumentError
from semsearch.ingest.boundary import Extraction, failure_reason
from semsearch.ingest.clean import clean_lines
from semsearch.ingest.document import Document, Extracted, SkippedFile, UnreadableFileError
from semsearch.ingest.extract import extract_bytes, extract_file
from semsearch.ingest.files import discover_files, document_id
from semsearch.ingest.metadata import iso_date_or_none, title_from_file_name
from semsearch.ingest.normalize import detect_script, normalize_text


def read_document(
    path: Path, root: Path | None = None, extraction: Extraction | None = None
) -> Document:
    """Read, clean and describe one article file.

    Args:
        path: The file (``.txt``, ``.md``, ``.html``/``.htm``, ``.docx`` or ``.pdf``).
        root: The corpus folder, for the document id (see
            :func:`~semsearch.ingest.files.document_id`).
        extraction: Runs the format's extractor (None: the process's shared one).

    Returns:
        The cleaned document.

    Raises:
        UnreadableFileError: (a :class:`~semsearch.errors.DocumentError`) with a one-line reason:
            unsupported type, missing/vanished, empty, too large, binary, undecodable, corrupt,
            over a time or memory limit, or no article text left after cleaning.
    """
    path = Path(path)
    data, extracted = extract_file(path, extraction)
    return _document(path, root, data, extracted)


def read_document_bytes(path: Path, data: bytes, extraction: Extraction | None = None) -> Document:
    """Read bytes that are not saved yet (an upload) as the file ``path`` would be read.

    Args:
        path: The name the bytes would have.
        data: The bytes.
        extraction: Runs the format's extractor (None: the process's shared one).

    Returns:
        The cleaned document.

    Raises:
        UnreadableFileError: As for :func:`read_document`.
    """
    path = Path(path)
    return _document(path, None, data, extract_bytes(path, data, extraction))


def _document(path: Path, root: Path | None, data: bytes, extracted: Extracted) -> Document:
    """Clean extracted text into a document; a failure of the cleaner is the file's reason."""
    try:
        return _cleaned_document(path, root, data, extracted)
    except UnreadableFileError:
        raise
    except Exception as error:  # a cleaning rule that trips on one file must not stop a build
        raise UnreadableFileError(path, failure_reason(error, "cannot be cleaned")) from None


def _cleaned_document(path: Path, root: Path | None, data: bytes, extracted: Extracted) -> Document:
    cleaned = clean_lines(normalize_text(extracted.text).split("\n"), title_hint=extracted.title)
    if not cleaned.text:
        raise UnreadableFileError(path, "no article text left after cleaning")
    title = cleaned.title or title_from_file_name(path)
    return Document(
        doc_id=document_id(path, root),
        path=str(path),
        title=title,
        text=cleaned.text,
        date=cleaned.date or iso_date_or_none(extracted.date),
        source=cleaned.source,
        author=cleaned.author or (extracted.author or None),
        content_hash=hashlib.sha256(data).hexdigest(),
        script=detect_script(title + "\n" + cleaned.text),
        removed=cleaned.removed,
        notes=extracted.notes,
    )


def load_documents(
    paths: Sequence[Path], root: Path | None = None
) -> tuple[list[Document], list[SkippedFile]]:
    """Read every article under ``paths``; unreadable files are skipped, not fatal.

    Args:
        paths: Files and folders.
        root: Corpus root for document ids. When None, each folder argument is the root of the
            files found in it, and a file argument is identified by its name.

    Returns:
        The documents read and the files skipped (with one-line reasons).
    """
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    with Extraction() as extraction:
        for given in paths:
            given_path = Path(given)
            files, skipped_here = discover_files([given_path])
            skipped.extend(skipped_here)
            file_root = root
            if file_root is None:
                file_root = given_path if given_path.is_dir() else given_path.parent
            for file in files:
                try:
                    documents.append(read_document(file, file_root, extraction))
                except UnreadableFileError as error:
                    skipped.append(SkippedFile(str(file), error.reason))
                except DocumentError as error:
                    skipped.append(SkippedFile(str(file), error.message))
    return documents, skipped
