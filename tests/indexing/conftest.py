"""Fixtures of the indexing tests: seed copies in a temporary working folder, the FakeEmbedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from .helpers import SEEDS


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three seed articles in ``corpus/`` under a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for seed in SEEDS[:3]:
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()
