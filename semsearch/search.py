"""The searcher: semantic, keyword and hybrid retrieval over an index, with filters and context.

Every interface (CLI, app, ``semsearch eval``) goes through :meth:`Searcher.search`, so a mode
means the same thing everywhere. The searcher reads the index only through the storage protocol
:class:`~semsearch.storage.SearchIndex`.

Hybrid search (the default) is described in docs/retrieval.md, where each of its steps is
measured: take the best chunks of both retrievers, rescore the pool exactly on both sides (the
semantic side with the chunk's sentence nearest the query too), and fuse calibrated scores of
each chunk with evidence from its article, its best sentence and its place in the article.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.errors import SemsearchError
from semsearch.lexical import (
    AnalyzedQuery,
    analyze_query,
    best_sentence_coverage,
    highlight_spans,
)
from semsearch.storage import ChunkFilter, EngineConfig

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.storage import SearchIndex, StoredChunk

#: The search modes, the default first.
MODES: tuple[str, ...] = ("hybrid", "semantic", "keyword")

#: Characters of neighbouring text shown before and after a hit.
CONTEXT_CHARS = 120


class SearchError(SemsearchError):
    """A search request cannot be answered as given (bad mode, date or filter)."""


@dataclass
class Hit:
    """One result: a chunk with its article's metadata, surrounding text and highlights.

    ``highlights`` are ``(start, end)`` character spans in ``text`` where the query's words occur
    (in either script). ``context_before`` is the end of the previous chunk and
    ``context_after`` the start of the next one (without the overlap with ``text``).
    """

    rank: int
    score: float
    chunk_id: int
    doc_id: str
    title: str
    path: str
    date: str | None
    paragraph: int
    start: int
    end: int
    text: str
    context_before: str = ""
    context_after: str = ""
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the hit as a JSON-serializable dict (highlights as ``[start, end]`` lists)."""
        payload = asdict(self)
        payload["highlights"] = [list(span) for span in self.highlights]
        return payload


@dataclass
class SearchResult:
    """The answer to one query: the hits, best first, and how long the search took."""

    query: str
    mode: str
    k: int
    took_ms: float
    hits: list[Hit]

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON-serializable dict."""
        return {
            "query": self.query,
            "mode": self.mode,
            "k": self.k,
            "took_ms": round(self.took_ms, 2),
            "results": [hit.to_json() for hit in self.hits],
        }


def _check_date(value: str | None, option: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise SearchError(
            f"{option} {value!r} is not a date.", "Write dates as YYYY-MM-DD, e.g. 2024-03-01."
        ) from None


def _trim_start(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text`` (the part nearest the hit)."""
    return text[-limit:] if len(text) > limit else text


