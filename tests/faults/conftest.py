"""Fixtures of the fault suite: those of the indexing tests (seed copies in a temporary working
folder, the fake model), and the seed articles."""

from __future__ import annotations

from indexing.conftest import corpus, embedder
from indexing.helpers import SEEDS

__all__ = ["SEEDS", "corpus", "embedder"]
