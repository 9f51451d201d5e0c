"""Saving uploaded articles into the corpus folder under safe, non-clobbering names.

Used by the Streamlit page: a browser sends a file name and bytes; both are untrusted. The name
is reduced to a plain base name (no folders, no ``..``, no leading dot, no control, bidi or
escape characters, at most :data:`MAX_NAME_BYTES` bytes, Chinese kept) and a different file
already using that name is never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from semsearch.errors import SemsearchError

#: Longest file name we create, in UTF-8 bytes, numbering such as `` (2)`` included. File
#: systems allow 255 bytes (not characters: a Chinese character takes 3, an emoji 4); the rest
#: is room for encrypted home folders, which allow 143, and for copying the corpus elsewhere.
MAX_NAME_BYTES = 140

#: Characters that are unsafe or awkward in file names on some system.
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')

#: Unicode categories removed from names: controls (ESC, C1), format characters (bidi
#: overrides and isolates, zero-width characters), and lone surrogates.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

#: Names Windows reserves; avoided so a corpus folder can be copied anywhere.
_RESERVED_STEMS = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)

#: Checks an upload's content before it is saved: ``(safe name, bytes)``, raising
#: :class:`UploadError` when the indexer could not read it.
ContentCheck = Callable[[str, bytes], None]


class UploadError(SemsearchError):
    """An uploaded file cannot be added (unsupported type, empty, unwritable folder)."""


@dataclass
class SavedUpload:
    """What happened to one uploaded file.

    Attributes:
        original_name: The name the browser sent.
        path: Where the content is now (a new file, or the existing identical one).
        status: ``"saved"`` (new file under its own name), ``"renamed"`` (saved as
            ``name (2).txt`` because another file had the name) or ``"duplicate"`` (an identical
            file was already there; nothing written).
    """

    original_name: str
    path: Path
    status: Literal["saved", "renamed", "duplicate"]


def safe_filename(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """Reduce an untrusted file name to a safe base name.

    Only the last path component is kept (``/`` and ``\\`` both count as separators); runs of
    whitespace become one space; control, bidi, zero-width and escape characters are removed;
    reserved characters become ``_``; leading dots and spaces are dropped so the file is never
    hidden or relative; the stem is shortened, at a character boundary, to keep the whole name
    within ``max_bytes`` of UTF-8. Chinese and other letters are kept (NFC-normalized).

    Args:
        name: The name as sent by the browser.
        max_bytes: The longest name returned, in UTF-8 bytes.

    Returns:
        A non-empty name with a lower-case extension, e.g. ``"新闻_1.txt"``.
    """
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = " ".join(base.split())  # tabs, newlines, runs of spaces → one space
    base = "".join(ch for ch in base if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    base = _UNSAFE_CHARS.sub("_", base)
    base = base.lstrip(". ").rstrip(". ")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.rstrip(". ")
    # ".." inside a name is harmless on its own, but reads like a path trick: collapse it.
    stem = re.sub(r"\.{2,}", ".", stem)
    suffix = _cut_to_bytes(suffix.lower(), max_bytes // 2)
    if not stem or stem.lower() in _RESERVED_STEMS:
        stem = f"article_{stem}" if stem else "article"
    return _fitted(stem, "." + suffix if suffix else "", max_bytes)


def _cut_to_bytes(text: str, limit: int) -> str:
    """The longest start of ``text`` whose UTF-8 takes at most ``limit`` bytes."""
    return text.encode("utf-8")[: max(0, limit)].decode("utf-8", "ignore")


def _fitted(stem: str, ending: str, max_bytes: int) -> str:
    """``stem + ending`` with the stem cut so that the name fits in ``max_bytes``."""
    room = max_bytes - len(ending.encode("utf-8"))
    return (_cut_to_bytes(stem, room).rstrip(". ") or "article"[: max(1, room)]) + ending


def _numbered(name: str, number: int) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    extension = f".{suffix}" if suffix else ""
    return _fitted(stem, f" ({number}){extension}", MAX_NAME_BYTES)


def _same_content(path: Path, digest: str, size: int) -> bool:
    try:
        if path.stat().st_size != size:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == digest
    except OSError:
        return False


def checked_upload_name(
    original_name: str, data: bytes, supported_suffixes: Collection[str]
) -> str:
    """The safe name an upload is saved under, once its type and size are acceptable.

    Args:
        original_name: The file name the browser sent (untrusted).
        data: The file's bytes.
        supported_suffixes: Extensions the indexer reads, with the dot (e.g. ``".txt"``).

    Returns:
        The name from :func:`safe_filename`.

    Raises:
        UploadError: The type is not supported or the file is empty.
    """
    name = safe_filename(original_name)
    suffix = Path(name).suffix.lower()
    allowed = sorted(s.lower() for s in supported_suffixes)
    if suffix not in allowed:
        raise UploadError(
            f"{original_name}: {suffix or 'files without an extension'} cannot be indexed.",
            f"Upload one of: {' '.join(allowed)}.",
            key="upload.wrong_type",
            params={"name": original_name, "suffix": suffix or "—", "allowed": " ".join(allowed)},
        )
    if not data:
        raise UploadError(
            f"{original_name} is empty.",
            "Upload a file with some text in it.",
            key="upload.empty",
            params={"name": original_name},
        )
    return name


def save_upload(
    corpus_dir: Path,
    original_name: str,
    data: bytes,
    supported_suffixes: Collection[str],
    max_attempts: int = 1000,
    check_content: ContentCheck | None = None,
) -> SavedUpload:
    """Save an uploaded article into ``corpus_dir`` without overwriting a different file.

    If ``name.txt`` exists with the same bytes, nothing is written (status ``"duplicate"``);
    with other bytes, the file is saved as ``name (2).txt``, ``name (3).txt``… The file is
    written to a hidden temporary name first and then linked into place, so the indexer never
    reads half a file and two uploads cannot claim the same name.

    Args:
        corpus_dir: The folder of articles (created if missing).
        original_name: The file name the browser sent (untrusted).
        data: The file's bytes.
        supported_suffixes: Extensions the indexer reads, with the dot (e.g. ``".txt"``).
        max_attempts: How many numbered names to try before giving up.
        check_content: Refuses content the indexer could not read, before anything is written
            (None: no check).

    Returns:
        What was done, and where the content is.

    Raises:
        UploadError: The type is not supported, the file is empty or unreadable, or it cannot
            be written.
    """
    name = checked_upload_name(original_name, data, supported_suffixes)
    if check_content is not None:
        check_content(name, data)
    temp_path = _write_temporary(corpus_dir, data)
    try:
        return _link_into_place(temp_path, corpus_dir, original_name, name, data, max_attempts)
    except OSError as error:
        raise UploadError(
            f"Cannot save {original_name} into {corpus_dir}: {error.strerror or error}.",
            "Check that the corpus folder is writable (SEMSEARCH_CORPUS sets it).",
            key="upload.unsaved",
            params={"name": original_name, "folder": corpus_dir},
        ) from error
    finally:
        temp_path.unlink(missing_ok=True)


def _write_temporary(corpus_dir: Path, data: bytes) -> Path:
    """Write the upload to a hidden temporary file in the corpus folder (created if missing)."""
    try:
        corpus_dir.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=corpus_dir)
        with os.fdopen(handle, "wb") as temp_file:
            temp_file.write(data)
        # mkstemp makes the file private; an article should be as readable as its neighbours.
        os.chmod(temp_name, 0o644)
    except OSError as error:
        raise UploadError(
            f"Cannot write into the corpus folder {corpus_dir}: {error.strerror or error}.",
            "Check that the folder exists and is writable (SEMSEARCH_CORPUS sets it).",
        ) from error
    return Path(temp_name)


def _link_into_place(
    temp_path: Path, corpus_dir: Path, original_name: str, name: str, data: bytes, attempts: int
) -> SavedUpload:
    """Give the temporary file the first free name: ``name``, ``name (2)``…

    Raises:
        OSError: The folder cannot be written.
        UploadError: Every numbered name is taken.
    """
    digest = hashlib.sha256(data).hexdigest()
    for attempt in range(1, attempts + 1):
        target = corpus_dir / (name if attempt == 1 else _numbered(name, attempt))
        if target.exists():
            if _same_content(target, digest, len(data)):
                return SavedUpload(original_name, target, "duplicate")
            continue
        try:
            # A hard link fails if the name was taken meanwhile: no silent overwrite.
            os.link(temp_path, target)
        except FileExistsError:
            continue
        except OSError:
            # File systems without hard links: exclusive create is just as safe.
            try:
                with open(target, "xb") as out:
                    out.write(data)
            except FileExistsError:
                continue
            except OSError:
                target.unlink(missing_ok=True)  # no half-written article (a full disk)
                raise
        status: Literal["saved", "renamed"] = "saved" if attempt == 1 else "renamed"
        return SavedUpload(original_name, target, status)
    raise UploadError(
        f"Too many files are named like {name} in {corpus_dir}.",
        "Rename the file before uploading it.",
    )
