"""The reading view of a hit's whole article, as escaped HTML plus a small script.

The article opens scrolled to the hit the reader clicked, outlined; the other hits of the same
search in this article are marked too, and the reader moves between them with next/previous.
Query words outside the hits are only underlined, so the hits are what stands out. The script
is our own and constant (no article text goes into it): the page passes it to ``st.html`` with
JavaScript allowed, while every piece of article text stays escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from semsearch.ui.cards import title_html
from semsearch.ui.i18n import Texts
from semsearch.ui.page import render_paragraphs

if TYPE_CHECKING:
    from semsearch.search import Hit
    from semsearch.service import Article

_ENGLISH = Texts("en")

#: Scrolls the newest article view to its current hit and wires next/previous (wrapping).
ARTICLE_SCRIPT = """
<script>
(() => {
  const views = document.querySelectorAll(".ss-article-view");
  const view = views[views.length - 1];
  if (!view || view.dataset.ready) return;
  view.dataset.ready = "1";
  const total = Number(view.dataset.hits);
  const position = view.querySelector(".ss-position");
  let current = Number(view.dataset.current);
  const show = (index, behavior) => {
    current = (index + total) % total;
    view.dataset.current = String(current);
    view.querySelectorAll(".ss-current").forEach((e) => e.classList.remove("ss-current"));
    const parts = view.querySelectorAll(`[data-hit="${current}"]`);
    parts.forEach((e) => e.classList.add("ss-current"));
    if (parts.length) parts[0].scrollIntoView({ block: "center", behavior });
    if (position) {
      position.textContent = position.dataset.template
        .replace("{index}", String(current + 1)).replace("{total}", String(total));
    }
  };
  view.querySelector(".ss-previous")?.addEventListener("click", () => show(current - 1, "smooth"));
  view.querySelector(".ss-next")?.addEventListener("click", () => show(current + 1, "smooth"));
  // Twice: the dialog may still be growing when the first frame is drawn.
  requestAnimationFrame(() => show(current, "auto"));
  setTimeout(() => show(current, "auto"), 300);
})();
</script>
"""


def article_html(
    text: str,
    hit_start: int | None = None,
    hit_end: int | None = None,
    highlights: Iterable[tuple[int, int]] = (),
    tr: Texts = _ENGLISH,
) -> str:
    """Render a whole cleaned article with the hit marked.

    Args:
        text: The article's cleaned text, one paragraph a line.
        hit_start: Offset in ``text`` where the hit starts (None: nothing marked).
        hit_end: Offset where the hit ends.
        highlights: Query-word spans, as offsets in ``text``.
        tr: The page's language.

    Returns:
        Escaped HTML wrapped in ``<div class="ss-article">``; the paragraph where the hit
        starts has ``id="ss-hit"``.
    """
    hit_range = None
    if hit_start is not None and hit_end is not None and hit_end > hit_start:
        hit_range = (hit_start, hit_end)
    body = render_paragraphs(text, highlights, hit_range, hit_anchor="ss-hit")
    return _article_block(body, tr)


def _article_block(body: str, tr: Texts) -> str:
    if not body:
        body = f'<p class="ss-empty">{html.escape(tr("article.empty"))}</p>'
    return f'<div class="ss-article">{body}</div>'


def _meta(article: Article, tr: Texts) -> str:
    record = article.record
    parts = (record.path, tr.date(record.date), record.source, record.author)
    known = [part for part in parts if part]
    return " · ".join([*known, tr("article.marked")])


def _navigation(total: int, current: int, tr: Texts) -> str:
    if total < 2:
        return ""
    template = tr("article.position", index="{index}", total="{total}")
    shown = tr("article.position", index=current + 1, total=total)
    previous, following = html.escape(tr("article.previous")), html.escape(tr("article.next"))
    return (
        '<div class="ss-nav">'
        f'<button type="button" class="ss-previous">‹ {previous}</button>'
        f'<button type="button" class="ss-next">{following} ›</button>'
        f'<span class="ss-position" data-template="{html.escape(template, quote=True)}">'
        f"{html.escape(shown)}</span></div>"
    )


def article_view_html(
    hit: Hit, article: Article, tr: Texts = _ENGLISH, others: Sequence[Hit] = ()
) -> str:
    """Render a hit's whole article for the reading dialog: title, metadata, marked hits.

    Args:
        hit: The hit the reader opened.
        article: Its stored article with the query's words.
        tr: The page's language.
        others: The search's other hits (those in the same article are marked too).

    Returns:
        Escaped HTML in ``<div class="ss-article-view">``; give :data:`ARTICLE_SCRIPT` to the
        page after it to scroll to the hit and run next/previous.
    """
    length = len(article.record.text)
    same = {(h.start, h.end) for h in others if h.doc_id == hit.doc_id and h.end > h.start}
    same.add((hit.start, hit.end))
    ranges = sorted((max(0, s), min(length, e)) for s, e in same if min(length, e) > max(0, s))
    current = ranges.index((hit.start, hit.end)) if (hit.start, hit.end) in ranges else 0
    body = render_paragraphs(
        article.record.text,
        article.highlights,
        hit_anchor="ss-hit",
        hit_ranges=ranges,
        subdue_outside_hit=True,
    )
    return (
        f'<div class="ss-article-view" data-hits="{max(1, len(ranges))}" data-current="{current}">'
        f"{_navigation(len(ranges), current, tr)}"
        f'<div class="ss-title">{title_html(hit, tr)}</div>'
        f'<div class="ss-meta">{html.escape(_meta(article, tr))}</div>'
        f"{_article_block(body, tr)}</div>"
    )
