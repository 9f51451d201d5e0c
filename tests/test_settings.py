"""Tests of the settings: where the index is found when none is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch import settings


def _make_index(folder: Path) -> Path:
    index = folder / "index"
    (index / "gen-000001").mkdir(parents=True)
    (index / "current").symlink_to("gen-000001")
    return index


def test_the_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make_index(tmp_path)
    monkeypatch.setenv(settings.ENV_INDEX, str(tmp_path / "elsewhere"))
    assert settings.default_index_dir(tmp_path) == tmp_path / "elsewhere"


def test_the_nearest_index_upwards_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(settings.ENV_INDEX, raising=False)
    index = _make_index(tmp_path)
    deep = tmp_path / "seeds" / "2024"
    deep.mkdir(parents=True)
    assert settings.default_index_dir(deep).resolve() == index.resolve()
    monkeypatch.chdir(deep)
    assert settings.default_index_dir().resolve() == index.resolve()


def test_an_index_folder_without_an_index_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(settings.ENV_INDEX, raising=False)
    index = _make_index(tmp_path)
    inner = tmp_path / "project"
    (inner / "index").mkdir(parents=True)  # e.g. a source folder of that name, no index in it
    assert settings.default_index_dir(inner).resolve() == index.resolve()


def test_without_any_index_the_working_folder_gets_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(settings.ENV_INDEX, raising=False)
    monkeypatch.chdir(tmp_path)
    assert settings.default_index_dir() == Path("index")
    _make_index(tmp_path)
    assert settings.default_index_dir() == Path("index")
