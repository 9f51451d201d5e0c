"""Reading article files into clean documents.

A file goes through four steps, each a plain function so that they can be tested on their own:

1. :func:`read_document` checks the file (size, existence) and reads its bytes;
2. the suffix decides how text is pulled out: :func:`decode_text` for ``.txt``/``.md`` (encoding
   detection), trafilatura for HTML, python-docx for ``.docx``, pypdf for ``.pdf``;
3. :func:`normalize_text` evens out the Unicode (full-width ASCII, odd spaces) without touching
   Chinese punctuation;
4. :func:`clean_lines` removes what is not the article (navigation, ads, captions, copyright,
   share-site headers, page markers, duplicates), extracts the title, date, source and author, and
   records every removed line with its reason.

Cleaning is a pure function of one file's content: no state is shared across files, so an
incremental update gives the same document as a fresh build. docs/cleaning.md lists the rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from semsearch.errors import DocumentError
from semsearch.text import to_simplified, to_traditional

#: File types that can be read, by lower-case suffix.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".docx", ".pdf"})

#: Largest plain-text or HTML file read (bytes). A web copy of an article is a few hundred KB at
#: most; anything bigger is a dump or a mistake, and decoding it would stall a build.
MAX_TEXT_BYTES = 20 * 1024 * 1024
#: Largest ``.docx`` / ``.pdf`` read (bytes): these carry images, so they are allowed to be larger.
MAX_PACKAGE_BYTES = 50 * 1024 * 1024

_TEXT_SUFFIXES = frozenset({".txt", ".md"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})


# --------------------------------------------------------------------------------------------
# Data classes (the contract in docs/architecture.md)
# --------------------------------------------------------------------------------------------


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
        doc_id: Stable id from the path relative to the corpus root (see :func:`document_id`).
        path: The file's path as it was given.
        title: The headline (the file name when the text has none).
        text: The cleaned body, one paragraph a line (``"\\n"`` between paragraphs).
        date: Publication date ``YYYY-MM-DD`` when the text gives one, else None.
        source: Publishing outlet (``来源``) when given.
        author: Author or reporter names when given.
        content_hash: sha256 of the file's bytes (hex).
        script: ``"simplified"``, ``"traditional"`` or ``"unknown"``.
        removed: Every line (or part) the cleaner dropped, with its reason.
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


@dataclass
class SkippedFile:
    """A file that was not indexed, and why (one line, for the build report)."""

    path: str
    reason: str


class UnreadableFileError(DocumentError):
    """A :class:`~semsearch.errors.DocumentError` that also carries the path and the bare reason.

    Args:
        path: The file.
        reason: Short reason, e.g. ``"empty file"``.
        hint: What the user can do (optional).
    """

    def __init__(self, path: Path | str, reason: str, hint: str | None = None) -> None:
        super().__init__(f"{path}: {reason}", hint)
        self.path = str(path)
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Finding files
# --------------------------------------------------------------------------------------------


def discover_files(paths: Sequence[Path]) -> tuple[list[Path], list[SkippedFile]]:
    """Expand folders (recursively) and files into the list of article files to read.

    Hidden files and folders (name starting with ``.``) are ignored without a report; files with
    an unsupported suffix are reported as skipped. A path that does not exist is reported too.

    Args:
        paths: Files and folders, as given by the user.

    Returns:
        The readable files (sorted within each folder, duplicates removed, in argument order)
        and the skipped ones.
    """
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    seen: set[Path] = set()

    def consider(file: Path) -> None:
        key = file.resolve()
        if key in seen:
            return
        seen.add(key)
        suffix = file.suffix.lower()
        if suffix in SUPPORTED_SUFFIXES:
            files.append(file)
        else:
            shown = suffix or "(no extension)"
            skipped.append(SkippedFile(str(file), f"unsupported file type {shown}"))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                # Pruning in place keeps os.walk out of hidden folders such as .git.
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        consider(Path(dirpath) / name)
        elif path.is_file():
            consider(path)
        elif path.exists():
            skipped.append(SkippedFile(str(path), "not a regular file"))
        else:
            skipped.append(SkippedFile(str(path), "no such file or folder"))
    return files, skipped


def document_id(path: Path, root: Path | None = None) -> str:
    """Return the stable id of a file: sha1 of its posix path relative to ``root`` (16 hex chars).

    Args:
        path: The file.
        root: The corpus folder the user named; None (or a root that does not contain the file)
            means the file name alone, which is what a single file argument gets.
    """
    relative = Path(path.name)
    if root is not None:
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
        except ValueError:
            relative = Path(path.name)
    return hashlib.sha1(relative.as_posix().encode("utf-8")).hexdigest()[:16]


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
    for given in paths:
        given_path = Path(given)
        files, skipped_here = discover_files([given_path])
        skipped.extend(skipped_here)
        file_root = root
        if file_root is None:
            file_root = given_path if given_path.is_dir() else given_path.parent
        for file in files:
            try:
                documents.append(read_document(file, root=file_root))
            except UnreadableFileError as error:
                skipped.append(SkippedFile(str(file), error.reason))
            except DocumentError as error:
                skipped.append(SkippedFile(str(file), error.message))
    return documents, skipped


# --------------------------------------------------------------------------------------------
# Reading one file
# --------------------------------------------------------------------------------------------


@dataclass
class _Extracted:
    """Text pulled out of a file, with hints from the file format's own metadata."""

    text: str
    title: str | None = None
    date: str | None = None
    author: str | None = None


