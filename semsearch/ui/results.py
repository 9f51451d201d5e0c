"""The page's main area below the search box: filters, result cards, the article dialog.

Streamlit widgets only: the hits come from the live index the page searched
(:class:`semsearch.service.LiveIndex`), which also gives each card its neighbouring paragraphs
and the dialog its article; :mod:`semsearch.ui.cards` and :mod:`semsearch.ui.article` turn
them into escaped HTML, :mod:`semsearch.ui.arrange` orders and groups them.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import TYPE_CHECKING

import streamlit as st

from semsearch.errors import SemsearchError
from semsearch.ui.arrange import articles_per_date, first_weak, group_by_article, sort_hits
from semsearch.ui.article import ARTICLE_SCRIPT, article_view_html
from semsearch.ui.cards import (
    group_head_html,
    hit_card_html,
    neighbourhood_html,
    passage_html,
    strength_of,
)
from semsearch.ui.export import EXPORT_FORMATS, citation, export_text
from semsearch.ui.feedback import show_error

if TYPE_CHECKING:
    from semsearch.search import Hit, SearchResult
    from semsearch.service import LiveIndex
    from semsearch.ui.i18n import Texts

#: Questions a first-time visitor can click; each is answered by one of the seed articles.
EXAMPLE_QUERIES = (
    "焦裕禄干部学院建设得怎么样?",
    "开福区为什么说人人都是火炬手",
    "蘭考如何實現脫貧摘帽",
)
#: Passages shown under an article's header; the rest are behind '+N more'.
PASSAGES_SHOWN = 2


def _set_query(text: str) -> None:
    st.session_state["query"] = text


def _show_article(live: LiveIndex, hit: Hit, result: SearchResult, tr: Texts) -> None:
    """The whole cleaned article, scrolled to the hit, in a modal over the results."""

    def body() -> None:
        try:
            article = live.article(hit, result.query)
        except SemsearchError as error:
            show_error(error, tr=tr)
            return
        st.html(article_view_html(hit, article, tr, result.hits))
        st.html(ARTICLE_SCRIPT, unsafe_allow_javascript=True)

    st.dialog(tr("article.title"), width="large")(body)()


def render_filters(live: LiveIndex, tr: Texts) -> tuple[list[str] | None, str | None, str | None]:
    """Article and date filters.

    Args:
        live: The version searched (its articles and their dates).
        tr: The page's language.

    Returns:
        ``(doc ids, date from, date to)``, each None when not chosen.
    """
    by_id = {d.doc_id: d for d in live.documents}
    # Options change when articles are added or removed: forget selections that vanished.
    chosen = st.session_state.get("filter_docs")
    if chosen:
        st.session_state["filter_docs"] = [doc_id for doc_id in chosen if doc_id in by_id]
    dates = sorted(d.date for d in live.documents if d.date)
    untitled = tr("card.untitled")
    with st.expander(tr("filter.title"), icon=":material/filter_list:"):
        doc_col, from_col, to_col = st.columns([3, 1, 1])
        doc_ids = doc_col.multiselect(
            tr("filter.docs"),
            options=list(by_id),
            format_func=lambda doc_id: f"{by_id[doc_id].title or untitled} — {by_id[doc_id].path}",
            key="filter_docs",
            placeholder=tr("filter.docs_all"),
        )
        shape = "YYYY/MM/DD" if tr.chinese else "DD/MM/YYYY"
        date_from = from_col.date_input(tr("filter.from"), key="filter_from", format=shape)
        date_to = to_col.date_input(tr("filter.to"), key="filter_to", format=shape)
        if dates:
            st.caption(tr("filter.range", lowest=tr.date(dates[0]), highest=tr.date(dates[-1])))
        undated = len(by_id) - len(dates)
        if undated and (isinstance(date_from, date) or isinstance(date_to, date)):
            st.caption(tr("filter.undated", count=undated))
    return (
        doc_ids or None,
        date_from.isoformat() if isinstance(date_from, date) else None,
        date_to.isoformat() if isinstance(date_to, date) else None,
    )


def _actions(live: LiveIndex, hit: Hit, result: SearchResult, tr: Texts) -> None:
    """Under a passage: its neighbouring paragraphs, its citation, the whole article."""
    context_col, cite_col, open_col = st.columns([4, 1, 1], vertical_alignment="top")
    with context_col.expander(tr("card.neighbours")):
        st.html(neighbourhood_html(hit, live.neighbourhood(hit, result.query)))
    with cite_col.popover(tr("card.cite"), icon=":material/format_quote:", width="stretch"):
        source = _sources(live).get(hit.doc_id)
        st.code(citation(hit, tr, source), language=None, wrap_lines=True)
        st.caption(tr("card.cite_help"))
    if open_col.button(
        tr("card.read"),
        key=f"open-{hit.rank}-{hit.chunk_id}",
        icon=":material/article:",
        width="stretch",
    ):
        _show_article(live, hit, result, tr)


def _sources(live: LiveIndex) -> dict[str, str | None]:
    return {d.doc_id: d.source for d in live.documents}


def _divider(tr: Texts) -> None:
    st.html(f'<div class="ss-divider">{escape(tr("results.weak_divider"))}</div>')


def render_hit(live: LiveIndex, hit: Hit, result: SearchResult, tr: Texts) -> None:
    """One result card in the flat list: header, marked passage, context, citation, article.

    Args:
        live: The version searched.
        hit: The hit shown.
        result: The whole result (the article view marks its other hits in the article).
        tr: The page's language.
    """
    with st.container(border=True):
        st.html(hit_card_html(hit, tr))
        _also_in(hit, tr)
        _actions(live, hit, result, tr)


def _also_in(hit: Hit, tr: Texts) -> None:
    """The other files of the hit's article, when reprints were collapsed into it."""
    also_in = getattr(hit, "also_in", [])
    if also_in:
        with st.expander(tr("results.also_in", count=len(also_in))):
            st.text("\n".join(also_in))


