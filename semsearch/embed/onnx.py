"""The torch-free runtime: an int8 ONNX export run with ONNX Runtime and ``tokenizers``.

Importing this module, loading the embedder and embedding a query never import torch or
transformers, so a query starts in a fraction of the time the float32 backend needs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from semsearch.embed.base import BaseEmbedder, Prompts, TextKind
from semsearch.embed.models import BACKEND_ONNX, ENV_BACKEND
from semsearch.embed.onnx_files import (
    ONNX_MODEL_FILE,
    ONNX_NORMALIZATION_FILE,
    read_json_file,
    read_onnx_marker,
)
from semsearch.errors import ModelError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

_SPACES_RE = re.compile(" {2,}")


class OnnxEmbedder(BaseEmbedder):
    """An :class:`~semsearch.embed.base.Embedder` running an int8 ONNX export (no torch needed).

    It embeds exactly as :class:`~semsearch.embed.torch_backend.SentenceTransformerEmbedder`
    does (same tokenizer, prompts, truncation, pooling and normalization), with the int8 weights
    of :func:`~semsearch.embed.export.export_onnx_model`: cosine ≥ 0.99 to the float32 vectors.

    Args:
        onnx_dir: A folder made by :func:`~semsearch.embed.export.export_onnx_model`.
        model_id: The name or path the user chose.
        path: The model folder the export was made from.
        threads: Threads for one forward pass (None: ONNX Runtime's choice, the physical cores).
        spinning: Whether idle worker threads spin-wait for work. Off by default: on a machine
            shared with other work, spinning threads steal the cores the model needs (measured
            1.1–1.3× slower on the 2-core machine, docs/performance.md).
        fold_scripts: convert texts to simplified characters first (see
            :mod:`semsearch.embed.base`).

    Raises:
        ModelError: The export cannot be loaded.
    """

    backend = BACKEND_ONNX

    def __init__(
        self,
        onnx_dir: Path,
        model_id: str,
        path: Path,
        threads: int | None = None,
        spinning: bool = False,
        fold_scripts: bool = True,
    ) -> None:
        record = read_onnx_marker(onnx_dir)
        if record is None:
            raise ModelError(
                f"The ONNX export of {model_id} in {onnx_dir} is incomplete.",
                f"Delete that folder; it is made again on the next use (or set "
                f"{ENV_BACKEND}=torch).",
            )
        super().__init__(
            model_id=model_id,
            path=path,
            fingerprint=str(record["fingerprint"]),
            dimension=int(record["dimension"]),
            prompts=Prompts(query=record["prompts"]["query"], passage=record["prompts"]["passage"]),
            fold_scripts=fold_scripts,
        )
        self.onnx_path = onnx_dir
        self._pooling = str(record["pooling"])
        self._pad_id = int(record["pad_id"])
        self._pad_token = str(record["pad_token"])
        self._max_seq_length = int(record["max_seq_length"])
        self._threads = threads
        self._spinning = spinning
        self._load_lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._session: onnxruntime.InferenceSession | None = None
        self._inputs: set[str] = set()
        self._normalize: Callable[[str], str] = _load_normalization(onnx_dir)

    def load(self) -> None:
        """Load the tokenizer and the ONNX Runtime session now (else done on first use).

        Loading takes about a second; commands that end up embedding nothing (an ``update``
        that finds no change) never pay for it.

        Raises:
            ModelError: The export cannot be loaded.
        """
        with self._load_lock:
            if self._session is not None:
                return
            try:
                import onnxruntime
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.onnx_path / "tokenizer.json"))
                options = onnxruntime.SessionOptions()
                if self._threads is not None:
                    options.intra_op_num_threads = self._threads
                if not self._spinning:
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3  # warnings about unused initializers are noise
                session = onnxruntime.InferenceSession(
                    str(self.onnx_path / ONNX_MODEL_FILE),
                    options,
                    providers=["CPUExecutionProvider"],
                )
            # Third-party loaders fail in many ways on a damaged file; each is fixed the same way.
            except Exception as error:
                raise ModelError(
                    f"The ONNX export of {self.model_id} in {self.onnx_path} could not be loaded "
                    f"({type(error).__name__}: {str(error).strip()[:200]}).",
                    f"Delete that folder; it is made again on the next use (or set "
                    f"{ENV_BACKEND}=torch).",
                ) from error
            self._configure(tokenizer)
            self._inputs = {item.name for item in session.get_inputs()}
            self._tokenizer = tokenizer
            self._session = session

    @property
    def loaded(self) -> bool:
        """Whether the tokenizer and session are loaded (see :meth:`load`)."""
        return self._session is not None

    def _runtime(self) -> tuple[Tokenizer, onnxruntime.InferenceSession]:
        if self._session is None:
            self.load()
        assert self._tokenizer is not None and self._session is not None
        return self._tokenizer, self._session

    def _configure(self, tokenizer: Tokenizer) -> None:
        """Pad batches and cut texts at :attr:`max_seq_length`, as the model reads them."""
        tokenizer.enable_padding(pad_id=self._pad_id, pad_token=self._pad_token)
        tokenizer.enable_truncation(max_length=self._max_seq_length)

    def _get_max_seq_length(self) -> int:
        return self._max_seq_length

    def _set_max_seq_length(self, value: int) -> None:
        self._max_seq_length = int(value)
        if self._tokenizer is not None:
            self._tokenizer.enable_truncation(max_length=self._max_seq_length)

    def count_tokens(self, prompted: list[str]) -> list[int]:
        """Tokenize without padding or truncation (see :meth:`BaseEmbedder.count_tokens`)."""
        tokenizer, _session = self._runtime()
        with self._load_lock:  # padding and truncation are switched off for the count
            tokenizer.no_truncation()
            tokenizer.no_padding()
            try:
                encoded = tokenizer.encode_batch([self._normalize(text) for text in prompted])
            finally:
                self._configure(tokenizer)
        return [len(item.ids) for item in encoded]

    def embed_batch(self, texts: list[str], kind: TextKind) -> np.ndarray:
        """Tokenize, run the session and pool one batch (see :meth:`BaseEmbedder.embed_batch`)."""
        tokenizer, session = self._runtime()
        prompt = self.prompts.for_kind(kind)
        encoded = tokenizer.encode_batch([self._normalize(prompt + text) for text in texts])
        input_ids = np.array([item.ids for item in encoded], dtype=np.int64)
        mask = np.array([item.attention_mask for item in encoded], dtype=np.int64)
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        (hidden,) = session.run(None, feed)
        return _pool(hidden, mask, self._pooling)


def _pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """Pool token vectors into one normalized vector per text (``mean`` or ``cls``)."""
    if pooling == "cls":
        vectors = hidden[:, 0, :]
    else:
        weights = mask[..., None].astype(np.float32)
        vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _load_normalization(onnx_dir: Path) -> Callable[[str], str]:
    """The text normalization done before the tokenizer (identity if the tokenizer does it)."""
    loaded = read_json_file(onnx_dir / ONNX_NORMALIZATION_FILE)
    if loaded is None:
        return lambda text: text
    table = {int(code): text for code, text in loaded["table"].items()}
    if loaded.get("collapse_spaces"):
        return lambda text: _SPACES_RE.sub(" ", text.translate(table))
    return lambda text: text.translate(table)