def read_document(path: Path, root: Path | None = None) -> Document:
    """Read, clean and describe one article file.

    Args:
        path: The file (``.txt``, ``.md``, ``.html``/``.htm``, ``.docx`` or ``.pdf``).
        root: The corpus folder, for the document id (see :func:`document_id`).

    Returns:
        The cleaned document.

    Raises:
        UnreadableFileError: (a :class:`~semsearch.errors.DocumentError`) with a one-line reason:
            unsupported type, missing/vanished, empty, too large, binary, undecodable, corrupt,
            or no article text left after cleaning.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFileError(
            path,
            f"unsupported file type {suffix or '(no extension)'}",
            "supported: " + ", ".join(sorted(SUPPORTED_SUFFIXES)),
        )
    data = _read_bytes(path, suffix)
    extracted = _extract(path, suffix, data)
    cleaned = clean_lines(normalize_text(extracted.text).split("\n"), title_hint=extracted.title)
    if not cleaned.text:
        raise UnreadableFileError(path, "no article text left after cleaning")
    title = cleaned.title or _title_from_file_name(path)
    return Document(
        doc_id=document_id(path, root),
        path=str(path),
        title=title,
        text=cleaned.text,
        date=cleaned.date or _iso_date_or_none(extracted.date),
        source=cleaned.source,
        author=cleaned.author or (extracted.author or None),
        content_hash=hashlib.sha256(data).hexdigest(),
        script=detect_script(title + "\n" + cleaned.text),
        removed=cleaned.removed,
    )


def _read_bytes(path: Path, suffix: str) -> bytes:
    limit = MAX_TEXT_BYTES if suffix in _TEXT_SUFFIXES | _HTML_SUFFIXES else MAX_PACKAGE_BYTES
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UnreadableFileError(path, "not a regular file")
        # Checked before reading so that a huge file is refused at once, not after loading it.
        if size > limit:
            raise UnreadableFileError(
                path,
                f"file too large ({size / 2**20:.0f} MB; the limit for {suffix} is "
                f"{limit // 2**20} MB)",
                "split it into smaller files or leave it out",
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise UnreadableFileError(path, "file disappeared before it could be read") from None
    except PermissionError:
        raise UnreadableFileError(path, "permission denied") from None
    except IsADirectoryError:
        raise UnreadableFileError(path, "not a regular file") from None
    except OSError as error:
        raise UnreadableFileError(path, f"cannot read file ({error.strerror or error})") from None
    if len(data) > limit:  # it grew while we were reading it
        raise UnreadableFileError(path, f"file too large (over {limit // 2**20} MB)")
    if not data.strip():
        raise UnreadableFileError(path, "empty file")
    return data


def _extract(path: Path, suffix: str, data: bytes) -> _Extracted:
    if suffix in _TEXT_SUFFIXES:
        text = _decode_or_raise(path, data)
        return _markdown_to_text(text) if suffix == ".md" else _Extracted(text)
    if suffix in _HTML_SUFFIXES:
        return _html_to_text(path, data)
    if suffix == ".docx":
        return _docx_to_text(path, data)
    return _pdf_to_text(path, data)


# --------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: The legacy Chinese encodings tried, in this order; GB18030 is a superset of GBK and GB2312,
#: Big5-HKSCS of Big5.
_CHINESE_ENCODINGS = ("gb18030", "big5hkscs")
#: Below this mean log frequency (see _chinese_plausibility) decoded "Chinese" is mojibake; real
#: news text scores about -7 and a GB18030 reading of Japanese Shift-JIS about -16.
_GIBBERISH_SCORE = -12.0
_COMMON_PUNCTUATION = frozenset("，。、；：？！“”‘’《》（）【】—…·「」『』〈〉")


class UndecodableError(ValueError):
    """Raised by :func:`decode_text` with a short reason (binary file, undecodable bytes)."""


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode the bytes of a text file, detecting the encoding.

    Order: a byte-order mark (UTF-8/16/32); strict UTF-8; UTF-16 without BOM when NUL bytes
    fit that pattern; GB18030 or Big5, choosing by how common the resulting characters are
    (short Chinese texts fool statistical detectors); last, charset-normalizer's best guess if
    the result reads as text.

    Args:
        data: The file's bytes.

    Returns:
        The text and the name of the encoding used.

    Raises:
        UndecodableError: for binary content or bytes no supported encoding can read.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(encoding)), encoding
            except UnicodeDecodeError:
                raise UndecodableError(
                    f"undecodable bytes (starts with a {encoding} byte-order mark but is not "
                    f"valid {encoding})"
                ) from None
    try:
        return _checked(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text):
                return text, encoding
        raise UndecodableError("binary file (contains NUL bytes), not text")
    candidates: dict[str, str] = {}
    for encoding in _CHINESE_ENCODINGS:
        try:
            candidates[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    guess: tuple[str, str] | None = None
    if candidates:
        scores = {enc: _chinese_plausibility(text) for enc, text in candidates.items()}
        best = max(scores, key=lambda enc: scores[enc])
        if scores[best] >= _GIBBERISH_SCORE:
            return _checked(candidates[best]), best
        # Rare characters only: Japanese or Korean bytes read as GB18030, say.
        guess = _charset_normalizer_guess(data)
        return guess or (_checked(candidates[best]), best)
    guess = _charset_normalizer_guess(data)
    if guess is not None:
        return guess
    raise UndecodableError("undecodable bytes (not UTF-8, UTF-16, GB18030 or Big5 text)")


def _checked(text: str) -> str:
    if not _looks_like_text(text):
        raise UndecodableError("binary file (control characters), not text")
    return text


def _looks_like_text(text: str) -> bool:
    if not text or "\x00" in text:
        return False
    sample = text[:20000]
    bad = sum(
        1
        for ch in sample
        if (unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"} and ch not in "\t\n\r\f\v")
    )
    return bad <= max(2, len(sample) // 100)


@cache
def _han_log_frequencies() -> tuple[dict[str, float], float]:
    """Log frequencies of Chinese characters, from jieba's word list (ships with jieba)."""
    import jieba

    counts: Counter[str] = Counter()
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    with dictionary.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(" ", 2)
            if len(parts) >= 2 and parts[1].isdigit():
                frequency = int(parts[1])
                for ch in parts[0]:
                    counts[ch] += frequency
    total = float(sum(counts.values()))
    floor = math.log(1.0 / total)
    return {ch: math.log(n / total) for ch, n in counts.items()}, floor


