"""Finding the article files under the paths a user names, and giving each a stable id.

**Symbolic links** (docs/cleaning.md, "Symbolic links"). A path the user names is read wherever
it leads. Inside a corpus folder, links are resolved, never walked: a link to a file of the
corpus is that file, indexed once under its own path (so deleting the link changes nothing and
deleting the file removes its document); a link leading out of the corpus folder, a broken link
and a link loop are skipped with the reason; links to folders are not descended into (a folder
inside the corpus is walked anyway, one outside is reported). So every indexed file lies inside
a corpus folder, and an update notices when it goes. Index folders (a ``current`` link or a
writer's lock file) are not article folders and are passed over without a report.

**Names that are not UTF-8** (bytes the file system allows but no text can hold) cannot be
stored in the index; such a file, or a folder and all it holds, is skipped with the reason, its
name shown with ``\\xNN`` for each stray byte.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from semsearch.ingest.document import SkippedFile
from semsearch.ingest.extract import SUPPORTED_SUFFIXES

#: Entries that mark a folder as a semsearch index (``storage.local.generations``): its live
#: ``current`` link and its writer's lock file.
INDEX_MARKERS = ("current", ".write.lock")


def real_path(path: Path) -> Path:
    """The absolute path with every link resolved; never raises (a loop stays as it is).

    Args:
        path: Any path.

    Returns:
        The resolved path (``Path.resolve`` raises RuntimeError on a link loop).
    """
    return Path(os.path.realpath(path))


def shown_path(path: Path | str) -> str:
    """A path as text that can be stored and printed: undecodable bytes as ``\\xNN``.

    Args:
        path: A path, possibly holding bytes that are not UTF-8 (as surrogate escapes).

    Returns:
        The same text when the name is valid UTF-8.
    """
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _not_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


#: The reason given for a file or folder whose name is not UTF-8.
NOT_UTF8_REASON = "its name is not valid UTF-8 text (rename it)"


def is_index_folder(folder: Path) -> bool:
    """Whether a folder is a semsearch index (see :data:`INDEX_MARKERS`).

    Args:
        folder: A folder.

    Returns:
        True when it holds a ``current`` link or a writer's lock file.
    """
    return (folder / INDEX_MARKERS[0]).is_symlink() or (folder / INDEX_MARKERS[1]).exists()


def link_problem(link: Path, root: Path) -> str | None:
    """Why a symbolic link inside a corpus folder is skipped; None when it leads into the corpus.

    Args:
        link: The link.
        root: The corpus folder, resolved.

    Returns:
        ``"symbolic link loop"``, ``"broken symbolic link"``, ``"symbolic link to … outside the
        corpus folder"``, or None.
    """
    try:
        target = Path(os.path.realpath(link, strict=True))
    except OSError as error:
        return "symbolic link loop" if error.errno == errno.ELOOP else "broken symbolic link"
    if target != root and not target.is_relative_to(root):
        kind = "folder" if target.is_dir() else "file"
        return f"symbolic link to a {kind} outside the corpus folder ({target})"
    return None


def _suffix(name: str) -> str:
    """``PurePath(name).suffix`` of a file name, without parsing a path."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


