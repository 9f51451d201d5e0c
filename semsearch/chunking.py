"""Cutting a cleaned document into passages that embed and display well.

Paragraphs come first: a chunk never joins two ordinary paragraphs. A paragraph longer than
``max_chars`` is cut at sentence ends (。！？；… and their ASCII forms) into the fewest pieces
that fit, as even in length as the sentences allow; a sentence longer than ``max_chars`` is cut
at clause marks (，、：) and, failing those, at ``max_chars``. A paragraph shorter than
``min_chars`` (a subheading such as ``牢记嘱托 党建引领``) is joined to the paragraph after it
(the last one to the one before), so the chunk reads "heading + text" for both search and
display; such a chunk may exceed ``max_chars`` by at most ``min_chars``.

Every chunk keeps exact offsets into ``Document.text`` (``text == document.text[start:end]``),
and the chunks in order cover the text: what lies between them is only whitespace and line
breaks. docs/cleaning.md gives the measurement behind the defaults.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from semsearch.errors import SemsearchError
from semsearch.ingest import Document
from semsearch.text import SENTENCE_END_RE, split_sentences

#: Measured on the CMRC 2018 paragraphs (bench/chunk_size.py, docs/cleaning.md): 200 ranked best
#: with BM25 (MRR@10 98.2 vs 98.0 at 300, 96.9 at 150) and with the dense model (97.0 vs 96.1
#: at 300), and a ~150-character median chunk displays without scrolling.
DEFAULT_MAX_CHARS = 200
#: Paragraphs shorter than this join a neighbour; see the module docstring.
DEFAULT_MIN_CHARS = 30
#: No overlap by default: it did not help retrieval in the measurement and costs index size.
DEFAULT_OVERLAP = 0


@dataclass(frozen=True)
class ChunkingConfig:
    """How documents are cut into chunks (stored in the index manifest).

    Attributes:
        max_chars: Longest chunk in characters (a joined short heading may add up to
            ``min_chars`` to it, and ``overlap`` adds the repeated context).
        min_chars: Paragraphs shorter than this are joined to a neighbour.
        overlap: Characters of the previous chunk of the same paragraph repeated at the start
            of a chunk, snapped to a sentence or clause start (0 = none).
    """

    max_chars: int = DEFAULT_MAX_CHARS
    min_chars: int = DEFAULT_MIN_CHARS
    overlap: int = DEFAULT_OVERLAP

    def __post_init__(self) -> None:
        if self.max_chars < 20:
            raise SemsearchError(
                f"chunk size {self.max_chars} is too small",
                "use a max_chars of 20 or more",
                key="chunking.too_small",
                params={"max_chars": self.max_chars},
            )
        if not 0 <= self.min_chars < self.max_chars:
            raise SemsearchError(
                f"min_chars {self.min_chars} must be between 0 and max_chars ({self.max_chars})",
                "use a smaller min_chars",
                key="chunking.min_chars",
                params={"min_chars": self.min_chars, "max_chars": self.max_chars},
            )
        if not 0 <= self.overlap < self.max_chars:
            raise SemsearchError(
                f"overlap {self.overlap} must be between 0 and max_chars ({self.max_chars})",
                "use a smaller overlap",
                key="chunking.overlap",
                params={"overlap": self.overlap, "max_chars": self.max_chars},
            )

    def as_dict(self) -> dict[str, int]:
        """Return the settings as a plain dict (for the index manifest)."""
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document.

    Attributes:
        doc_id: The document's id.
        index: Position of the chunk in its document (0, 1, 2…).
        paragraph: 0-based number of the paragraph (line of ``Document.text``) the chunk starts
            in.
        start: Offset of the first character in ``Document.text``.
        end: Offset after the last character (``text == document.text[start:end]``).
        text: The chunk's text.
        title: The document's title (put in front of the text for embedding).
    """

    doc_id: str
    index: int
    paragraph: int
    start: int
    end: int
    text: str
    title: str


def passage_text(chunk: Chunk) -> str:
    """Return what is embedded and keyword-indexed for a chunk: the title, a newline, the text.

    The title gives a chunk the context of its article; on CMRC 2018 it adds about five points
    of MRR@10 to dense retrieval (see docs/model.md).
    """
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


