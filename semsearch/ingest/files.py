"""Finding the article files under the paths a user names, and giving each a stable id."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from semsearch.ingest.document import SkippedFile
from semsearch.ingest.extract import SUPPORTED_SUFFIXES


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

    Returns:
        The id: 16 hex characters.
    """
    relative = Path(path.name)
    if root is not None:
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
        except ValueError:
            relative = Path(path.name)
    return hashlib.sha1(relative.as_posix().encode("utf-8")).hexdigest()[:16]
