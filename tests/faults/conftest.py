"""Fixtures of the fault suite: a temporary working folder with seed articles, a fake model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))


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
