"""The torch-free runtime: an int8 ONNX export run with ONNX Runtime and ``tokenizers``.

Importing this module, loading the embedder and embedding a query never import torch or
transformers, so a query starts in a fraction of the time the float32 backend needs.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from semsearch.embed.base import QUERY, BaseEmbedder, Prompts, TextKind
from semsearch.embed.memory import return_freed_memory
from semsearch.embed.models import BACKEND_ONNX, ENV_BACKEND
from semsearch.embed.onnx_files import (
    ONNX_MODEL_FILE,
    ONNX_NORMALIZATION_FILE,
    ONNX_RUNNABLE_VERSIONS,
    read_json_file,
    read_onnx_marker,
)
from semsearch.embed.query_tokenizer import MAX_BATCH_CHARACTERS, MAX_CHARACTERS, QueryTokenizer
from semsearch.embed.token_table import open_token_table
from semsearch.errors import ModelError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

_SPACES_RE = re.compile(" {2,}")

#: Forward passes run at the same time by default, one thread each (see the class doc).
PARALLEL_BATCHES = 2


class OnnxEmbedder(BaseEmbedder[np.ndarray]):
    """An :class:`~semsearch.embed.base.Embedder` running an int8 ONNX export (no torch needed).

    It embeds exactly as :class:`~semsearch.embed.torch_backend.SentenceTransformerEmbedder`
    does (same tokenizer, prompts, truncation, pooling and normalization), with the int8 weights
    of :func:`~semsearch.embed.export.export_onnx_model`: cosine ≥ 0.99 to the float32 vectors.

    Args:
        onnx_dir: A folder made by :func:`~semsearch.embed.export.export_onnx_model`.
        model_id: The name or path the user chose.
        path: The model folder the export was made from.
        threads: Threads for one forward pass (None: one when several passes run at the same
            time, else ONNX Runtime's choice, the physical cores).
        parallel_batches: Forward passes run at the same time, each on its own thread (None:
            :data:`PARALLEL_BATCHES`). On the shared 2-core machine two passes of one thread
            each beat one pass on two threads (no waiting at every operator for the slower
            thread); bench/build_levers.py, docs/performance.md.
        spinning: Whether idle worker threads spin-wait for work. Off by default: on a machine
            shared with other work, spinning threads steal the cores the model needs (measured
            1.1–1.3× slower on the 2-core machine, docs/performance.md).
        fold_scripts: convert texts to simplified characters first (see
            :mod:`semsearch.embed.base`).

    Raises:
        ModelError: The export cannot be loaded.
    """

    backend = BACKEND_ONNX
    encodes_ahead = True

    def __init__(
        self,
        onnx_dir: Path,
        model_id: str,
        path: Path,
        threads: int | None = None,
        spinning: bool = False,
        fold_scripts: bool = True,
        parallel_batches: int | None = None,
    ) -> None:
        record = read_onnx_marker(onnx_dir, versions=ONNX_RUNNABLE_VERSIONS)
        if record is None:
            raise ModelError(
                f"The ONNX export of {model_id} in {onnx_dir} is incomplete.",
                f"Delete that folder; it is made again on the next use (or set "
                f"{ENV_BACKEND}=torch).",
                key="onnx.incomplete",
                params={"model": model_id, "folder": onnx_dir, "variable": ENV_BACKEND},
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
        self._max_seq_length = int(record["max_seq_length"])
        self.parallel_batches = PARALLEL_BATCHES if parallel_batches is None else parallel_batches
        self._threads = 1 if threads is None and self.parallel_batches > 1 else threads
        self._spinning = spinning
        self._load_lock = threading.Lock()
        # Truncation is switched off while counting; encoding waits for it to be back.
        self._tokenizer_lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._query_tokenizer: QueryTokenizer | None = None
        self._first_query_done = False
        self._preloading = False
        self._session: onnxruntime.InferenceSession | None = None
        self._inputs: set[str] = set()
        self._token_table_entry = record.get("token_table")
        # The word-embedding table split out of the graph and the input it feeds (None: whole).
        self._token_table: tuple[np.ndarray, str] | None = None
        self._normalize: Callable[[str], str] = _load_normalization(onnx_dir)

    def load(self) -> None:
        """Load the tokenizer and the ONNX Runtime session now (else done on first use).

        Loading takes about a second; commands that end up embedding nothing (an ``update``
        that finds no change) never pay for it, and a command embedding one query loads only
        the session (its query is tokenized from looked-up pieces, see :meth:`encode`).

        Raises:
            ModelError: The export cannot be loaded.
        """
        self._load_session()
        self._load_tokenizer()

    def _load_session(self) -> onnxruntime.InferenceSession:
        with self._load_lock:
            if self._session is None:
                try:
                    import onnxruntime

                    options = onnxruntime.SessionOptions()
                    if self._threads is not None:
                        options.intra_op_num_threads = self._threads
                    if not self._spinning:
                        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    options.log_severity_level = 3  # warnings about unused initializers: noise
                    session = onnxruntime.InferenceSession(
                        str(self.onnx_path / ONNX_MODEL_FILE),
                        options,
                        providers=["CPUExecutionProvider"],
                    )
                    self._token_table = open_token_table(self.onnx_path, self._token_table_entry)
                except Exception as error:
                    raise self._loading_error(error) from error
                self._inputs = {item.name for item in session.get_inputs()}
                self._session = session
            return self._session

    def _load_tokenizer(self) -> Tokenizer:
        with self._load_lock:
            if self._tokenizer is None:
                try:
                    from tokenizers import Tokenizer

                    tokenizer = Tokenizer.from_file(str(self.onnx_path / "tokenizer.json"))
                except Exception as error:
                    raise self._loading_error(error) from error
                self._configure(tokenizer)
                self._tokenizer = tokenizer
            return self._tokenizer

    def _loading_error(self, error: Exception) -> ModelError:
        """The error for an export that cannot be loaded: third-party loaders fail in many ways
        on a damaged file, and each is fixed the same way."""
        return ModelError(
            f"The ONNX export of {self.model_id} in {self.onnx_path} could not be loaded "
            f"({type(error).__name__}: {str(error).strip()[:200]}).",
            f"Delete that folder; it is made again on the next use (or set {ENV_BACKEND}=torch).",
            key="onnx.unloadable_export",
            params={
                "model": self.model_id,
                "folder": self.onnx_path,
                "reason": f"{type(error).__name__}: {str(error).strip()[:200]}",
                "variable": ENV_BACKEND,
            },
        )

    def unload(self) -> None:
        """Drop the session (its weights and activation arena, about 280 MB after a build) and
        the tokenizer (about 280 MB); both are loaded again on the next use (see
        :meth:`BaseEmbedder.unload`)."""
        super().unload()
        with self._load_lock, self._tokenizer_lock:
            self._session = None
            self._token_table = None
            self._tokenizer = None
        return_freed_memory()

    def release_tokenizer(self) -> None:
        """Drop the tokenizer and give its 282 MB back to the system; it is loaded again on
        use (see :meth:`BaseEmbedder.encode_ahead`)."""
        with self._load_lock, self._tokenizer_lock:
            self._tokenizer = None
        return_freed_memory()

    @property
    def loaded(self) -> bool:
        """Whether the session is loaded (see :meth:`load`)."""
        return self._session is not None

    def _runtime(self) -> tuple[Tokenizer, onnxruntime.InferenceSession]:
        return self._load_tokenizer(), self._load_session()

    def _configure(self, tokenizer: Tokenizer) -> None:
        """Cut texts at :attr:`max_seq_length`, as the model reads them (batches are padded in
        :meth:`embed_batch`, once their texts are known)."""
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self._max_seq_length)

    def _get_max_seq_length(self) -> int:
        return self._max_seq_length

    def _set_max_seq_length(self, value: int) -> None:
        self._max_seq_length = int(value)
        if self._tokenizer is not None:
            with self._tokenizer_lock:
                self._tokenizer.enable_truncation(max_length=self._max_seq_length)
        if self._query_tokenizer is not None:
            self._query_tokenizer.set_max_length(self._max_seq_length)

    def count_tokens(self, prompted: list[str]) -> list[int]:
        """Tokenize without truncation (see :meth:`BaseEmbedder.count_tokens`)."""
        tokenizer = self._load_tokenizer()
        with self._tokenizer_lock:  # truncation is switched off for the count
            tokenizer.no_truncation()
            try:
                encoded = tokenizer.encode_batch([self._normalize(text) for text in prompted])
            finally:
                self._configure(tokenizer)
        return [len(item.ids) for item in encoded]

    def encode(self, texts: list[str], kind: TextKind) -> list[np.ndarray]:
        """Tokenize a call's texts once, cut at :attr:`max_seq_length` (see
        :meth:`BaseEmbedder.encode`): batches are then planned by their exact lengths.

        The ids are kept as int32 arrays: 4 bytes a token where a list of Python ints takes
        about 36 (a build encoding its texts ahead holds them all: 936,421 ids for the 17,915
        distinct chunk and sentence texts of bench/build_memory.py's 4,912-chunk corpus).
        """
        prompt = self.prompts.for_kind(kind)
        normalized = [self._normalize(prompt + text) for text in texts]
        if self._tokenizer is None:
            ids = self._looked_up_ids(normalized, kind)
            if ids is not None:
                return [np.asarray(item, dtype=np.int32) for item in ids]
        tokenizer = self._load_tokenizer()
        with self._tokenizer_lock:
            encoded = tokenizer.encode_batch(normalized)
        return [np.asarray(item.ids, dtype=np.int32) for item in encoded]

    def _looked_up_ids(self, texts: list[str], kind: TextKind) -> list[list[int]] | None:
        """The ids of a process's first query, or of a small call's passages, without loading
        the whole tokenizer.

        A one-shot ``semsearch query`` would spend a third of its time loading the vocabulary,
        and a one-article ``semsearch update`` about 0.9 s loading and freeing it
        (:mod:`~semsearch.embed.query_tokenizer`). For the first query the session is created
        in the background meanwhile. Later queries load the whole tokenizer (a lookup costs
        about 1 ms more per query than the whole tokenizer's 0.1 ms, and a warm process pays
        its load once); passages are looked up while a call holds at most
        :data:`~semsearch.embed.query_tokenizer.MAX_BATCH_CHARACTERS` characters.

        Args:
            texts: The normalized texts, prompt included.
            kind: Whether they are queries or passages.

        Returns:
            The ids, or None when the whole tokenizer is to be used.
        """
        if kind == QUERY:
            if self._first_query_done or len(texts) != 1 or len(texts[0]) > MAX_CHARACTERS:
                return None
            self._first_query_done = True
            self.preload()
        elif sum(map(len, texts)) > MAX_BATCH_CHARACTERS:
            return None
        try:
            if self._query_tokenizer is None:
                self._query_tokenizer = QueryTokenizer(self.onnx_path, self._max_seq_length)
            return self._query_tokenizer.encode_batch(texts)
        except (OSError, ValueError, sqlite3.Error, KeyError):
            return None  # an unusual tokenizer or cache: the whole tokenizer does it

    def preload(self) -> None:
        """Start creating the ONNX Runtime session in the background (once).

        For a caller that knows it will embed soon: a first query while its pieces are looked
        up, an update once it knows it has files to read. Errors surface where the session is
        needed (:meth:`embed_batch` loads it again and raises).
        """
        with self._load_lock:
            if self._session is not None or self._preloading:
                return
            self._preloading = True
        threading.Thread(target=self._preload_session, daemon=True).start()

    def _preload_session(self) -> None:
        try:
            with contextlib.suppress(ModelError):
                self._load_session()
        finally:
            self._preloading = False

    def input_length(self, item: np.ndarray) -> int:
        """Return the number of token ids (see :meth:`BaseEmbedder.input_length`)."""
        return len(item)

    def embed_batch(self, batch: list[np.ndarray], kind: TextKind) -> np.ndarray:
        """Pad, run the session and pool one batch (see :meth:`BaseEmbedder.embed_batch`)."""
        session = self._load_session()
        input_ids = np.full((len(batch), max(map(len, batch))), self._pad_id, dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if self._token_table is not None:
            table, table_input = self._token_table
            feed[table_input] = table[input_ids]  # the graph's first Gather, on mapped rows
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
