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
    from semsearch.service import Article, Neighbourhood

#: Characters that mean something in Streamlit's markdown (widget labels, messages).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^])")

#: Stylesheet of the page; the class names below are the ones the render functions emit.
PAGE_CSS = """
<style>
.ss-card-head { display: flex; align-items: baseline; gap: .6rem; flex-wrap: wrap; }
.ss-rank { font-weight: 700; color: #fff; background: #3b6ea8; border-radius: .4rem;
  padding: 0 .45rem; font-size: .9rem; }
.ss-title { font-weight: 700; font-size: 1.08rem; }
.ss-meta { color: #6b7280; font-size: .85rem; margin: .15rem 0 .4rem 0; }
.ss-meta span + span::before { content: " · "; }
.ss-score { font-variant-numeric: tabular-nums; }
.ss-text { line-height: 1.75; font-size: 1rem; white-space: normal; }
.ss-text mark, .ss-article mark { background: #ffe066; color: inherit; padding: 0 .1rem;
  border-radius: .15rem; }
.ss-context { line-height: 1.7; }
.ss-context p:not(:has(.ss-hit)) { opacity: .6; }
.ss-context .ss-hit { background: rgba(59, 110, 168, .10); }
.ss-summary { margin: .4rem 0 .2rem 0; }
.ss-article p { line-height: 1.8; margin: 0 0 .8rem 0; }
.ss-article .ss-hit { background: #e3efff; border-bottom: 2px solid #3b6ea8; }
.ss-article .ss-hit mark { background: #ffe066; }
.ss-empty { color: #6b7280; }
</style>
"""


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


def render_marked(
    text: str,
    highlights: Iterable[tuple[int, int]] = (),
    hit_range: tuple[int, int] | None = None,
) -> str:
    """Render one line of text as escaped HTML with query words and the hit marked.

    Args:
        text: The untrusted text.
        highlights: Character spans to wrap in ``<mark>`` (the query's words).
        hit_range: An optional span to wrap in ``<span class="ss-hit">`` (the matching chunk
            inside a longer text).

    Returns:
        HTML in which every character of ``text`` is escaped.
    """
    marks = merge_spans(highlights, len(text))
    hits = merge_spans([hit_range], len(text)) if hit_range else []
    cuts = {0, len(text)}
    for start, end in (*marks, *hits):
        cuts.update((start, end))
    bounds = sorted(cuts)
    pieces: list[str] = []
    for start, end in itertools.pairwise(bounds):
        if start == end:
            continue
        # Each segment is wrapped on its own, so nesting stays valid whatever the overlaps.
        piece = html.escape(text[start:end], quote=True)
        if _inside(start, marks):
            piece = f"<mark>{piece}</mark>"
        if _inside(start, hits):
            piece = f'<span class="ss-hit">{piece}</span>'
        pieces.append(piece)
    return "".join(pieces)


def render_paragraphs(
    text: str,
    highlights: Iterable[tuple[int, int]] = (),
    hit_range: tuple[int, int] | None = None,
    hit_anchor: str | None = None,
) -> str:
    """Render multi-paragraph text (paragraphs separated by ``"\\n"``) as escaped ``<p>`` blocks.

    Args:
        text: The untrusted text, one paragraph a line.
        highlights: Spans (offsets in ``text``) of words to wrap in ``<mark>``.
        hit_range: An optional span of ``text`` to mark as the hit.
        hit_anchor: If given, the paragraph where the hit starts gets this ``id`` (for linking).

    Returns:
        HTML: one ``<p>`` per non-empty paragraph.
    """
    spans = list(highlights)
    blocks: list[str] = []
    offset = 0
    for line in text.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        if not line.strip():
            continue
        local_marks = [(s - line_start, e - line_start) for s, e in spans]
        local_hit = None
        attributes = ""
        if hit_range and hit_range[0] < line_end and hit_range[1] > line_start:
            local_hit = (hit_range[0] - line_start, hit_range[1] - line_start)
            if hit_anchor and line_start <= hit_range[0] <= line_end:
                attributes = f' id="{html.escape(hit_anchor, quote=True)}"'
        blocks.append(f"<p{attributes}>{render_marked(line, local_marks, local_hit)}</p>")
    return "".join(blocks)


def render_inline(text: str, highlights: Iterable[tuple[int, int]] = ()) -> str:
    """Render text on the page with ``<mark>`` highlights, paragraph breaks as ``<br>``.

    Args:
        text: The untrusted text (a chunk may span paragraphs).
        highlights: Spans of ``text`` to mark.

    Returns:
        Escaped HTML.
    """
    spans = list(highlights)
    lines: list[str] = []
    offset = 0
    for line in text.split("\n"):
        local = [(s - offset, e - offset) for s, e in spans]
        lines.append(render_marked(line, local))
        offset += len(line) + 1
    return "<br>".join(lines)


