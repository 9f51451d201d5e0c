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
from semsearch.ui.i18n import Texts
from semsearch.ui.messages import describe_report, upload_notes
from semsearch.ui.page import escape_markdown, format_timestamp, markdown_code

if TYPE_CHECKING:
    from semsearch.indexing import IndexReport
    from semsearch.service import IndexInfo, Service


def render_index_panel(
    container: Any,
    service: Service,
    info: IndexInfo | None,
    problem: SemsearchError | None,
    tr: Texts,
) -> None:
    """Describe the index: documents, chunks, model, last update, skipped files and why.

    Args:
        container: Where the panel goes.
        service: The page's service (for the index folder).
        info: The description of the live version (None: no index, or it cannot be used).
        problem: Why the index cannot be used, if it cannot.
        tr: The page's language.
    """
    # The folder, or for a Qdrant index its name and where it lives.
    location = service.location
    folder = markdown_code(location)
    where = tr("index.folder") if location == str(service.index_dir) else tr("index.heading")
    with container:
        st.subheader(tr("index.heading"))
        if problem is not None:
            st.caption(tr("index.unusable", folder=folder))
            return
        if info is None:
            st.caption(tr("index.missing", folder=folder))
            return
        left, right = st.columns(2)
        left.metric(tr("index.documents"), f"{info.documents:,}")
        right.metric(tr("index.passages"), f"{info.chunks:,}")
        st.markdown(
            f"**{tr('index.model')}** {escape_markdown(str(info.model))}"
            f"  \n**{tr('index.updated')}** {escape_markdown(_when(info.updated_at, tr))}"
            f"  \n**{where}** {escape_markdown(location)}"
        )
        if info.skipped:
            skipped = tr("index.skipped", count=len(info.skipped))
            with st.expander(skipped, icon=":material/block:"):
                for item in info.skipped:
                    reason = escape_markdown(tr.reason(item.reason))
                    st.markdown(f"- {escape_markdown(item.path)} — {reason}")
        else:
            st.caption(tr("index.none_skipped"))


def _when(timestamp: str | float | int | None, tr: Texts) -> str:
    """A manifest timestamp with its day in the reader's convention (2024年5月14日 09:30)."""
    day, _, clock = format_timestamp(timestamp).partition(" ")
    return f"{tr.date(day)} {clock}".strip() if clock else day


def render_upload_panel(container: Any, service: Service, tr: Texts) -> None:
    """Upload articles into the corpus folder and index them incrementally.

    Args:
        container: Where the panel goes.
        service: The page's service.
        tr: The page's language.
    """
    with container:
        st.subheader(tr("upload.heading"))
        st.caption(tr("upload.caption", folder=markdown_code(str(service.corpus_dir))))
        uploader_key = f"uploads-{st.session_state.get('upload_round', 0)}"
        extensions = service.upload_extensions()
        files = st.file_uploader(
            tr("upload.files", extensions=", ".join(extensions)),
            type=extensions,
            accept_multiple_files=True,
            key=uploader_key,
        )
        add = st.button(
            tr("upload.add"), type="primary", disabled=not files, icon=":material/upload_file:"
        )
        feedback = st.container()
    if not (add and files):
        for kind, text in st.session_state.pop("upload_feedback", []):
            getattr(feedback, kind)(text)
        return
    reporter = StreamlitReporter(feedback, tr=tr)
    outcome = service.save_uploads([(f.name, f.getvalue()) for f in files], reporter)
    if outcome.report is not None:
        reporter.finish()
    st.session_state["upload_feedback"] = upload_notes(outcome, tr)
    # A fresh uploader key empties the widget, so the same files are not added twice.
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()


def _with_progress(
    action: Callable[[StreamlitReporter], IndexReport], feedback: Any, tr: Texts
) -> IndexReport:
    """Run an indexing action with a progress bar in ``feedback`` and return its report."""
    reporter = StreamlitReporter(feedback, tr=tr)
    report = action(reporter)
    reporter.finish()
    return report


def render_maintenance_panel(
    container: Any, service: Service, info: IndexInfo | None, tr: Texts
) -> None:
    """Update the index from the folders on disk, or rebuild it from scratch.

    Both use the index's own model (a new index: the configured default), as the CLI does.

    Args:
        container: Where the panel goes.
        service: The page's service.
        info: The description of the live version (None: no index, or it cannot be used).
        tr: The page's language.
    """
    with container:
        st.subheader(tr("maintenance.heading"))
        update_col, rebuild_col = st.columns(2)
        update = update_col.button(
            tr("maintenance.update"), help=tr("maintenance.update_help"), width="stretch"
        )
        with rebuild_col.popover(tr("maintenance.rebuild"), width="stretch"):
            if info:
                st.caption(tr("maintenance.rebuild_all", passages=f"{info.chunks:,}"))
            else:
                st.caption(tr("maintenance.rebuild_new"))
            rebuild = st.button(tr("maintenance.rebuild_now"), type="primary")
        feedback = st.container()
    try:
        if update:
            report = _with_progress(lambda r: service.index_files(reporter=r), feedback, tr)
            feedback.success(describe_report(report, tr))
        if rebuild:
            report = _with_progress(
                lambda r: service.index_files(rebuild=True, reporter=r), feedback, tr
            )
            feedback.success(tr("maintenance.rebuilt", report=describe_report(report, tr)))
    except SemsearchError as error:
        show_error(error, feedback, tr)
        return
    if (update or rebuild) and report.skipped:
        feedback.warning(tr("maintenance.skipped", count=len(report.skipped)))
