"""Inputs and helpers the ingest tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.errors import DocumentError, SemsearchError
from semsearch.ingest import Document, UnreadableFileError, read_document

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

#: The reasons a removed line may carry (docs/cleaning.md).
REMOVAL_REASONS = frozenset(
    {
        "navigation",
        "advertisement",
        "caption",
        "copyright",
        "share-site header",
        "duplicate",
        "page marker",
        "metadata",
        "byline",
        "title",
    }
)

PARAGRAPH = "这是一段足够长的正文内容，用来确认清理规则不会误删真正的文章段落。"


def removed_text(document: Document) -> str:
    return "\n".join(line.text for line in document.removed)


def reason_for(path: Path) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    error = caught.value
    assert isinstance(error, UnreadableFileError) and isinstance(error, SemsearchError)
    assert str(path) in error.message and "\n" not in error.message
    return error.reason