def display_title(hit: Hit) -> str:
    """Return the title to show for a hit: its title, else its file name, else a placeholder.

    Args:
        hit: A search hit.

    Returns:
        The title (plain text, to be escaped).
    """
    if hit.title and hit.title.strip():
        return hit.title.strip()
    name = hit.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name or "(untitled)"


def hit_card_html(hit: Hit) -> str:
    """Render the visible part of a result card: rank, title, file, date, score and the chunk.

    Args:
        hit: A search hit.

    Returns:
        Escaped HTML for ``st.html``.
    """
    meta = [
        f'<span class="ss-file" title="{html.escape(hit.path, quote=True)}">'
        f"{html.escape(hit.path)}</span>",
        f"<span>¶{hit.paragraph + 1}</span>",
    ]
    if hit.date:
        meta.append(f'<span class="ss-date">{html.escape(hit.date)}</span>')
    meta.append(f'<span class="ss-score">score {hit.score:.3f}</span>')
    return (
        '<div class="ss-card">'
        '<div class="ss-card-head">'
        f'<span class="ss-rank">{hit.rank}</span>'
        f'<span class="ss-title">{html.escape(display_title(hit))}</span>'
        "</div>"
        f'<div class="ss-meta">{"".join(meta)}</div>'
        f'<div class="ss-text">{render_inline(hit.text, hit.highlights)}</div>'
        "</div>"
    )


def context_html(hit: Hit) -> str:
    """Render the hit between its neighbouring paragraphs (dimmed), for the card's expander.

    Args:
        hit: A search hit with ``context_before`` / ``context_after``.

    Returns:
        Escaped HTML; the hit itself keeps its highlights.
    """
    parts: list[str] = []
    if hit.context_before.strip():
        parts.append(f"<p>{render_inline(hit.context_before)}</p>")
    parts.append(f'<p class="ss-hit">{render_inline(hit.text, hit.highlights)}</p>')
    if hit.context_after.strip():
        parts.append(f"<p>{render_inline(hit.context_after)}</p>")
    return f'<div class="ss-context">{"".join(parts)}</div>'


def article_html(
    text: str,
    hit_start: int | None = None,
    hit_end: int | None = None,
    highlights: Iterable[tuple[int, int]] = (),
) -> str:
    """Render a whole cleaned article with the hit marked.

    Args:
        text: The article's cleaned text, one paragraph a line.
        hit_start: Offset in ``text`` where the hit starts (None: nothing marked).
        hit_end: Offset where the hit ends.
        highlights: Query-word spans, as offsets in ``text``.

    Returns:
        Escaped HTML wrapped in ``<div class="ss-article">``; the paragraph where the hit
        starts has ``id="ss-hit"``.
    """
    hit_range = None
    if hit_start is not None and hit_end is not None and hit_end > hit_start:
        hit_range = (hit_start, hit_end)
    body = render_paragraphs(text, highlights, hit_range, hit_anchor="ss-hit")
    if not body:
        body = '<p class="ss-empty">(This article has no text.)</p>'
    return f'<div class="ss-article">{body}</div>'


def context_paragraphs_html(
    text: str, start: int, end: int, highlights: Iterable[tuple[int, int]] = ()
) -> str:
    """Render a stretch of an article (a :class:`semsearch.service.Neighbourhood`) with the hit
    marked.

    Args:
        text: The stretch of article text, one paragraph a line.
        start: Where the hit starts in ``text``.
        end: Where it ends.
        highlights: Query-word spans, as offsets in ``text``.

    Returns:
        Escaped HTML in ``<div class="ss-context">``: neighbours dimmed, the hit in full colour.
    """
    return f'<div class="ss-context">{render_paragraphs(text, highlights, (start, end))}</div>'


def neighbourhood_html(hit: Hit, neighbourhood: Neighbourhood | None) -> str:
    """Render the paragraphs around a hit for the card's expander.

    Args:
        hit: A search hit.
        neighbourhood: Its paragraphs from the stored article, or None when they cannot be had
            (then the hit's own ``context_before`` / ``context_after`` are shown).

    Returns:
        Escaped HTML in ``<div class="ss-context">``.
    """
    if neighbourhood is None:
        return context_html(hit)
    return context_paragraphs_html(
        neighbourhood.text, neighbourhood.hit_start, neighbourhood.hit_end, neighbourhood.highlights
    )


def article_view_html(hit: Hit, article: Article) -> str:
    """Render a hit's whole article for the reading dialog: title, metadata, marked text.

    Args:
        hit: A search hit.
        article: Its stored article with the query's words.

    Returns:
        Escaped HTML.
    """
    return (
        f'<div class="ss-title">{html.escape(display_title(hit))}</div>'
        f'<div class="ss-meta">{html.escape(article.meta)} · the hit is marked in blue</div>'
        + article_html(article.record.text, hit.start, hit.end, article.highlights)
    )


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
