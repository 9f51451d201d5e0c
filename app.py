"""semsearch in the browser: search the articles, read hits in context, add articles.

Start it with ``make run`` (or ``streamlit run app.py``). The page is a thin layer over the same
core as the CLI: ``search.Searcher`` answers queries, ``indexing.update`` / ``indexing.build``
change the index, ``uploads.save_upload`` stores uploaded files, ``webpage`` renders escaped
HTML. Settings come from ``semsearch.settings`` (``SEMSEARCH_INDEX``, ``SEMSEARCH_CORPUS``…).

The model and the open index are cached per process (``st.cache_resource``); the index is keyed
by its generation on disk, so an update from the CLI or an upload is picked up on the next
interaction without a restart.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.uploads import SavedUpload, save_upload
from semsearch.webpage import (
    PAGE_CSS,
    article_html,
    context_html,
    context_paragraphs_html,
    display_title,
    escape_markdown,
    format_timestamp,
    hit_card_html,
    markdown_code,
    paragraph_window,
)

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.search import Hit, Searcher, SearchResult
    from semsearch.storage import DocumentRecord, SearchIndex

LOG = logging.getLogger("semsearch.app")

#: Questions a first-time visitor can click; each is answered by one of the seed articles.
EXAMPLE_QUERIES = (
    "焦裕禄干部学院建设得怎么样?",
    "开福区为什么说人人都是火炬手",
    "蘭考如何實現脫貧摘帽",
)
MODE_LABELS = {"hybrid": "Hybrid", "semantic": "Semantic", "keyword": "Keyword"}


# --------------------------------------------------------------------------------------------
# Cached resources: one model per process, one open index per generation on disk.
# --------------------------------------------------------------------------------------------


def current_generation(index_dir: Path) -> str | None:
    """Return the name of the index generation on disk, or None when there is no index.

    Reading a symlink costs microseconds, so this runs on every interaction.
    """
    try:
        return os.readlink(index_dir / "current")
    except OSError:
        return None


@st.cache_resource(show_spinner="Loading the embedding model (once per server)…", max_entries=2)
def cached_embedder(model: str, cache_dir: str) -> Embedder:
    """Load an embedding model once per process (shared by all sessions)."""
    from semsearch.embed import load_embedder

    return load_embedder(model, cache_dir=Path(cache_dir))


@dataclass
class OpenIndex:
    """One generation of the index, opened for searching, with what the page shows about it."""

    searcher: Searcher
    reader: SearchIndex
    documents: list[DocumentRecord]
    generation: str
    records: dict[str, DocumentRecord] = field(default_factory=dict)

    def document(self, doc_id: str) -> DocumentRecord:
        """One article with its cleaned text (kept: cards and the article view reuse it)."""
        record = self.records.get(doc_id)
        if record is None:
            record = self.records[doc_id] = self.reader.document(doc_id)
        return record


@st.cache_resource(show_spinner="Opening the index…", max_entries=2)
def cached_index(index_dir: str, generation: str, cache_dir: str) -> OpenIndex:
    """Open the index generation ``generation`` with its own model (the model is cached apart).

    ``generation`` is part of the cache key only: a new generation on disk opens a new searcher.
    The model comes from the process-wide cache instead of being loaded for every generation.
    """
    from semsearch.search import open_searcher

    searcher = open_searcher(
        Path(index_dir), embedder_loader=lambda model_id: cached_embedder(model_id, cache_dir)
    )
    reader = searcher.reader
    # The first query pays for lazy set-up (tokenizers, first forward pass): pay it here,
    # behind the spinner, so the user's first query is as fast as the next ones.
    with contextlib.suppress(SemsearchError):
        searcher.search("新闻", k=1)
    documents = sorted(reader.documents(), key=lambda d: d.path)
    return OpenIndex(searcher, reader, documents, reader.generation)


# --------------------------------------------------------------------------------------------
# Progress of indexing, shown as a Streamlit progress bar.
# --------------------------------------------------------------------------------------------


class StreamlitReporter:
    """The indexer's reporter protocol (``start``, ``advance``, ``message``) as a progress bar.

    Updates are throttled: the browser need not redraw for every embedded chunk.
    """

    def __init__(self, container: Any, min_interval: float = 0.15) -> None:
        self.container = container
        self.bar = container.progress(0.0, text="Starting…")
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.messages: list[str] = []
        self.min_interval = min_interval
        self._last_draw = 0.0

    def start(self, stage: str, total: int) -> None:
        """Begin a stage with ``total`` units of work."""
        self.totals[stage] = max(0, int(total))
        self.done[stage] = 0
        self._draw(stage, force=True)

    def advance(self, stage: str, n: int = 1) -> None:
        """Record ``n`` more units done in ``stage``."""
        if stage not in self.totals:
            return
        self.done[stage] = self.done.get(stage, 0) + n
        self._draw(stage)

    def message(self, text: str) -> None:
        """Keep a notice (a skipped file…) to show once indexing is over."""
        self.messages.append(text)

    def finish(self) -> None:
        """Fill the bar and say so."""
        self.bar.progress(1.0, text="Done.")

    def _draw(self, stage: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        total, done = self.totals[stage], min(self.done[stage], self.totals[stage])
        fraction = done / total if total else 1.0
        self.bar.progress(fraction, text=f"{escape_markdown(stage)}: {done} / {total}")


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def error_markdown(error: SemsearchError) -> str:
    """A user-facing error and its fix as markdown, every word shown literally."""
    body = escape_markdown(error.message)
    if error.hint:
        body += "  \n**Fix:** " + escape_markdown(error.hint)
    return body


def show_error(error: SemsearchError, container: Any = st) -> None:
    """Show a user-facing error with its fix, as text (never a traceback)."""
    container.error(error_markdown(error), icon=":material/error:")


def show_unexpected(error: Exception, container: Any = st) -> None:
    """Log a bug with its traceback on the server and show one line in the page."""
    LOG.exception("Unexpected error in the semsearch page")
    container.error(
        f"Something went wrong: {escape_markdown(type(error).__name__)}: "
        f"{escape_markdown(str(error))}. The details are in the server log.",
        icon=":material/bug_report:",
    )


# --------------------------------------------------------------------------------------------
# Sidebar: index panel, add articles, maintenance
# --------------------------------------------------------------------------------------------


def render_index_panel(
    container: Any, index_dir: Path, opened: OpenIndex | None, problem: SemsearchError | None
) -> None:
    """Describe the index: documents, chunks, model, last update, skipped files and why."""
    with container:
        st.subheader("Index")
        if problem is not None:
            st.caption(f"The index in {markdown_code(str(index_dir))} cannot be used right now.")
            return
        if opened is None:
            st.caption(f"No index yet in {markdown_code(str(index_dir))}.")
            return
        manifest = opened.reader.manifest
        left, right = st.columns(2)
        left.metric("Documents", f"{opened.reader.document_count:,}")
        right.metric("Chunks", f"{opened.reader.chunk_count:,}")
        st.markdown(
            f"**Model** {escape_markdown(str(manifest.model_id or opened.reader.model_id))}"
            f"  \n**Updated** {escape_markdown(format_timestamp(manifest.updated_at))}"
            f"  \n**Folder** {escape_markdown(str(index_dir))}"
        )
        skipped = opened.reader.skipped_files()
        if skipped:
            with st.expander(f"{len(skipped)} skipped files", icon=":material/block:"):
                for item in skipped:
                    st.markdown(
                        f"- {escape_markdown(item.path)} — {escape_markdown(item.reason)}",
                    )
        else:
            st.caption("No files were skipped.")


def run_indexing(
    action: Callable[[Embedder, StreamlitReporter], Any],
    container: Any,
    opened: OpenIndex | None,
) -> Any:
    """Run an indexer call with a progress bar in ``container`` and return its report.

    The model is the index's own (a new index gets the configured default), from the cache.

    Raises:
        SemsearchError: From loading the model or from the indexer (locked index, bad file…).
    """
    model = opened.reader.model_id if opened is not None else settings.default_model()
    embedder = cached_embedder(model, str(settings.default_model_cache()))
    reporter = StreamlitReporter(container)
    report = action(embedder, reporter)
    reporter.finish()
    return report


def describe_report(report: Any) -> str:
    """One line about an indexer report (counts of added/changed/removed, time)."""
    if getattr(report, "nothing_changed", False):
        return "The index was already up to date."
    return (
        f"{report.added} added, {report.changed} changed, {report.removed} removed; "
        f"{report.chunks_embedded} chunks embedded in {report.seconds:.1f} s."
    )


def upload_outcome(saved: list[SavedUpload], report: Any) -> list[tuple[str, str]]:
    """Messages about indexed uploads: what was added, and any file the indexer skipped."""
    notes: list[tuple[str, str]] = []
    uploaded = {item.path.resolve() for item in saved}
    skipped = [s for s in report.skipped if Path(s.path).resolve() in uploaded]
    for item in skipped:
        notes.append(
            (
                "error",
                f"{escape_markdown(Path(item.path).name)} was saved but cannot be indexed: "
                f"{escape_markdown(item.reason)}",
            )
        )
    skipped_paths = {Path(s.path).resolve() for s in skipped}
    fresh = [i for i in saved if i.status != "duplicate" and i.path.resolve() not in skipped_paths]
    # Duplicates are indexed too (cheap when unchanged): one copied in by hand may be new.
    if fresh or not report.nothing_changed:
        names = ", ".join(escape_markdown(item.path.name) for item in fresh or saved)
        notes.insert(0, ("success", f"Indexed {names}. {describe_report(report)}"))
    return notes


def render_upload_panel(
    container: Any, index_dir: Path, corpus_dir: Path, opened: OpenIndex | None
) -> None:
    """Upload articles into the corpus folder and index them incrementally."""
    from semsearch.ingest import SUPPORTED_SUFFIXES

    with container:
        st.subheader("Add articles")
        st.caption(f"Saved into {markdown_code(str(corpus_dir))}, then indexed.")
        uploader_key = f"uploads-{st.session_state.get('upload_round', 0)}"
        extensions = sorted(suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES)
        files = st.file_uploader(
            f"Articles ({', '.join(extensions)})",
            type=extensions,
            accept_multiple_files=True,
            key=uploader_key,
        )
        add = st.button(
            "Add to index", type="primary", disabled=not files, icon=":material/upload_file:"
        )
        feedback = st.container()
    if not (add and files):
        for kind, text in st.session_state.pop("upload_feedback", []):
            getattr(feedback, kind)(text)
        return
    saved: list[SavedUpload] = []
    notes: list[tuple[str, str]] = []
    for uploaded in files:
        try:
            result = save_upload(corpus_dir, uploaded.name, uploaded.getvalue(), SUPPORTED_SUFFIXES)
        except SemsearchError as error:
            notes.append(("error", error_markdown(error)))
            continue
        saved.append(result)
        sent, name = escape_markdown(uploaded.name), escape_markdown(result.path.name)
        if result.status == "duplicate":
            notes.append(("info", f"{sent} is already in the corpus as {name}: not added again."))
        elif result.status == "renamed":
            notes.append(("warning", f"Another file is called {sent}: saved as {name}."))
    if saved:
        from semsearch import indexing

        try:
            report = run_indexing(
                lambda embedder, reporter: indexing.update(
                    [item.path for item in saved], index_dir, embedder, reporter=reporter
                ),
                feedback,
                opened,
            )
        except SemsearchError as error:
            notes.insert(0, ("error", error_markdown(error)))
        else:
            notes[:0] = upload_outcome(saved, report)
    st.session_state["upload_feedback"] = notes
    # A fresh uploader key empties the widget, so the same files are not added twice.
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()


def render_maintenance_panel(
    container: Any, index_dir: Path, corpus_dir: Path, opened: OpenIndex | None
) -> None:
    """Update the index from the folders on disk, or rebuild it from scratch."""
    from semsearch import indexing

    with container:
        st.subheader("Maintenance")
        update_col, rebuild_col = st.columns(2)
        update = update_col.button(
            "Update",
            help="Index new or changed files in the indexed folders, drop removed ones.",
            width="stretch",
        )
        with rebuild_col.popover("Rebuild", width="stretch"):
            passages = f"all {opened.reader.chunk_count:,} passages" if opened else "everything"
            st.caption(f"Re-reads every article and re-embeds {passages}; searching goes on.")
            rebuild = st.button("Rebuild now", type="primary")
        feedback = st.container()
    try:
        if update:
            report = run_indexing(
                lambda embedder, reporter: indexing.update(
                    None if opened is not None else [corpus_dir],
                    index_dir,
                    embedder,
                    reporter=reporter,
                ),
                feedback,
                opened,
            )
            feedback.success(describe_report(report))
        if rebuild:
            roots = [Path(root) for root in (opened.reader.manifest.corpus_roots if opened else [])]
            roots = [root for root in [*roots, corpus_dir] if root.exists()]
            report = run_indexing(
                lambda embedder, reporter: indexing.build(
                    roots, index_dir, embedder, rebuild=True, reporter=reporter
                ),
                feedback,
                opened,
            )
            feedback.success(f"Rebuilt: {describe_report(report)}")
    except SemsearchError as error:
        show_error(error, feedback)
        return
    if (update or rebuild) and report.skipped:
        feedback.warning(f"{len(report.skipped)} files were skipped: see the Index panel.")


# --------------------------------------------------------------------------------------------
# Main area: search form and results
# --------------------------------------------------------------------------------------------


def _set_query(text: str) -> None:
    st.session_state["query"] = text


@st.dialog("Article", width="large")
def show_article(opened: OpenIndex, hit: Hit, query: str) -> None:
    """The whole cleaned article with the hit marked (a modal over the results)."""
    from semsearch.lexical import highlight_spans

    try:
        record = opened.document(hit.doc_id)
    except SemsearchError as error:
        show_error(error)
        return
    meta = " · ".join(
        part for part in (record.path, record.date, record.source, record.author) if part
    )
    st.html(
        f'<div class="ss-title">{html.escape(display_title(hit))}</div>'
        f'<div class="ss-meta">{html.escape(meta)} · the hit is marked in blue</div>'
        + article_html(record.text, hit.start, hit.end, highlight_spans(record.text, query))
    )


def render_filters(opened: OpenIndex) -> tuple[list[str] | None, str | None, str | None]:
    """Article and date filters; returns (doc ids, date from, date to)."""
    by_id = {d.doc_id: d for d in opened.documents}
    # Options change when articles are added or removed: forget selections that vanished.
    chosen = st.session_state.get("filter_docs")
    if chosen:
        st.session_state["filter_docs"] = [doc_id for doc_id in chosen if doc_id in by_id]
    dates = sorted(d.date for d in opened.documents if d.date)
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


def neighbourhood_html(opened: OpenIndex, hit: Hit, query: str) -> str:
    """The paragraphs before and after the hit, from the stored article (escaped HTML)."""
    from semsearch.lexical import highlight_spans

    try:
        text = opened.document(hit.doc_id).text
    except SemsearchError:
        return context_html(hit)  # the hit's own context is still worth showing
    if text[hit.start : hit.end] != hit.text:
        return context_html(hit)
    window_start, window_end = paragraph_window(text, hit.start, hit.end)
    window = text[window_start:window_end]
    return context_paragraphs_html(
        window, hit.start - window_start, hit.end - window_start, highlight_spans(window, query)
    )


def render_hit(opened: OpenIndex, hit: Hit, query: str) -> None:
    """One result card: header, highlighted chunk, context expander, whole-article button."""
    with st.container(border=True):
        st.html(hit_card_html(hit))
        context_col, open_col = st.columns([5, 1], vertical_alignment="top")
        with context_col.expander("Neighbouring paragraphs"):
            st.html(neighbourhood_html(opened, hit, query))
        if open_col.button(
            "Read article",
            key=f"open-{hit.rank}-{hit.chunk_id}",
            icon=":material/article:",
            width="stretch",
        ):
            show_article(opened, hit, query)


def render_first_visit(opened: OpenIndex | None) -> None:
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
            disabled=opened is None,
            width="stretch",
        )


def search_cached(opened: OpenIndex, query: str, **options: Any) -> SearchResult:
    """Search, reusing the last result when nothing changed (a click on a card reruns the page)."""
    key = (opened.generation, query, tuple(sorted((k, repr(v)) for k, v in options.items())))
    last = st.session_state.get("last_search")
    if last is not None and last[0] == key:
        return last[1]
    result = opened.searcher.search(query, **options)
    st.session_state["last_search"] = (key, result)
    return result


def render_results(opened: OpenIndex, result: SearchResult) -> None:
    """The result summary (count, mode, query time) and the cards, or a no-result state."""
    if not result.hits:
        st.html(
            f'<div class="ss-summary" data-took-ms="{result.took_ms:.1f}">'
            f"No passages match “{html.escape(result.query)}” "
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
        f"<b>{len(result.hits)}</b> results for “{html.escape(result.query)}” · "
        f"{html.escape(MODE_LABELS.get(result.mode, result.mode))} · "
        f"<b>{result.took_ms:.0f} ms</b></div>"
    )
    for hit in result.hits:
        render_hit(opened, hit, result.query)


def render_search(opened: OpenIndex | None) -> None:
    """The search box, options, filters and results."""
    from semsearch.search import MODES

    query_col, mode_col, k_col = st.columns([5, 3, 1], vertical_alignment="bottom")
    query = query_col.text_input(
        "Search",
        key="query",
        placeholder="e.g. 焦裕禄精神如何传承? — press Enter to search",
        disabled=opened is None,
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
    if opened is None:
        return
    doc_ids, date_from, date_to = render_filters(opened)
    collapse = st.toggle("One result per article", key="collapse")
    if not query or not query.strip():
        render_first_visit(opened)
        return
    try:
        result = search_cached(
            opened,
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
    render_results(opened, result)


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def open_current(index_dir: Path) -> tuple[OpenIndex | None, SemsearchError | None]:
    """Open the index's current generation (cached), or say why it cannot be opened."""
    generation = current_generation(index_dir)
    if generation is None:
        return None, None
    try:
        opened = cached_index(
            str(index_dir.resolve()), generation, str(settings.default_model_cache())
        )
    except SemsearchError as error:
        return None, error
    return opened, None


