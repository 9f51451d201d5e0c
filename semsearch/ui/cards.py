"""Result cards as escaped HTML: a hit's header, match strength, answer sentence and context.

Pure functions (no Streamlit), like :mod:`semsearch.ui.page`, whose escaping they use. A hit's
match strength (``Hit.confidence``) and answer sentence (``Hit.answer``) come from the search;
:func:`strength_of` and :func:`answer_of` read them whatever their exact shape, and give None
for hits that do not carry them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from semsearch.ui.i18n import Texts
from semsearch.ui.page import (
    display_title,
    render_inline,
    render_paragraphs,
)

if TYPE_CHECKING:
    from semsearch.search import Hit
    from semsearch.service import Neighbourhood

#: Match strengths, strongest first (the labels ``Hit.confidence`` carries).
STRENGTHS = ("strong", "possible", "weak")
_ENGLISH = Texts("en")


def strength_of(hit: Any) -> str | None:
    """The hit's match strength label, if the search gave one.

    Args:
        hit: A search hit (``confidence`` may be a label, an object or mapping with ``label``,
            or a ``(label, value)`` pair).

    Returns:
        One of :data:`STRENGTHS`, or None.
    """
    confidence = getattr(hit, "confidence", None)
    if isinstance(confidence, dict):
        confidence = confidence.get("label")
    elif isinstance(confidence, tuple | list) and confidence:
        confidence = confidence[0]
    elif confidence is not None and not isinstance(confidence, str):
        confidence = getattr(confidence, "label", None)
    return confidence if confidence in STRENGTHS else None


def answer_of(hit: Any) -> tuple[int, int] | None:
    """The span of the hit's answer sentence in ``hit.text``, if the search found one.

    Args:
        hit: A search hit (``answer`` may be a ``(start, end)`` pair or have ``start``/``end``).

    Returns:
        ``(start, end)``, or None.
    """
    answer = getattr(hit, "answer", None)
    if answer is None:
        return None
    if not isinstance(answer, tuple | list):
        answer = (getattr(answer, "start", None), getattr(answer, "end", None))
    if len(answer) < 2 or not all(isinstance(x, int) for x in answer[:2]):
        return None
    start, end = int(answer[0]), int(answer[1])
    return (start, end) if end > start else None


def strength_badge(hit: Any, tr: Texts = _ENGLISH) -> str:
    """A coloured label with the hit's match strength (empty when unknown).

    Args:
        hit: A search hit.
        tr: The page's language.

    Returns:
        HTML.
    """
    strength = strength_of(hit)
    if strength is None:
        return ""
    return (
        f'<span class="ss-strength ss-strength-{strength}" data-strength="{strength}">'
        f"{html.escape(tr(f'strength.{strength}'))}</span>"
    )


def title_html(hit: Hit, tr: Texts) -> str:
    """The hit's title (or file name, or a placeholder), escaped.

    Args:
        hit: A search hit.
        tr: The page's language.

    Returns:
        Escaped text.
    """
    return html.escape(display_title(hit, tr("card.untitled")))


def _meta(hit: Hit, tr: Texts, with_file: bool) -> str:
    parts = []
    if with_file:
        parts.append(
            f'<span class="ss-file" title="{html.escape(hit.path, quote=True)}">'
            f"{html.escape(hit.path)}</span>"
        )
    parts.append(f"<span>{html.escape(tr('card.paragraph', number=hit.paragraph + 1))}</span>")
    if hit.date and with_file:
        parts.append(f'<span class="ss-date">{html.escape(tr.date(hit.date))}</span>')
    score = tr("card.score", score=f"{hit.score:.3f}")
    parts.append(f'<span class="ss-score">{html.escape(score)}</span>')
    return f'<div class="ss-meta">{"".join(parts)}</div>'


def passage_html(hit: Hit, tr: Texts = _ENGLISH, with_file: bool = False) -> str:
    """One passage of a result: rank, strength, paragraph, score, the text with its marks.

    Args:
        hit: A search hit.
        tr: The page's language.
        with_file: Also show the file and date (a card on its own, not under its article).

    Returns:
        Escaped HTML.
    """
    text = render_inline(hit.text, hit.highlights, answer_of(hit))
    return (
        f'<div class="ss-passage" data-rank="{int(hit.rank)}">'
        f'<div class="ss-card-head"><span class="ss-rank">{int(hit.rank)}</span>'
        f"{strength_badge(hit, tr)}</div>"
        f"{_meta(hit, tr, with_file)}"
        f'<div class="ss-text">{text}</div></div>'
    )


def hit_card_html(hit: Hit, tr: Texts = _ENGLISH) -> str:
    """Render the visible part of a result card: rank, title, file, date, score and the chunk.

    Args:
        hit: A search hit.
        tr: The page's language.

    Returns:
        Escaped HTML for ``st.html``.
    """
    return (
        '<div class="ss-card">'
        f'<div class="ss-card-head"><span class="ss-title">{title_html(hit, tr)}</span></div>'
        f"{passage_html(hit, tr, with_file=True)}</div>"
    )


def group_head_html(hits: Sequence[Hit], tr: Texts = _ENGLISH) -> str:
    """The header of an article's group of results: title, file, date, best strength.

    Args:
        hits: The article's hits, best first.
        tr: The page's language.

    Returns:
        Escaped HTML.
    """
    best = hits[0]
    meta = [
        f'<span class="ss-file" title="{html.escape(best.path, quote=True)}">'
        f"{html.escape(best.path)}</span>"
    ]
    if best.date:
        meta.append(f'<span class="ss-date">{html.escape(tr.date(best.date))}</span>')
    doc = html.escape(best.doc_id, quote=True)
    return (
        f'<div class="ss-card ss-group" data-doc="{doc}">'
        f'<div class="ss-group-head"><span class="ss-title">{title_html(best, tr)}</span>'
        f"{strength_badge(best, tr)}</div>"
        f'<div class="ss-meta">{"".join(meta)}</div></div>'
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


def context_paragraphs_html(
    text: str, start: int, end: int, highlights: Sequence[tuple[int, int]] = ()
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
