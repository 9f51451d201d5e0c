"""Reading article files into clean documents.

A file goes through named steps, each a plain function that can be tested on its own:

1. :mod:`~semsearch.ingest.files` finds the files under the paths given and ids them;
2. :mod:`~semsearch.ingest.extract` reads a file's bytes (size, existence checked) and pulls out
   its text with the extractor its suffix names: :mod:`~semsearch.ingest.decode` (encoding
   detection) for ``.txt``/``.md``, trafilatura for HTML, python-docx for ``.docx``, pypdf for
   ``.pdf`` (one module of :mod:`~semsearch.ingest.formats` each), every extractor behind the
   boundary of :mod:`~semsearch.ingest.boundary` (third-party parsers in a worker process with
   a time and a memory limit: any failure is the file's one-line reason);
3. :mod:`~semsearch.ingest.normalize` evens out the Unicode (full-width ASCII, odd spaces)
   without touching Chinese punctuation;
4. :mod:`~semsearch.ingest.clean` removes what is not the article (navigation, ads, captions,
   copyright, share-site headers, page markers, duplicates) by the rules of
   :mod:`~semsearch.ingest.rules`, and :mod:`~semsearch.ingest.metadata` reads the title, date,
   source and author; every removed line is recorded with its reason.

:func:`read_document` (:mod:`~semsearch.ingest.reader`) runs them for one file. Cleaning is a
pure function of one file's content: no state is shared across files, so an incremental update
gives the same document as a fresh build. docs/cleaning.md lists the rules.
"""

from __future__ import annotations

from semsearch.ingest.boundary import Extraction, ExtractionLimits
from semsearch.ingest.clean import PROSE_MIN_CHARS, CleanedText, clean_lines
from semsearch.ingest.decode import DecodedText, UndecodableError, decode_bytes, decode_text
from semsearch.ingest.document import (
    Document,
    Extracted,
    RemovedLine,
    SkippedFile,
    UnreadableFileError,
)
from semsearch.ingest.extract import (
    FORMATS,
    MAX_PACKAGE_BYTES,
    MAX_TEXT_BYTES,
    SUPPORTED_SUFFIXES,
    FileFormat,
)
from semsearch.ingest.files import discover_files, document_id
from semsearch.ingest.normalize import KEPT_FULL_WIDTH, detect_script, normalize_text
from semsearch.ingest.reader import load_documents, read_document, read_document_bytes
from semsearch.ingest.rules import SHORT_LINE_CHARS

__all__ = [
    "FORMATS",
    "KEPT_FULL_WIDTH",
    "MAX_PACKAGE_BYTES",
    "MAX_TEXT_BYTES",
    "PROSE_MIN_CHARS",
    "SHORT_LINE_CHARS",
    "SUPPORTED_SUFFIXES",
    "CleanedText",
    "DecodedText",
    "Document",
    "Extracted",
    "Extraction",
    "ExtractionLimits",
    "FileFormat",
    "RemovedLine",
    "SkippedFile",
    "UndecodableError",
    "UnreadableFileError",
    "clean_lines",
    "decode_bytes",
    "decode_text",
    "detect_script",
    "discover_files",
    "document_id",
    "load_documents",
    "normalize_text",
    "read_document",
    "read_document_bytes",
]