def main() -> None:
    """Lay out the page; every user mistake becomes a message with its fix."""
    st.set_page_config(
        page_title="semsearch · 中文新闻搜索", page_icon=":material/search:", layout="wide"
    )
    st.html(PAGE_CSS)
    index_dir = settings.default_index_dir()
    corpus_dir = settings.default_corpus_dir()

    st.title(":material/travel_explore: semsearch")
    caption = st.empty()
    with st.sidebar:
        index_box, upload_box, maintenance_box = st.container(), st.container(), st.container()

    opened, problem = open_current(index_dir)
    # Actions that change the index run before anything describes it, so the page shows the
    # new state in this very run.
    render_upload_panel(upload_box, index_dir, corpus_dir, opened)
    render_maintenance_panel(maintenance_box, index_dir, corpus_dir, opened)
    if opened is None or current_generation(index_dir) != opened.generation:
        opened, problem = open_current(index_dir)

    if problem is not None:
        show_error(problem)
    elif opened is None:
        st.warning(
            f"There is no index yet in {markdown_code(str(index_dir))}.  \n"
            f"**Fix:** click **Update** in the sidebar to index "
            f"{markdown_code(str(corpus_dir))}, upload articles, or run "
            f"{markdown_code(f'semsearch build {corpus_dir}')}.",
            icon=":material/inventory_2:",
        )
    render_index_panel(index_box, index_dir, opened, problem)
    if opened is not None:
        caption.caption(
            f"Local semantic and keyword search over {opened.reader.document_count:,} "
            f"Chinese news articles ({opened.reader.chunk_count:,} passages) from "
            f"{markdown_code(str(corpus_dir))}."
        )
    render_search(opened)


if __name__ == "__main__":
    try:
        main()
    except SemsearchError as error:
        show_error(error)
    except Exception as error:  # a bug: one line in the page, the traceback in the log
        show_unexpected(error)