def render_group(live: LiveIndex, hits: list[Hit], result: SearchResult, tr: Texts) -> None:
    """One article's results: its header once, its best passages, the rest behind '+N more'.

    Args:
        live: The version searched.
        hits: The article's hits in display order.
        result: The whole result.
        tr: The page's language.
    """
    with st.container(border=True):
        st.html(group_head_html(hits, tr))
        _also_in(hits[0], tr)
        for hit in hits[:PASSAGES_SHOWN]:
            st.html(passage_html(hit, tr))
            _actions(live, hit, result, tr)
        rest = hits[PASSAGES_SHOWN:]
        if rest:
            with st.expander(tr("results.more", count=len(rest))):
                for hit in rest:
                    st.html(passage_html(hit, tr))
                    _actions(live, hit, result, tr)


def render_first_visit(live: LiveIndex | None, tr: Texts) -> None:
    """The empty state: what this is and example queries to click.

    Args:
        live: The version searched (None: the examples are disabled).
        tr: The page's language.
    """
    st.markdown(f"#### {tr('first.heading')}")
    st.caption(tr("first.caption"))
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


def _render_timeline(hits: list[Hit], tr: Texts) -> None:
    """A small chart of matching articles per date, when they span several dates."""
    per_date, undated = articles_per_date(hits)
    if len(per_date) > 1:
        label_date, label_count = tr("results.chart_date"), tr("results.chart_articles")
        data = {label_date: list(per_date), label_count: list(per_date.values())}
        st.caption(tr("results.chart"))
        st.bar_chart(data, x=label_date, y=label_count, height=150)
        if undated:
            st.caption(tr("results.undated", count=undated))


def _render_toolbar(live: LiveIndex, result: SearchResult, tr: Texts) -> None:
    """The result's export buttons (CSV, JSON, Markdown)."""
    with st.popover(tr("export.label"), icon=":material/download:"):
        sources = _sources(live)
        for kind, mime in EXPORT_FORMATS.items():
            st.download_button(
                kind.upper() if kind != "md" else "Markdown",
                data=export_text(result, kind, tr, sources).encode("utf-8"),
                file_name=f"semsearch-results.{kind}",
                mime=mime,
                key=f"export-{kind}",
                on_click="ignore",
                width="stretch",
            )


def render_results(
    live: LiveIndex, result: SearchResult, tr: Texts, flat: bool = False, sort: str = "relevance"
) -> None:
    """The result summary, export, chart and the cards (grouped or flat), or a no-result state.

    Args:
        live: The version searched.
        result: The search's result.
        tr: The page's language.
        flat: One card per passage instead of one per article.
        sort: ``relevance`` or ``date``.
    """
    took = f"{result.took_ms:.0f}"
    query = escape(result.query)
    if not result.hits:
        st.html(
            f'<div class="ss-summary" data-took-ms="{result.took_ms:.1f}">'
            f"{tr('results.none', query=query, ms=took)}</div>"
        )
        st.info(tr("results.none_tip"), icon=":material/search_off:")
        return
    hits = sort_hits(result.hits, sort)
    groups = [[hit] for hit in hits] if flat else group_by_article(hits)
    mode = escape(tr(f"mode.{result.mode}"))
    summary = tr(
        "results.summary",
        query=query,
        count=len(hits),
        articles=len({h.doc_id for h in hits}),
        mode=mode,
        ms=took,
    )
    summary_col, export_col = st.columns([5, 1], vertical_alignment="center")
    summary_col.html(f'<div class="ss-summary" data-took-ms="{result.took_ms:.1f}">{summary}</div>')
    with export_col:
        _render_toolbar(live, result, tr)
    # Counted by the search when it has the count (Hit/SearchResult fields of issue 15).
    undated = getattr(result, "undated_excluded", 0)
    if undated:
        st.caption(tr("filter.undated", count=undated))
    _render_timeline(hits, tr)
    weak_from = first_weak([strength_of(g[0]) for g in groups]) if sort == "relevance" else None
    for index, group in enumerate(groups):
        if index == weak_from:
            _divider(tr)
        if flat:
            render_hit(live, group[0], result, tr)
        else:
            render_group(live, group, result, tr)
