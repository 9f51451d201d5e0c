"""The page's sidebar: the index panel, adding articles, and maintenance (update, rebuild).

Streamlit widgets only: every action is a call to :class:`semsearch.service.Service`, whose
data the panels word with :mod:`semsearch.ui.messages`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

from semsearch.errors import SemsearchError
from semsearch.ui.feedback import StreamlitReporter, show_error
from semsearch.ui.messages import describe_report, upload_notes
from semsearch.ui.page import escape_markdown, format_timestamp, markdown_code

if TYPE_CHECKING:
    from semsearch.indexing import IndexReport
    from semsearch.service import IndexInfo, Service


def render_index_panel(
    container: Any, service: Service, info: IndexInfo | None, problem: SemsearchError | None
) -> None:
    """Describe the index: documents, chunks, model, last update, skipped files and why.

    Args:
        container: Where the panel goes.
        service: The page's service (for the index folder).
        info: The description of the live version (None: no index, or it cannot be used).
        problem: Why the index cannot be used, if it cannot.
    """
    # The folder, or for a Qdrant index its name and where it lives.
    index_dir = service.location
    where = "Folder" if index_dir == str(service.index_dir) else "Index"
    with container:
        st.subheader("Index")
        if problem is not None:
            st.caption(f"The index in {markdown_code(str(index_dir))} cannot be used right now.")
            return
        if info is None:
            st.caption(f"No index yet in {markdown_code(str(index_dir))}.")
            return
        left, right = st.columns(2)
        left.metric("Documents", f"{info.documents:,}")
        right.metric("Chunks", f"{info.chunks:,}")
        st.markdown(
            f"**Model** {escape_markdown(str(info.model))}"
            f"  \n**Updated** {escape_markdown(format_timestamp(info.updated_at))}"
            f"  \n**{where}** {escape_markdown(str(index_dir))}"
        )
        if info.skipped:
            with st.expander(f"{len(info.skipped)} skipped files", icon=":material/block:"):
                for item in info.skipped:
                    st.markdown(
                        f"- {escape_markdown(item.path)} — {escape_markdown(item.reason)}",
                    )
        else:
            st.caption("No files were skipped.")


def render_upload_panel(container: Any, service: Service) -> None:
    """Upload articles into the corpus folder and index them incrementally.

    Args:
        container: Where the panel goes.
        service: The page's service.
    """
    with container:
        st.subheader("Add articles")
        st.caption(f"Saved into {markdown_code(str(service.corpus_dir))}, then indexed.")
        uploader_key = f"uploads-{st.session_state.get('upload_round', 0)}"
        extensions = service.upload_extensions()
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
    reporter = StreamlitReporter(feedback)
    outcome = service.save_uploads([(f.name, f.getvalue()) for f in files], reporter)
    if outcome.report is not None:
        reporter.finish()
    st.session_state["upload_feedback"] = upload_notes(outcome)
    # A fresh uploader key empties the widget, so the same files are not added twice.
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()


def _with_progress(
    action: Callable[[StreamlitReporter], IndexReport], feedback: Any
) -> IndexReport:
    """Run an indexing action with a progress bar in ``feedback`` and return its report."""
    reporter = StreamlitReporter(feedback)
    report = action(reporter)
    reporter.finish()
    return report


def render_maintenance_panel(container: Any, service: Service, info: IndexInfo | None) -> None:
    """Update the index from the folders on disk, or rebuild it from scratch.

    Both use the index's own model (a new index: the configured default), as the CLI does.

    Args:
        container: Where the panel goes.
        service: The page's service.
        info: The description of the live version (None: no index, or it cannot be used).
    """
    with container:
        st.subheader("Maintenance")
        update_col, rebuild_col = st.columns(2)
        update = update_col.button(
            "Update",
            help="Index new or changed files in the indexed folders, drop removed ones.",
            width="stretch",
        )
        with rebuild_col.popover("Rebuild", width="stretch"):
            passages = f"all {info.chunks:,} passages" if info else "everything"
            st.caption(f"Re-reads every article and re-embeds {passages}; searching goes on.")
            rebuild = st.button("Rebuild now", type="primary")
        feedback = st.container()
    try:
        if update:
            report = _with_progress(lambda r: service.index_files(reporter=r), feedback)
            feedback.success(describe_report(report))
        if rebuild:
            report = _with_progress(
                lambda r: service.index_files(rebuild=True, reporter=r), feedback
            )
            feedback.success(f"Rebuilt: {describe_report(report)}")
    except SemsearchError as error:
        show_error(error, feedback)
        return
    if (update or rebuild) and report.skipped:
        feedback.warning(f"{len(report.skipped)} files were skipped: see the Index panel.")