def _chinese_plausibility(text: str) -> float:
    """Mean log frequency of the non-ASCII characters: real Chinese scores far above mojibake."""
    log_freq, floor = _han_log_frequencies()
    simplified = to_simplified(text[:4000])
    scores: list[float] = []
    for ch in simplified:
        if ch.isascii():
            continue
        if ch in _COMMON_PUNCTUATION:
            scores.append(-5.0)
        elif "\u4e00" <= ch <= "\u9fff":
            scores.append(log_freq.get(ch, floor))
        else:
            # Kana, private-use, box drawing and the like: what a wrong codec produces.
            scores.append(floor - 5.0)
    return sum(scores) / len(scores) if scores else 0.0


#: Other encodings charset-normalizer may pick when no Chinese one fits (Western, Japanese, Korean).
_OTHER_ENCODINGS = ["cp1252", "shift_jis", "euc_jp", "euc_kr", "cp949"]


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_OTHER_ENCODINGS).best()
    if best is None or best.encoding is None:
        return None
    text = str(best)
    letters = sum(1 for ch in text if ch.isalpha() or ch.isspace() or ch in ".,;:!?'\"()-")
    if best.chaos > 0.2 or letters < 0.9 * len(text) or not _looks_like_text(text):
        return None
    return text, best.encoding


def _decode_or_raise(path: Path, data: bytes) -> str:
    try:
        return decode_text(data)[0]
    except UndecodableError as error:
        raise UnreadableFileError(path, str(error), "save it as UTF-8 text") from None


# --------------------------------------------------------------------------------------------
# Format-specific extraction
# --------------------------------------------------------------------------------------------

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_FRONT_MATTER_KEY = re.compile(r"^(title|date|author)\s*:\s*(.+?)\s*$", re.IGNORECASE)


