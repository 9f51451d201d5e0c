"""The searcher: semantic, keyword and hybrid retrieval over an index, with filters and context.

Every interface (CLI, app, ``semsearch eval``) goes through :meth:`Searcher.search`, so a mode
means the same thing everywhere. The searcher reads the index only through the storage protocol
:class:`~semsearch.storage.SearchIndex`, analyses the query once
(:func:`~semsearch.lexical.analyze_query`) and leaves every ranking step to
:mod:`semsearch.ranking` (through :mod:`semsearch.search.candidates`).

Hybrid search (the default) is described in docs/retrieval.md, where each of its steps is
measured: take the best chunks of both retrievers, rescore the pool exactly on both sides (the
semantic side with the chunk's sentence nearest the query too), and fuse calibrated scores of
each chunk with evidence from its article, its best sentence and its place in the article.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch import ranking
from semsearch.lexical import AnalyzedQuery, analyze_query, article_coverage
from semsearch.search.answer import assess_hits
from semsearch.search.candidates import CandidateRanker, Ranking
from semsearch.search.hits import SearchResult, make_hit
from semsearch.search.reads import SearchReads
from semsearch.search.reprints import ReprintGroups
from semsearch.search.request import (
    check_date_range,
    check_request,
    join_filter,
    match_documents,
)

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.storage import (
        ChunkFilter,
        DocumentRecord,
        EngineConfig,
        SearchIndex,
        StoredChunk,
    )

#: Collapsing keeps one hit per article, so it looks this many times deeper to still fill k.
COLLAPSE_DEPTH_FACTOR = 8


class _IndexChunking:
    """The chunking settings recorded in an index, for the model check of a query."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self._settings = settings

    def as_dict(self) -> dict[str, Any]:
        return self._settings


