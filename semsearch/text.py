"""Small text rules every stage shares: script folding, where sentences end, span merging.

Each rule is written once here; reading, chunking, keyword analysis, highlighting and the page
all take it from this module, so a change cannot make two stages disagree.

- **Script folding**: traditional ↔ simplified Chinese with OpenCC. The keyword index and the
  embedder both see the simplified form of every text (docs/retrieval.md); document reading
  uses both directions to tell which script an article is written in.
- **Sentence ends**: the marks that end a Chinese or Latin sentence, the closing quotes and
  brackets that stay with it, and the two ways of cutting built from them.
- **Spans**: ``(start, end)`` character ranges (highlights, marked passages) merged one way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

# -- script folding ------------------------------------------------------------------------------

#: OpenCC configurations: traditional → simplified and simplified → traditional.
T2S = "t2s"
S2T = "s2t"


@cache
def converter(config: str) -> Any:
    """Return the OpenCC converter for ``config`` (``t2s`` or ``s2t``), made once per process.

    Args:
        config: An OpenCC configuration name.
    """
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified (OpenCC ``t2s``, phrase rules included).

    Args:
        text: Any text; characters that are not traditional Chinese pass through unchanged.

    Returns:
        The simplified text (phrase rules may change its length, rarely).
    """
    return converter(T2S).convert(text) if text else text


def to_traditional(text: str) -> str:
    """Convert simplified characters to traditional (OpenCC ``s2t``).

    Args:
        text: Any text; characters that are not simplified Chinese pass through unchanged.
    """
    return converter(S2T).convert(text) if text else text


# -- characters ----------------------------------------------------------------------------------

#: Han characters (CJK unified ideographs, extension A, compatibility ideographs), as a regex
#: character-class body.
HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RE = re.compile(f"[{HAN_RANGES}]")

# -- sentence ends -------------------------------------------------------------------------------

#: Marks that end a sentence, Chinese and Latin (the ASCII full stop is handled apart: it ends a
#: sentence only before a space, so 2.5 and 1.3万 stay whole).
END_MARKS = "。！？!?；;"
#: The strong marks alone (a line holding one is prose, not a menu or a label).
STRONG_END_MARKS = "。！？!?"
#: An ellipsis also ends a sentence.
ELLIPSIS = "…"
#: Closing quotes and brackets that belong to the sentence they close.
CLOSERS = "”’\"'」』）)】]》"

#: Where a sentence ends when text is cut into passages: a run of end marks (or an ellipsis, or
#: a full stop before a space) with any closing quotes or brackets after it.
SENTENCE_END_RE = re.compile(
    rf"(?:[{END_MARKS}]+|{ELLIPSIS}+|\.(?=\s))[{re.escape(CLOSERS.replace('》', ''))}]*"
)
#: Where a sentence ends for sentence vectors and sentence evidence (version 1 of
#: :func:`split_sentences`): right after each end mark or line break. Closers go to the next
#: piece; changing that would change every stored sentence vector (``SENTENCE_VERSION``).
_SPLIT_AFTER_RE = re.compile(rf"(?<=[{END_MARKS}\n])")
_STRONG_MARK_RE = re.compile(f"[{STRONG_END_MARKS}]")


def split_sentences(text: str) -> list[str]:
    """Cut text into sentences (end punctuation stays with its sentence; blank pieces dropped).

    Args:
        text: A chunk's text.
    """
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of :func:`split_sentences` lies in the text, same order.

    Args:
        text: A chunk's text.

    Returns:
        ``(start, end)`` character offsets of the non-blank pieces.
    """
    spans = []
    position = 0
    for piece in _SPLIT_AFTER_RE.split(text):
        if piece.strip():
            spans.append((position, position + len(piece)))
        position += len(piece)
    return spans


def ends_sentence(line: str) -> bool:
    """Whether a line ends like a sentence (an end mark or ellipsis, closers and spaces aside)."""
    stripped = line.rstrip(CLOSERS + " ")
    return bool(stripped) and stripped[-1] in END_MARKS + ELLIPSIS


def has_strong_end_mark(text: str) -> bool:
    """Whether the text holds a full stop, question or exclamation mark anywhere."""
    return _STRONG_MARK_RE.search(text) is not None


def count_strong_end_marks(text: str) -> int:
    """How many full stops, question and exclamation marks the text holds."""
    return len(_STRONG_MARK_RE.findall(text))


# -- spans ---------------------------------------------------------------------------------------


def merge_spans(
    spans: Iterable[tuple[int, int]], length: int | None = None
) -> list[tuple[int, int]]:
    """Sort spans and merge those that overlap or touch; with ``length``, clamp them to the text.

    Args:
        spans: ``(start, end)`` character offsets, in any order.
        length: The length of the text the spans refer to; spans are clamped to ``[0, length]``
            and empty ones dropped. None keeps them as given.

    Returns:
        Sorted, disjoint spans.
    """
    if length is not None:
        spans = [(max(0, start), min(length, end)) for start, end in spans]
        spans = [(start, end) for start, end in spans if end > start]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