def _markdown_to_text(text: str) -> _Extracted:
    """Markdown to plain paragraphs: markup dropped, wrapped lines of a paragraph joined."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
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
    out: list[str] = []
    paragraph: list[str] = []
    first_heading: str | None = None

    def flush() -> None:
        if paragraph:
            out.append(_join_wrapped(paragraph))
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
    return _Extracted(
        "\n".join(out),
        title=hints.get("title") or first_heading,
        date=hints.get("date"),
        author=hints.get("author"),
    )


def _join_wrapped(lines: list[str]) -> str:
    """Join hard-wrapped lines: no space between Chinese characters, one space otherwise."""
    joined = lines[0]
    for line in lines[1:]:
        if joined and line and (_is_cjk(joined[-1]) or _is_cjk(line[0])):
            joined += line
        else:
            joined += " " + line
    return joined


def _is_cjk(ch: str) -> bool:
    return (
        "\u4e00" <= ch <= "\u9fff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or ch in "“”‘’…—"
    )


_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def _html_to_text(path: Path, data: bytes) -> _Extracted:
    import trafilatura

    declared = _META_CHARSET.search(data[:4096])
    html: str | None = None
    if declared:
        name = declared.group(1).decode("ascii", "ignore").lower()
        # Pages declaring gb2312 routinely contain GBK characters; gb18030 reads both.
        if name in {"gb2312", "gbk", "x-gbk", "gb_2312-80"}:
            name = "gb18030"
        try:
            html = data.decode(name)
        except (LookupError, UnicodeDecodeError):
            html = None
    if html is None:
        html = _decode_or_raise(path, data)
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
    return _Extracted(text, title=title, date=date, author=author)


def _docx_to_text(path: Path, data: bytes) -> _Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not data.startswith(b"PK"):
        raise UnreadableFileError(path, "not a valid .docx file (not a zip package)")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UnreadableFileError(path, f"not a valid .docx file ({error})") from None
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
            table = docx.table.Table(child, document)
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                        cells.append(cell.text.strip())
                lines.append(" ".join(cells))
    return _Extracted("\n".join(lines), title=title)


_PDF_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?\d{1,4}(?:\s*[-–—])?\s*$")


def _pdf_to_text(path: Path, data: bytes) -> _Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if b"%PDF" not in data[:1024]:
        raise UnreadableFileError(path, "not a valid .pdf file (no PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFileError(path, "encrypted PDF", "save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata is not None else None
    except UnreadableFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise UnreadableFileError(path, f"not a valid .pdf file ({error})") from None
    if not any(page.strip() for page in pages):
        raise UnreadableFileError(
            path, "PDF has no text layer (scanned?)", "run OCR on it or add a text version"
        )
    return _Extracted("\n\n".join(_reflow_pdf_page(page) for page in pages), title=title or None)


def _reflow_pdf_page(page: str) -> str:
    """Join the visual lines of a PDF page back into paragraphs.

    A line is continued by the next when it does not end a sentence and is nearly as long as the
    page's longest line (a short line ends its paragraph). Page numbers stay separate lines so
    that the cleaner records them.
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
        current = _join_wrapped([current, line]) if current else line
        if _ends_sentence(line) or len(line) < 0.7 * width:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Unicode normalization and script
# --------------------------------------------------------------------------------------------

#: Full-width forms kept as they are: they are the ordinary Chinese punctuation marks.
KEPT_FULL_WIDTH = frozenset("！（），：；？～")
_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_ODD_SPACES += "\u202f\u205f\u3000\t\f\v"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def _build_translation() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0xFF01, 0xFF5F):
        if chr(code) not in KEPT_FULL_WIDTH:
            table[code] = chr(code - 0xFEE0)
    for ch in _ODD_SPACES:
        table[ord(ch)] = " "
    for ch in _ZERO_WIDTH:
        table[ord(ch)] = None
    for code in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
        if chr(code) != "\n":
            table.setdefault(code, None)
    table[ord("\t")] = " "
    return table


_TRANSLATION = _build_translation()
_SPACE_RUN = re.compile(r" {2,}")


