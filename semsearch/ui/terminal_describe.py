"""What ``semsearch info`` and ``semsearch inspect`` print: the index, and a file as read.

Row labels and headings come from the catalogue in the command's language (in English, the
fields' own names, as the JSON output calls them).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from semsearch.terminal_safe import escape_for_terminal
from semsearch.ui.i18n import Texts
from semsearch.ui.page import format_timestamp
from semsearch.ui.terminal import markup_safe, multiline_safe, out, texts

if TYPE_CHECKING:
    from semsearch.service import IndexInfo, Inspection

#: The rows of ``semsearch info`` that show a field as it is.
INFO_FIELDS = ("index", "documents", "chunks", "model", "dimension")
#: Manifest fields that are times, shown in local time as on the page.
TIME_FIELDS = ("created_at", "updated_at")
#: The rows of ``semsearch inspect``.
INSPECT_FIELDS = ("path", "title", "date", "source", "author", "script", "doc_id")


def _key_table() -> Table:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    return table


def print_info(info: IndexInfo) -> None:
    """Print the description of the index as a table, then its skipped files.

    Args:
        info: The description.
    """
    tr = texts()
    table = _key_table()
    for key in INFO_FIELDS:
        table.add_row(tr(f"info.{key}"), markup_safe(getattr(info, key)))
    for key in TIME_FIELDS:
        shown = markup_safe(format_timestamp(getattr(info, key)))
        table.add_row(tr(f"info.{key}"), tr("cli.local_time", time=shown))
    chunking = markup_safe(json.dumps(info.chunking, ensure_ascii=False))
    table.add_row(tr("info.chunking"), chunking)
    sentences = tr("cli.sentences_yes") if info.sentence_vectors else tr("cli.sentences_no")
    table.add_row(tr("info.sentence_vectors"), sentences)
    table.add_row(tr("info.size"), f"{info.size_bytes / 1e6:.1f} MB")
    table.add_row(tr("info.sources"), markup_safe(", ".join(info.corpus_roots or [])))
    out.print(table)
    _print_reprints(info, tr)
    if info.skipped:
        out.print(f"\n[bold]{tr('index.skipped', count=len(info.skipped))}[/]")
        for skipped in info.skipped:
            out.print(f"  {markup_safe(skipped.path)}: {markup_safe(skipped.reason)}")


def _print_reprints(info: IndexInfo, tr: Texts) -> None:
    """The reprint groups of ``semsearch info``: counts, then the largest groups' files."""
    reprints = info.reprints
    counts = {"groups": reprints.groups, "documents": reprints.documents}
    one = reprints.groups == 1
    out.print("\n" + (tr("cli.reprints_one", **counts) if one else tr("cli.reprints", **counts)))
    for group in reprints.largest:
        files = tr("cli.group_files", count=len(group.paths))
        out.print(f"  {markup_safe(group.group)} ({files})")
        for path in group.paths:
            out.print(f"    {markup_safe(path)}")


def print_inspection(inspection: Inspection) -> None:
    """Print how a file is read: metadata, cleaned text, removed lines, chunks.

    Args:
        inspection: The file as read.
    """
    tr = texts()
    document, chunks = inspection.document, inspection.chunks
    table = _key_table()
    for key in INSPECT_FIELDS:
        table.add_row(tr(f"inspect.{key}"), markup_safe(getattr(document, key) or "—"))
    out.print(table)
    out.print(f"\n[bold]{tr('cli.cleaned_text')}[/]")
    out.print(Text(multiline_safe(document.text)))
    out.print(f"\n[bold]{tr('cli.removed_lines', count=len(document.removed))}[/]")
    for removed in document.removed:
        line = Text(f"  {removed.line_no:>4}  ")
        line.append(f"[{escape_for_terminal(removed.reason)}] ", style="yellow")
        line.append(escape_for_terminal(removed.text), style="dim")
        out.print(line)
    out.print(f"\n[bold]{tr('cli.chunks', count=len(chunks))}[/]")
    for chunk in chunks:
        line = Text(
            f"  #{chunk.index} ¶{chunk.paragraph + 1} [{chunk.start}:{chunk.end}] ", style="cyan"
        )
        line.append(multiline_safe(chunk.text), style="default")
        out.print(line)
