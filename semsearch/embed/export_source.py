"""Build time: what the ONNX export reads from a sentence-transformers folder, and writes beside it.

:mod:`semsearch.embed.export` traces and quantizes the transformer; this module checks that the
folder is one the export covers (Transformer, mean or CLS Pooling, optional Normalize), reads its
prompts and maximum length, and writes the tokenizer files the torch-free runtime
(:mod:`semsearch.embed.onnx`) loads.
"""

from __future__ import annotations

import json
from pathlib import Path

from semsearch.embed.base import Prompts
from semsearch.embed.models import ENV_BACKEND
from semsearch.embed.normalizer_table import split_replace_normalizer
from semsearch.embed.onnx_files import ONNX_NORMALIZATION_FILE, read_json_file
from semsearch.errors import ModelError


def copy_tokenizer(source: Path, target: Path) -> str:
    """Copy ``tokenizer.json``, its Replace rules moved into a table when they can be.

    Returns:
        ``"table"`` if the normalization is now done by the table, else ``"tokenizer"``.
    """
    tokenizer_json = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    split = split_replace_normalizer(tokenizer_json.get("normalizer"))
    if split is not None:
        table, collapse_spaces = split
        tokenizer_json["normalizer"] = None
        (target / ONNX_NORMALIZATION_FILE).write_text(
            json.dumps(
                {"table": {str(code): text for code, text in table.items()},
                 "collapse_spaces": collapse_spaces},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )  # fmt: skip
    (target / "tokenizer.json").write_text(
        json.dumps(tokenizer_json, ensure_ascii=False), encoding="utf-8"
    )
    return "table" if split is not None else "tokenizer"


def padding_token(source: Path) -> tuple[str, int]:
    """Return the model's padding token and its id (``<pad>`` and 0 when not configured)."""
    from tokenizers import Tokenizer

    tokenizer_config = read_json_file(source / "tokenizer_config.json") or {}
    pad_token = str(tokenizer_config.get("pad_token") or "<pad>")
    pad_id = Tokenizer.from_file(str(source / "tokenizer.json")).token_to_id(pad_token)
    return pad_token, int(pad_id if pad_id is not None else 0)


def describe_for_export(source: Path) -> tuple[str, Prompts, int]:
    """Read pooling, prompts and max length of a sentence-transformers folder, or refuse it."""
    unsupported = f"Set {ENV_BACKEND}=torch (or auto) to use this model with sentence-transformers."
    modules = (
        json.loads((source / "modules.json").read_text(encoding="utf-8"))
        if (source / "modules.json").is_file()
        else None
    )
    if not isinstance(modules, list) or not (source / "tokenizer.json").is_file():
        raise ModelError(
            f"The model in {source} cannot be exported to ONNX: it needs modules.json and "
            "tokenizer.json.",
            unsupported,
            key="onnx.not_sentence_transformers",
            params={"source": source, "variable": ENV_BACKEND},
        )
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ModelError(
            f"The model in {source} has the modules {kinds}; the ONNX export covers "
            "Transformer + Pooling (+ Normalize) only.",
            unsupported,
            key="onnx.modules",
            params={"source": source, "kinds": kinds, "variable": ENV_BACKEND},
        )
    pooling_config = read_json_file(source / modules[1].get("path", "") / "config.json") or {}
    if pooling_config.get("pooling_mode_mean_tokens"):
        pooling = "mean"
    elif pooling_config.get("pooling_mode_cls_token"):
        pooling = "cls"
    else:
        raise ModelError(
            f"The model in {source} pools in a way the ONNX export does not cover "
            "(mean and CLS only).",
            unsupported,
            key="onnx.pooling",
            params={"source": source, "variable": ENV_BACKEND},
        )
    st_config = read_json_file(source / "config_sentence_transformers.json") or {}
    prompts = Prompts.from_model_config(st_config.get("prompts"))
    bert_config = read_json_file(source / "sentence_bert_config.json") or {}
    model_config = read_json_file(source / "config.json") or {}
    max_seq_length = int(
        bert_config.get("max_seq_length") or model_config.get("max_position_embeddings") or 512
    )
    return pooling, prompts, max_seq_length
