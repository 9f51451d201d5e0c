"""Reprint groups seen from the search: one hit per article, with the paths of its other copies.

Indexing records which documents are copies of one article (``DocumentRecord.group``,
:mod:`semsearch.indexing.reprints`). A collapsed search keeps the best hit of each group instead
of each document, and the hit names the group's other files (``Hit.also_in``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semsearch.storage import DocumentRecord


class ReprintGroups:
    """The reprint groups of one index version.

    Args:
        documents: Every document of the version (``SearchIndex.documents``).
    """

    def __init__(self, documents: Sequence[DocumentRecord]) -> None:
        self._group: dict[str, str] = {}
        self._members: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for document in documents:
            if document.group is not None:
                self._group[document.doc_id] = document.group
                self._members[document.group].append((document.path, document.doc_id))

    def article(self, doc_id: str) -> str:
        """What collapsing keeps one hit of: the document's group, or the document alone.

        Args:
            doc_id: A document.

        Returns:
            A key shared by the copies of one article (group keys cannot equal a lone doc id).
        """
        group = self._group.get(doc_id)
        return f"group:{group}" if group is not None else f"doc:{doc_id}"

    def also_in(self, doc_id: str) -> list[str]:
        """The paths of the other copies of a document's article.

        Args:
            doc_id: A document.

        Returns:
            Their paths, sorted (empty for a document without reprints).
        """
        group = self._group.get(doc_id)
        if group is None:
            return []
        return sorted(path for path, member in self._members[group] if member != doc_id)

    @property
    def count(self) -> int:
        """Number of groups."""
        return len(self._members)
