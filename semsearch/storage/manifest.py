"""The manifest: what one version of an index is, and the one place that reads and writes it.

Every engine records the same facts about an index version: the model and chunking settings its
vectors were made with (an index never mixes two), the counts, the versions of the pipeline steps
whose output it stores (keyword tokens, sentence vectors), when it was made and what it covers.
The local engine also records its own files (sizes and CRC-32 checksums), its segments and the
kind of its vector index; those keys stay at the top level, as in every manifest written so far,
so old indexes load unchanged.

:meth:`Manifest.from_dict` validates every key, so a damaged manifest (``"dimension": "abc"``,
``"chunk_count": null``) is reported as such, with the key, instead of failing later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semsearch import lexical
from semsearch.chunking import SENTENCE_VERSION
from semsearch.errors import IndexStoreError
from semsearch.storage.base import DescribesChunking, IdentifiesModel
from semsearch.storage.manifest_checks import KEY_CHECKS, is_int

#: Bumped when the layout of an index changes in a way older readers cannot read. Format 2:
#: segments, tombstones and checksums; format 1 (one database, vector file and BM25 folder per
#: generation) is still read, and its next update rewrites it as format 2.
FORMAT_VERSION = 2
#: The oldest format this semsearch reads.
OLDEST_FORMAT_VERSION = 1

_REBUILD_HINT = "Rebuild it: semsearch build --rebuild [PATHS] --index {index_dir}"

#: Keys every manifest has; without one the index cannot be used at all.
REQUIRED_KEYS = (
    "format_version",
    "model_id",
    "model_fingerprint",
    "dimension",
    "chunking",
    "document_count",
    "chunk_count",
    "generation",
    "next_chunk_id",
)


def rebuild_hint(index_dir: Path | str) -> str:
    """The advice every "this index is damaged" message ends with.

    Args:
        index_dir: The index folder (or another name of the index).
    """
    return _REBUILD_HINT.format(index_dir=index_dir)


def damaged(path: Path | str, what: str, index_dir: Path | str) -> IndexStoreError:
    """An error saying that one file of an index is missing or damaged, and how to rebuild.

    Args:
        path: The file.
        what: What is wrong with it ("is missing", "is truncated …").
        index_dir: The index folder (for the hint).
    """
    return IndexStoreError(
        f"The index file {path} {what}.",
        rebuild_hint(index_dir),
        key="index.damaged",
        params={"path": path, "index": index_dir},
    )


def keyword_info() -> dict[str, Any]:
    """Describe the keyword tokenizer for the manifest (a change means stored tokens are stale)."""
    return {"tokenizer": lexical.TOKENIZER_VERSION}


def sentence_info() -> dict[str, Any]:
    """What the manifest records about complete sentence vectors of the current version."""
    return {"version": SENTENCE_VERSION}


@dataclass
class Manifest:
    """One index version's description (``manifest.json`` of a local generation).

    Attributes:
        format_version: The index layout (see :data:`FORMAT_VERSION`).
        model_id: The embedding model's name.
        model_fingerprint: A hash of its weights and of how texts are prepared for it.
        dimension: The vector size.
        chunking: The chunking settings (``ChunkingConfig.as_dict()``).
        document_count: Documents in this version.
        chunk_count: Chunks (and chunk vectors) in this version.
        generation: The name of this version (a local generation folder).
        next_chunk_id: The next chunk id to give out: ids only go up, never reused.
        keyword: The keyword tokenizer of the stored tokens (:func:`keyword_info`) and, from
            format 2, BM25's ``k1``, ``b`` and the ``average_length`` (avgdl) of its postings.
        sentence_vectors: :func:`sentence_info` of complete sentence vectors, else None.
        created_at: When the index was first made (ISO-8601 UTC).
        updated_at: When this version was written.
        corpus_roots: The files and folders the index covers (absolute paths).
        files: Local engine: the size of every other file of the generation.
        vector_index: Local engine: the kind of the largest vector index (``{"type": "flat"}`` …).
        scanned_at_ns: When the indexer last looked at the files (None if never).
        segments: Local engine, format 2: the segments in chunk id order, each
            ``{"name", "chunks", "deleted"}`` (None in format 1).
        crc32: Local engine, format 2: the CRC-32 of every file but the manifest.
        extra: Any other key, kept as it is (the synthetic benchmark notes its recipe).
    """

    format_version: int
    model_id: str
    model_fingerprint: str
    dimension: int
    chunking: dict[str, Any]
    document_count: int
    chunk_count: int
    generation: str
    next_chunk_id: int
    keyword: dict[str, Any] | None = None
    sentence_vectors: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    corpus_roots: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    vector_index: dict[str, Any] | None = None
    scanned_at_ns: int | None = None
    segments: list[dict[str, Any]] | None = None
    crc32: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_sentence_vectors(self) -> bool:
        """Whether every chunk's sentence vectors are stored (of any version)."""
        return bool(self.sentence_vectors)

    @classmethod
    def from_dict(cls, data: Any, source: Path | str, index_dir: Path | str) -> Manifest:
        """Validate a manifest read from storage.

        Args:
            data: The parsed JSON.
            source: Where it was read from (named in errors).
            index_dir: The index folder (for the hint of errors).

        Returns:
            The manifest.

        Raises:
            IndexStoreError: Not an object, a required key missing, a newer format, or a key
                of the wrong type or range (the message names the key and its value).
        """
        if not isinstance(data, dict):
            raise damaged(source, "is not a JSON object", index_dir)
        missing = [key for key in REQUIRED_KEYS if key not in data]
        if missing:
            raise damaged(source, f"lacks {', '.join(missing)}", index_dir)
        version = data["format_version"]
        if not is_int(version) or not OLDEST_FORMAT_VERSION <= version <= FORMAT_VERSION:
            raise IndexStoreError(
                f"The index {index_dir} has format version {version!r}; this semsearch reads "
                f"formats {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}.",
                rebuild_hint(index_dir),
                key="index.format_version",
                params={"index": index_dir},
            )
        for key, (check, expected) in KEY_CHECKS.items():
            value = data.get(key)
            if not check(value):
                shown = json.dumps(value, ensure_ascii=False)[:80]
                raise IndexStoreError(
                    f"The manifest {source} is damaged: {key!r} is {shown}, expected {expected}.",
                    rebuild_hint(index_dir),
                    key="index.manifest_damaged",
                    params={"manifest": source, "index": index_dir},
                )
        known = {"format_version", *KEY_CHECKS}
        return cls(
            **{key: value for key, value in data.items() if key in known and value is not None},
            extra={key: value for key, value in data.items() if key not in known},
        )

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready data, keys in the order every version has written them."""
        data: dict[str, Any] = {
            "format_version": self.format_version,
            "model_id": self.model_id,
            "model_fingerprint": self.model_fingerprint,
            "dimension": self.dimension,
            "chunking": self.chunking,
            "keyword": self.keyword,
            "sentence_vectors": self.sentence_vectors,
            "document_count": self.document_count,
            "chunk_count": self.chunk_count,
            "next_chunk_id": self.next_chunk_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "generation": self.generation,
            "corpus_roots": self.corpus_roots,
            "files": self.files,
            "vector_index": self.vector_index,
        }
        if self.segments is not None:
            data["segments"] = self.segments
            data["crc32"] = self.crc32
        if self.scanned_at_ns is not None:
            data["scanned_at_ns"] = self.scanned_at_ns
        return {**data, **self.extra}

    @classmethod
    def read(cls, path: Path, index_dir: Path) -> Manifest:
        """Read and validate a manifest file.

        Args:
            path: The ``manifest.json``.
            index_dir: The index folder (for the hint of errors).

        Raises:
            IndexStoreError: Missing, not JSON, or invalid (see :meth:`from_dict`).
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise damaged(path, "is missing", index_dir) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise damaged(path, f"is not valid JSON ({error})", index_dir) from None
        manifest = cls.from_dict(data, path, index_dir)
        # Segments are the local engine's layout from format 2 on (a manifest file is always
        # the local engine's; another engine keeps its manifest elsewhere, without segments).
        if manifest.format_version >= 2 and manifest.segments is None:
            raise damaged(path, "lacks segments", index_dir)
        return manifest

    def write(self, path: Path) -> None:
        """Write the manifest file (UTF-8 JSON, indented)."""
        path.write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


