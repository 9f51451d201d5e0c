"""Fixtures of the ingest tests."""

from __future__ import annotations

import pytest

from semsearch.ingest import Document, read_document

from .samples import SEEDS


@pytest.fixture(scope="package")
def seeds() -> dict[str, Document]:
    """The five seed articles, read once, keyed by their number ("000" … "004")."""
    return {path.name[:3]: read_document(path, root=SEEDS) for path in sorted(SEEDS.glob("*.txt"))}
