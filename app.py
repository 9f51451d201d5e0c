"""semsearch in the browser: search the articles, read hits in context, add articles.

Start it with ``make run`` (``python -m semsearch.ui.serve``: the model and the index load while
the server starts) or ``streamlit run app.py`` (they load for the first visitor). The page is
layout and widgets only: every decision goes through :class:`semsearch.service.Service`, the
facade the CLI calls too. ``semsearch.ui`` holds the rest: the sentences in three languages
(:mod:`~semsearch.ui.i18n`, :mod:`~semsearch.ui.catalogue`), the state kept in the URL
(:mod:`~semsearch.ui.urlstate`), escaped HTML (:mod:`~semsearch.ui.page`,
:mod:`~semsearch.ui.cards`, :mod:`~semsearch.ui.article`), the stylesheet
(:mod:`~semsearch.ui.theme`), the sidebar (:mod:`~semsearch.ui.sidebar`) and the results
(:mod:`~semsearch.ui.results`). Settings come from ``semsearch.settings``
(``SEMSEARCH_INDEX``, ``SEMSEARCH_CORPUS``…).

The model and the open index are kept per process (:mod:`semsearch.ui.preload`); the index is
keyed by its version on disk, so an update from the CLI or an upload is picked up on the next
interaction without a restart. With ``SEMSEARCH_WATCH=1`` the server also keeps the index in
step with its folders (one watcher thread per process, like ``semsearch watch``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.ui import preload, urlstate
from semsearch.ui.feedback import show_error, show_unexpected
from semsearch.ui.i18n import LANGUAGE_NAMES, LANGUAGES, Texts
from semsearch.ui.page import markdown_code
from semsearch.ui.results import render_filters, render_first_visit, render_results
from semsearch.ui.sidebar import (
    render_index_panel,
    render_maintenance_panel,
    render_upload_panel,
)
from semsearch.ui.theme import page_css

if TYPE_CHECKING:
    from semsearch.search import SearchResult
    from semsearch.service import LiveIndex, Service

#: The tab's icon, served by the page itself (an icon font's favicon comes from a CDN).
FAVICON = Path(__file__).resolve().parent / "semsearch" / "ui" / "static" / "favicon.png"


def open_current(service: Service, tr: Texts) -> tuple[LiveIndex | None, SemsearchError | None]:
    """Open the index's live version (kept per process), or say why it cannot be opened.

    Args:
        service: The page's service.
        tr: The page's language (for the progress message).

    Returns:
        ``(live version, None)``, ``(None, None)`` without an index, or ``(None, error)``.
    """
    generation = service.live_version()
    if generation is None:
        return None, None
    message = tr("page.loading_model") if preload.is_warming() else tr("page.loading_index")
    try:
        with st.spinner(message, show_time=True):
            live = preload.live_index(str(service.index_dir.resolve()), generation)
    except SemsearchError as error:
        return None, error
    return live, None


# --------------------------------------------------------------------------------------------
# Main area: the search form (filters, cards and the article dialog: semsearch.ui.results)
# --------------------------------------------------------------------------------------------


def search_cached(live: LiveIndex, query: str, **options: Any) -> SearchResult:
    """Search, reusing the last result when nothing changed (a click on a card reruns the page).

    Args:
        live: The version searched.
        query: The query.
        **options: The searcher's options (k, mode, filters).

    Returns:
        The result.
    """
    key = (live.generation, query, tuple(sorted((k, repr(v)) for k, v in options.items())))
    last = st.session_state.get("last_search")
    if last is not None and last[0] == key:
        return last[1]
    result = live.search(query, **options)
    st.session_state["last_search"] = (key, result)
    return result


def _choice(
    container: Any, tr: Texts, key: str, options: tuple[str, ...], **more: Any
) -> str | None:
    """One of a few options as buttons; labelled ``search.{key}``, each ``{key}.{option}``."""
    return container.segmented_control(
        tr(f"search.{key}"),
        options=list(options),
        format_func=lambda option: tr(f"{key}.{option}"),
        key=key,
        required=True,
        **more,
    )


def _search_options(live: LiveIndex | None, tr: Texts) -> tuple[str, str, int]:
    """The search box, the mode and the number of results (values also in the URL).

    One row on a wide screen; on a phone the box takes the width and the mode and number share
    the next line without their labels (``ss-search`` in :mod:`semsearch.ui.theme`).
    """
    row = st.container(key="ss-search")
    query_col, mode_col, k_col = row.columns([5, 3, 1], vertical_alignment="bottom")
    query = query_col.text_input(
        tr("search.label"),
        key="query",
        placeholder=tr("search.placeholder"),
        disabled=live is None,
    )
    mode = _choice(mode_col, tr, "mode", urlstate.MODES)
    k = k_col.number_input(
        tr("search.k"), min_value=1, max_value=urlstate.MAX_RESULTS, step=1, key="k"
    )
    return query or "", mode or "hybrid", int(k)


def render_search(live: LiveIndex | None, tr: Texts) -> None:
    """The search box, options, filters, view switches and results.

    Args:
        live: The version to search (None: the box is disabled).
        tr: The page's language.
    """
    query, mode, k = _search_options(live, tr)
    if live is None:
        return
    doc_ids, date_from, date_to = render_filters(live, tr)
    view = st.container(key="ss-view")
    flat_col, sort_col = view.columns([3, 2], vertical_alignment="center")
    flat = flat_col.toggle(tr("search.flat"), key="flat")
    sort = _choice(sort_col, tr, "sort", urlstate.SORTS, label_visibility="collapsed")
    if not query.strip():
        render_first_visit(live, tr)
        return
    try:
        result = search_cached(
            live,
            query.strip(),
            k=k,
            mode=mode,
            doc_ids=doc_ids,
            date_from=date_from,
            date_to=date_to,
        )
    except SemsearchError as error:
        show_error(error, tr=tr)
        return
    render_results(live, result, tr, flat=flat, sort=sort or "relevance")


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def page_language() -> Texts:
    """Restore the page's state from the URL (first run) and say which language to show."""
    locale = st.context.locale or st.context.headers.get("Accept-Language")
    return Texts(urlstate.sync(st.session_state, st.query_params, locale))