class Searcher:
    """Answers queries over one open index.

    Args:
        reader: An open index version.
        embedder: The model the index was built with; may be None for keyword-only use.
        fusion: How hybrid mode combines the two retrievers (the measured default).
    """

    def __init__(
        self,
        reader: SearchIndex,
        embedder: Embedder | None,
        fusion: ranking.FusionConfig | None = None,
    ) -> None:
        self.reader = reader
        self.embedder = embedder
        self.fusion = fusion or ranking.FusionConfig()
        self._documents: list[DocumentRecord] | None = None
        self._reprints: ReprintGroups | None = None

    def _all_documents(self) -> list[DocumentRecord]:
        """Every document of the index, read once (the version never changes under a reader)."""
        if self._documents is None:
            self._documents = self.reader.documents()
        return self._documents

    @property
    def reprints(self) -> ReprintGroups:
        """The index's reprint groups (read on the first collapsed search)."""
        if self._reprints is None:
            self._reprints = ReprintGroups(self._all_documents())
        return self._reprints

    # -- filters -----------------------------------------------------------------------------

    def resolve_documents(self, selectors: Sequence[str]) -> list[str]:
        """Turn ``--doc`` values into doc ids: each is a doc id or a part of a file path.

        Args:
            selectors: Doc ids or path fragments (case-insensitive for paths).

        Returns:
            The matching doc ids, in index order, without repeats.

        Raises:
            SearchError: If a selector matches no document.
        """
        return match_documents(self._all_documents(), selectors)

    def chunk_filter(
        self,
        doc_ids: Sequence[str] | None = None,
        documents: Sequence[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> ChunkFilter | None:
        """The filter a search applies, or None when nothing is filtered.

        Args:
            doc_ids: Only these doc ids.
            documents: ``--doc`` selectors, resolved against this index by
                :meth:`resolve_documents` (intersected with ``doc_ids`` when both are given).
            date_from: Earliest article date, ``YYYY-MM-DD``.
            date_to: Latest article date, ``YYYY-MM-DD``.

        Returns:
            The filter (:func:`~semsearch.search.request.join_filter`).

        Raises:
            SearchError: For a malformed date, an empty range or an unknown document.
        """
        # Dates first: a request with a bad date and an unknown document names the date.
        dates = check_date_range(date_from, date_to)
        selected = self.resolve_documents(documents) if documents else None
        return join_filter(doc_ids, selected, dates)

    # -- search ------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        doc_ids: Sequence[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        collapse: bool = False,
        documents: Sequence[str] | None = None,
        context: bool = True,
        highlight: bool = True,
        assess: bool = True,
    ) -> SearchResult:
        """Find the chunks that best answer ``query``.

        Args:
            query: Words or a question, in simplified or traditional Chinese (or any language
                the model knows).
            k: How many hits.
            mode: ``hybrid`` (default), ``semantic`` or ``keyword``.
            doc_ids: Only chunks of these documents.
            date_from: Only articles dated on or after this day (``YYYY-MM-DD``).
            date_to: Only articles dated on or before this day.
            collapse: Keep only the best hit of each article, copies of one article (its
                reprint group) counting as one; each hit then names the other copies' paths in
                ``also_in``.
            documents: Only articles whose doc id equals, or whose path contains, one of these.
            context: Fill ``context_before`` / ``context_after`` from the neighbouring chunks.
            highlight: Fill ``highlights`` with the query's words in each hit.
            assess: Fill each hit's ``answer`` sentence and ``confidence``
                (:func:`~semsearch.search.answer.assess_hits`).

        Returns:
            The hits, best first, and the time taken.

        Raises:
            SearchError: For an empty query, an unknown mode, ``k < 1`` or a bad filter.
        """
        started = time.perf_counter()
        check_request(query, k, mode, self.embedder is not None)
        where = self.chunk_filter(doc_ids, documents, date_from, date_to)
        # Analysed once: keyword search, sentence evidence and every hit's highlights read it.
        analyzed = analyze_query(query)
        vector = None if mode == "keyword" else self._query_vector(analyzed.text)
        # The hits are read from the pool the ranking read (see SearchReads).
        reads = SearchReads(self.reader)
        ranked: Ranking = []
        if where is None or len(self.reader.chunk_ids(where)):
            depth = k * COLLAPSE_DEPTH_FACTOR if collapse else k
            ranked = self._rank(reads, analyzed, vector, mode, depth, where)
        chunks = reads.chunks([chunk_id for chunk_id, _ in ranked]) if ranked else []
        if collapse:
            ranked, chunks = self._best_per_article(ranked, chunks, analyzed, mode)
        ranked, chunks = ranked[:k], chunks[:k]
        if context:  # the hits' neighbours in one read (make_hit asks for them)
            reads.read_neighbours([chunk.chunk_id for chunk in chunks])
        hits = [
            make_hit(reads, rank, score, chunk, analyzed, context, highlight)
            for rank, ((_, score), chunk) in enumerate(zip(ranked, chunks, strict=True), start=1)
        ]
        if collapse:
            for hit in hits:
                hit.also_in = self.reprints.also_in(hit.doc_id)
        if assess:
            assess_hits(reads, hits, vector, analyzed)
        took_ms = (time.perf_counter() - started) * 1000.0
        return SearchResult(
            query=query,
            mode=mode,
            k=k,
            took_ms=took_ms,
            hits=hits,
            undated_excluded=self.undated_excluded(where),
        )

    def undated_excluded(self, where: ChunkFilter | None) -> int:
        """How many articles a date filter leaves out because they carry no date.

        An article without a date cannot be placed in a range, so a date filter leaves it out;
        the count lets every interface say so instead of hiding it silently.

        Args:
            where: The search's filter.

        Returns:
            Undated articles among those the other filters keep (0 without a date filter).
        """
        if where is None or (where.date_from is None and where.date_to is None):
            return 0
        if self._documents is None:
            self._documents = self.reader.documents()
        wanted = None if where.doc_ids is None else set(where.doc_ids)
        return sum(
            1
            for record in self._documents
            if record.date is None and (wanted is None or record.doc_id in wanted)
        )

    def _best_per_article(
        self, ranked: Ranking, chunks: list[StoredChunk], query: AnalyzedQuery, mode: str
    ) -> tuple[Ranking, list[StoredChunk]]:
        """Keep the best hit of each article, reprints counting as one article, articles
        ordered with their keyword coverage in hybrid and keyword mode
        (:func:`semsearch.ranking.rank_articles`)."""
        articles = [self.reprints.article(chunk.doc_id) for chunk in chunks]
        weight = 0.0 if mode == "semantic" else self.fusion.article_coverage_weight
        coverage: dict[Hashable, float] = {}
        if weight and chunks:
            held: dict[Hashable, list[tuple[str, str]]] = {}
            for article, chunk in zip(articles, chunks, strict=True):
                held.setdefault(article, []).append((chunk.text, chunk.title))
            weights = self.reader.keyword_weights(query.tokens)
            coverage = {article: article_coverage(weights, held[article]) for article in held}
        kept = ranking.rank_articles(ranked, articles, coverage, weight)
        return [(ranked[i][0], score) for i, score in kept], [chunks[i] for i, _ in kept]

    def _rank(
        self,
        reads: SearchIndex,
        query: AnalyzedQuery,
        vector: np.ndarray | None,
        mode: str,
        depth: int,
        where: ChunkFilter | None,
    ) -> Ranking:
        ranker = CandidateRanker(reads, self.fusion)
        if vector is None:  # keyword mode
            return ranker.keyword(query, depth, where)
        if mode == "semantic":
            return ranker.semantic(vector, depth, where)
        return ranker.hybrid(query, vector, depth, where)

    def _query_vector(self, query: str) -> np.ndarray:
        assert self.embedder is not None  # checked in search()
        return np.asarray(self.embedder.embed_queries([query])[0], dtype=np.float32)


def open_searcher(
    index_dir: Path,
    model: str | None = None,
    model_cache: Path | None = None,
    need_embedder: bool = True,
    fusion: ranking.FusionConfig | None = None,
    embedder_loader: Callable[[str], Embedder] | None = None,
    engine: str | EngineConfig = "local",
) -> Searcher:
    """Open an index and, if needed, the model it was built with, ready to search.

    Args:
        index_dir: The index folder.
        model: The model to embed queries with; None means the one recorded in the index.
        model_cache: Where the converted default model is kept.
        need_embedder: False for keyword-only searches, which then skip loading the model.
        fusion: Hybrid settings (default :class:`~semsearch.ranking.FusionConfig`).
        embedder_loader: Loads a model by name instead of :func:`semsearch.embed.load_embedder`
            (the app passes its process-wide cache, so a new index generation reuses the model).
        engine: The storage engine holding the index (``storage.EngineConfig``).

    Returns:
        The searcher.

    Raises:
        IndexStoreError: If the index is missing or damaged, or was built with another model.
        ModelError: If the model cannot be loaded.
    """
    from semsearch.storage import open_index
    from semsearch.storage.manifest import check_compatible

    reader = open_index(index_dir, engine=engine)
    embedder = None
    if need_embedder:
        if embedder_loader is None:
            from semsearch.embed import load_embedder

            def embedder_loader(name: str) -> Embedder:
                return load_embedder(name, cache_dir=model_cache)

        embedder = embedder_loader(model or reader.model_id)
        # Queries only need the same model; the chunking settings are the index's own.
        check_compatible(
            reader.manifest, index_dir, embedder, _IndexChunking(reader.manifest.chunking)
        )
    return Searcher(reader, embedder, fusion)
