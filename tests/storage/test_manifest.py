"""Tests of the manifest: validation with clear messages, old manifests, the key order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from semsearch.errors import IndexStoreError
from semsearch.storage.manifest import FORMAT_VERSION, Manifest, keyword_info, sentence_info

#: A manifest as written before sentence vectors, vector index kinds and scan times existed.
OLD = {
    "format_version": 1,
    "model_id": "multilingual-e5-small",
    "model_fingerprint": "abc123",
    "dimension": 384,
    "chunking": {"max_chars": 200, "min_chars": 40, "overlap": 0},
    "keyword": {"tokenizer": "han-1-2gram+latin/v1"},
    "document_count": 5,
    "chunk_count": 122,
    "next_chunk_id": 123,
    "created_at": "2026-01-01T00:00:00+00:00",
    "updated_at": "2026-01-02T00:00:00+00:00",
    "generation": "gen-000003",
    "corpus_roots": ["/data/seeds"],
    "files": {"meta.sqlite": 1000, "vectors.faiss": 2000},
}


def load(data: Any) -> Manifest:
    return Manifest.from_dict(data, "index/gen-000003/manifest.json", "index")


def test_an_old_manifest_loads_with_defaults() -> None:
    manifest = load(OLD)
    assert (manifest.dimension, manifest.chunk_count, manifest.next_chunk_id) == (384, 122, 123)
    assert manifest.sentence_vectors is None and not manifest.has_sentence_vectors
    assert manifest.vector_index is None and manifest.scanned_at_ns is None
    assert manifest.files == {"meta.sqlite": 1000, "vectors.faiss": 2000}
    minimal = load({key: OLD[key] for key in OLD if key not in ("corpus_roots", "files")})
    assert minimal.corpus_roots == [] and minimal.files == {}


def test_round_trip_keeps_the_key_order_and_unknown_keys() -> None:
    data = {
        **OLD,
        "sentence_vectors": sentence_info(),
        "vector_index": {"type": "flat"},
        "scanned_at_ns": 17,
        "synthetic": {"seed": 0},
    }
    manifest = load(data)
    assert manifest.extra == {"synthetic": {"seed": 0}}
    written = manifest.to_dict()
    assert written == data
    assert list(written) == [
        "format_version",
        "model_id",
        "model_fingerprint",
        "dimension",
        "chunking",
        "keyword",
        "sentence_vectors",
        "document_count",
        "chunk_count",
        "next_chunk_id",
        "created_at",
        "updated_at",
        "generation",
        "corpus_roots",
        "files",
        "vector_index",
        "scanned_at_ns",
        "synthetic",
    ]
    assert "scanned_at_ns" not in load(OLD).to_dict()


def test_write_and_read_a_file(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    load(OLD).write(path)
    assert path.read_text(encoding="utf-8").endswith("}\n")
    assert Manifest.read(path, tmp_path) == load(OLD)


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("dimension", "abc", "'dimension' is \"abc\""),
        ("dimension", 0, "'dimension' is 0"),
        ("dimension", True, "'dimension' is true"),
        ("chunk_count", None, "'chunk_count' is null"),
        ("document_count", -1, "'document_count' is -1"),
        ("next_chunk_id", 1.5, "'next_chunk_id' is 1.5"),
        ("model_id", 7, "'model_id' is 7"),
        ("chunking", [200], "'chunking' is [200]"),
        ("corpus_roots", "/data/seeds", "'corpus_roots' is \"/data/seeds\""),
        ("corpus_roots", [1], "'corpus_roots' is [1]"),
        ("files", {"meta.sqlite": "big"}, '\'files\' is {"meta.sqlite": "big"}'),
        ("sentence_vectors", 1, "'sentence_vectors' is 1"),
        ("scanned_at_ns", "now", "'scanned_at_ns' is \"now\""),
        ("keyword", {"tokenizer": "x", "b": 1.5}, "'keyword' is"),
        ("keyword", {"tokenizer": "x", "average_length": "long"}, "'keyword' is"),
        ("segments", "seg-000001", "'segments' is \"seg-000001\""),
        ("segments", [{"name": "seg-000001", "chunks": 2, "deleted": 3}], "'segments' is"),
        ("crc32", {"meta.sqlite": -1}, "'crc32' is"),
        ("crc32", {"meta.sqlite": 2**32}, "'crc32' is"),
    ],
)
def test_a_value_of_the_wrong_type_is_named(key: str, value: Any, shown: str) -> None:
    with pytest.raises(IndexStoreError) as raised:
        load({**OLD, key: value})
    message = raised.value.message
    assert message.startswith("The manifest index/gen-000003/manifest.json is damaged: ")
    assert shown in message and "expected" in message
    assert raised.value.hint == "Rebuild it: semsearch build --rebuild [PATHS] --index index"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([1, 2], "is not a JSON object"),
        ({"format_version": 1}, "lacks model_id, model_fingerprint"),
        ({**OLD, "format_version": FORMAT_VERSION + 1}, f"has format version {FORMAT_VERSION + 1}"),
        ({**OLD, "format_version": "1"}, "has format version '1'"),
    ],
)
def test_unusable_manifests(data: Any, expected: str) -> None:
    with pytest.raises(IndexStoreError, match=expected):
        load(data)


def test_a_local_manifest_of_format_2_needs_segments(tmp_path: Path) -> None:
    # Another engine's manifest (Qdrant's, read with from_dict) has no segments.
    assert load({**OLD, "format_version": 2}).segments is None
    (tmp_path / "manifest.json").write_text(json.dumps({**OLD, "format_version": 2}))
    with pytest.raises(IndexStoreError, match="lacks segments"):
        Manifest.read(tmp_path / "manifest.json", tmp_path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(IndexStoreError, match=r"manifest\.json is missing"):
        Manifest.read(tmp_path / "manifest.json", tmp_path)
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="is not valid JSON"):
        Manifest.read(tmp_path / "manifest.json", tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({**OLD, "dimension": "x"}))
    with pytest.raises(IndexStoreError, match="is damaged"):
        Manifest.read(tmp_path / "manifest.json", tmp_path)


def test_a_manifest_of_segments_round_trips() -> None:
    data = {
        **OLD,
        "format_version": FORMAT_VERSION,
        "keyword": {"tokenizer": "han", "k1": 0.3, "b": 0.3, "average_length": 120.5},
        "segments": [
            {"name": "seg-000001", "chunks": 100, "deleted": 2, "vector_index": {"type": "flat"}}
        ],
        "crc32": {"meta.sqlite": 0, "seg-000001/records.sqlite": 2**32 - 1},
    }
    manifest = load(data)
    assert manifest.segments == data["segments"] and manifest.crc32 == data["crc32"]
    assert manifest.to_dict() == {**data, "sentence_vectors": None, "vector_index": None}


def test_pipeline_versions() -> None:
    assert set(keyword_info()) == {"tokenizer"} and set(sentence_info()) == {"version"}
