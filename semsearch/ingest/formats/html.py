"""Web pages (``.html``, ``.htm``): the declared charset, then trafilatura's main text."""

from __future__ import annotations

import re
from pathlib import Path

from semsearch.ingest.decode import decode_or_raise
from semsearch.ingest.document import Extracted

_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def extract_html(path: Path, data: bytes) -> Extracted:
    """Pull the main text of a web page out of its markup.

    Args:
        path: The file (named in errors).
        data: Its bytes.

    Returns:
        The main text (all visible text for pages too short for trafilatura), with the page
        metadata's title, date and author as hints.

    Raises:
        UnreadableFileError: the page declares no usable charset and its bytes cannot be decoded.
    """
    import trafilatura

    notes: list[str] = []
    html = _decode_declared(data)
    if html is None:
        decoded = decode_or_raise(path, data)
        html, notes = decoded.text, decoded.notes
    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False
    )
    if not text:
        # Very short pages fall under trafilatura's minimum size; take all visible text instead.
        text = trafilatura.html2txt(html) or ""
    title = date = author = None
    try:
        metadata = trafilatura.extract_metadata(html)
    except Exception:  # metadata is a bonus; a parser quirk must not lose the text
        metadata = None
    if metadata is not None:
        title, date, author = metadata.title, metadata.date, metadata.author
    return Extracted(text, title=title, date=date, author=author, notes=notes)


def _decode_declared(data: bytes) -> str | None:
    """Decode with the charset the page declares in its first 4 KB; None when that fails."""
    declared = _META_CHARSET.search(data[:4096])
    if not declared:
        return None
    name = declared.group(1).decode("ascii", "ignore").lower()
    # Pages declaring gb2312 routinely contain GBK characters; gb18030 reads both.
    if name in {"gb2312", "gbk", "x-gbk", "gb_2312-80"}:
        name = "gb18030"
    try:
        return data.decode(name)
    except (LookupError, UnicodeDecodeError):
        return None
