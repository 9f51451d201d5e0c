"""The live version of the index, opened for searching, with what the front ends read from it.

A :class:`LiveIndex` stays valid while newer versions are published (a reader never sees a
half-written one); a front end that keeps one open compares :attr:`LiveIndex.generation` with
:meth:`semsearch.service.Service.live_version` to notice a newer one.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from semsearch.errors import SemsearchError
from semsearch.service.context import Article, Neighbourhood, neighbourhood_in

if TYPE_CHECKING:
    from semsearch.search import Hit, Searcher, SearchResult
    from semsearch.storage import DocumentRecord, SearchIndex

#: A query run once when the page opens a version: it pays for lazy set-up (tokenizers, the
#: model's first forward pass) so that the user's first query is as fast as the next ones.
WARM_UP_QUERY = "新闻"


class LiveIndex:
    """One version of the index opened for searching, with its articles.

    Args:
        searcher: The searcher over the version (with the model, unless opened keyword-only).
    """

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.generation: str = searcher.reader.generation
        self._documents: list[DocumentRecord] | None = None
        # Kept: the article view and the neighbourhood of every card read the same records.
        self._records: dict[str, DocumentRecord] = {}

    @property
    def reader(self) -> SearchIndex:
        """The open version behind the searcher."""
        return self.searcher.reader

    @property
    def documents(self) -> list[DocumentRecord]:
        """Every article without its text, ordered by path (listed once, then kept)."""
        if self._documents is None:
            self._documents = sorted(self.reader.documents(), key=lambda d: d.path)
        return self._documents

    def warm_up(self) -> None:
        """Pay the first query's set-up and list the articles now, before anyone waits on them."""
        with contextlib.suppress(SemsearchError):
            # The whole model: a one-shot command's first query skips the whole tokenizer,
            # which a server would then load on its first visitor's query.
            load = getattr(self.searcher.embedder, "load", None)
            if load is not None:
                load()
            self.searcher.search(WARM_UP_QUERY, k=1)
        _ = self.documents

    def search(self, query: str, **options: Any) -> SearchResult:
        """Search this version.

        Args:
            query: The query.
            **options: As for :meth:`semsearch.search.Searcher.search`.

        Returns:
            The hits, best first.

        Raises:
            SearchError: For an empty query, an unknown mode or a bad filter.
        """
        return self.searcher.search(query, **options)

    def document(self, doc_id: str) -> DocumentRecord:
        """One article with its cleaned text.

        Args:
            doc_id: The article's id.

        Returns:
            The stored article.

        Raises:
            IndexStoreError: No such article in this version.
        """
        record = self._records.get(doc_id)
        if record is None:
            record = self._records[doc_id] = self.reader.document(doc_id)
        return record

    def article(self, hit: Hit, query: str) -> Article:
        """A hit's whole article with the query's words found in it.

        Args:
            hit: A hit of this version.
            query: The query, for the highlights.

        Returns:
            The article and the highlights.

        Raises:
            IndexStoreError: The article is not in this version.
        """
        from semsearch.lexical import highlight_spans

        record = self.document(hit.doc_id)
        return Article(record, highlight_spans(record.text, query))

    def neighbourhood(self, hit: Hit, query: str) -> Neighbourhood | None:
        """The whole paragraphs around a hit, from its stored article.

        Args:
            hit: A hit of this version.
            query: The query, for the highlights.

        Returns:
            The neighbourhood, or None when the article cannot be read or no longer holds the
            hit's text (the hit's own ``context_before`` / ``context_after`` remain).
        """
        try:
            text = self.document(hit.doc_id).text
        except SemsearchError:
            return None
        return neighbourhood_in(text, hit, query)
