"""Pure rendering helpers for the Streamlit page (``app.py``): text in, escaped HTML out.

Article and query text is untrusted: an article may contain ``<script>`` or
``<img onerror=...>``. Every function here escapes each piece of text before it wraps it in
markup, so the HTML they return can be given to ``st.html`` and shows such text literally.
Nothing here imports Streamlit, so it is unit-tested without a browser.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from semsearch.text import merge_spans

if TYPE_CHECKING:
    # Only types: any object with a hit's fields renders (the tests pass their own).
    from semsearch.search import Hit

#: Characters that mean something in Streamlit's markdown (widget labels, messages).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^])")


def escape_markdown(text: str) -> str:
    """Backslash-escape markdown syntax so text shows literally in a Streamlit label or message.

    Args:
        text: Any untrusted text (a file name, a title, a query).

    Returns:
        The text with every markdown-significant character escaped; newlines become spaces
        because labels are one line.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown_code(text: str) -> str:
    """Wrap text in a markdown code span that shows it literally, whatever it contains.

    The fence is one backtick longer than the longest run of backticks inside, and padded with
    spaces when the text starts or ends with one (CommonMark's rule).

    Args:
        text: A path, command or other untrusted text (newlines become spaces).

    Returns:
        Markdown such as ```seeds/` `` or ````` ``a`b`` `````.
    """
    flat = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{padding}{flat}{padding}{fence}"


def _inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _span(span: tuple[int, int] | None, length: int) -> list[tuple[int, int]]:
    return merge_spans([span], length) if span else []


def render_marked(
    text: str,
    highlights: Iterable[tuple[int, int]] = (),
    hit_range: tuple[int, int] | None = None,
    *,
    answer: tuple[int, int] | None = None,
    subdue_outside_hit: bool = False,
    hit_number: int | None = None,
) -> str:
    """Render one line of text as escaped HTML with query words, the answer and the hit marked.

    Args:
        text: The untrusted text.
        highlights: Character spans to wrap in ``<mark>`` (the query's words).
        hit_range: An optional span to wrap in ``<span class="ss-hit">`` (the matching chunk
            inside a longer text).
        answer: An optional span to wrap in ``<span class="ss-answer">`` (the sentence that
            answers the question).
        subdue_outside_hit: Query words outside ``hit_range`` get ``class="ss-soft"`` (the
            article view: the hit must stand out, not every occurrence of a word).
        hit_number: Written as ``data-hit`` on the hit's pieces (the article view's
            next/previous buttons find the hits by it).

    Returns:
        HTML in which every character of ``text`` is escaped.
    """
    marks = merge_spans(highlights, len(text))
    hits = _span(hit_range, len(text))
    answers = _span(answer, len(text))
    cuts = {0, len(text)}
    for start, end in (*marks, *hits, *answers):
        cuts.update((start, end))
    hit_attributes = ' class="ss-hit"'
    if hit_number is not None:
        hit_attributes += f' data-hit="{int(hit_number)}"'
    pieces: list[str] = []
    for start, end in itertools.pairwise(sorted(cuts)):
        if start == end:
            continue
        # Each segment is wrapped on its own, so nesting stays valid whatever the overlaps.
        piece = html.escape(text[start:end], quote=True)
        in_hit = _inside(start, hits)
        if _inside(start, marks):
            soft = subdue_outside_hit and not in_hit
            piece = f'<mark class="ss-soft">{piece}</mark>' if soft else f"<mark>{piece}</mark>"
        if _inside(start, answers):
            piece = f'<span class="ss-answer">{piece}</span>'
        if in_hit:
            piece = f"<span{hit_attributes}>{piece}</span>"
        pieces.append(piece)
    return "".join(pieces)


def _local(span: tuple[int, int], offset: int) -> tuple[int, int]:
    return span[0] - offset, span[1] - offset


