"""Tests of finding a model: backends, folders, fingerprints, and the errors a user can meet."""

from __future__ import annotations

from pathlib import Path

import pytest
from embed_samples import write_tiny_model

from semsearch import settings
from semsearch.embed import (
    BACKEND_ONNX,
    BACKEND_TORCH,
    ENV_BACKEND,
    load_embedder,
    model_fingerprint,
    prepare_model,
    resolve_backend,
)
from semsearch.errors import ModelError


def test_the_model_comes_from_the_environment_when_not_named(
    tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.ENV_MODEL, str(tiny_folder))
    assert load_embedder().model_id == str(tiny_folder)
    assert prepare_model() == tiny_folder


def test_fingerprint_is_stable_and_follows_the_weights(tmp_path: Path) -> None:
    write_tiny_model(tmp_path / "one", {}, seed=1)
    write_tiny_model(tmp_path / "same", {}, seed=1)
    write_tiny_model(tmp_path / "other", {}, seed=2)
    first = model_fingerprint(tmp_path / "one")
    assert first == model_fingerprint(tmp_path / "one")
    assert first == model_fingerprint(tmp_path / "same")  # a copy: same content, other times
    assert first != model_fingerprint(tmp_path / "other")


def test_the_backend_is_onnx_for_the_default_model_only_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_BACKEND, raising=False)
    assert resolve_backend(None, settings.DEFAULT_MODEL) == BACKEND_ONNX
    assert resolve_backend(None, "some/other-model") == BACKEND_TORCH
    assert resolve_backend("onnx-int8", "some/other-model") == BACKEND_ONNX
    monkeypatch.setenv(ENV_BACKEND, "fp32")
    assert resolve_backend(None, settings.DEFAULT_MODEL) == BACKEND_TORCH
    assert resolve_backend("auto", settings.DEFAULT_MODEL) == BACKEND_ONNX  # the argument wins
    monkeypatch.setenv(ENV_BACKEND, "gpu")
    with pytest.raises(ModelError, match="Unknown embedding backend 'gpu'") as caught:
        resolve_backend(None, settings.DEFAULT_MODEL)
    assert caught.value.hint and "onnx-int8" in caught.value.hint


# --- mistakes give ModelError, never a traceback --------------------------------------------------


def assert_one_paragraph(error: ModelError) -> None:
    assert "\n" not in error.message and error.hint and "\n" not in error.hint
    assert "--model PATH" in error.hint


def test_an_unknown_model_name_says_what_was_tried() -> None:
    with pytest.raises(ModelError) as caught:
        load_embedder("no-such-model-anywhere")
    message = caught.value.message
    assert "no-such-model-anywhere" in message
    assert "sentence-transformers/no-such-model-anywhere in the Hugging Face cache" in message
    assert "no network" in message
    assert_one_paragraph(caught.value)


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="was not found") as caught:
        load_embedder(str(tmp_path / "missing" / "model"))
    assert_one_paragraph(caught.value)


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(ModelError, match="is a file"):
        load_embedder(str(tmp_path / "model.safetensors"))


def test_a_folder_without_model_files_is_reported(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ModelError, match=r"neither modules\.json nor config\.json") as caught:
        prepare_model(str(tmp_path))
    assert_one_paragraph(caught.value)
