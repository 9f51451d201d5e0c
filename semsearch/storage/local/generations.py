"""The local index folder: immutable generations, the ``current`` link and the one writer's lock.

::

    index/
      current -> gen-000007           swapped atomically (semsearch.atomic.swap_symlink)
      gen-000006/                     the previous generation (kept for readers that just opened it)
      gen-000007/                     manifest.json, meta.sqlite, base.sqlite, deleted.npy,
                                      seg-NNNNNN/…  (base.sqlite: a hard link while unchanged)
        seg-000003/                   records.sqlite, vectors.faiss, keyword/ (hard links to the
                                      same files of gen-000006 when unchanged)
      gen-000008.tmp-<pid>/           the next generation while a writer prepares it
      .write.lock                     held by the one writer (filelock)
      .write.owner                    that writer's pid, for the message of a second one
      .verified.json                  files whose checksum was verified (storage.local.checksums)

A generation written before segments (format 1) holds ``vectors.faiss``, ``meta.sqlite`` (every
record) and ``keyword/`` at its top level: it is read as one segment of that folder.

A writer prepares the next generation in a temporary folder beside the others and publishes it
with :mod:`semsearch.atomic`: rename into place, then swap ``current``. A process killed at any
moment leaves ``current`` on a complete generation; the next writer removes what it left.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Collection
from pathlib import Path

from filelock import FileLock, Timeout

from semsearch.atomic import (
    TEMP_MARK,
    fsync_path,
    is_temporary,
    move_into_place,
    remove_path,
    swap_symlink,
    temporary_sibling,
)
from semsearch.errors import IndexLockedError, IndexStoreError
from semsearch.storage.data import DEFAULT_LOCK_TIMEOUT, VersionFiles
from semsearch.storage.manifest import Manifest, rebuild_hint

CURRENT_LINK = "current"
MANIFEST_FILE = "manifest.json"
#: The generation's catalog: documents (without their text) and skipped files. From format 3 it
#: is the catalog's delta: the rows changed since :data:`BASE_FILE` was written (see
#: :mod:`semsearch.storage.local.catalog_levels`).
META_FILE = "meta.sqlite"
#: The catalog's base: every document row as of its last compaction, immutable, hard-linked from
#: generation to generation like a segment's files (absent while the delta holds every row).
BASE_FILE = "base.sqlite"
#: Ids of chunks deleted but still held by a segment (tombstones), int64, sorted.
DELETED_FILE = "deleted.npy"
#: A segment's files: its records (chunks, document texts, sentence vectors), vectors, BM25.
RECORDS_FILE = "records.sqlite"
VECTORS_FILE = "vectors.faiss"
KEYWORD_DIR = "keyword"
LOCK_FILE = ".write.lock"
LOCK_OWNER_FILE = ".write.owner"

_GENERATION_RE = re.compile(r"^gen-(\d{6})$")
_SEGMENT_RE = re.compile(r"^seg-(\d{6})$")


def generation_number(name: str) -> int | None:
    """The number of a generation folder's name (``gen-000007`` → 7), None for other names."""
    match = _GENERATION_RE.match(name)
    return int(match.group(1)) if match else None


def generation_name(number: int) -> str:
    """The folder name of generation ``number``."""
    return f"gen-{number:06d}"


def segment_number(name: str) -> int | None:
    """The number of a segment folder's name (``seg-000003`` → 3), None for other names."""
    match = _SEGMENT_RE.match(name)
    return int(match.group(1)) if match else None


def segment_name(number: int) -> str:
    """The folder name of segment ``number``."""
    return f"seg-{number:06d}"


#: Why a hard link can fail where a copy works: another file system, or one without links.
_NO_LINKS = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP}


def link_file(path: Path, destination: Path) -> None:
    """Hard-link an unchanged file of the previous generation into the next one (a copy where
    the file system has no links).

    Args:
        path: The published file.
        destination: Its place in the temporary generation folder.
    """
    try:
        os.link(path, destination)
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        shutil.copyfile(path, destination)


