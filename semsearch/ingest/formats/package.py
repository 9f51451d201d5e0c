"""Zip packages (``.docx``) checked before a parser unpacks them: the defence against zip bombs.

A zip's central directory declares each member's packed and unpacked size. Python's zipfile
never unpacks more than a member declares (a member that lies stops with a CRC error), so
checking the declared sizes bounds what python-docx can unpack, in microseconds and before
anything is decompressed. The 1 MB ``.docx`` holding 1 GB of XML from issue 14 took 16 s and
2.2 GB of memory to fail; it is now refused at once.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from semsearch.ingest.document import UnreadableFileError

#: Most bytes a package may unpack to, all members together. A Word file of the largest size
#: read (50 MB, mostly images, which do not compress) unpacks to little more than its size; the
#: XML of a long article is a few MB.
MAX_UNPACKED_BYTES = 128 * 2**20
#: Highest packing ratio (unpacked / packed) of a member that unpacks to more than
#: :data:`RATIO_FLOOR_BYTES`. Measured on document.xml: Chinese text packs about 2 to 1 (the
#: five seeds as Word files: 2.0–2.3), an empty table of 300 rows 105 to 1 and of 2,000 rows
#: 160 to 1; the zip bomb of issue 14 packs 1,010 to 1 (deflate cannot do much better).
MAX_PACKING_RATIO = 300
#: Members smaller than this unpacked are not held to the ratio (they cannot hurt).
RATIO_FLOOR_BYTES = 2**20
#: Most members a package may have (a Word file has a dozen or two, plus its images).
MAX_MEMBERS = 5000


def check_zip_package(path: Path, data: bytes, kind: str) -> None:
    """Refuse a zip package that would unpack to too much before anything is unpacked.

    Args:
        path: The file (named in the reason).
        data: Its bytes.
        kind: The format named in the reason, e.g. ``".docx"``.

    Raises:
        UnreadableFileError: Not a zip, too many members, too large unpacked, or a member
            packed tighter than :data:`MAX_PACKING_RATIO`.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise UnreadableFileError(path, f"not a valid {kind} file ({error})") from None
    refusal = _refusal(members)
    if refusal is not None:
        raise UnreadableFileError(
            path, f"not a valid {kind} file ({refusal})", "a zip bomb, or a damaged file"
        )


def _refusal(members: list[zipfile.ZipInfo]) -> str | None:
    """Why a package's declared sizes are refused, or None."""
    if len(members) > MAX_MEMBERS:
        return f"{len(members):,} parts; the limit is {MAX_MEMBERS:,}"
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        return (
            f"unpacks to {unpacked / 2**20:,.0f} MB; the limit is {MAX_UNPACKED_BYTES // 2**20} MB"
        )
    for member in members:
        if member.file_size > RATIO_FLOOR_BYTES:
            ratio = member.file_size / max(1, member.compress_size)
            if ratio > MAX_PACKING_RATIO:
                return (
                    f"{member.filename} is packed {ratio:,.0f} to 1; the limit is "
                    f"{MAX_PACKING_RATIO} to 1"
                )
    return None
