"""Word documents (``.docx``): paragraphs and table rows in body order, via python-docx."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from semsearch.ingest.boundary import failure_reason
from semsearch.ingest.document import Extracted, UnreadableFileError
from semsearch.ingest.formats.package import check_zip_package


def extract_docx(path: Path, data: bytes) -> Extracted:
    """Read a Word document's paragraphs, and each table row as one line.

    Args:
        path: The file (named in errors).
        data: Its bytes.

    Returns:
        The text in body order, with the first ``Title``/``Heading 1`` paragraph as title hint.

    Raises:
        UnreadableFileError: not a zip package, one that would unpack to too much (see
            :mod:`~semsearch.ingest.formats.package`), or not a Word document inside
            (malformed XML, a damaged stream…).
    """
    import docx

    if not data.startswith(b"PK"):
        raise UnreadableFileError(path, "not a valid .docx file (not a zip package)")
    check_zip_package(path, data, ".docx")
    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise  # the memory limit: the boundary stops the reader
    except Exception as error:  # python-docx, zipfile, zlib and lxml each raise their own
        raise UnreadableFileError(path, failure_reason(error, "not a valid .docx file")) from None
    lines: list[str] = []
    title: str | None = None
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(child, document)
            lines.append(paragraph.text)
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            if title is None and paragraph.text.strip() and style in {"Title", "Heading 1"}:
                title = paragraph.text.strip()
        elif tag == "tbl":
            lines.extend(_table_rows(docx.table.Table(child, document)))
    return Extracted("\n".join(lines), title=title)


def _table_rows(table: Any) -> list[str]:
    """One line a row: its non-empty cells, a merged cell (repeated by python-docx) once."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                cells.append(cell.text.strip())
        rows.append(" ".join(cells))
    return rows