def render_header(tr: Texts) -> Any:
    """The title with the language switch beside it; returns the slot for the caption.

    On a phone both stay on one line and the caption is left out (``ss-header`` and
    ``ss-caption`` in :mod:`semsearch.ui.theme`), so that results reach the first screen.
    """
    title_col, lang_col = st.container(key="ss-header").columns([4, 1], vertical_alignment="bottom")
    title_col.title(":material/travel_explore: semsearch")
    lang_col.selectbox(
        tr("page.language"),
        options=list(LANGUAGES),
        format_func=LANGUAGE_NAMES.get,
        key="lang",
        label_visibility="collapsed",
    )
    return st.container(key="ss-caption").empty()


def main() -> None:
    """Lay out the page; every user mistake becomes a message with its fix."""
    tr = page_language()
    st.set_page_config(page_title=tr("page.tab"), page_icon=str(FAVICON), layout="wide")
    st.html(page_css(tr))
    service = preload.service()
    index_dir, corpus_dir = service.location, service.corpus_dir
    if settings.watch_enabled():
        preload.start_watching(str(service.index_dir.resolve()))
    caption = render_header(tr)
    with st.sidebar:
        index_box, upload_box, maintenance_box = st.container(), st.container(), st.container()

    live, problem = open_current(service, tr)
    info = service.info(live) if live is not None else None
    # Actions that change the index run before anything describes it, so the page shows the
    # new state in this very run.
    render_upload_panel(upload_box, service, tr)
    render_maintenance_panel(maintenance_box, service, info, tr)
    if live is None or service.live_version() != live.generation:
        live, problem = open_current(service, tr)
        info = service.info(live) if live is not None else None

    if problem is not None:
        show_error(problem, tr=tr)
    elif live is None:
        st.warning(
            tr(
                "page.no_index",
                index=markdown_code(str(index_dir)),
                corpus=markdown_code(str(corpus_dir)),
                command=markdown_code(f"semsearch build {corpus_dir}"),
            ),
            icon=":material/inventory_2:",
        )
    render_index_panel(index_box, service, info, problem, tr)
    if info is not None:
        caption.caption(
            tr(
                "page.caption",
                documents=f"{info.documents:,}",
                passages=f"{info.chunks:,}",
                folder=markdown_code(str(corpus_dir)),
            )
        )
    render_search(live, tr)


if __name__ == "__main__":
    try:
        main()
    except SemsearchError as error:
        show_error(error)
    except Exception as error:  # a bug: one line in the page, the traceback in the log
        show_unexpected(error)
