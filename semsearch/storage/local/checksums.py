"""CRC-32 checksums of a generation's files: recorded by the writer, verified when an index opens.

The manifest records the CRC-32 of every other file of its generation (``crc32``); a hard-linked
unchanged file keeps the value recorded when it was written. Opening verifies them, so bytes
flipped anywhere (a vector, a database page, a BM25 array) are reported as "damaged, rebuild"
before any library reads them.

Hashing runs at about 1.9 GB/s here (zlib's CRC-32; BLAKE2b 0.9, SHA-1 1.0 GB/s), so verifying a
million-chunk index (about 4 GB) at every open would cost seconds. Each verified file is
therefore remembered in ``.verified.json`` beside the generations, by (device, inode) with its
size, mtime and ctime, and verified again only when one of them changes. This catches every
change made through the file system after a file was verified: writing into it or truncating
it (size, mtime and ctime change), putting back its mtime afterwards (ctime still changes),
replacing it (another inode). It does not catch damage that bypasses the file system (a failing
disk flipping a bit at rest); :func:`verify_files` with ``full`` checks every byte again.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from semsearch.storage.local.generations import generation_files
from semsearch.storage.manifest import damaged

#: The file remembering verified files, in the index folder (outside every generation).
VERIFIED_FILE = ".verified.json"
#: Bytes read at a time while hashing.
BLOCK_SIZE = 4 << 20
#: How an index is verified when it opens.
VERIFY_MODES = ("cached", "full", "none")


def file_crc32(path: Path) -> int:
    """Hash a file.

    Args:
        path: The file.

    Returns:
        The CRC-32 of its bytes.
    """
    crc = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_SIZE):
            crc = zlib.crc32(block, crc)
    return crc


def _key(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}"


def _state(stat: os.stat_result, crc: int) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, crc]


class VerifiedFiles:
    """The files of an index already verified, as remembered in :data:`VERIFIED_FILE`.

    Args:
        index_dir: The index folder.
    """

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / VERIFIED_FILE
        self._entries: dict[str, list[int]] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self._entries = {str(k): list(v) for k, v in loaded["files"].items() if len(v) == 4}
        self._changed = False

    def is_verified(self, path: Path, crc: int) -> bool:
        """Whether a file is unchanged since it was verified to have a checksum.

        Args:
            path: The file.
            crc: The checksum the manifest records.

        Returns:
            True if its device, inode, size, mtime and ctime are those remembered with it.
        """
        stat = path.stat()
        return self._entries.get(_key(stat)) == _state(stat, crc)

    def remember(self, path: Path, crc: int) -> None:
        """Note that a file, as it is now, has been verified.

        Args:
            path: The file.
            crc: Its checksum.
        """
        stat = path.stat()
        self._entries[_key(stat)] = _state(stat, crc)
        self._changed = True

    def carry_over(self, path: Path, crc: int) -> None:
        """Keep a verified file verified after a link to it was added or removed.

        That changes only its ctime; the writer that made the link calls this. Its size, mtime
        and checksum must be the ones remembered.

        Args:
            path: The file.
            crc: Its checksum.
        """
        stat = path.stat()
        entry = self._entries.get(_key(stat))
        if entry is not None and entry[:2] == _state(stat, crc)[:2] and entry[3] == crc:
            self.remember(path, crc)

    def save(self, index_dir: Path) -> None:
        """Write the entries of files still in the index (never an error: it is only a cache).

        Args:
            index_dir: The index folder (its generations say which files are still there).
        """
        if not self._changed:
            return
        present = set()
        for generation in index_dir.glob("gen-*"):
            for name in generation_files(generation):
                with contextlib.suppress(OSError):
                    present.add(_key(os.stat(generation / name)))
        entries = {key: value for key, value in self._entries.items() if key in present}
        temporary = self.path.with_name(f"{self.path.name}.tmp-{uuid.uuid4().hex[:8]}")
        with contextlib.suppress(OSError):
            temporary.write_text(json.dumps({"files": entries}), encoding="utf-8")
            os.replace(temporary, self.path)
        with contextlib.suppress(OSError):
            temporary.unlink()
        self._changed = False


def verify_files(
    generation_dir: Path, checksums: Mapping[str, int], index_dir: Path, mode: str = "cached"
) -> None:
    """Check every file of a generation against its recorded CRC-32.

    Args:
        generation_dir: The generation folder.
        checksums: Relative path → CRC-32 (the manifest's ``crc32``).
        index_dir: The index folder (where verified files are remembered; for messages).
        mode: ``cached`` (files verified before and unchanged since are trusted), ``full``
            (every byte is read again) or ``none`` (nothing is checked).

    Raises:
        IndexStoreError: A file's bytes do not have the recorded checksum.
    """
    if mode == "none" or not checksums:
        return
    verified = VerifiedFiles(index_dir)
    for name, expected in checksums.items():
        path = generation_dir / name
        if mode == "cached" and verified.is_verified(path, expected):
            continue
        actual = file_crc32(path)
        if actual != expected:
            raise damaged(
                path,
                f"is damaged (its CRC-32 is {actual:08x}, the manifest says {expected:08x})",
                index_dir,
            )
        verified.remember(path, expected)
    verified.save(index_dir)


def remember_written(
    index_dir: Path,
    generation_dir: Path,
    written: Iterable[str],
    linked: Iterable[str],
    checksums: Mapping[str, int],
) -> None:
    """After publishing, note the files a writer wrote and linked as verified.

    Args:
        index_dir: The index folder.
        generation_dir: The published generation.
        written: The files the writer wrote (their checksums were computed from the disk).
        linked: The files it hard-linked from the previous generation, which was verified when
            the writer opened it; only their ctime changed since.
        checksums: The generation's checksums.
    """
    verified = VerifiedFiles(index_dir)
    with contextlib.suppress(OSError):
        for name in written:
            verified.remember(generation_dir / name, checksums[name])
        for name in linked:
            verified.carry_over(generation_dir / name, checksums[name])
    verified.save(index_dir)
