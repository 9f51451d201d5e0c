"""What a search returns: hits with their article's metadata, surrounding text and highlights.

A ranked chunk becomes a :class:`Hit` here: the text around it comes from its neighbouring
chunks in the index, and the highlights from the query analysed once for the whole search.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from semsearch.lexical import AnalyzedQuery, highlight_spans
from semsearch.search.confidence import Confidence

if TYPE_CHECKING:
    from semsearch.storage import SearchIndex, StoredChunk

#: Characters of neighbouring text shown before and after a hit.
CONTEXT_CHARS = 120


@dataclass
class Hit:
    """One result: a chunk with its article's metadata, surrounding text and highlights.

    ``highlights`` are ``(start, end)`` character spans in ``text`` where the query's words occur
    (in either script). ``context_before`` is the end of the previous chunk and
    ``context_after`` the start of the next one (without the overlap with ``text``).
    ``also_in`` lists the paths of the article's other copies when the search was collapsed.
    ``answer`` is the ``(start, end)`` span in ``text`` of the sentence nearest the question
    (None: not found). ``confidence`` is how likely the hit answers the question
    (:class:`~semsearch.search.confidence.Confidence`; None in keyword mode, which has no
    query vector). ``paragraph`` is 0-based here and 1-based in :meth:`to_json` and on screen.
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
    #: Paths of the other copies of the article (reprints), in a collapsed search.
    also_in: list[str] = field(default_factory=list)
    answer: tuple[int, int] | None = None
    confidence: Confidence | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the hit as a JSON-serializable dict (spans as ``[start, end]`` lists)."""
        payload = asdict(self)
        # People count paragraphs from 1 (the page shows ¶1); ``paragraph`` stays 0-based inside.
        payload["paragraph"] = self.paragraph + 1
        payload["highlights"] = [list(span) for span in self.highlights]
        payload["answer"] = list(self.answer) if self.answer else None
        return payload


@dataclass
class SearchResult:
    """The answer to one query: the hits, best first, and how long the search took.

    ``undated_excluded`` counts the articles without a date that a date filter left out.
    """

    query: str
    mode: str
    k: int
    took_ms: float
    hits: list[Hit]
    undated_excluded: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON-serializable dict."""
        return {
            "query": self.query,
            "mode": self.mode,
            "k": self.k,
            "took_ms": round(self.took_ms, 2),
            "results": [hit.to_json() for hit in self.hits],
            "undated_excluded": self.undated_excluded,
        }


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


def make_hit(
    reader: SearchIndex,
    rank: int,
    score: float,
    chunk: StoredChunk,
    query: AnalyzedQuery,
    context: bool,
    highlight: bool,
) -> Hit:
    """Turn a ranked chunk into a hit.

    Args:
        reader: The index (for the neighbouring chunks).
        rank: 1 for the best hit.
        score: The ranking score.
        chunk: The chunk.
        query: The search's analysed query (its highlight terms are segmented once).
        context: Fill ``context_before`` / ``context_after`` from the neighbouring chunks.
        highlight: Fill ``highlights`` with the query's words.

    Returns:
        The hit.
    """
    before = after = ""
    if context:
        previous, following = reader.neighbours(chunk.chunk_id, before=1, after=1)
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