def render_paragraphs(
    text: str,
    highlights: Iterable[tuple[int, int]] = (),
    hit_range: tuple[int, int] | None = None,
    hit_anchor: str | None = None,
    *,
    hit_ranges: Sequence[tuple[int, int]] = (),
    subdue_outside_hit: bool = False,
) -> str:
    """Render multi-paragraph text (paragraphs separated by ``"\\n"``) as escaped ``<p>`` blocks.

    Args:
        text: The untrusted text, one paragraph a line.
        highlights: Spans (offsets in ``text``) of words to wrap in ``<mark>``.
        hit_range: An optional span of ``text`` to mark as the hit.
        hit_anchor: If given, the paragraph where the hit starts gets this ``id`` (for linking).
        hit_ranges: Several hits instead of one (the article view), numbered from 0 in
            ``data-hit``; the paragraph where hit ``n`` starts gets the ``id``
            ``{hit_anchor}-{n}``.
        subdue_outside_hit: See :func:`render_marked`.

    Returns:
        HTML: one ``<p>`` per non-empty paragraph.
    """
    spans = list(highlights)
    numbered = list(enumerate(hit_ranges)) if hit_ranges else []
    blocks: list[str] = []
    offset = 0
    for line in text.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        if not line.strip():
            continue
        local_marks = [_local(span, line_start) for span in spans]
        attributes = ""
        if numbered:
            body = _render_numbered_hits(
                line, line_start, local_marks, numbered, subdue_outside_hit
            )
            starting = [n for n, (start, _) in numbered if line_start <= start <= line_end]
            if hit_anchor and starting:
                attributes = f' id="{html.escape(f"{hit_anchor}-{starting[0]}", quote=True)}"'
            blocks.append(f"<p{attributes}>{body}</p>")
            continue
        local_hit = None
        if hit_range and hit_range[0] < line_end and hit_range[1] > line_start:
            local_hit = _local(hit_range, line_start)
            if hit_anchor and line_start <= hit_range[0] <= line_end:
                attributes = f' id="{html.escape(hit_anchor, quote=True)}"'
        body = render_marked(line, local_marks, local_hit, subdue_outside_hit=subdue_outside_hit)
        blocks.append(f"<p{attributes}>{body}</p>")
    return "".join(blocks)


def _render_numbered_hits(
    line: str,
    line_start: int,
    local_marks: list[tuple[int, int]],
    numbered: list[tuple[int, tuple[int, int]]],
    subdue_outside_hit: bool,
) -> str:
    """One paragraph touched by any of several numbered hits (cut at the hits' edges)."""
    line_end = line_start + len(line)
    inside = [
        (n, max(start, line_start) - line_start, min(end, line_end) - line_start)
        for n, (start, end) in numbered
        if start < line_end and end > line_start
    ]
    cuts = sorted({0, len(line), *(c for _, s, e in inside for c in (s, e))})
    pieces: list[str] = []
    for start, end in itertools.pairwise(cuts):
        if start == end:
            continue
        owner = next((n for n, s, e in inside if s <= start < e), None)
        piece_marks = [_local(span, start) for span in local_marks]
        piece = line[start:end]
        hit = (0, len(piece)) if owner is not None else None
        pieces.append(
            render_marked(
                piece,
                piece_marks,
                hit,
                subdue_outside_hit=subdue_outside_hit,
                hit_number=owner,
            )
        )
    return "".join(pieces)


def render_inline(
    text: str,
    highlights: Iterable[tuple[int, int]] = (),
    answer: tuple[int, int] | None = None,
) -> str:
    """Render text on the page with ``<mark>`` highlights, paragraph breaks as ``<br>``.

    Args:
        text: The untrusted text (a chunk may span paragraphs).
        highlights: Spans of ``text`` to mark.
        answer: The span of the sentence that answers the question, if known.

    Returns:
        Escaped HTML.
    """
    spans = list(highlights)
    lines: list[str] = []
    offset = 0
    for line in text.split("\n"):
        local = [_local(span, offset) for span in spans]
        local_answer = _local(answer, offset) if answer else None
        lines.append(render_marked(line, local, answer=local_answer))
        offset += len(line) + 1
    return "<br>".join(lines)


def display_title(hit: Hit, untitled: str = "(untitled)") -> str:
    """Return the title to show for a hit: its title, else its file name, else a placeholder.

    Args:
        hit: A search hit.
        untitled: The placeholder, in the page's language.

    Returns:
        The title (plain text, to be escaped).
    """
    if hit.title and hit.title.strip():
        return hit.title.strip()
    name = hit.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name or untitled


def format_timestamp(value: str | float | int | None) -> str:
    """Format a manifest timestamp (ISO string or epoch seconds) for people.

    Args:
        value: The timestamp.

    Returns:
        ``YYYY-MM-DD HH:MM`` in local time, ``—`` if unknown, the value itself if unreadable.
    """
    if value is None or value == "":
        return "—"
    try:
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(float(value)).astimezone()
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")
