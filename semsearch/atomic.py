"""Publishing folders atomically: a reader sees the old folder or the new one, never a half.

Three things in semsearch are written this way, all through this module: the converted default
model and its ONNX export in the model cache (:func:`build_once`), and every index generation
(:func:`move_into_place` then :func:`swap_symlink`). The recipe is the same each time: write
everything into a temporary folder beside the target, flush it to disk, rename it into place
(one atomic step on POSIX), flush the parent folder. A process killed at any moment leaves at
most a temporary folder, which the next writer removes (:func:`remove_leftovers`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

#: Marks a temporary folder or link: ``<target name>.tmp-<tag>``.
TEMP_MARK = ".tmp-"


def temporary_sibling(target: Path, tag: str | None = None) -> Path:
    """Return a fresh path beside ``target`` for staging it (nothing is created).

    Args:
        target: The folder or link to be published.
        tag: What makes the name unique (default: a random hex string).
    """
    return target.with_name(f"{target.name}{TEMP_MARK}{tag or uuid.uuid4().hex[:8]}")


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is a staging folder or link made by :func:`temporary_sibling`."""
    return TEMP_MARK in path.name


def fsync_path(path: Path) -> None:
    """Flush one file or folder entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` (``root`` included) to disk."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fsync_path(Path(folder) / name)
        fsync_path(Path(folder))


def remove_path(path: Path) -> None:
    """Delete a file, link or folder tree if it exists (a missing path is not an error)."""
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def remove_leftovers(target: Path) -> None:
    """Delete the staging folders of ``target`` that killed writers left (hold the lock)."""
    for leftover in target.parent.glob(f"{target.name}{TEMP_MARK}*"):
        remove_path(leftover)


def move_into_place(temporary: Path, target: Path, durable: bool = True) -> None:
    """Rename a finished staging folder to ``target``, replacing an old folder there.

    Args:
        temporary: The complete staging folder.
        target: Its final name (an existing folder of that name is removed first).
        durable: Flush the folder's content before the rename and the parent after it, so the
            rename never lands before the content after a power loss.
    """
    if durable:
        fsync_tree(temporary)
    if target.exists() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(temporary, target)
    if durable:
        fsync_path(target.parent)


def swap_symlink(link: Path, points_to: str) -> None:
    """Point ``link`` at ``points_to`` atomically: readers see the old target or the new one.

    Args:
        link: The symlink (created if missing).
        points_to: The new target, relative to the link's folder.
    """
    staging = temporary_sibling(link, str(os.getpid()))
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    os.symlink(points_to, staging)
    os.replace(staging, link)
    fsync_path(link.parent)


@contextlib.contextmanager
def staged_folder(target: Path, durable: bool = False) -> Iterator[Path]:
    """Yield a new staging folder for ``target``; publish it on success, remove it on failure.

    Args:
        target: The folder to publish.
        durable: See :func:`move_into_place`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(target)
    temporary.mkdir()
    try:
        yield temporary
        move_into_place(temporary, target, durable=durable)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def build_once(
    target: Path,
    is_complete: Callable[[Path], bool],
    build: Callable[[Path], None],
    announce: Callable[[], None] | None = None,
) -> bool:
    """Make ``target`` with ``build`` unless it is complete, once across concurrent processes.

    A file lock beside the target serializes builders; the second one finds the folder complete
    and returns. Leftovers of killed builds are removed under the lock.

    Args:
        target: The folder to make.
        is_complete: Whether a folder is finished (e.g. its marker, written last, is valid).
        build: Writes the whole content into the staging folder it is given.
        announce: Called once just before a build starts (e.g. to say it takes a while).

    Returns:
        True if this call built the folder, False if it was already complete.

    Raises:
        OSError: The folder or the lock cannot be written.
    """
    if is_complete(target):
        return False
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.with_name(f"{target.name}.lock"))):
        if is_complete(target):  # another process finished it while we waited
            return False
        remove_leftovers(target)
        if announce is not None:
            announce()
        with staged_folder(target) as temporary:
            build(temporary)
    return True
