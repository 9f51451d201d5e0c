"""The float32 reference backend: a sentence-transformers model on the CPU (needs torch).

Imported only when the ``torch`` backend is chosen; the ONNX runtime never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from semsearch.embed.base import QUERY, BaseEmbedder, Prompts, TextKind
from semsearch.embed.models import BACKEND_TORCH, INSTALL_HINT
from semsearch.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class SentenceTransformerEmbedder(BaseEmbedder[str]):
    """An :class:`~semsearch.embed.base.Embedder` over a loaded ``SentenceTransformer``.

    Args:
        model: the loaded model.
        model_id: the name or path the user chose.
        fingerprint: see :func:`~semsearch.embed.models.model_fingerprint` (of the model
            itself; folding is added here).
        path: the local folder the model was loaded from.
        fold_scripts: convert texts to simplified characters first (see
            :mod:`semsearch.embed.base`).

    Raises:
        ModelError: The model does not say how long its vectors are.
    """

    backend = BACKEND_TORCH

    def __init__(
        self,
        model: SentenceTransformer,
        model_id: str,
        fingerprint: str,
        path: Path,
        fold_scripts: bool = True,
    ) -> None:
        # Renamed in sentence-transformers 6; the old name still works in older releases.
        if hasattr(model, "get_embedding_dimension"):
            dimension = model.get_embedding_dimension()
        else:
            dimension = model.get_sentence_embedding_dimension()
        if not dimension:
            raise ModelError(
                f"The model {model_id} ({path}) does not say how long its vectors are, so it "
                "cannot be used for search.",
                INSTALL_HINT,
                key="model.no_dimension",
                params={"model": model_id, "path": path},
            )
        super().__init__(
            model_id=model_id,
            path=path,
            fingerprint=fingerprint,
            dimension=int(dimension),
            prompts=Prompts.from_model_config(getattr(model, "prompts", None)),
            fold_scripts=fold_scripts,
        )
        self.model = model

    def _get_max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def _set_max_seq_length(self, value: int) -> None:
        self.model.max_seq_length = value

    def count_tokens(self, prompted: list[str]) -> list[int]:
        """Tokenize with the model's own tokenizer (see :meth:`BaseEmbedder.count_tokens`)."""
        encoded = self.model.tokenizer(prompted, add_special_tokens=True, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def encode(self, texts: list[str], kind: TextKind) -> list[str]:
        """Keep the texts: sentence-transformers tokenizes each batch itself."""
        return texts

    def input_length(self, item: str) -> int:
        """Characters stand for tokens (about 1.5 characters a token in Chinese text)."""
        return len(item)

    def embed_batch(self, texts: list[str], kind: TextKind) -> np.ndarray:
        """Encode one batch with sentence-transformers (see :meth:`BaseEmbedder.embed_batch`)."""
        encode = self.model.encode_query if kind == QUERY else self.model.encode_document
        vectors = encode(
            texts,
            prompt=self.prompts.for_kind(kind),
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_sentence_transformer(name: str, folder: Path) -> SentenceTransformer:
    """Load a sentence-transformers model from a local folder on the CPU, offline.

    Args:
        name: The model's name, for messages.
        folder: The model folder.

    Returns:
        The loaded model.

    Raises:
        ModelError: The model cannot be loaded; the message says why.
    """
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # transformers 5 draws a "Loading weights" bar on every load; the CLI has its own status.
        bar_was_enabled = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()
        try:
            return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        finally:
            if bar_was_enabled:
                transformers_logging.enable_progress_bar()
    # Loading runs third-party code that fails in many ways (bad JSON, missing weights, unknown
    # architecture, wrong shapes); each is a user-fixable model problem, not a bug here.
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(
            f"The embedding model {name} could not be loaded from {folder.resolve()} "
            f"({type(error).__name__}: {reason}). No network is used to repair or download it.",
            INSTALL_HINT,
            key="model.unloadable",
            params={
                "model": name,
                "folder": folder.resolve(),
                "reason": f"{type(error).__name__}: {reason}",
            },
        ) from error
