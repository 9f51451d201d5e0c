"""The ONNX export on disk: its folder in the model cache, its files, marker and fingerprint.

Shared by the build-time export (:mod:`semsearch.embed.export`, which writes the folder) and the
torch-free runtime (:mod:`semsearch.embed.onnx`, which reads it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path

from semsearch.embed.models import BACKEND_ONNX

#: Bumped when the export's files change; part of the export's folder name.
#: 3: the graph is fused (Attention, SkipLayerNorm, BiasGelu) before it is quantized.
#: 4: the word-embedding table is split out of the graph (:mod:`semsearch.embed.token_table`).
ONNX_EXPORT_VERSION = 4
#: Bumped when the export's vectors change; part of its fingerprint, so that an index is never
#: extended with different vectors. Version 4 gives the same vectors as 3 (the same graph, its
#: first Gather done in numpy), so indexes built with a version 3 export keep being updated.
ONNX_VECTORS_VERSION = 3
#: The export version an export of :data:`ONNX_EXPORT_VERSION` is converted from (no torch
#: needed) when the model cache holds one.
ONNX_CONVERTIBLE_VERSION = 3
#: The export versions the runtime (:mod:`semsearch.embed.onnx`) can run: 2 and 3 are whole
#: graphs (``bench/build_levers.py`` compares them; the vectors' fingerprint is in each marker).
ONNX_RUNNABLE_VERSIONS = (2, 3, 4)

#: Written last into a finished ONNX export; a folder without it is never loaded.
ONNX_MARKER_NAME = "semsearch-onnx.json"
ONNX_MODEL_FILE = "model.onnx"
#: The tokenizer's character replacements as one table, when they can be (see
#: :func:`semsearch.embed.export.split_replace_normalizer`).
ONNX_NORMALIZATION_FILE = "normalization.json"
#: The word-embedding table split out of the graph (uint8 ``.npy``, memory-mapped at run time).
ONNX_TOKEN_TABLE_FILE = "token-table.npy"


def onnx_fingerprint(source_fingerprint: str) -> str:
    """Return the fingerprint of the int8 ONNX export of a model with this fingerprint.

    It differs from the float32 fingerprint because the vectors differ, so an index built by
    one backend is not silently extended by the other.

    Args:
        source_fingerprint: :func:`~semsearch.embed.models.model_fingerprint` of the model.

    Returns:
        16 hex characters.
    """
    text = f"{source_fingerprint}/{BACKEND_ONNX}/v{ONNX_VECTORS_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def onnx_folder(
    source: Path, source_fingerprint: str, cache_dir: Path, version: int = ONNX_EXPORT_VERSION
) -> Path:
    """Return where the int8 ONNX export of the model in ``source`` is kept in the model cache.

    Args:
        source: The model folder.
        source_fingerprint: Its :func:`~semsearch.embed.models.model_fingerprint`.
        cache_dir: The model cache.
        version: The export version (default: this one).

    Returns:
        The export's folder (which may not exist yet).
    """
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in source.name)[:60]
    return cache_dir / f"onnx-int8-{slug}-{source_fingerprint}-v{version}"


def read_onnx_marker(
    folder: Path, versions: Collection[int] = (ONNX_EXPORT_VERSION,)
) -> dict[str, object] | None:
    """Return the completion record of an ONNX export, or None if it is not complete.

    A folder counts as complete only if its marker parses, names the export version and the
    model file and the token table (if split off) have the recorded sizes.

    Args:
        folder: A candidate export folder.
        versions: The export versions accepted (default: this one).

    Returns:
        The marker's content, or None.
    """
    try:
        record = json.loads((folder / ONNX_MARKER_NAME).read_text(encoding="utf-8"))
        size = (folder / ONNX_MODEL_FILE).stat().st_size
        if not (folder / "tokenizer.json").is_file():
            return None
    except (OSError, ValueError):
        return None
    if (
        not isinstance(record, dict)
        or record.get("export_version") not in versions
        or record.get("model_size") != size
        or not _has_token_table(folder, record.get("token_table"))
    ):
        return None
    return record


def _has_token_table(folder: Path, entry: object) -> bool:
    """Whether the split-off token table a marker names (if any) is there, whole."""
    if entry is None:
        return True
    try:
        return (
            isinstance(entry, dict)
            and (folder / str(entry["file"])).stat().st_size == entry["size"]
        )
    except (OSError, KeyError):
        return False


def read_json_file(path: Path) -> dict | None:
    """Return a JSON object read from ``path``, or None if it is missing, unreadable or no object.

    Args:
        path: The file.

    Returns:
        The parsed object, or None.
    """
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None
