"""Markdown (``.md``): markup dropped, wrapped lines of a paragraph joined, front matter read."""

from __future__ import annotations

import re
from pathlib import Path

from semsearch.ingest.decode import decode_or_raise
from semsearch.ingest.document import Extracted
from semsearch.ingest.formats.layout import join_wrapped

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_FRONT_MATTER_KEY = re.compile(r"^(title|date|author)\s*:\s*(.+?)\s*$", re.IGNORECASE)


def extract_markdown(path: Path, data: bytes) -> Extracted:
    """Decode a Markdown file and turn it into plain paragraphs (see :func:`markdown_to_text`).

    Args:
        path: The file (named in errors).
        data: Its bytes.

    Returns:
        The text, with the front matter's title, date and author (or the first heading) as hints
        (a note when invalid bytes were replaced).

    Raises:
        UnreadableFileError: binary or undecodable content.
    """
    decoded = decode_or_raise(path, data)
    extracted = markdown_to_text(decoded.text)
    extracted.notes.extend(decoded.notes)
    return extracted


def markdown_to_text(text: str) -> Extracted:
    """Markdown to plain paragraphs: markup dropped, wrapped lines of a paragraph joined.

    Args:
        text: The decoded Markdown source.

    Returns:
        The text (line numbers stay those of the source) with the front matter's
        ``title``/``date``/``author`` and the first ``#``/``##`` heading as hints.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines, hints = _take_front_matter(lines)
    out: list[str] = []
    paragraph: list[str] = []
    first_heading: str | None = None

    def flush() -> None:
        if paragraph:
            out.append(join_wrapped(paragraph))
            out.extend([""] * (len(paragraph) - 1))
            paragraph.clear()

    for raw in lines:
        line = _MD_IMAGE.sub("", raw)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        heading = _MD_HEADING.match(line)
        if not line.strip() or _MD_RULE.match(line):
            flush()
            out.append("")
        elif heading:
            flush()
            out.append(heading.group(2))
            if first_heading is None and len(heading.group(1)) <= 2:
                first_heading = heading.group(2)
        elif _MD_LIST.match(line) or line.lstrip().startswith(">"):
            flush()
            out.append(_MD_LIST.sub("", line.lstrip().lstrip(">").lstrip()))
        else:
            paragraph.append(line.strip())
    flush()
    return Extracted(
        "\n".join(out),
        title=hints.get("title") or first_heading,
        date=hints.get("date"),
        author=hints.get("author"),
    )


def _take_front_matter(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Read the ``title``/``date``/``author`` of a ``---`` front matter block and blank it."""
    hints: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        for end in range(1, min(len(lines), 60)):
            if lines[end].strip() in {"---", "..."}:
                for raw in lines[1:end]:
                    match = _FRONT_MATTER_KEY.match(raw)
                    if match:
                        hints[match.group(1).lower()] = match.group(2).strip("'\"")
                # Front matter becomes blank lines so that line numbers stay those of the file.
                lines = [""] * (end + 1) + lines[end + 1 :]
                break
    return lines, hints