def check_compatible(
    manifest: Manifest,
    index_dir: Path | str,
    embedder: IdentifiesModel,
    chunking: DescribesChunking,
) -> None:
    """Raise :class:`IndexStoreError` if the index was built with another model or chunking.

    Args:
        manifest: The index's manifest.
        index_dir: The index folder (for the message).
        embedder: The embedder about to be used.
        chunking: The chunking settings about to be used.
    """
    rebuild = (
        f"Rebuild the index for it: semsearch build --rebuild [PATHS] --index {index_dir} "
        f"--model {embedder.model_id}"
    )
    if manifest.model_id != embedder.model_id:
        raise IndexStoreError(
            f"The index {index_dir} was built with the model {manifest.model_id!r}, "
            f"not {embedder.model_id!r}.",
            f"{rebuild}\n(or use --model {manifest.model_id} to keep this index)",
            key="index.other_model",
            params={"index": index_dir, "built": manifest.model_id, "given": embedder.model_id},
        )
    if manifest.model_fingerprint != embedder.fingerprint:
        raise IndexStoreError(
            f"The index {index_dir} was built with other weights of {embedder.model_id!r}, or "
            f"vectors made another way (backend or text preparation; fingerprint "
            f"{manifest.model_fingerprint}, now {embedder.fingerprint}).",
            f"{rebuild}\n(if only $SEMSEARCH_BACKEND differs from when the index was built, set it "
            "back instead)",
            key="index.other_weights",
            params={"index": index_dir, "model": embedder.model_id},
        )
    if manifest.dimension != int(embedder.dimension):
        raise IndexStoreError(
            f"The index {index_dir} holds {manifest.dimension}-dimensional vectors but "
            f"{embedder.model_id!r} makes {embedder.dimension}-dimensional ones.",
            rebuild,
            key="index.other_dimension",
            params={
                "index": index_dir,
                "dimension": manifest.dimension,
                "model": embedder.model_id,
                "made": embedder.dimension,
            },
        )
    wanted = chunking.as_dict()
    if manifest.chunking != wanted:
        raise IndexStoreError(
            f"The index {index_dir} was cut with the chunking settings "
            f"{json.dumps(manifest.chunking, sort_keys=True)}, not "
            f"{json.dumps(wanted, sort_keys=True)}.",
            f"Rebuild it with the new settings: semsearch build --rebuild [PATHS] "
            f"--index {index_dir}",
            key="index.other_chunking",
            params={
                "index": index_dir,
                "built": json.dumps(manifest.chunking, sort_keys=True),
                "wanted": json.dumps(wanted, sort_keys=True),
            },
        )