def normalize_text(text: str) -> str:
    """Even out the Unicode of extracted text without touching Chinese punctuation.

    - line ends become ``"\\n"``; Unicode NFC (composes accents, maps CJK compatibility
      ideographs to the unified ones);
    - full-width ASCII letters, digits and symbols (U+FF01–FF5E) become ASCII, except the
      full-width marks that are ordinary Chinese punctuation: ``！（），：；？～``;
      ``。、“”《》【】`` and the like are outside that block and are never changed;
    - odd spaces (ideographic space U+3000, no-break space, tabs, thin spaces) become a space,
      zero-width characters and control characters are removed;
    - runs of spaces shrink to one; lines are stripped.

    NFKC is not used: it would turn ``，`` into ``,`` and ``：`` into ``:``.

    Args:
        text: Raw extracted text.

    Returns:
        The normalized text (same number of lines).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATION)
    return "\n".join(_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n"))


def detect_script(text: str) -> str:
    """Tell whether Chinese text is written in simplified or traditional characters.

    Counts the characters that OpenCC's t2s changes (traditional-only) against those its s2t
    changes (simplified-only).

    Args:
        text: Any text.

    Returns:
        ``"traditional"``, ``"simplified"``, or ``"unknown"`` when there is no telling sign.
    """
    sample = text[:20000]
    if not any("\u4e00" <= ch <= "\u9fff" for ch in sample):
        return "unknown"
    as_simplified = to_simplified(sample)
    as_traditional = to_traditional(sample)
    traditional = sum(1 for a, b in zip(sample, as_simplified, strict=False) if a != b)
    simplified = sum(1 for a, b in zip(sample, as_traditional, strict=False) if a != b)
    if traditional > simplified:
        return "traditional"
    if simplified > traditional:
        return "simplified"
    return "simplified" if simplified else "unknown"


# --------------------------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------------------------

_SENTENCE_END = "。！？!?…；;"
_CLOSERS = "”’\"'」』）)】]》"
_SENTENCE_PUNCT = re.compile(r"[。！？!?]")

# Each rule is a known kind of page furniture, written as a pattern of the kind, not of a seed's
# sentence. Rules apply to short lines only (see _classify) so body paragraphs that merely
# mention such words survive.
_SHARE_SITE = re.compile(
    r"由会员分享|可在线阅读|珍藏版|请在.{0,12}上搜索|免费下载|下载积分|文档格式[:：]|"
    r"文档分享平台|下载后可编辑|本文档由"
)
_SHARE_SITE_TITLE = re.compile(
    r"《(.+?)\.(?:docx?|pdf|pptx?|wps|txt|xlsx?)(?:\(\d+页[^)》]*\))?》", re.IGNORECASE
)
_COPYRIGHT = re.compile(
    r"^(?:版权声明|版权所有|免责声明|著作权归|Copyright|©|\(c\)\s*\d{4})|"
    r"转载请注明|未经(?:许可|授权|书面授权).{0,12}(?:转载|使用|复制)|"
    r"(?:如有|如内容|若有|涉嫌)侵权|侵权.{0,8}删除|本站(?:所有)?(?:文章|内容).{0,12}来(?:自|源)",
    re.IGNORECASE,
)
_NAVIGATION = re.compile(
    r"^(?:当前位置|您的位置|你的位置|您现在的位置|所在位置|当前页面|位置)\s*[:：>»]|"
    r"^首页\s*[>»›/|]|(?:\s[>»›]\s*\S+){2,}|"
    r"^(?:分享到|分享至|分享本文|转发到|收藏本文)|"
    r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页)\s*[:：]?|"
    r"ICP[备证]|ICP\s*\d|公网安备|网安备|网络文化经营许可证|"
    r"^(?:扫一扫|微信扫一扫|扫描二维码|扫码|长按(?:识别)?二维码|关注我们|点击关注|手机看新闻)|"
    r"字号\s*[:：]?\s*[\[【]?\s*大|【\s*(?:打印|关闭|收藏|字体)|"
    r"^(?:https?://|www\.)\S+$|"
    r"^(?:主办|承办|协办|技术支持|主管|网站维护|联系电话|投稿邮箱)\s*[:：]|主办\s*$",
    re.IGNORECASE,
)
_NAVIGATION_WORDS = frozenset(
    re.split(
        r"\s+",
        "相关推荐 相关阅读 相关新闻 相关文章 推荐阅读 热门推荐 热门文章 延伸阅读 猜你喜欢 "
        "友情链接 网站地图 联系我们 关于我们 返回顶部 返回首页 返回列表 打印本页 关闭窗口 "
        "打印 关闭 收藏 分享 评论 点赞 登录 注册 更多 首页 加入收藏 设为首页",
    )
)
_ADVERTISEMENT = re.compile(
    r"交易所|比特币|以太坊|币安|火币|欧易|OKX|Binance|HTX|Coinbase|Bybit|Bitget|币圈|"
    r"数字货币|虚拟货币|加密货币|合约交易|博彩|娱乐城|棋牌|彩票|下载APP|APP下载|立即下载|"
    r"注册送|^广告$|^推广$",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"^(?:资料图|资料图片|图片|图为|图注|配图|题图|摄影|供图)[。.:：\s]|"
    r"^(?:资料图|资料图片|图片|图为|配图)$|"
    r"(?:摄|摄影|供图|图片由.{1,20}提供|图片来源.{0,20}|图片来自.{0,20})$|"
    r"图片除署名外|本(?:版|文)图片|\(?图片来源|\(图\)$|（图）$"
)
_FILE_NAME = re.compile(
    r"^[^\s。，,]{0,80}\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg|heic|docx?|pdf|xlsx?|pptx?|mp4|"
    r"mp3|wav|zip|rar)$",
    re.IGNORECASE,
)
_LONG_DIGITS = re.compile(r"\d{12,}")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|"
    r"\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_PAGE_MARKER = re.compile(r"^(\d{1,3})、")
_BYLINE = re.compile(
    r"^[□■]\s*(?P<mark>[\u3400-\u9fff·• ]{2,30})$|"
    r"^[(（]?\s*(?:本报|本台|本刊|本网)?(?:特约)?(?:记者|通讯员|实习生)\s*(?P<reporter>[^\d].*?)[)）]?$|"
    r"^[(（]?\s*(?:责任编辑|责编|编辑|校对|审核|审校|监制|终审|值班编辑|美编|作者)\s*[:：]"
    r"\s*(?P<labelled>.+?)[)）]?$"
)
_META_LABELS = (
    r"发布时间|发布日期|发表时间|发表日期|更新时间|时间|日期|来源|稿源|作者|编辑|责任编辑|责编|"
    r"阅读|阅读量|阅览|浏览|浏览量|点击|点击数|字号|访问量"
)
_META_LABEL = re.compile(rf"(?:^|\s|[|丨])(?:{_META_LABELS})\s*[:：]")
_VIEW_COUNT = re.compile(r"(?:阅览|阅读|浏览|点击)\s*[:：]?\s*\d+\s*次?|\d+\s*次(?:阅读|浏览)")
_SUMMARY_LABEL = re.compile(r"^(?:摘要|内容摘要|内容提要|提要|导读|核心提示|导语)\s*[:：]\s*")
_TRAILING_ELLIPSIS = re.compile(r"(?:\.{2,}|…+|。{2,})$")

# Dates: ISO-like and Chinese forms; a label before one marks a publication date.
_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]\s*(?P<m1>\d{1,2})\s*[-/.]\s*(?P<d1>\d{1,2})(?!\d)"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日)"
)
_DATE_LABEL = re.compile(r"(?:发布时间|发布日期|发表时间|发表日期|更新时间|时间|日期)\s*[:：]\s*$")
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
_WEEKDAY = re.compile(r"星期[一二三四五六日天]|周[一二三四五六日]")
_SOURCE = re.compile(r"(?:来源|稿源)\s*[:：]\s*(?P<value>[^\s|丨,，;；)）]+)")
_AUTHOR = re.compile(r"作者\s*[:：]\s*(?P<value>[^\s|丨,，;；)）]+)")

#: A line at least this long (characters) that ends a sentence is body text ("prose").
PROSE_MIN_CHARS = 30
#: Longest line the "short line" rules (navigation words, ads, captions, metadata) apply to.
SHORT_LINE_CHARS = 60


@dataclass
class CleanedText:
    """What :func:`clean_lines` returns."""

    title: str | None
    text: str
    date: str | None
    source: str | None
    author: str | None
    removed: list[RemovedLine]


@dataclass
class _Line:
    no: int
    text: str
    reason: str | None = None


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(_CLOSERS + " ")
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _is_prose(line: str) -> bool:
    return len(line) >= PROSE_MIN_CHARS and (
        _ends_sentence(line) or len(_SENTENCE_PUNCT.findall(line)) >= 1 or len(line) >= 80
    )


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


_LIST_BULLET = re.compile(r"^[•·●▪◆■*>\-\s]+")


def _classify(text: str) -> str | None:
    """Return the removal reason for a line judged on its own, or None to keep it."""
    bare = _LIST_BULLET.sub("", text).strip()
    if not bare:
        return "navigation"
    short = len(bare) <= SHORT_LINE_CHARS
    has_sentence = bool(_SENTENCE_PUNCT.search(bare))
    if _SHARE_SITE.search(bare) and len(bare) <= 400:
        return "share-site header"
    if _COPYRIGHT.search(bare) and len(bare) <= 200:
        return "copyright"
    if len(bare) <= 120 and _NAVIGATION.search(bare):
        return "navigation"
    if _PAGE_NUMBER.match(bare):
        return "page marker"
    if short and bare.rstrip(":：") in _NAVIGATION_WORDS:
        return "navigation"
    if short and not _ends_sentence(bare) and _ADVERTISEMENT.search(bare):
        return "advertisement"
    if len(bare) <= 100 and _FILE_NAME.match(bare):
        return "caption"
    if len(bare) <= 100 and not _ends_sentence(bare) and _LONG_DIGITS.search(bare):
        # Photo ids and timestamps such as "(3996795)-20231114083549".
        return "caption"
    if len(bare) <= 80 and not _ends_sentence(bare) and _CAPTION.search(bare):
        return "caption"
    if short and not has_sentence and _BYLINE.match(bare):
        return "byline"
    if len(bare) <= 150 and not _ends_sentence(bare) and _is_metadata(bare):
        return "metadata"
    if short and not has_sentence and _is_menu(bare):
        return "navigation"
    return None


def _is_metadata(line: str) -> bool:
    if _META_LABEL.search(" " + line) and not re.search(r"[。！？]", line):
        return True
    if _VIEW_COUNT.search(line) and len(line) <= 80:
        return True
    if _DATE.search(line):
        rest = _DATE.sub("", line)
        rest = _TIME.sub("", rest)
        rest = _WEEKDAY.sub("", rest)
        rest = re.sub(r"[\d\s:：|丨/\-]", "", rest)
        return len(rest) <= 8
    return False


def _is_menu(line: str) -> bool:
    parts = [part for part in re.split(r"[\s|丨/]+", line) if part]
    return len(parts) >= 4 and all(len(part) <= 6 for part in parts)


def _find_page_markers(lines: list[_Line]) -> dict[int, bool]:
    """Lines that start with a page number glued on by a docx/pdf-to-text conversion.

    The markers of a converted document count up 1、2、3… at line starts, and the (long) line
    before a marker stops mid-sentence, because the page broke the sentence. The items of a real
    numbered list end with punctuation or are short, so they are left alone.

    Returns:
        Line index → whether the text after the marker continues the previous line.
    """
    numbered = [
        (index, int(match.group(1)))
        for index, line in enumerate(lines)
        if (match := _PAGE_MARKER.match(line.text))
    ]
    runs: list[list[tuple[int, int]]] = []
    for index, number in numbered:
        if runs and number == runs[-1][-1][1] + 1:
            runs[-1].append((index, number))
        elif number in (1, 2):
            runs.append([(index, number)])

    def breaks_sentence(index: int) -> bool:
        previous = lines[index - 1].text if index > 0 else ""
        return len(previous) >= 50 and not _ends_sentence(previous)

    markers: dict[int, bool] = {}
    for run in runs:
        later = run[1:]
        broken = sum(1 for index, _ in later if breaks_sentence(index))
        if later and 2 * broken >= len(later):
            for position, (index, _) in enumerate(run):
                markers[index] = position > 0 and breaks_sentence(index)
    return markers


def _pick_title(header: list[_Line], following: dict[int, _Line | None]) -> _Line | None:
    """Choose the headline among the unclassified lines before the body.

    A headline is 4–120 characters and does not end with 。; the one followed by a date, source
    or byline line wins, then the longest (site names are short).
    """
    candidates = [
        line
        for line in header
        if 4 <= len(line.text) <= 120
        and not line.text.rstrip(_CLOSERS).endswith("。")
        and not _SUMMARY_LABEL.match(line.text)
        and not _TRAILING_ELLIPSIS.search(line.text)
    ]
    if not candidates:
        return None

    def score(line: _Line) -> tuple[bool, int]:
        nxt = following.get(line.no)
        labelled = nxt is not None and nxt.reason in {"metadata", "byline"}
        return labelled, len(line.text)

    return max(candidates, key=score)


def clean_lines(lines: Sequence[str], title_hint: str | None = None) -> CleanedText:
    """Separate an article's text from the page around it.

    A pure function of its input. Steps: page markers glued to line starts are cut and the
    broken sentences joined; each line is judged on its own by the rules in :func:`_classify`;
    the headline is chosen among the lines before the first body paragraph (``title_hint``,
    e.g. a share site's 《file name》 or an HTML title, wins when given); short lines before the
    headline or after the last body paragraph are page chrome; repeated lines and a summary that
    repeats the body are dropped; date, source and author are read from the metadata lines.

    Args:
        lines: The normalized lines of one file (line numbers are their positions + 1).
        title_hint: A headline known from the file format, if any.

    Returns:
        Title, cleaned text (one paragraph a line), date, source, author and removed lines.
    """
    removed: list[RemovedLine] = []
    items = [_Line(no, text.strip()) for no, text in enumerate(lines, start=1) if text.strip()]

    # 1. Page markers: cut them, join the sentence the page break split.
    markers = _find_page_markers(items)
    joined: list[_Line] = []
    for index, line in enumerate(items):
        if index in markers:
            match = _PAGE_MARKER.match(line.text)
            assert match is not None
            removed.append(RemovedLine(line.no, match.group(0), "page marker"))
            rest = line.text[match.end() :]
            if markers[index] and joined:
                joined[-1].text += rest
                continue
            line = _Line(line.no, rest)
        joined.append(line)
    items = [line for line in joined if line.text]

    # 2. Rules on single lines.
    share_title: str | None = None
    for line in items:
        line.reason = _classify(line.text)
        if line.reason == "share-site header" and share_title is None:
            match = _SHARE_SITE_TITLE.search(line.text)
            if match:
                share_title = match.group(1).strip()

    # 3. Zones: the body runs from the first to the last prose line.
    prose = [i for i, line in enumerate(items) if line.reason is None and _is_prose(line.text)]
    title_line: _Line | None = None
    title = title_hint.strip() if title_hint and title_hint.strip() else share_title
    if prose:
        first, last = prose[0], prose[-1]
        header = [line for line in items[:first] if line.reason is None]
        following = {
            line.no: (items[i + 1] if i + 1 < len(items) else None) for i, line in enumerate(items)
        }
        if title is None:
            title_line = _pick_title(header, following)
        else:
            title_line = next((ln for ln in header if _compact(ln.text) == _compact(title)), None)
        for line in header:
            if line is title_line:
                continue
            before_title = title_line is not None and line.no < title_line.no
            if (before_title or title_line is None) and _is_chrome(line.text):
                line.reason = "navigation"
        for line in items[last + 1 :]:
            if line.reason is None and _is_chrome(line.text):
                line.reason = "navigation"
    if title_line is not None:
        title_line.reason = "title"
        title = title_line.text

    # 4. Repeats: a line seen before, the headline inside the body, a summary of what follows.
    seen: set[str] = set()
    kept = [line for line in items if line.reason is None]
    for position, line in enumerate(kept):
        key = _compact(line.text)
        if key in seen:
            line.reason = "duplicate"
        elif title and key == _compact(title):
            line.reason = "title"
        elif _repeats_following(line.text, kept[position + 1 :]):
            line.reason = "duplicate"
        seen.add(key)

    # 5. A headline glued to the start of the first paragraph (docx dumps do this).
    body = [line for line in items if line.reason is None]
    if title and body and len(body[0].text) > len(title) + 10 and body[0].text.startswith(title):
        removed.append(RemovedLine(body[0].no, title, "title"))
        body[0].text = body[0].text[len(title) :].lstrip(" :：-—")

    for line in items:
        if line.reason is not None:
            removed.append(RemovedLine(line.no, line.text, line.reason))
    removed.sort(key=lambda r: r.line_no)
    meta_lines = [line for line in items if line.reason in {"metadata", "byline"}]
    return CleanedText(
        title=title or None,
        text="\n".join(line.text for line in body if line.text),
        date=_publication_date(meta_lines),
        source=_first_group(_SOURCE, meta_lines),
        author=_author(meta_lines),
        removed=removed,
    )


def _is_chrome(line: str) -> bool:
    """A short line with no sentence in it: a site name, a menu item, a stray label."""
    return len(line) <= 20 and not _SENTENCE_PUNCT.search(line) and not _ends_sentence(line)


def _repeats_following(line: str, following: Sequence[_Line]) -> bool:
    """True for a summary/lead that repeats the start of the paragraphs after it."""
    content = _SUMMARY_LABEL.sub("", line)
    labelled = content != line
    truncated = bool(_TRAILING_ELLIPSIS.search(content))
    if not (labelled or truncated):
        return False
    content = _compact(_TRAILING_ELLIPSIS.sub("", content))
    if len(content) < 15:
        return False
    rest = _compact("".join(line.text for line in following[:20]))
    return content in rest


def _first_group(pattern: re.Pattern[str], lines: Iterable[_Line]) -> str | None:
    for line in lines:
        match = pattern.search(line.text)
        if match:
            return match.group("value")
    return None


def _author(lines: Sequence[_Line]) -> str | None:
    labelled = _first_group(_AUTHOR, lines)
    if labelled:
        return labelled
    for line in lines:
        if line.reason != "byline":
            continue
        match = _BYLINE.match(line.text.lstrip("•· "))
        if match is None:
            continue
        value = match.group("mark") or match.group("reporter")
        if value:
            # Keep the reporters' names; what follows another label (通讯员…) is secondary.
            value = re.sub(r"^(?:本报|本台|本刊|本网)?(?:特约)?记者\s*", "", value.strip())
            value = re.split(r"\s*(?:通讯员|实习生|摄影|摄)\s*", value)[0]
            return value.strip(" )）") or None
    return None


def _publication_date(lines: Sequence[_Line]) -> str | None:
    """The labelled date first (发布时间/时间/日期…), then a bare date line, then a dated bar."""
    labelled: str | None = None
    plain: str | None = None
    weekday_bar: str | None = None
    for line in lines:
        for match in _DATE.finditer(line.text):
            iso = _iso_from_match(match)
            if iso is None:
                continue
            if _DATE_LABEL.search(line.text[: match.start()]):
                labelled = labelled or iso
            elif _WEEKDAY.search(line.text):
                # A date with a weekday at the top of a page is the site's "today" bar.
                weekday_bar = weekday_bar or iso
            else:
                plain = plain or iso
    return labelled or plain or weekday_bar


def _iso_from_match(match: re.Match[str]) -> str | None:
    year = int(match.group("y"))
    month = int(match.group("m1") or match.group("m2"))
    day = int(match.group("d1") or match.group("d2"))
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _iso_date_or_none(value: str | None) -> str | None:
    if not value:
        return None
    match = _DATE.search(value)
    return _iso_from_match(match) if match else None


def _title_from_file_name(path: Path) -> str:
    return path.stem.replace("_", " ").strip() or path.name
