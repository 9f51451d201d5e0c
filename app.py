"""semsearch in the browser: search the articles, read hits in context, add articles.

Start it with ``make run`` (or ``streamlit run app.py``). The page is layout and widgets only:
every decision goes through :class:`semsearch.service.Service`, the facade the CLI calls too
(opening the live index, info, update/rebuild with the index's own model, uploads, the
paragraphs around a hit). ``semsearch.ui`` renders escaped HTML (:mod:`~semsearch.ui.page`),
words outcomes (:mod:`~semsearch.ui.messages`) and draws the sidebar
(:mod:`~semsearch.ui.sidebar`). Settings come from ``semsearch.settings`` (``SEMSEARCH_INDEX``,
``SEMSEARCH_CORPUS``…).

The model and the open index are cached per process (``st.cache_resource``); the index is keyed
by its version on disk, so an update from the CLI or an upload is picked up on the next
interaction without a restart.
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.service import LiveIndex, Service, load_model
from semsearch.ui.feedback import show_error, show_unexpected
from semsearch.ui.page import (
    PAGE_CSS,
    article_view_html,
    hit_card_html,
    markdown_code,
    neighbourhood_html,
)
from semsearch.ui.sidebar import (
    render_index_panel,
    render_maintenance_panel,
    render_upload_panel,
)

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.search import Hit, SearchResult

#: Questions a first-time visitor can click; each is answered by one of the seed articles.
EXAMPLE_QUERIES = (
    "焦裕禄干部学院建设得怎么样?",
    "开福区为什么说人人都是火炬手",
    "蘭考如何實現脫貧摘帽",
)
MODE_LABELS = {"hybrid": "Hybrid", "semantic": "Semantic", "keyword": "Keyword"}


# --------------------------------------------------------------------------------------------
# Cached resources: one model per process, one open index per version on disk.
# --------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the embedding model (once per server)…", max_entries=2)
def cached_embedder(model: str, cache_dir: str) -> Embedder:
    """Load an embedding model once per process (shared by all sessions)."""
    return load_model(model, Path(cache_dir))


def page_service(index_dir: Path | None = None) -> Service:
    """The service over the configured index and corpus, with the process-wide model cache."""
    cache_dir = str(settings.default_model_cache())
    return Service.from_settings(
        index_dir, embedder_loader=lambda model: cached_embedder(model, cache_dir)
    )


@st.cache_resource(show_spinner="Opening the index…", max_entries=2)
def cached_live(index_dir: str, generation: str, cache_dir: str) -> LiveIndex:
    """Open the index version ``generation`` with its own model (the model is cached apart).

    ``generation`` and ``cache_dir`` are part of the cache key only: a new version on disk
    opens a new searcher. The first query's set-up is paid here, behind the spinner.
    """
    live = page_service(Path(index_dir)).open_live()
    live.warm_up()
    return live


def open_current(service: Service) -> tuple[LiveIndex | None, SemsearchError | None]:
    """Open the index's live version (cached), or say why it cannot be opened."""
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
# Main area: search form and results
# --------------------------------------------------------------------------------------------


def _set_query(text: str) -> None:
    st.session_state["query"] = text


@st.dialog("Article", width="large")
def show_article(live: LiveIndex, hit: Hit, query: str) -> None:
    """The whole cleaned article with the hit marked (a modal over the results)."""
    try:
        article = live.article(hit, query)
    except SemsearchError as error:
        show_error(error)
        return
    st.html(article_view_html(hit, article))


def render_filters(live: LiveIndex) -> tuple[list[str] | None, str | None, str | None]:
    """Article and date filters; returns (doc ids, date from, date to)."""
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
    """One result card: header, highlighted chunk, context expander, whole-article button."""
    with st.container(border=True):
        st.html(hit_card_html(hit))
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
    """The empty state: what this is and example queries to click."""
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


def search_cached(live: LiveIndex, query: str, **options: Any) -> SearchResult:
    """Search, reusing the last result when nothing changed (a click on a card reruns the page)."""
    key = (live.generation, query, tuple(sorted((k, repr(v)) for k, v in options.items())))
    last = st.session_state.get("last_search")
    if last is not None and last[0] == key:
        return last[1]
    result = live.search(query, **options)
    st.session_state["last_search"] = (key, result)
    return result


def render_results(live: LiveIndex, result: SearchResult) -> None:
    """The result summary (count, mode, query time) and the cards, or a no-result state."""
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


def render_search(live: LiveIndex | None) -> None:
    """The search box, options, filters and results."""
    from semsearch.search import MODES

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
    index_dir, corpus_dir = service.index_dir, service.corpus_dir

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
