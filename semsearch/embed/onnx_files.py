"""The ONNX export on disk: its folder in the model cache, its files, marker and fingerprint.

Shared by the build-time export (:mod:`semsearch.embed.export`, which writes the folder) and the
torch-free runtime (:mod:`semsearch.embed.onnx`, which reads it).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from semsearch.embed.models import BACKEND_ONNX

#: Bumped when the export changes; part of the export's folder name and of its fingerprint.
#: 3: the graph is fused (Attention, SkipLayerNorm, BiasGelu) before it is quantized.
ONNX_EXPORT_VERSION = 3

#: Written last into a finished ONNX export; a folder without it is never loaded.
ONNX_MARKER_NAME = "semsearch-onnx.json"
ONNX_MODEL_FILE = "model.onnx"
#: The tokenizer's character replacements as one table, when they can be (see
#: :func:`semsearch.embed.export.split_replace_normalizer`).
ONNX_NORMALIZATION_FILE = "normalization.json"


def onnx_fingerprint(source_fingerprint: str) -> str:
    """Return the fingerprint of the int8 ONNX export of a model with this fingerprint.

    It differs from the float32 fingerprint because the vectors differ, so an index built by
    one backend is not silently extended by the other.

    Args:
        source_fingerprint: :func:`~semsearch.embed.models.model_fingerprint` of the model.

    Returns:
        16 hex characters.
    """
    text = f"{source_fingerprint}/{BACKEND_ONNX}/v{ONNX_EXPORT_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def onnx_folder(source: Path, source_fingerprint: str, cache_dir: Path) -> Path:
    """Return where the int8 ONNX export of the model in ``source`` is kept in the model cache.

    Args:
        source: The model folder.
        source_fingerprint: Its :func:`~semsearch.embed.models.model_fingerprint`.
        cache_dir: The model cache.

    Returns:
        The export's folder (which may not exist yet).
    """
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in source.name)[:60]
    return cache_dir / f"onnx-int8-{slug}-{source_fingerprint}-v{ONNX_EXPORT_VERSION}"


def read_onnx_marker(folder: Path) -> dict[str, object] | None:
    """Return the completion record of an ONNX export, or None if it is not complete.

    A folder counts as complete only if its marker parses, names this export version and the
    model file has the recorded size.

    Args:
        folder: A candidate export folder.

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
        or record.get("export_version") != ONNX_EXPORT_VERSION
        or record.get("model_size") != size
    ):
        return None
    return record


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
