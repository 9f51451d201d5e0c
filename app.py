"""semsearch in the browser: search the articles, read hits in context, add articles.

Start it with ``make run`` (or ``streamlit run app.py``). The page is layout and widgets only:
every decision goes through :class:`semsearch.service.Service`, the facade the CLI calls too
(opening the live index, info, update/rebuild with the index's own model, uploads, the
paragraphs around a hit). ``semsearch.ui`` renders escaped HTML (:mod:`~semsearch.ui.page`),
words outcomes (:mod:`~semsearch.ui.messages`), draws the sidebar
(:mod:`~semsearch.ui.sidebar`) and the result cards (:mod:`~semsearch.ui.results`). Settings
come from ``semsearch.settings`` (``SEMSEARCH_INDEX``, ``SEMSEARCH_CORPUS``…).

The model and the open index are cached per process (``st.cache_resource``); the index is keyed
by its version on disk, so an update from the CLI or an upload is picked up on the next
interaction without a restart. With ``SEMSEARCH_WATCH=1`` the server also keeps the index in
step with its folders (one watcher thread per process, like ``semsearch watch``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.service import LiveIndex, Service, load_model
from semsearch.ui.feedback import show_error, show_unexpected
from semsearch.ui.page import PAGE_CSS, markdown_code
from semsearch.ui.results import MODE_LABELS, render_filters, render_first_visit, render_results
from semsearch.ui.sidebar import (
    render_index_panel,
    render_maintenance_panel,
    render_upload_panel,
)

if TYPE_CHECKING:
    from threading import Thread

    from semsearch.embed import Embedder
    from semsearch.search import SearchResult

# --------------------------------------------------------------------------------------------
# Cached resources: one model per process, one open index per version on disk.
# --------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the embedding model (once per server)…", max_entries=2)
def cached_embedder(model: str, cache_dir: str) -> Embedder:
    """Load an embedding model once per process (shared by all sessions).

    Args:
        model: The model's name or folder.
        cache_dir: Where converted models are kept (part of the cache key).

    Returns:
        The embedder.
    """
    return load_model(model, Path(cache_dir))


def page_service(index_dir: Path | None = None) -> Service:
    """The service over the configured index and corpus, with the process-wide model cache.

    Args:
        index_dir: The index folder (None: the configured one).

    Returns:
        The service.
    """
    cache_dir = str(settings.default_model_cache())
    return Service.from_settings(
        index_dir, embedder_loader=lambda model: cached_embedder(model, cache_dir)
    )


@st.cache_resource(show_spinner="Opening the index…", max_entries=2)
def cached_live(index_dir: str, generation: str, cache_dir: str) -> LiveIndex:
    """Open the index version ``generation`` with its own model (the model is cached apart).

    ``generation`` and ``cache_dir`` are part of the cache key only: a new version on disk
    opens a new searcher. The first query's set-up is paid here, behind the spinner.

    Args:
        index_dir: The index folder, resolved.
        generation: The live version's name.
        cache_dir: Where converted models are kept.

    Returns:
        The version open for searching.
    """
    live = page_service(Path(index_dir)).open_live()
    live.warm_up()
    return live


@st.cache_resource(show_spinner=False)
def start_watching(index_dir: str) -> Thread:
    """Start the server's one watcher thread (``SEMSEARCH_WATCH=1``), once per process.

    Args:
        index_dir: The index folder, resolved (the cache key).

    Returns:
        The thread keeping the index in step with its folders.
    """
    from semsearch.service.watching import LoggingListener, watch_in_background

    return watch_in_background(page_service(Path(index_dir)).watcher(None, LoggingListener()))


def open_current(service: Service) -> tuple[LiveIndex | None, SemsearchError | None]:
    """Open the index's live version (cached), or say why it cannot be opened.

    Args:
        service: The page's service.

    Returns:
        ``(live version, None)``, ``(None, None)`` without an index, or ``(None, error)``.
    """
    generation = service.live_version()
    if generation is None:
        return None, None
    try:
        live = cached_live(
            str(service.index_dir.resolve()), generation, str(settings.default_model_cache())
        )
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


def render_search(live: LiveIndex | None) -> None:
    """The search box, options, filters and results.

    Args:
        live: The version to search (None: the box is disabled).
    """
    from semsearch.service.choices import MODES

    query_col, mode_col, k_col = st.columns([5, 3, 1], vertical_alignment="bottom")
    query = query_col.text_input(
        "Search",
        key="query",
        placeholder="e.g. 焦裕禄精神如何传承? — press Enter to search",
        disabled=live is None,
    )
    mode = mode_col.segmented_control(
        "Mode",
        options=list(MODES),
        format_func=lambda m: MODE_LABELS.get(m, m),
        default="hybrid",
        key="mode",
        required=True,
    )
    k = k_col.number_input("Results", min_value=1, max_value=50, value=10, step=1, key="k")
    if live is None:
        return
    doc_ids, date_from, date_to = render_filters(live)
    collapse = st.toggle("One result per article", key="collapse")
    if not query or not query.strip():
        render_first_visit(live)
        return
    try:
        result = search_cached(
            live,
            query.strip(),
            k=int(k),
            mode=mode or "hybrid",
            doc_ids=doc_ids,
            date_from=date_from,
            date_to=date_to,
            collapse=collapse,
        )
    except SemsearchError as error:
        show_error(error)
        return
    render_results(live, result)


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def main() -> None:
    """Lay out the page; every user mistake becomes a message with its fix."""
    st.set_page_config(
        page_title="semsearch · 中文新闻搜索", page_icon=":material/search:", layout="wide"
    )
    st.html(PAGE_CSS)
    service = page_service()
    index_dir, corpus_dir = service.location, service.corpus_dir
    if settings.watch_enabled():
        start_watching(str(service.index_dir.resolve()))

    st.title(":material/travel_explore: semsearch")
    caption = st.empty()
    with st.sidebar:
        index_box, upload_box, maintenance_box = st.container(), st.container(), st.container()

    live, problem = open_current(service)
    info = service.info(live) if live is not None else None
    # Actions that change the index run before anything describes it, so the page shows the
    # new state in this very run.
    render_upload_panel(upload_box, service)
    render_maintenance_panel(maintenance_box, service, info)
    if live is None or service.live_version() != live.generation:
        live, problem = open_current(service)
        info = service.info(live) if live is not None else None

    if problem is not None:
        show_error(problem)
    elif live is None:
        st.warning(
            f"There is no index yet in {markdown_code(str(index_dir))}.  \n"
            f"**Fix:** click **Update** in the sidebar to index "
            f"{markdown_code(str(corpus_dir))}, upload articles, or run "
            f"{markdown_code(f'semsearch build {corpus_dir}')}.",
            icon=":material/inventory_2:",
        )
    render_index_panel(index_box, service, info, problem)
    if info is not None:
        caption.caption(
            f"Local semantic and keyword search over {info.documents:,} "
            f"Chinese news articles ({info.chunks:,} passages) from "
            f"{markdown_code(str(corpus_dir))}."
        )
    render_search(live)


if __name__ == "__main__":
    try:
        main()
    except SemsearchError as error:
        show_error(error)
    except Exception as error:  # a bug: one line in the page, the traceback in the log
        show_unexpected(error)