#: Bumped when :func:`sentence_passages` changes (or :func:`semsearch.text.split_sentences`,
#: which it uses), so stored sentence vectors are made again.
SENTENCE_VERSION = 1


def sentence_passages(text: str, title: str = "") -> list[str]:
    """Return what is embedded for each sentence of a chunk: the title, a newline, the sentence.

    A chunk of one sentence gets none: its sentence vector would be its own vector. Sentence
    vectors let a question meet the one sentence that answers it, which the chunk's vector
    averages away (docs/retrieval.md, step 9).

    Args:
        text: The chunk's text.
        title: The article title (as in :func:`passage_text`).
    """
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return []
    return [f"{title}\n{sentence}" if title else sentence for sentence in sentences]


def chunk_document(document: Document, config: ChunkingConfig | None = None) -> list[Chunk]:
    """Cut a document's cleaned text into chunks.

    Args:
        document: A cleaned document.
        config: Chunking settings; the measured defaults when None.

    Returns:
        The chunks, in text order.
    """
    spans = chunk_spans(document.text, config or ChunkingConfig())
    return [
        Chunk(
            doc_id=document.doc_id,
            index=index,
            paragraph=paragraph,
            start=start,
            end=end,
            text=document.text[start:end],
            title=document.title,
        )
        for index, (paragraph, start, end) in enumerate(spans)
    ]


# --------------------------------------------------------------------------------------------
# The cutting itself, on plain text (also used by bench/chunk_size.py)
# --------------------------------------------------------------------------------------------

_CLAUSE_END = re.compile(r"[，,、：:]+[”’\"'」』）)】\]]*")


@dataclass(frozen=True)
class _Unit:
    """An uncuttable piece of text: a sentence, or a clause of an over-long one.

    ``cut_cost`` is 0 when a chunk may start here cleanly (a sentence start), 1 at a clause
    start, 2 inside a clause.
    """

    paragraph: int
    start: int
    end: int
    cut_cost: int = 0


def chunk_spans(text: str, config: ChunkingConfig) -> list[tuple[int, int, int]]:
    """Cut text (one paragraph a line) into chunk spans.

    Args:
        text: Cleaned text.
        config: Chunking settings.

    Returns:
        ``(paragraph, start, end)`` for each chunk, in order.
    """
    paragraphs = _paragraphs(text)
    spans: list[tuple[int, int, int]] = []
    for block in _blocks(paragraphs, config.min_chars):
        units: list[_Unit] = []
        discouraged: set[int] = set()  # unit indexes before which a cut should be avoided
        for position, (number, start, end) in enumerate(block):
            if position > 0:
                discouraged.add(len(units))
            for sentence_start, sentence_end in _split(text, start, end, SENTENCE_END_RE):
                units.extend(
                    _Unit(number, piece_start, piece_end, kind)
                    for piece_start, piece_end, kind in _fit(
                        text, sentence_start, sentence_end, config.max_chars
                    )
                )
        pieces = _best_cuts(units, discouraged, config)
        block_spans = [(units[i].paragraph, units[i].start, units[j - 1].end) for i, j in pieces]
        if config.overlap:
            block_spans = _with_overlap(text, block_spans, units, config.overlap)
        spans.extend(block_spans)
    return spans


def _paragraphs(text: str) -> list[tuple[int, int, int]]:
    """Non-blank lines as ``(number, start, end)``, surrounding whitespace excluded."""
    out: list[tuple[int, int, int]] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if stripped:
            start = offset + (len(line) - len(line.lstrip()))
            out.append((number, start, start + len(stripped)))
        offset += len(line) + 1
    return out


def _blocks(
    paragraphs: list[tuple[int, int, int]], min_chars: int
) -> list[list[tuple[int, int, int]]]:
    """Group short paragraphs with the next one (trailing ones with the previous one)."""
    blocks: list[list[tuple[int, int, int]]] = []
    pending: list[tuple[int, int, int]] = []
    for paragraph in paragraphs:
        pending.append(paragraph)
        if paragraph[2] - paragraph[1] >= min_chars:
            blocks.append(pending)
            pending = []
    if pending:
        if blocks:
            blocks[-1].extend(pending)
        else:
            blocks.append(pending)
    return blocks


