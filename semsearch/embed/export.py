"""Build time: export a sentence-transformers model to ONNX with int8 weights, once per model.

The only module of :mod:`semsearch.embed` that imports torch and transformers (inside the
functions that need them). The export is published in the model cache with
:func:`semsearch.atomic.build_once`: written into a staging folder, its marker last, then renamed
into place under a file lock, so concurrent or killed runs never leave a folder that looks
complete. The runtime that reads it is :mod:`semsearch.embed.onnx`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semsearch.atomic import build_once
from semsearch.embed.export_source import copy_tokenizer, describe_for_export, padding_token
from semsearch.embed.models import ENV_BACKEND, model_fingerprint
from semsearch.embed.onnx_files import (
    ONNX_CONVERTIBLE_VERSION,
    ONNX_EXPORT_VERSION,
    ONNX_MARKER_NAME,
    ONNX_MODEL_FILE,
    onnx_fingerprint,
    onnx_folder,
    read_onnx_marker,
)
from semsearch.embed.token_table import convert_previous_export, write_split_model
from semsearch.errors import ModelError

if TYPE_CHECKING:
    import torch

#: Measured on the project's 2-core machine; only used in the "please wait" messages.
EXPECTED_EXPORT_SECONDS = 40
EXPECTED_CONVERSION_SECONDS = 2

_FLOAT_MODEL_FILE = "model-float32.onnx"
_FUSED_MODEL_FILE = "model-float32-fused.onnx"
_WHOLE_MODEL_FILE = "model-int8-whole.onnx"


def prepare_onnx_model(
    source: Path,
    cache_dir: Path,
    announce: Callable[[str], None] | None = None,
    model_id: str | None = None,
) -> Path:
    """Return the int8 ONNX export of a model, exporting it once into ``cache_dir`` if needed.

    Args:
        source: The sentence-transformers folder (Transformer, Pooling, optional Normalize).
        cache_dir: The model cache.
        announce: Called with a one-line message before an export starts (default: stderr).
        model_id: The model's name, for messages (default: the folder).

    Returns:
        The export folder.

    Raises:
        ModelError: The model cannot be exported or the cache cannot be written.
    """
    source_fingerprint = model_fingerprint(source)
    target = onnx_folder(source, source_fingerprint, cache_dir)
    name = model_id or str(source)
    # An export of the previous version is converted by graph surgery, in seconds and without
    # torch (its vectors are the same); it is left in place for checkouts still using it.
    previous = onnx_folder(source, source_fingerprint, cache_dir, ONNX_CONVERTIBLE_VERSION)

    def build(staging: Path) -> None:
        if _is_convertible(previous):
            try:
                convert_previous_export(previous, staging)
                return
            except OSError:
                raise  # a disk error, which an export would meet too
            except Exception:  # onnx fails in many ways on a damaged file
                shutil.rmtree(staging)  # the previous export is damaged: export from the model
        export_onnx_model(source, staging, source_fingerprint)

    def tell() -> None:
        if _is_convertible(previous):
            message = (
                f"Converting the ONNX version of {name} to export version "
                f"{ONNX_EXPORT_VERSION} (once, ~{EXPECTED_CONVERSION_SECONDS} s) into {target}…"
            )
        else:
            message = (
                f"Preparing the fast (ONNX int8) version of {name} (once, "
                f"~{EXPECTED_EXPORT_SECONDS} s) into {target}…"
            )
        (announce or _print_stderr)(message)

    try:
        build_once(
            target,
            is_complete=lambda folder: read_onnx_marker(folder) is not None,
            build=build,
            announce=tell,
        )
    except OSError as error:
        raise ModelError(
            f"The ONNX version of {name} could not be written into the model cache "
            f"{cache_dir}: {error.strerror or error}.",
            "Free some disk space (it needs about 600 MB while exporting, 120 MB after) or set "
            f"{ENV_BACKEND}=torch to use the float32 model.",
            key="onnx.cache_unwritable",
            params={
                "name": name,
                "folder": cache_dir,
                "reason": error.strerror or error,
                "variable": ENV_BACKEND,
            },
        ) from error
    return target


def _is_convertible(previous: Path) -> bool:
    """Whether ``previous`` is a complete export of the version this one is converted from."""
    return read_onnx_marker(previous, versions=(ONNX_CONVERTIBLE_VERSION,)) is not None


def export_onnx_model(
    source: Path,
    target: Path,
    source_fingerprint: str | None = None,
    fuse: bool = True,
    split: bool = True,
) -> None:
    """Export a sentence-transformers model to ONNX with int8 weights into ``target``.

    The transformer is traced with torch's ONNX exporter (inputs ``input_ids`` and
    ``attention_mask``, output the token vectors), its graph is fused by ONNX Runtime's
    transformer optimizer (one Attention node per layer, layer norms with their residual add,
    GELU with its bias), then its MatMul, Attention and Gather weights are quantized to int8 per
    channel with ONNX Runtime's dynamic quantization (7-bit range, which avoids the AVX2
    saturation problem of u8×s8 products), and the word-embedding table is split out of the
    graph (:mod:`semsearch.embed.token_table`). Pooling and normalization stay in numpy. The
    tokenizer, prompts and settings are copied beside it, so loading needs neither torch nor
    transformers. Needs torch, transformers and onnx; uses about 2.5 GB of memory for
    multilingual-e5-small.

    Args:
        source: A folder with ``modules.json`` listing a Transformer, a mean or CLS Pooling and
            optionally a Normalize module, and a fast tokenizer (``tokenizer.json``).
        target: The folder to fill (created if missing; the caller publishes it, see
            :func:`prepare_onnx_model`).
        source_fingerprint: :func:`model_fingerprint` of ``source`` if already known.
        fuse: Fuse the graph before quantizing (the default; False gives the unfused export of
            earlier versions, which ``bench/throughput.py`` compares it with).
        split: Split the word-embedding table out of the graph (the default; False gives the
            whole graph of version 3, which the tests compare the split one with).

    Raises:
        ModelError: The model has modules or files the export does not cover.
    """
    started = time.perf_counter()
    source_fingerprint = source_fingerprint or model_fingerprint(source)
    pooling, prompts, max_seq_length = describe_for_export(source)
    _check_export_tools(source)
    target.mkdir(parents=True, exist_ok=True)
    model = _load_transformer(source)
    float_file = target / _FLOAT_MODEL_FILE
    _trace_to_onnx(model, float_file)
    dimension = int(model.config.hidden_size)
    heads = int(model.config.num_attention_heads)
    del model
    if fuse:
        fused_file = target / _FUSED_MODEL_FILE
        _fuse_transformer(float_file, fused_file, heads, dimension)
        float_file.unlink()
        float_file = fused_file
    whole_file = target / (_WHOLE_MODEL_FILE if split else ONNX_MODEL_FILE)
    _quantize_to_int8(float_file, whole_file)
    float_file.unlink()
    token_table = write_split_model(whole_file, target) if split else None
    if split:
        whole_file.unlink()
    normalizer = copy_tokenizer(source, target)
    pad_token, pad_id = padding_token(source)
    record = {
        "export_version": ONNX_EXPORT_VERSION if split else ONNX_CONVERTIBLE_VERSION,
        "source": str(source),
        "source_fingerprint": source_fingerprint,
        "fingerprint": onnx_fingerprint(source_fingerprint),
        "dimension": dimension,
        "pooling": pooling,
        "prompts": {"query": prompts.query, "passage": prompts.passage},
        "max_seq_length": max_seq_length,
        "pad_token": pad_token,
        "pad_id": pad_id,
        "graph": "fused: Attention, SkipLayerNorm, BiasGelu" if fuse else "as traced",
        "quantization": "dynamic int8, per channel, reduced range; MatMul, Attention and Gather",
        "normalizer": normalizer,
        "token_table": token_table,
        "model_size": (target / ONNX_MODEL_FILE).stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (target / ONNX_MARKER_NAME).write_text(json.dumps(record, indent=2), encoding="utf-8")


def _check_export_tools(source: Path) -> None:
    """Fail early, with a clear message, when a package the export needs is missing."""
    try:
        import onnx  # noqa: F401  (needed by the quantizer)
        import onnxruntime.quantization  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as error:
        raise ModelError(
            f"Exporting {source} to ONNX needs the package {error.name}, which is not installed.",
            f"Install the project's dependencies (make setup), or set {ENV_BACKEND}=torch.",
            key="onnx.missing_package",
            params={"source": source, "package": error.name, "variable": ENV_BACKEND},
        ) from error


def _load_transformer(source: Path) -> Any:
    """Load the model's transformer (a ``transformers`` model) for tracing."""
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    try:
        # Eager attention traces into plain ONNX ops that ONNX Runtime fuses on its own.
        return AutoModel.from_pretrained(
            str(source), attn_implementation="eager", local_files_only=True
        ).eval()
    except Exception as error:
        raise ModelError(
            f"The model in {source} could not be loaded for the ONNX export "
            f"({type(error).__name__}: {str(error).strip()[:200]}).",
            f"Set {ENV_BACKEND}=torch to use it with sentence-transformers instead.",
            key="onnx.unloadable_model",
            params={
                "source": source,
                "reason": f"{type(error).__name__}: {str(error).strip()[:200]}",
                "variable": ENV_BACKEND,
            },
        ) from error


