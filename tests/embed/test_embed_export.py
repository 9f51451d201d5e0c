"""Tests of the build-time ONNX export and its place in the model cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from semsearch.atomic import temporary_sibling
from semsearch.embed import BACKEND_ONNX, ENV_BACKEND, load_embedder, prepare_onnx_model
from semsearch.embed.onnx_files import ONNX_MARKER_NAME
from semsearch.errors import ModelError


def test_onnx_export_is_made_once_and_a_broken_one_is_redone(
    tiny_folder: Path, tmp_path: Path
) -> None:
    announced: list[str] = []
    folder = prepare_onnx_model(tiny_folder, tmp_path, announce=announced.append)
    assert len(announced) == 1 and "ONNX int8" in announced[0]
    assert prepare_onnx_model(tiny_folder, tmp_path, announce=announced.append) == folder
    assert len(announced) == 1  # ready: nothing redone
    # A killed export leaves a temporary folder and no marker: it is never taken for a good one.
    (folder / ONNX_MARKER_NAME).unlink()
    leftover = temporary_sibling(folder, "999999")
    leftover.mkdir()
    assert prepare_onnx_model(tiny_folder, tmp_path, announce=announced.append) == folder
    assert len(announced) == 2 and not leftover.exists()
    assert (folder / ONNX_MARKER_NAME).is_file()


def test_a_model_the_export_does_not_cover_is_refused_with_the_fix(
    tiny_folder: Path, tmp_path: Path
) -> None:
    import shutil

    odd = tmp_path / "odd"
    shutil.copytree(tiny_folder, odd)
    modules = json.loads((odd / "modules.json").read_text())
    modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "x.models.Dense"})
    (odd / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ModelError, match="Transformer \\+ Pooling") as caught:
        load_embedder(str(odd), cache_dir=tmp_path / "cache", backend=BACKEND_ONNX)
    assert caught.value.hint and f"{ENV_BACKEND}=torch" in caught.value.hint