class _Discovery:
    """The files and skipped files found so far, each real file once.

    Files are kept as text with their resolved path (what the update's scan compares), so a
    walk of 23,000 files makes no ``Path`` per file: that was 0.9 s of a 3.8 s no-op update at
    100k chunks (cProfile, load 8), more than the system calls.
    """

    def __init__(self) -> None:
        self.files: list[tuple[str, str]] = []
        self.skipped: list[SkippedFile] = []
        self.seen: set[str] = set()

    def consider(self, file: Path | str, resolved: str | None = None) -> None:
        name = os.fspath(file)
        key = resolved or os.path.realpath(name)
        if key in self.seen:
            return
        self.seen.add(key)
        if _not_utf8(name):
            self.skip(file, NOT_UTF8_REASON)
            return
        suffix = _suffix(os.path.basename(name)).lower()
        if suffix in SUPPORTED_SUFFIXES:
            self.files.append((name, key))
        else:
            shown = suffix or "(no extension)"
            self.skip(file, f"unsupported file type {shown}")

    def skip(self, path: Path | str, reason: str) -> None:
        self.skipped.append(SkippedFile(shown_path(path), reason))

    def walk(self, folder: Path) -> None:
        self._walk(Path(folder), real_path(folder))

    def _walk(self, here: Path, root: Path) -> None:
        """Walk a folder top-down as ``os.walk`` does, from the entries' cached types.

        A no-op update at 23,000 files spent 4 s resolving each file's path (which looks at
        every folder above it) and asking each whether it is a link; the folder is resolved
        once and the listing already tells links apart.
        """
        try:
            with os.scandir(here) as listing:
                entries = sorted(
                    (entry for entry in listing if not entry.name.startswith(".")),
                    key=lambda entry: entry.name,
                )
        except OSError:
            return  # as os.walk: a folder that cannot be listed is passed over
        folders, files = [], []
        for entry in entries:
            (folders if _is_folder(entry) else files).append(entry)
        # Hidden folders such as .git, index folders and linked folders are not walked.
        kept = [here / entry.name for entry in folders if self._descend(here / entry.name, root)]
        resolved_here = os.path.realpath(here)
        # ``str(here / name)``: a normalized folder, and "." left out as pathlib does.
        shown_here = str(here)
        prefix = "" if shown_here == "." else os.path.join(shown_here, "")
        for entry in files:
            if entry.is_symlink():
                self._found(here / entry.name, root)
            else:
                self.consider(prefix + entry.name, os.path.join(resolved_here, entry.name))
        for folder in kept:
            self._walk(folder, root)

    def _descend(self, folder: Path, root: Path) -> bool:
        if folder.is_symlink():
            problem = link_problem(folder, root)
            if problem is not None:
                self.skip(folder, problem)
            return False
        if _not_utf8(folder.name):
            self.skip(folder, NOT_UTF8_REASON)
            return False
        return not is_index_folder(folder)

    def _found(self, file: Path, root: Path) -> None:
        if not file.is_symlink():
            self.consider(file)
            return
        problem = link_problem(file, root)
        if problem is not None:
            self.skip(file, problem)
        # A link into the corpus: its target is found (and indexed) under its own path.


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """Whether an entry is a folder or a link to one (as ``os.walk`` sorts them)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def discover_files(paths: Sequence[Path]) -> tuple[list[Path], list[SkippedFile]]:
    """Expand folders (recursively) and files into the list of article files to read.

    Args:
        paths: Files and folders, as given by the user.

    Returns:
        As :func:`discover_file_names`, each file as a ``Path``.
    """
    files, skipped = discover_file_names(paths)
    return [Path(name) for name, _resolved in files], skipped


def discover_file_names(paths: Sequence[Path]) -> tuple[list[tuple[str, str]], list[SkippedFile]]:
    """Expand folders (recursively) and files into the list of article files to read.

    Hidden files and folders (name starting with ``.``) and index folders are ignored without a
    report; files with an unsupported suffix are reported as skipped, and so are symbolic links
    that lead out of the folder, are broken or loop (see the module's docstring). A path that
    does not exist is reported too.

    Args:
        paths: Files and folders, as given by the user.

    Returns:
        The readable files (sorted within each folder, duplicates removed, in argument order),
        each as ``(path as found, absolute path with every link resolved)``, and the skipped
        ones.
    """
    found = _Discovery()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.walk(path)
        elif path.is_file():
            found.consider(path)
        elif path.is_symlink():  # broken, a loop, or a link to something not a file
            found.skip(path, link_problem(path, real_path(path)) or "not a regular file")
        elif path.exists():
            found.skip(path, "not a regular file")
        else:
            found.skip(path, "no such file or folder")
    return found.files, found.skipped


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