def _trace_to_onnx(transformer: torch.nn.Module, float_file: Path) -> None:
    """Trace the transformer into a float32 ONNX file: token ids and mask in, token vectors out."""
    import torch

    class _TokenVectors(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            output = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
            return output.last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    dynamic = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about shape checks that hold for every input (mask length == tokens).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _TokenVectors(transformer),
            (sample, sample),
            str(float_file),
            input_names=["input_ids", "attention_mask"],
            output_names=["token_vectors"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "token_vectors": dynamic,
            },
            opset_version=17,
            dynamo=False,
        )


def _fuse_transformer(float_file: Path, fused_file: Path, heads: int, hidden_size: int) -> None:
    """Fuse the traced graph into ONNX Runtime's transformer operators, before quantization.

    Measured (bench/build_levers.py, docs/performance.md): with the fused Attention quantized too,
    the int8 model embeds about 1.4× faster than the unfused one (fewer, larger kernels; the
    softmax, mask and head transposes run inside one operator), at cosine 0.999 to it. ONNX
    Runtime fuses some of this by itself when loading an unquantized graph, but not after the
    quantizer has replaced the MatMuls. The embedding fusion is left out: it would keep the word
    embeddings (250k × 384) in float32, a 300 MB larger file.
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.enable_embed_layer_norm = False
    with _quiet_root_logger():
        fused = optimize_model(
            str(float_file),
            model_type="bert",
            num_heads=heads,
            hidden_size=hidden_size,
            opt_level=0,  # only the fusions; ONNX Runtime optimizes the rest when loading
            optimization_options=options,
        )
        fused.save_model_to_file(str(fused_file))


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """Silence the warnings ONNX Runtime's tools log on the root logger on every call."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _quantize_to_int8(float_file: Path, int8_file: Path) -> None:
    """Quantize the MatMul, Attention and Gather weights to int8, per channel, 7-bit range."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer suggests pre-processing the model at WARNING level on every call.
    with _quiet_root_logger():
        quantize_dynamic(
            str(float_file),
            str(int8_file),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            op_types_to_quantize=["MatMul", "Attention", "Gather"],
            # The fused operators are from Microsoft's domain, which shape inference skips.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def _print_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