def _split(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` after each match of ``pattern``; spaces go with no piece."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for match in pattern.finditer(text, start, end):
        if match.end() > piece_start:
            pieces.append((piece_start, match.end()))
            piece_start = match.end()
    if piece_start < end:
        pieces.append((piece_start, end))
    trimmed = []
    for piece_start, piece_end in pieces:
        while piece_start < piece_end and text[piece_start].isspace():
            piece_start += 1
        while piece_end > piece_start and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_start < piece_end:
            trimmed.append((piece_start, piece_end))
    return trimmed


def _fit(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int, int]]:
    """Split a sentence longer than ``max_chars`` into clauses, and clauses still too long by
    length.

    Returns:
        ``(start, end, kind)`` pieces; ``kind`` is how poor a cut before the piece is:
        0 at the sentence start, 1 at a clause mark, 2 mid-clause.
    """
    if end - start <= max_chars:
        return [(start, end, 0)]
    out: list[tuple[int, int, int]] = []
    for clause_start, clause_end in _split(text, start, end, _CLAUSE_END):
        for position, (piece_start, piece_end) in enumerate(
            _hard_cut(text, clause_start, clause_end, max_chars)
        ):
            kind = 2 if position else (1 if out else 0)
            out.append((piece_start, piece_end, kind))
    return out


def _hard_cut(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut by length, at a space when there is one in the last quarter (for Latin text)."""
    out: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = start + max_chars
        space = text.rfind(" ", start + max_chars * 3 // 4, cut)
        if space > start:
            cut = space
        out.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        out.append((start, end))
    return out


def _best_cuts(
    units: list[_Unit], discouraged: set[int], config: ChunkingConfig
) -> list[tuple[int, int]]:
    """Choose where to cut a block of units.

    Dynamic programming over cut positions, minimizing, in this order: cuts right after a short
    paragraph (keeps a heading with its text), pieces over ``max_chars`` (only allowed up to
    ``max_chars + min_chars`` for a piece holding a joined short paragraph), the number of
    pieces, cuts inside sentences (clause marks before mid-clause), and the sum of squared piece
    lengths (even pieces rather than a long one and a stub).

    Returns:
        ``(first unit, end unit)`` index pairs, in order.
    """
    count = len(units)
    worst = 10 * (count + 1)
    infinity = (worst, worst, worst, worst, 0)
    best: list[tuple[int, int, int, int, int]] = [(0, 0, 0, 0, 0)] + [infinity] * count
    previous_cut = [0] * (count + 1)
    for end in range(1, count + 1):
        for first in range(end - 1, -1, -1):
            length = units[end - 1].end - units[first].start
            if end - first > 1 and length > config.max_chars + config.min_chars:
                break
            joined_short = any(first < k < end for k in discouraged)
            limit = config.max_chars + (config.min_chars if joined_short else 0)
            if end - first > 1 and length > limit:
                continue
            base = best[first]
            cost = (
                base[0] + (1 if first in discouraged else 0),
                base[1] + (1 if length > config.max_chars else 0),
                base[2] + 1,
                base[3] + units[first].cut_cost,
                base[4] + length * length,
            )
            if cost < best[end]:
                best[end] = cost
                previous_cut[end] = first
    pieces: list[tuple[int, int]] = []
    end = count
    while end > 0:
        first = previous_cut[end]
        pieces.append((first, end))
        end = first
    return pieces[::-1]


def _with_overlap(
    text: str, spans: list[tuple[int, int, int]], units: list[_Unit], overlap: int
) -> list[tuple[int, int, int]]:
    """Extend each chunk after the first back into its predecessor by up to ``overlap`` chars.

    The new start is the earliest sentence or clause start inside that window, so a chunk never
    begins mid-phrase; when there is none, the chunk is left as it is.
    """
    block_start = units[0].start
    block_end = units[-1].end
    starts = sorted(
        {unit.start for unit in units}
        | {s for s, _ in _split(text, block_start, block_end, _CLAUSE_END)}
    )
    paragraph_of = {unit.start: unit.paragraph for unit in units}
    out = [spans[0]]
    for paragraph, start, end in spans[1:]:
        window = [s for s in starts if start - overlap <= s < start]
        if window:
            new_start = window[0]
            owner = max((u for u in units if u.start <= new_start), key=lambda u: u.start)
            paragraph = paragraph_of.get(new_start, owner.paragraph)
            start = new_start
        out.append((paragraph, start, end))
    return out