def _trim_end(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``."""
    return text[:limit]


def context_around(
    hit: StoredChunk,
    previous: StoredChunk | None,
    following: StoredChunk | None,
    limit: int = CONTEXT_CHARS,
) -> tuple[str, str]:
    """Text just before and just after a hit, taken from its neighbouring chunks.

    Chunks may overlap; the overlap is left out so the context does not repeat the hit.

    Args:
        hit: The chunk found.
        previous: The chunk before it in the same document, if any.
        following: The chunk after it, if any.
        limit: At most this many characters on each side.

    Returns:
        ``(before, after)``: the end of the previous chunk and the start of the next one.
    """
    before = after = ""
    if previous is not None:
        keep = max(0, min(len(previous.text), hit.start - previous.start))
        before = _trim_start(previous.text[:keep], limit)
    if following is not None:
        skip = max(0, min(len(following.text), hit.end - following.start))
        after = _trim_end(following.text[skip:], limit)
    return before, after


@dataclass(frozen=True)
class FusionConfig:
    """How hybrid mode merges the semantic and keyword rankings (defaults measured, see
    docs/retrieval.md).

    Attributes:
        method: ``"convex"`` (the default: a weighted sum of calibrated scores plus article
            evidence) or ``"rrf"`` (reciprocal-rank fusion, the baseline it beats).
        candidates: Chunks taken from the top of each retriever before fusing.
        dense_weight: Share of the semantic score in the convex sum (the keyword score gets
            the rest).
        article_weight: Weight of article evidence: the best keyword score among the candidate
            chunks of the same article, added to each of them.
        sentence_weight: Weight of sentence evidence: the largest share of the query's keyword
            weight found in one sentence of the chunk (``keyword.best_sentence_coverage``).
        sentence_candidates: Sentence evidence is computed for this many of the best candidates
            (by the other evidence) only: it costs a tokenization per new chunk, and a chunk
            further down does not reach the top 10 with it (measured: no change at 50).
        lead_weight: Added to the first passage of an article: a news lead (and an
            encyclopedia intro) states the key facts, so among near-equal passages of one
            article it is the likelier answer.
        rrf_k: The constant of reciprocal-rank fusion.
        sentence_vector_weight: Share of the best sentence's cosine in a chunk's semantic score
            (the chunk's own cosine gets the rest), in semantic and hybrid mode alike, when the
            index has sentence vectors (see :func:`blend_sentence_similarity`).
    """

    method: str = "convex"
    candidates: int = 100
    dense_weight: float = 0.6
    article_weight: float = 0.2
    sentence_weight: float = 0.2
    sentence_candidates: int = 50
    lead_weight: float = 0.03
    rrf_k: int = 60
    sentence_vector_weight: float = 0.5


def blend_sentence_similarity(
    cosines: np.ndarray, best_sentence: np.ndarray, weight: float
) -> np.ndarray:
    """Mix each chunk's cosine with the cosine of its sentence nearest the query.

    A question is usually answered by one sentence, and the chunk's vector averages it with the
    others: on cmrc2018_chunks the best sentence alone ranks better than the chunk (MRR@10 91.0
    vs 87.8), and the even mix better than either (docs/retrieval.md, step 9).

    Args:
        cosines: Cosine of each chunk to the query.
        best_sentence: Largest cosine of one of its sentences to the query; NaN for a chunk
            without sentence vectors (one sentence), which keeps its own cosine.
        weight: Share of the sentence cosine.

    Returns:
        ``(1 - weight) * cosine + weight * best_sentence`` where there is a sentence cosine.
    """
    cosines = np.asarray(cosines, dtype=np.float64)
    best_sentence = np.asarray(best_sentence, dtype=np.float64)
    has = ~np.isnan(best_sentence)
    blended = cosines.copy()
    blended[has] = (1.0 - weight) * cosines[has] + weight * best_sentence[has]
    return blended


def _article_max(values: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """For each candidate, the largest value among candidates of the same article."""
    _, group = np.unique(articles, return_inverse=True)
    best = np.full(int(group.max()) + 1 if len(group) else 0, -np.inf)
    np.maximum.at(best, group, values)
    return best[group]


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score, best first (ties keep input order)."""
    ranks = np.empty(len(scores))
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return ranks


def fuse_scores(
    dense: np.ndarray,
    lexical: np.ndarray,
    articles: np.ndarray,
    config: FusionConfig | None = None,
    sentence: Callable[[np.ndarray], np.ndarray] | None = None,
    lead: np.ndarray | None = None,
) -> np.ndarray:
    """Fuse semantic and keyword scores of a pool of candidate chunks into one score each.

    The default (``convex``) calibrates each side per query — cosine min-max scaled over the
    pool, BM25 divided by the pool's best BM25 (zero stays zero: no shared word) — adds them
    with :attr:`FusionConfig.dense_weight`, then adds :attr:`FusionConfig.article_weight` times
    the best keyword score among the pool's chunks of the same article, so an article that
    matches the query's words as a whole keeps its chunks near the top, and
    :attr:`FusionConfig.sentence_weight` times the sentence evidence and
    :attr:`FusionConfig.lead_weight` for an article's first passage, when given.

    Args:
        dense: Cosine similarity of each candidate to the query.
        lexical: BM25 score of each candidate (0 when it shares no token with the query).
        articles: An article label per candidate (doc id or any hashable per-article value).
        config: Fusion settings (default :class:`FusionConfig`).
        sentence: Given candidate positions, returns their sentence evidence in [0, 1]
            (``keyword.best_sentence_coverage``); asked for the
            :attr:`FusionConfig.sentence_candidates` best only. None leaves it out.
        lead: Whether each candidate is the first passage of its article; None leaves it out.

    Returns:
        The fused scores, higher is better, same order as the inputs.
    """
    config = config or FusionConfig()
    dense = np.asarray(dense, dtype=np.float64)
    lexical = np.asarray(lexical, dtype=np.float64)
    if not len(dense):
        return dense
    if config.method == "rrf":
        fused = 1.0 / (config.rrf_k + _ranks(dense))
        return fused + np.where(lexical > 0, 1.0 / (config.rrf_k + _ranks(lexical)), 0.0)
    if config.method != "convex":
        raise ValueError(f"unknown fusion method {config.method!r}")
    spread = dense.max() - dense.min()
    dense_part = (dense - dense.min()) / spread if spread > 0 else np.ones_like(dense)
    top_lexical = lexical.max()
    lexical_part = lexical / top_lexical if top_lexical > 0 else np.zeros_like(lexical)
    fused = config.dense_weight * dense_part + (1.0 - config.dense_weight) * lexical_part
    if config.article_weight:
        fused = fused + config.article_weight * _article_max(lexical_part, np.asarray(articles))
    if config.lead_weight and lead is not None:
        fused = fused + config.lead_weight * np.asarray(lead, dtype=np.float64)
    if config.sentence_weight and sentence is not None:
        best = np.argsort(-fused, kind="stable")[: config.sentence_candidates]
        fused = fused.copy()
        fused[best] += config.sentence_weight * np.asarray(sentence(best), dtype=np.float64)
    return fused


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
        fusion: FusionConfig | None = None,
    ) -> None:
        self.reader = reader
        self.embedder = embedder
        self.fusion = fusion or FusionConfig()
        self._documents: list[Any] | None = None

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
        if self._documents is None:
            self._documents = self.reader.documents()
        chosen: dict[str, None] = {}
        for selector in selectors:
            wanted = selector.strip()
            lowered = wanted.lower()
            matches = [
                d.doc_id
                for d in self._documents
                if wanted and (d.doc_id == wanted or lowered in d.path.lower())
            ]
            if not matches:
                raise SearchError(
                    f"No article in the index matches {selector!r}.",
                    "Give a doc id or a part of a file path; list them with: semsearch info",
                )
            chosen.update(dict.fromkeys(matches))
        return list(chosen)

    def chunk_filter(
        self,
        doc_ids: Sequence[str] | None = None,
        documents: Sequence[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> ChunkFilter | None:
        """The filter a search applies, or None when nothing is filtered.

        Args:
            doc_ids: Exact doc ids.
            documents: Doc ids or path fragments (see :meth:`resolve_documents`).
            date_from: Earliest article date, ``YYYY-MM-DD`` (undated articles drop out).
            date_to: Latest article date, ``YYYY-MM-DD``.

        Raises:
            SearchError: For a malformed date, an empty range or an unknown document.
        """
        date_from = _check_date(date_from, "The start date")
        date_to = _check_date(date_to, "The end date")
        if date_from and date_to and date_from > date_to:
            raise SearchError(
                f"The date range {date_from} … {date_to} is empty.",
                "Choose a start date on or before the end date.",
            )
        wanted: list[str] | None = None
        if doc_ids is not None:
            wanted = list(doc_ids)
        if documents:
            resolved = self.resolve_documents(documents)
            chosen = set(resolved)
            wanted = resolved if wanted is None else [d for d in wanted if d in chosen]
        if wanted is None and date_from is None and date_to is None:
            return None
        return ChunkFilter(
            doc_ids=None if wanted is None else tuple(wanted), date_from=date_from, date_to=date_to
        )

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
            collapse: Keep only the best hit of each article.
            documents: Only articles whose doc id equals, or whose path contains, one of these.
            context: Fill ``context_before`` / ``context_after`` from the neighbouring chunks.
            highlight: Fill ``highlights`` with the query's words in each hit.

        Returns:
            The hits, best first, and the time taken.

        Raises:
            SearchError: For an empty query, an unknown mode, ``k < 1`` or a bad filter.
        """
        started = time.perf_counter()
        if mode not in MODES:
            raise SearchError(
                f"Unknown search mode {mode!r}.", f"Choose one of {', '.join(MODES)}."
            )
        if not query or not query.strip():
            raise SearchError("The query is empty.", "Give some words to look for.")
        if k < 1:
            raise SearchError(f"k must be at least 1, not {k}.", "Ask for one or more results.")
        if mode != "keyword" and self.embedder is None:
            raise SearchError(
                f"Mode {mode} needs the embedding model, which was not loaded.",
                "Open the searcher with the model, or use --mode keyword.",
            )
        where = self.chunk_filter(doc_ids, documents, date_from, date_to)
        # Analysed once: keyword search, sentence evidence and every hit's highlights read it.
        analyzed = analyze_query(query)
        ranked: list[tuple[int, float]] = []
        if where is None or len(self.reader.chunk_ids(where)):
            ranked = self._rank(analyzed, mode, k, where, collapse)
        chunks = self.reader.chunks([chunk_id for chunk_id, _ in ranked]) if ranked else []
        if collapse:
            ranked, chunks = _best_per_document(ranked, chunks)
        ranked, chunks = ranked[:k], chunks[:k]
        hits = [
            self._hit(rank, score, chunk, analyzed, context, highlight)
            for rank, ((_, score), chunk) in enumerate(zip(ranked, chunks, strict=True), start=1)
        ]
        took_ms = (time.perf_counter() - started) * 1000.0
        return SearchResult(query=query, mode=mode, k=k, took_ms=took_ms, hits=hits)

    def _rank(
        self, query: AnalyzedQuery, mode: str, k: int, where: ChunkFilter | None, collapse: bool
    ) -> list[tuple[int, float]]:
        # Collapsing keeps one hit per article, so look deeper to still fill k.
        depth = k * 8 if collapse else k
        if mode == "keyword":
            return self.reader.keyword_search(query.tokens, depth, where)
        vector = self._query_vector(query.text)
        if mode == "semantic":
            return self._semantic(vector, depth, where)
        return self._hybrid(query, vector, depth, where)

    def _semantic(
        self, vector: np.ndarray, depth: int, where: ChunkFilter | None
    ) -> list[tuple[int, float]]:
        """The nearest chunks by vector, reranked with their sentence vectors."""
        if not self._uses_sentence_vectors():
            return self.reader.dense_search(vector, depth, where)
        found = self.reader.dense_search(vector, max(self.fusion.candidates, depth), where)
        if not found:
            return []
        ids = np.array([i for i, _ in found], dtype=np.int64)
        scores = self._dense_scores(vector, ids, np.array([score for _, score in found]))
        order = np.lexsort((ids, -scores))[:depth]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def _uses_sentence_vectors(self) -> bool:
        return bool(self.fusion.sentence_vector_weight) and self.reader.has_sentence_vectors

    def _dense_scores(self, vector: np.ndarray, ids: np.ndarray, cosines: np.ndarray) -> np.ndarray:
        """Chunk cosines blended with their best sentence cosines (when the index has them)."""
        if not self._uses_sentence_vectors():
            return cosines
        by_id = self.reader.sentence_vectors(ids.tolist())
        best = np.array(
            [float((by_id[int(i)] @ vector).max()) if int(i) in by_id else np.nan for i in ids]
        )
        return blend_sentence_similarity(cosines, best, self.fusion.sentence_vector_weight)

    def _hybrid(
        self, query: AnalyzedQuery, vector: np.ndarray, depth: int, where: ChunkFilter | None
    ) -> list[tuple[int, float]]:
        """Pool the best chunks of both retrievers, rescore the pool on both sides, fuse."""
        pool_size = max(self.fusion.candidates, depth)
        tokens = query.tokens
        semantic = self.reader.dense_search(vector, pool_size, where)
        lexical = self.reader.keyword_search(tokens, pool_size, where)
        pool = np.array(sorted({i for i, _ in semantic} | {i for i, _ in lexical}), dtype=np.int64)
        if not len(pool):
            return []
        # Each retriever scored only its own top; score the whole pool on both sides so every
        # candidate is judged on the same evidence (exact rescoring of given ids is cheap).
        dense = np.asarray(self.reader.dense_scores(vector, pool), dtype=np.float64)
        # Every pooled id is in the index, so each gets a cosine; the floor is only a guard.
        unknown = np.isnan(dense)
        if unknown.any():
            dense[unknown] = dense[~unknown].min() if (~unknown).any() else 0.0
        dense = self._dense_scores(vector, pool, dense)
        keyword_scores = np.asarray(self.reader.keyword_scores(tokens, pool), dtype=np.float64)
        pooled_chunks = self.reader.chunks(pool.tolist())
        articles = np.array([chunk.doc_id for chunk in pooled_chunks])

        def sentence(positions: np.ndarray) -> np.ndarray:
            # Called by the fusion only when sentence evidence is on, once per query.
            weights = self.reader.keyword_weights(tokens)
            return np.array(
                [
                    best_sentence_coverage(weights, pooled_chunks[i].text, pooled_chunks[i].title)
                    for i in positions
                ]
            )

        lead = np.array([chunk.index == 0 for chunk in pooled_chunks])
        fused = fuse_scores(dense, keyword_scores, articles, self.fusion, sentence, lead)
        order = np.lexsort((pool, -fused))[:depth]
        return [(int(pool[i]), float(fused[i])) for i in order]

    def _query_vector(self, query: str) -> np.ndarray:
        assert self.embedder is not None  # checked in search()
        return np.asarray(self.embedder.embed_queries([query])[0], dtype=np.float32)

    def _hit(
        self,
        rank: int,
        score: float,
        chunk: StoredChunk,
        query: AnalyzedQuery,
        context: bool,
        highlight: bool,
    ) -> Hit:
        before = after = ""
        if context:
            previous, following = self.reader.neighbours(chunk.chunk_id, before=1, after=1)
            before, after = context_around(
                chunk, previous[-1] if previous else None, following[0] if following else None
            )
        return Hit(
            rank=rank,
            score=float(score),
            chunk_id=chunk.chunk_id,
            doc_id=chunk.doc_id,
            title=chunk.title,
            path=chunk.path,
            date=chunk.date,
            paragraph=chunk.paragraph,
            start=chunk.start,
            end=chunk.end,
            text=chunk.text,
            context_before=before,
            context_after=after,
            highlights=highlight_spans(chunk.text, query) if highlight else [],
        )


def _best_per_document(
    ranked: list[tuple[int, float]], chunks: list[StoredChunk]
) -> tuple[list[tuple[int, float]], list[StoredChunk]]:
    seen: set[str] = set()
    kept_ranked: list[tuple[int, float]] = []
    kept_chunks: list[StoredChunk] = []
    for pair, chunk in zip(ranked, chunks, strict=True):
        if chunk.doc_id in seen:
            continue
        seen.add(chunk.doc_id)
        kept_ranked.append(pair)
        kept_chunks.append(chunk)
    return kept_ranked, kept_chunks


def open_searcher(
    index_dir: Path,
    model: str | None = None,
    model_cache: Path | None = None,
    need_embedder: bool = True,
    fusion: FusionConfig | None = None,
    embedder_loader: Callable[[str], Embedder] | None = None,
    engine: str | EngineConfig = "local",
) -> Searcher:
    """Open an index and, if needed, the model it was built with, ready to search.

    Args:
        index_dir: The index folder.
        model: The model to embed queries with; None means the one recorded in the index.
        model_cache: Where the converted default model is kept.
        need_embedder: False for keyword-only searches, which then skip loading the model.
        fusion: Hybrid settings (default :class:`FusionConfig`).
        embedder_loader: Loads a model by name instead of :func:`embedding.load_embedder`
            (the app passes its process-wide cache, so a new index generation reuses the model).
        engine: The storage engine holding the index (``storage.EngineConfig``).

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
