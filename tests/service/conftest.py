"""Fixtures of the service tests: seed copies, a service whose models are fakes it records."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from semsearch import settings
from semsearch.service import Service

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))


class RecordingLoader:
    """Loads a :class:`FakeEmbedder` named as asked, and keeps the names asked for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, model: str) -> FakeEmbedder:
        self.names.append(model)
        return FakeEmbedder(model_id=model)


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three seed articles in ``corpus/`` under a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(settings.ENV_MODEL, "fake-default")
    return copy_seeds(SEEDS[:3], tmp_path / "corpus")


def copy_seeds(seeds: list[Path], folder: Path) -> Path:
    """Copy seed articles into a new folder and return it."""
    folder.mkdir()
    for seed in seeds:
        shutil.copy(seed, folder)
    return folder


@pytest.fixture
def loader() -> RecordingLoader:
    return RecordingLoader()


@pytest.fixture
def service(tmp_path: Path, corpus: Path, loader: RecordingLoader) -> Service:
    """A service over ``index/`` (not built yet) and the corpus, with recorded fake models."""
    return Service(tmp_path / "index", corpus, embedder_loader=loader)


@pytest.fixture
def built(service: Service, loader: RecordingLoader) -> Service:
    """The service after its index was built from the corpus with the model ``fake-a``."""
    service.index_files([service.corpus_dir], rebuild=True, model="fake-a")
    loader.names.clear()
    return service
