"""Which files an update must read: each file is classified against its stored state.

Cheapest test first:

1. same path, size and modification time as stored → unchanged, the file is not even opened;
2. size or time differ but the sha256 of the bytes is the stored one → unchanged (only touched);
3. otherwise the file is read, cleaned and cut again (new or changed); stored files that are no
   longer found under the paths being updated are removed (vanished), and so are documents an
   older version indexed through a link that led out of the corpus, once the link is gone or
   refused (see the symbolic link rules of :mod:`semsearch.ingest.files`).

Paths are resolved with :func:`~semsearch.ingest.files.real_path`, which a link loop cannot
make fail.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from semsearch.errors import SemsearchError
from semsearch.indexing.report import STAGE_SCAN
from semsearch.ingest import SkippedFile
from semsearch.ingest.files import discover_file_names, real_path
from semsearch.progress import Reporter
from semsearch.storage import FileScope, FileState, SourceRecords, StoredFile

#: A file modified this close to the previous scan may have changed within the same mtime
#: tick after it was read, so its size and mtime alone are not trusted (it is hashed).
RACY_WINDOW_NS = 2_000_000_000
#: Files scanned between two progress reports. A terminal's progress bar recomputes its rate
#: over its recent samples at every report: one report per file cost 20 s of a no-op update
#: at 23,000 files (load 25), longer than the scan itself.
SCAN_REPORT_EVERY = 500


@dataclass
class FileToRead:
    """A new or changed file.

    Attributes:
        path: The file as found (relative to the working directory when inside it).
        root: The folder its document id is relative to.
        state: Its path, size and mtime now.
        old: The stored document it replaces (None for a new file).
    """

    path: Path
    root: Path
    state: FileState
    old: StoredFile | None


@dataclass
class ScanPlan:
    """What an update does with each file under its paths.

    Attributes:
        to_read: New and changed files.
        unchanged: How many stored files did not change.
        touched: Unchanged files with a new size or mtime, and their new state.
        vanished: Stored files under the paths that are gone.
        skipped: Files that could not be looked at, with the reasons.
    """

    to_read: list[FileToRead] = field(default_factory=list)
    unchanged: int = 0
    touched: list[tuple[StoredFile, FileState]] = field(default_factory=list)
    vanished: list[StoredFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def read_stored(
    base: SourceRecords | None, paths: Sequence[Path] | None, stored_roots: Sequence[Path]
) -> tuple[list[StoredFile], Callable[[str], str | None] | None]:
    """The stored documents an update needs, and how to ask about the others.

    An update of named paths reads only the documents whose files lie under them, and those
    indexed through a link that led out of the corpus folders (:func:`_vanished` may remove
    them): one range of the catalog's file index per path instead of every document.

    Args:
        base: The index's current version (None: a new index).
        paths: The paths the user named (None: the index's own, every document is needed).
        stored_roots: The folders the index covers.

    Returns:
        The documents, and the path of a stored document left out, by id (None when every
        document was read).
    """
    if base is None:
        return [], None
    if paths is None:
        return base.stored_files(), None
    scope = FileScope(
        under=tuple(str(real_path(path)) for path in paths),
        outside=tuple(os.path.realpath(root) for root in stored_roots),
    )

    def stored_elsewhere(doc_id: str) -> str | None:
        found = base.stored_files(FileScope(doc_ids=(doc_id,)))
        return found[0].path if found else None

    return base.stored_files(scope), stored_elsewhere


def check_paths(
    paths: Sequence[Path], stored: list[StoredFile], explicit: bool, reporter: Reporter
) -> list[Path]:
    """Return the absolute paths to synchronize; refuse paths that exist neither here nor stored.

    Args:
        paths: The files and folders to synchronize.
        stored: The stored documents.
        explicit: Whether the user named the paths (a stored root that vanished is no error).
        reporter: Told when a path is gone and its documents go with it.

    Raises:
        SemsearchError: A named path exists neither on disk nor in the index.
    """
    scope = []
    for path in paths:
        absolute = real_path(path)
        if not absolute.exists():
            under = inside_of([str(absolute)])
            known = any(s.state is not None and under(s.state.file_path) for s in stored)
            if explicit and not known:
                raise SemsearchError(
                    f"No such file or folder: {path}",
                    "Check the path (folders are searched recursively).",
                    key="path.missing",
                    params={"path": path},
                )
            reporter.message(f"{path} no longer exists: its documents are removed from the index.")
        scope.append(absolute)
    return scope


def within(path: Path, scope: Sequence[Path]) -> bool:
    """Whether ``path`` is one of the roots in ``scope`` or inside one."""
    return any(path == root or path.is_relative_to(root) for root in scope)


def within_text(path: str, roots: Sequence[str]) -> bool:
    """:func:`within` for normalized absolute paths given as text.

    Args:
        path: A normalized absolute path (as ``os.path.realpath`` or ``abspath`` give).
        roots: Normalized absolute paths.

    Returns:
        True when ``path`` is one of ``roots`` or inside one.
    """
    return inside_of(roots)(path)


def inside_of(roots: Sequence[str]) -> Callable[[str], bool]:
    """A test of :func:`within_text` for many paths against the same roots.

    An update compares every stored file with its roots; as text this is one ``startswith``,
    where ``pathlib`` parses both paths (12-15 s for 22,783 files at load 25).

    Args:
        roots: Normalized absolute paths.

    Returns:
        The test: whether a normalized absolute path is one of ``roots`` or inside one.
    """
    exact = frozenset(roots)
    prefixes = tuple(root if root.endswith(os.sep) else root + os.sep for root in roots)
    return lambda path: path in exact or path.startswith(prefixes)


def covered(path: Path, scope: Sequence[Path]) -> bool:
    """Whether a path lies in ``scope``, as itself (a link) or where it leads.

    Args:
        path: A file's path as found (a skipped one may be a link, broken or looping).
        scope: Absolute, resolved roots.

    Returns:
        True when the path or its resolved form is one of the roots or inside one.
    """
    return within(Path(os.path.abspath(path)), scope) or within(real_path(path), scope)


def outermost(roots: Sequence[Path]) -> list[str]:
    """Absolute roots without duplicates and without those inside another root, in order."""
    absolute = list(dict.fromkeys(real_path(root) for root in roots))
    return [
        str(root)
        for root in absolute
        if not any(other != root and root.is_relative_to(other) for other in absolute)
    ]


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is inside it (as users type paths)."""
    absolute = real_path(path)
    try:
        return str(absolute.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(absolute)


def root_for(file: Path, scope: Sequence[Path], stored_roots: Sequence[Path]) -> Path:
    """The folder a file's document id is relative to: an indexed folder, else the given one."""
    absolute = real_path(file)
    for root in [*stored_roots, *scope]:
        root = real_path(root)
        if root.is_dir() and absolute.is_relative_to(root):
            return Path(display_path(root))
    return file.parent


def sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scan(
    scope: list[Path],
    stored: list[StoredFile],
    stored_roots: list[Path],
    last_scan_ns: int,
    reporter: Reporter,
) -> ScanPlan:
    """Classify every file under ``scope`` against the stored documents, reading none of them.

    Args:
        scope: The absolute paths being synchronized.
        stored: The stored documents with their file states.
        stored_roots: The roots the index already covers (document ids are relative to them).
        last_scan_ns: When the previous scan started (0 if unknown).
        reporter: Receives the ``scan`` stage.

    Returns:
        The plan; only files whose stored size or mtime cannot be trusted were hashed.
    """
    existing = [Path(display_path(p)) for p in scope if p.exists()]
    files, skipped = discover_file_names(existing) if existing else ([], [])
    for item in skipped:
        reporter.message(f"Skipped {item.path}: {item.reason}")
    plan = ScanPlan(skipped=skipped)
    by_file = {s.state.file_path: s for s in stored if s.state is not None}
    trusted = _trusted(by_file, last_scan_ns)
    seen: set[str] = set()
    reporter.start(STAGE_SCAN, len(files))
    # Discovery resolved each file (``absolute``); a Path is made only for a file to read.
    for number, (name, absolute) in enumerate(files, 1):
        if number % SCAN_REPORT_EVERY == 0:
            reporter.advance(STAGE_SCAN, SCAN_REPORT_EVERY)
        try:
            status = file_status(name)
        except OSError as error:
            plan.skipped.append(SkippedFile(name, f"cannot be read ({error.strerror})"))
            continue
        if absolute in seen:
            continue
        seen.add(absolute)
        if trusted.get(absolute) == (status.st_size, status.st_mtime_ns):
            plan.unchanged += 1
            continue
        file = Path(name)
        state = FileState(absolute, status.st_size, status.st_mtime_ns)
        old = by_file.get(absolute)
        verdict = (
            "new" if old is None or old.state is None else _compare(file, state, old, last_scan_ns)
        )
        if isinstance(verdict, SkippedFile):
            plan.skipped.append(verdict)
        elif verdict in ("new", "changed"):
            root = root_for(file, scope, stored_roots)
            plan.to_read.append(
                FileToRead(file, root, state, old if verdict == "changed" else None)
            )
        else:
            plan.unchanged += 1
            if verdict == "touched":
                plan.touched.append((old, state))  # type: ignore[arg-type]
    reporter.advance(STAGE_SCAN, len(files) % SCAN_REPORT_EVERY)
    plan.vanished = _vanished(stored, seen, scope, stored_roots)
    return plan


def _trusted(by_file: dict[str, StoredFile], last_scan_ns: int) -> dict[str, tuple[int, int]]:
    """``(size, mtime)`` of the stored files whose stat alone can be trusted, by path: most
    files of a no-op are decided by one tuple comparison, no object made."""
    return {
        path: (s.state.size, s.state.mtime_ns)
        for path, s in by_file.items()
        if s.state is not None and s.state.mtime_ns < last_scan_ns - RACY_WINDOW_NS
    }


def _vanished(
    stored: list[StoredFile], seen: set[str], scope: list[Path], stored_roots: list[Path]
) -> list[StoredFile]:
    """The stored documents under ``scope`` whose files the scan did not find."""
    in_scope = inside_of([str(root) for root in scope])
    in_corpus = inside_of([os.path.realpath(root) for root in stored_roots])
    return [
        s
        for s in stored
        if s.state is not None
        and s.state.file_path not in seen
        and (
            in_scope(s.state.file_path)
            # A document an older version indexed through a link in the scope to a file
            # outside every corpus folder goes when the link is no longer indexed.
            or (not in_corpus(s.state.file_path) and in_scope(os.path.abspath(s.path)))
        )
    ]


def file_status(name: str) -> os.stat_result:
    """A file's status with links followed, with one system call for a file that is not a link.

    Args:
        name: The file's path.

    Returns:
        ``os.stat(name)``.

    Raises:
        OSError: The file (or a link's target) cannot be looked at.
    """
    status = os.lstat(name)
    return os.stat(name) if stat.S_ISLNK(status.st_mode) else status


def _compare(file: Path, state: FileState, old: StoredFile, last_scan_ns: int) -> str | SkippedFile:
    """Compare a stored file with what is on disk: ``unchanged``, ``touched`` or ``changed``.

    Returns:
        The verdict, or the reason the file cannot be read.
    """
    assert old.state is not None
    same_stat = old.state.size == state.size and old.state.mtime_ns == state.mtime_ns
    if same_stat and old.state.mtime_ns < last_scan_ns - RACY_WINDOW_NS:
        return "unchanged"
    try:
        same_content = sha256(file) == old.content_hash
    except OSError as error:
        return SkippedFile(str(file), f"cannot be read ({error.strerror})")
    if not same_content:
        return "changed"
    return "unchanged" if same_stat else "touched"
