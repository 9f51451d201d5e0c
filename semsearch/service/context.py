"""What a reader sees around a hit: the neighbouring paragraphs, or the whole article, as data.

The front ends only render these: the page turns a :class:`Neighbourhood` into the dimmed
paragraphs of a card's expander and an :class:`Article` into the reading dialog. The CLI and
JSON keep the short ``context_before`` / ``context_after`` the searcher fills in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semsearch.search import Hit
    from semsearch.storage import DocumentRecord

#: Non-empty paragraphs shown before and after the paragraphs a hit touches.
NEIGHBOUR_PARAGRAPHS = 1


@dataclass(frozen=True)
class Neighbourhood:
    """The whole paragraphs around a hit, cut from its stored article.

    Attributes:
        text: The paragraphs, one a line.
        hit_start: Where the hit starts in ``text``.
        hit_end: Where it ends.
        highlights: The query's words, as spans of ``text``.
    """

    text: str
    hit_start: int
    hit_end: int
    highlights: list[tuple[int, int]]


@dataclass(frozen=True)
class Article:
    """A hit's whole article, for reading it with the hit and the query's words marked.

    Attributes:
        record: The stored article with its cleaned text.
        highlights: The query's words, as spans of ``record.text``.
    """

    record: DocumentRecord
    highlights: list[tuple[int, int]]

    @property
    def meta(self) -> str:
        """Path, date, source and author, those that are known, joined by `` · ``."""
        record = self.record
        parts = (record.path, record.date, record.source, record.author)
        return " · ".join(part for part in parts if part)


def paragraph_window(
    text: str, start: int, end: int, before: int = 1, after: int = 1
) -> tuple[int, int]:
    """Find the paragraphs around a span: those it touches plus neighbours on each side.

    Args:
        text: Text with one paragraph a line.
        start: Where the span starts in ``text``.
        end: Where it ends.
        before: Non-empty paragraphs to include before the span's first paragraph.
        after: Non-empty paragraphs to include after its last one.

    Returns:
        ``(window_start, window_end)`` offsets in ``text`` (whole paragraphs); the span itself
        if it lies outside every paragraph.
    """
    paragraphs: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            paragraphs.append((offset, offset + len(line)))
        offset += len(line) + 1
    touched = [
        i for i, (p_start, p_end) in enumerate(paragraphs) if p_start < end and p_end > start
    ]
    if not touched:
        return max(0, start), min(len(text), end)
    first = max(0, touched[0] - before)
    last = min(len(paragraphs) - 1, touched[-1] + after)
    return paragraphs[first][0], paragraphs[last][1]


def neighbourhood_in(article_text: str, hit: Hit, query: str) -> Neighbourhood | None:
    """Cut the paragraphs around a hit out of its article and find the query's words in them.

    Args:
        article_text: The stored article's cleaned text.
        hit: The hit, with its offsets in that text.
        query: The query, for the highlights.

    Returns:
        The neighbourhood, or None when the text at the hit's offsets is not the hit's (the
        article changed since the search): then only the hit's own context is worth showing.
    """
    from semsearch.lexical import highlight_spans

    if article_text[hit.start : hit.end] != hit.text:
        return None
    window_start, window_end = paragraph_window(
        article_text, hit.start, hit.end, NEIGHBOUR_PARAGRAPHS, NEIGHBOUR_PARAGRAPHS
    )
    window = article_text[window_start:window_end]
    return Neighbourhood(
        window, hit.start - window_start, hit.end - window_start, highlight_spans(window, query)
    )
