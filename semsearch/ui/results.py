"""The page's main area below the search box: filters, result cards, the article dialog.

Streamlit widgets only: the hits come from the live index the page searched
(:class:`semsearch.service.LiveIndex`), which also gives each card its neighbouring paragraphs
and the dialog its article; :mod:`semsearch.ui.page` turns them into escaped HTML.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import TYPE_CHECKING

import streamlit as st

from semsearch.errors import SemsearchError
from semsearch.ui.feedback import show_error
from semsearch.ui.page import article_view_html, hit_card_html, neighbourhood_html

if TYPE_CHECKING:
    from semsearch.search import Hit, SearchResult
    from semsearch.service import LiveIndex

#: Questions a first-time visitor can click; each is answered by one of the seed articles.
EXAMPLE_QUERIES = (
    "焦裕禄干部学院建设得怎么样?",
    "开福区为什么说人人都是火炬手",
    "蘭考如何實現脫貧摘帽",
)
#: How the search modes are named on the page.
MODE_LABELS = {"hybrid": "Hybrid", "semantic": "Semantic", "keyword": "Keyword"}


def _set_query(text: str) -> None:
    st.session_state["query"] = text


@st.dialog("Article", width="large")
def show_article(live: LiveIndex, hit: Hit, query: str) -> None:
    """The whole cleaned article with the hit marked (a modal over the results).

    Args:
        live: The version searched.
        hit: The hit whose article is shown.
        query: The query, for the highlights.
    """
    try:
        article = live.article(hit, query)
    except SemsearchError as error:
        show_error(error)
        return
    st.html(article_view_html(hit, article))


def render_filters(live: LiveIndex) -> tuple[list[str] | None, str | None, str | None]:
    """Article and date filters.

    Args:
        live: The version searched (its articles and their dates).

    Returns:
        ``(doc ids, date from, date to)``, each None when not chosen.
    """
    by_id = {d.doc_id: d for d in live.documents}
    # Options change when articles are added or removed: forget selections that vanished.
    chosen = st.session_state.get("filter_docs")
    if chosen:
        st.session_state["filter_docs"] = [doc_id for doc_id in chosen if doc_id in by_id]
    dates = sorted(d.date for d in live.documents if d.date)
    with st.expander("Filters", icon=":material/filter_list:"):
        doc_col, from_col, to_col = st.columns([3, 1, 1])
        doc_ids = doc_col.multiselect(
            "Only these articles",
            options=list(by_id),
            format_func=lambda doc_id: (
                f"{by_id[doc_id].title or '(untitled)'} — {by_id[doc_id].path}"
            ),
            key="filter_docs",
            placeholder="All articles",
        )
        lowest = date.fromisoformat(dates[0]) if dates else None
        highest = date.fromisoformat(dates[-1]) if dates else None
        date_from = from_col.date_input("From", value=None, key="filter_from", format="YYYY-MM-DD")
        date_to = to_col.date_input("To", value=None, key="filter_to", format="YYYY-MM-DD")
        if dates:
            st.caption(f"Dated articles range from {lowest} to {highest}.")
    return (
        doc_ids or None,
        date_from.isoformat() if isinstance(date_from, date) else None,
        date_to.isoformat() if isinstance(date_to, date) else None,
    )


def render_hit(live: LiveIndex, hit: Hit, query: str) -> None:
    """One result card: header, highlighted chunk, context expander, whole-article button.

    Args:
        live: The version searched.
        hit: The hit shown.
        query: The query, for the highlights.
    """
    with st.container(border=True):
        st.html(hit_card_html(hit))
        also_in = getattr(hit, "also_in", [])
        if also_in:
            # Reprints of the article (a collapsed search): the other files, one per line.
            with st.expander(f"Also in {len(also_in)} other file{'s' if len(also_in) > 1 else ''}"):
                st.text("\n".join(also_in))
        context_col, open_col = st.columns([5, 1], vertical_alignment="top")
        with context_col.expander("Neighbouring paragraphs"):
            st.html(neighbourhood_html(hit, live.neighbourhood(hit, query)))
        if open_col.button(
            "Read article",
            key=f"open-{hit.rank}-{hit.chunk_id}",
            icon=":material/article:",
            width="stretch",
        ):
            show_article(live, hit, query)


def render_first_visit(live: LiveIndex | None) -> None:
    """The empty state: what this is and example queries to click.

    Args:
        live: The version searched (None: the examples are disabled).
    """
    st.markdown("#### Ask a question in any words, simplified or traditional")
    st.caption("Semantic search finds passages by meaning; keyword search by the exact words.")
    columns = st.columns(len(EXAMPLE_QUERIES))
    for column, example in zip(columns, EXAMPLE_QUERIES, strict=True):
        column.button(
            example,
            key=f"example-{example}",
            on_click=_set_query,
            args=(example,),
            icon=":material/lightbulb:",
            disabled=live is None,
            width="stretch",
        )


def render_results(live: LiveIndex, result: SearchResult) -> None:
    """The result summary (count, mode, query time) and the cards, or a no-result state.

    Args:
        live: The version searched.
        result: The search's result.
    """
    if not result.hits:
        st.html(
            f'<div class="ss-summary" data-took-ms="{result.took_ms:.1f}">'
            f"No passages match “{escape(result.query)}” "
            f"({result.took_ms:.0f} ms).</div>"
        )
        st.info(
            "Try other words, the semantic mode (it matches meaning, not words), "
            "or clear the filters.",
            icon=":material/search_off:",
        )
        return
    st.html(
        f'<div class="ss-summary" data-took-ms="{result.took_ms:.1f}">'
        f"<b>{len(result.hits)}</b> results for “{escape(result.query)}” · "
        f"{escape(MODE_LABELS.get(result.mode, result.mode))} · "
        f"<b>{result.took_ms:.0f} ms</b></div>"
    )
    for hit in result.hits:
        render_hit(live, hit, result.query)