def looks_like_index(index_dir: Path) -> bool:
    """Tell an index folder (or an empty one) from a folder the user did not mean."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(".") or entry.name == CURRENT_LINK:
            continue
        if entry.name.startswith("gen-") or entry.name.startswith(CURRENT_LINK + TEMP_MARK):
            continue
        return False
    return True


def current_number(index_dir: Path) -> int | None:
    """The number of the generation ``current`` points to (None without a valid link)."""
    link = index_dir / CURRENT_LINK
    if not link.is_symlink():
        return None
    return generation_number(os.readlink(link))


def current_name(index_dir: Path) -> str | None:
    """The name ``current`` points to, or None without the link (one ``readlink``: cheap)."""
    try:
        return os.readlink(index_dir / CURRENT_LINK)
    except OSError:
        return None


def resolve_current(index_dir: Path) -> Path:
    """Return the generation folder ``current`` points to, or say why there is none.

    Raises:
        IndexStoreError: No such folder, no index in it yet, a folder that is not an index, or
            a ``current`` that is not a link to a generation.
    """
    hint = f"Build one first: semsearch build [PATHS] --index {index_dir}"
    if not index_dir.is_dir():
        raise IndexStoreError(
            f"There is no index at {index_dir} (no such folder).",
            hint,
            key="index.no_folder",
            params={"index": index_dir},
        )
    link = index_dir / CURRENT_LINK
    if not link.is_symlink():
        if link.exists():
            raise IndexStoreError(
                f"{link} is not a symlink to a generation: {index_dir} is not a semsearch index.",
                rebuild_hint(index_dir),
                key="index.not_symlink",
                params={"link": link, "index": index_dir},
            )
        if looks_like_index(index_dir):
            raise IndexStoreError(
                f"There is no index in {index_dir} yet.",
                hint,
                key="index.not_yet",
                params={"index": index_dir},
            )
        raise IndexStoreError(
            f"{index_dir} is not a semsearch index (it has no '{CURRENT_LINK}' link).",
            f"Pass the index folder with --index, or build one: semsearch build [PATHS] "
            f"--index {index_dir}",
            key="index.not_index",
            params={"index": index_dir, "link": CURRENT_LINK},
        )
    target = os.readlink(link)
    if generation_number(target) is None:
        raise IndexStoreError(
            f"{link} points to {target!r}, which is not a generation folder.",
            rebuild_hint(index_dir),
            key="index.bad_link",
            params={"link": link, "target": target, "index": index_dir},
        )
    return index_dir / target


def current_manifest(index_dir: Path) -> Manifest | None:
    """Read the manifest of the generation ``current`` points to (None without the link).

    Raises:
        IndexStoreError: The link or the manifest is damaged.
    """
    if current_name(index_dir) is None:
        return None
    return Manifest.read(resolve_current(index_dir) / MANIFEST_FILE, index_dir)


def generation_of(work_dir: Path) -> str:
    """The name a work folder (``gen-000008.tmp-<pid>``) is published under (``gen-000008``)."""
    return work_dir.name.split(TEMP_MARK)[0]


def generation_files(generation_dir: Path) -> list[str]:
    """Every file of a generation but its manifest.

    Args:
        generation_dir: The generation folder.

    Returns:
        Their paths relative to it (posix), sorted.
    """
    files = []
    for folder, _dirs, names in os.walk(generation_dir):
        relative = Path(folder).relative_to(generation_dir)
        files += [(relative / name).as_posix() for name in names]
    return sorted(name for name in files if name != MANIFEST_FILE)


def file_sizes(generation_dir: Path) -> dict[str, int]:
    """The size of every file of a generation but its manifest (recorded in the manifest).

    Args:
        generation_dir: The generation folder.

    Returns:
        Relative path (posix) → size in bytes.
    """
    return {
        name: os.stat(generation_dir / name).st_size for name in generation_files(generation_dir)
    }


def generation_footprint(generation_dir: Path) -> VersionFiles:
    """The files directly in a generation folder and the bytes of everything in it."""
    files = {f.name: f.stat().st_size for f in sorted(generation_dir.iterdir()) if f.is_file()}
    total = sum(f.stat().st_size for f in generation_dir.rglob("*") if f.is_file())
    return VersionFiles(files, total)


class IndexFolder:
    """The index folder as its one writer sees it: the lock, leftovers, the next generation.

    Args:
        index_dir: The index folder (created by :meth:`lock` if missing).
        lock_timeout: Seconds to wait for another writer before giving up.
    """

    def __init__(self, index_dir: Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.index_dir = Path(index_dir)
        self._lock = FileLock(str(self.index_dir / LOCK_FILE), timeout=lock_timeout)
        self._locked = False

    def lock(self) -> None:
        """Take the write lock, refusing a folder that holds anything but an index.

        Raises:
            IndexStoreError: The path is a file or a folder of other files, or another writer
                holds the lock (the message names its pid).
        """
        index_dir = self.index_dir
        if index_dir.exists() and not index_dir.is_dir():
            raise IndexStoreError(
                f"{index_dir} is a file, not an index folder.",
                "Choose another --index folder.",
                key="index.is_file",
                params={"index": index_dir},
            )
        if index_dir.is_dir() and not looks_like_index(index_dir):
            raise IndexStoreError(
                f"{index_dir} holds other files and is not a semsearch index; refusing to write "
                "there.",
                "Choose an empty or new folder with --index.",
                key="index.foreign_folder",
                params={"index": index_dir},
            )
        index_dir.mkdir(parents=True, exist_ok=True)
        owner_file = index_dir / LOCK_OWNER_FILE
        try:
            self._lock.acquire()
        except Timeout:
            try:
                owner = owner_file.read_text(encoding="utf-8").strip() or "unknown"
            except OSError:
                owner = "unknown"
            raise IndexLockedError(
                f"Another semsearch build/update is running on {index_dir} (pid {owner}).",
                "Wait for it to finish, then run the command again.",
                key="index.locked",
                params={"index": index_dir, "pid": owner},
            ) from None
        self._locked = True  # released by unlock() even if noting the owner fails
        # The lock file itself is truncated by every contender, so the owner goes in its own file.
        owner_file.write_text(f"{os.getpid()}\n", encoding="utf-8")

    def unlock(self) -> None:
        """Release the write lock (nothing happens if it is not held)."""
        if self._locked:
            with contextlib.suppress(OSError):
                (self.index_dir / LOCK_OWNER_FILE).unlink()
            self._lock.release()
            self._locked = False

    def remove_leftovers(self) -> None:
        """Delete what a killed writer left: temporary folders/links, unpublished generations."""
        current = current_number(self.index_dir)
        for entry in self.index_dir.iterdir():
            if is_temporary(entry):
                remove_path(entry)
                continue
            number = generation_number(entry.name)
            if number is not None and current is not None and number > current:
                # Renamed but never made current: the writer died between rename and swap.
                remove_path(entry)

    def new_work_dir(self) -> Path:
        """Create the temporary folder of the next generation (``gen-NNNNNN.tmp-<pid>``)."""
        numbers = [
            number
            for entry in self.index_dir.iterdir()
            if (number := generation_number(entry.name.split(TEMP_MARK)[0])) is not None
        ]
        target = self.index_dir / generation_name(max([*numbers, 0]) + 1)
        work_dir = temporary_sibling(target, str(os.getpid()))
        work_dir.mkdir()
        return work_dir

    def publish(self, work_dir: Path, linked: Collection[str] = ()) -> str:
        """Make a finished work folder the current generation; keep only it and the previous.

        Args:
            work_dir: A folder from :meth:`new_work_dir`, complete with its manifest.
            linked: Its files that are hard links to files of a published generation: they
                are on disk already, so only the other files (and every folder) are flushed.

        Returns:
            The name of the new generation.
        """
        generation = generation_of(work_dir)
        previous = current_number(self.index_dir)
        for folder, _dirs, files in os.walk(work_dir):
            for name in files:
                path = Path(folder) / name
                if path.relative_to(work_dir).as_posix() not in linked:
                    fsync_path(path)
            fsync_path(Path(folder))
        move_into_place(work_dir, self.index_dir / generation, durable=False)
        fsync_path(self.index_dir)
        try:
            swap_symlink(self.index_dir / CURRENT_LINK, generation)
        except BaseException:
            # Not made current: remove it now rather than leave it to the next writer.
            remove_path(self.index_dir / generation)
            remove_path(temporary_sibling(self.index_dir / CURRENT_LINK, str(os.getpid())))
            raise
        keep = {generation} | ({generation_name(previous)} if previous is not None else set())
        for entry in self.index_dir.iterdir():
            if generation_number(entry.name) is not None and entry.name not in keep:
                remove_path(entry)
        return generation
