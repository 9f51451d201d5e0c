"""PDF (``.pdf``): pypdf's text per page, visual lines joined back into paragraphs."""

from __future__ import annotations

import io
import re
from pathlib import Path

from semsearch.ingest.boundary import failure_reason
from semsearch.ingest.document import Extracted, UnreadableFileError
from semsearch.ingest.formats.layout import join_wrapped
from semsearch.text import ends_sentence

_PDF_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?\d{1,4}(?:\s*[-–—])?\s*$")


def extract_pdf(path: Path, data: bytes) -> Extracted:
    """Read the text layer of a PDF, page by page.

    Args:
        path: The file (named in errors).
        data: Its bytes.

    Returns:
        The pages' paragraphs (a blank line between pages), with the document title as hint.

    Raises:
        UnreadableFileError: no PDF header, a corrupt or encrypted file, or no text layer.
    """
    from pypdf import PdfReader

    if b"%PDF" not in data[:1024]:
        raise UnreadableFileError(path, "not a valid .pdf file (no PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFileError(path, "encrypted PDF", "save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata is not None else None
    except (UnreadableFileError, MemoryError):
        raise  # a reason already, or the memory limit (the boundary stops the reader)
    except Exception as error:  # pypdf raises many kinds on damaged files
        raise UnreadableFileError(path, failure_reason(error, "not a valid .pdf file")) from None
    if not any(page.strip() for page in pages):
        raise UnreadableFileError(
            path, "PDF has no text layer (scanned?)", "run OCR on it or add a text version"
        )
    return Extracted("\n\n".join(reflow_pdf_page(page) for page in pages), title=title or None)


def reflow_pdf_page(page: str) -> str:
    """Join the visual lines of a PDF page back into paragraphs.

    A line is continued by the next when it does not end a sentence and is nearly as long as the
    page's longest line (a short line ends its paragraph). Page numbers stay separate lines so
    that the cleaner records them.

    Args:
        page: The page's text as pypdf extracts it (one visual line a line).

    Returns:
        The page's paragraphs, one a line.
    """
    lines = [line.strip() for line in page.splitlines()]
    width = max((len(line) for line in lines if line), default=0)
    out: list[str] = []
    current = ""
    for line in lines:
        if not line or _PDF_PAGE_NUMBER.match(line):
            if current:
                out.append(current)
                current = ""
            if line:
                out.append(line)
            continue
        current = join_wrapped([current, line]) if current else line
        if ends_sentence(line) or len(line) < 0.7 * width:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n".join(out)
