"""The word-embedding table out of the ONNX graph: split off at export, gathered by numpy.

Of the 118 MB int8 export of multilingual-e5-small, 96 MB is the word-embedding table (uint8,
250,037 × 384), read by a single Gather at the graph's start. ONNX Runtime copies every
initializer into its session, so creating a session cost 0.2–0.4 s and 135 MB, most of a
one-article ``semsearch update``'s model loading. Split off into a ``.npy`` file that the runtime
maps into memory, the graph loads in 0.04–0.1 s and the table's rows are gathered in numpy
(0.2 ms for 4 × 64 ids); the graph's other nodes are untouched, so the vectors are bit-identical
(docs/performance.md, "Updates", third round).

The split is plain graph surgery with ``onnx`` (no torch): it is part of the export
(:mod:`semsearch.embed.export`) and also converts an export of the previous version found in the
model cache (:func:`convert_previous_export`). A graph without the pattern (a Gather of an
initializer by ``input_ids`` and nothing else reading that initializer) stays whole.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.embed.onnx_files import (
    ONNX_CONVERTIBLE_VERSION,
    ONNX_EXPORT_VERSION,
    ONNX_MARKER_NAME,
    ONNX_MODEL_FILE,
    ONNX_NORMALIZATION_FILE,
    ONNX_TOKEN_TABLE_FILE,
    read_onnx_marker,
)

if TYPE_CHECKING:
    import onnx

#: The graph input holding the token ids; the Gather reading it is the one split off.
IDS_INPUT = "input_ids"


def split_token_table(model: onnx.ModelProto) -> tuple[np.ndarray, str] | None:
    """Take the word-embedding Gather and its table out of ``model`` (changed in place).

    The Gather's output becomes a graph input of shape ``[batch, tokens, width]``, which the
    runtime fills with ``table[input_ids]``.

    Args:
        model: A loaded ONNX model with an ``input_ids`` input.

    Returns:
        The table and the name of the new graph input, or None (the model unchanged) when the
        graph has no Gather of an initializer by ``input_ids`` along axis 0 whose initializer
        nothing else reads.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    gather = _token_gather(graph, initializers)
    if gather is None:
        return None
    weights = initializers[gather.input[0]]
    table = numpy_helper.to_array(weights)
    graph.node.remove(gather)
    graph.initializer.remove(weights)
    graph.input.append(
        helper.make_tensor_value_info(
            gather.output[0], weights.data_type, ["batch", "tokens", *table.shape[1:]]
        )
    )
    return table, gather.output[0]


def _token_gather(graph: onnx.GraphProto, initializers: dict[str, Any]) -> Any | None:
    """The Gather node that looks token ids up in an initializer only it reads, if any."""
    if IDS_INPUT not in {item.name for item in graph.input}:
        return None
    for node in graph.node:
        if (
            node.op_type == "Gather"
            and node.domain in ("", "ai.onnx")
            and len(node.input) == 2
            and node.input[0] in initializers
            and node.input[1] == IDS_INPUT
            and all(attribute.i == 0 for attribute in node.attribute if attribute.name == "axis")
            and len(initializers[node.input[0]].dims) == 2
            and sum(node.input[0] in other.input for other in graph.node) == 1
            and not any(node.input[0] == item.name for item in graph.output)
        ):
            return node
    return None


def write_split_model(whole_file: Path, folder: Path) -> dict[str, object] | None:
    """Write the graph of ``whole_file`` into ``folder`` as :data:`ONNX_MODEL_FILE` plus the
    token table, split if it has the pattern (see :func:`split_token_table`), else whole.

    Args:
        whole_file: An ONNX model with its word-embedding table inside.
        folder: The export folder being written (``whole_file`` may be inside it).

    Returns:
        The marker's ``token_table`` entry (file, graph input, size), or None if the graph was
        written whole.
    """
    import onnx

    model = onnx.load(str(whole_file))
    split = split_token_table(model)
    if split is None:
        del model
        if whole_file != folder / ONNX_MODEL_FILE:
            shutil.copyfile(whole_file, folder / ONNX_MODEL_FILE)
        return None
    table, input_name = split
    onnx.save(model, str(folder / ONNX_MODEL_FILE))
    del model
    np.save(folder / ONNX_TOKEN_TABLE_FILE, np.ascontiguousarray(table), allow_pickle=False)
    return {
        "file": ONNX_TOKEN_TABLE_FILE,
        "input": input_name,
        "size": (folder / ONNX_TOKEN_TABLE_FILE).stat().st_size,
    }


def convert_previous_export(previous: Path, target: Path) -> None:
    """Make an export of this version in ``target`` from a complete one of
    :data:`~semsearch.embed.onnx_files.ONNX_CONVERTIBLE_VERSION`, without torch.

    The tokenizer files are copied, the graph is split (:func:`write_split_model`) and the marker
    is written last, with the same vector fingerprint: the vectors are identical, so indexes
    built with the previous export keep being updated.

    Args:
        previous: A complete export folder of the previous version.
        target: The staging folder to fill (see :func:`semsearch.atomic.build_once`).

    Raises:
        ValueError: ``previous`` is not a complete export of the previous version.
        OSError: A file cannot be read or written.
    """
    record = read_onnx_marker(previous, versions=(ONNX_CONVERTIBLE_VERSION,))
    if record is None:
        raise ValueError(f"{previous} is no complete export of version {ONNX_CONVERTIBLE_VERSION}")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", ONNX_NORMALIZATION_FILE):
        if (previous / name).is_file():
            shutil.copyfile(previous / name, target / name)
    record.update(
        export_version=ONNX_EXPORT_VERSION,
        token_table=write_split_model(previous / ONNX_MODEL_FILE, target),
        model_size=(target / ONNX_MODEL_FILE).stat().st_size,
        converted_from=str(previous),
    )
    (target / ONNX_MARKER_NAME).write_text(json.dumps(record, indent=2), encoding="utf-8")


def open_token_table(folder: Path, entry: object) -> tuple[np.ndarray, str] | None:
    """Map the token table of an export into memory (read-only; pages are read on use).

    Args:
        folder: The export folder.
        entry: The marker's ``token_table`` entry (None for a whole graph).

    Returns:
        The table and the graph input it feeds, or None for a whole graph.

    Raises:
        OSError, ValueError: The table file is missing or damaged.
    """
    if not isinstance(entry, dict):
        return None
    table = np.load(folder / str(entry["file"]), mmap_mode="r", allow_pickle=False)
    if table.ndim != 2:
        raise ValueError(f"the token table has {table.ndim} dimensions, not 2")
    return table, str(entry["input"])
