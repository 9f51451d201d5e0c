"""What the ``semsearch`` command shows: results, the index, an inspected file, progress bars.

Rendering only, with rich: the command (:mod:`semsearch.cli`) parses arguments and asks the
service; this module prints what it gets back. Results and descriptions go to stdout, progress
and notices to stderr, so ``--json`` output stays clean.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from semsearch.terminal_safe import escape_for_terminal, escape_json_for_terminal
from semsearch.text import merge_spans
from semsearch.ui.page import format_timestamp

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.errors import SemsearchError
    from semsearch.indexing import IndexReport
    from semsearch.search import Hit, SearchResult
    from semsearch.service import IndexInfo, Inspection

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

#: Characters of a hit's neighbouring text shown on each side in the terminal.
CONTEXT_CHARS = 60
#: Spaces before a hit's details, kept on every wrapped line.
INDENT = 4
#: The query's words in a hit.
HIGHLIGHT_STYLE = "bold black on yellow"
#: The hit's sentence nearest the question.
ANSWER_STYLE = "underline"
#: How each match strength is shown (:mod:`semsearch.search.confidence`).
CONFIDENCE_STYLES = {"strong": "bold green", "possible": "yellow", "weak": "dim"}
CONFIDENCE_WORDS = {"strong": "strong match", "possible": "possible match", "weak": "weak match"}
#: Manifest fields that are times, shown in local time as on the page.
TIME_FIELDS = ("created_at", "updated_at")


def markup_safe(value: object) -> str:
    """Untrusted text ready for a rich markup string: terminal controls and markup escaped.

    Args:
        value: A file name, title, query, reason… (``str()`` is taken).

    Returns:
        The text, shown literally on one line.
    """
    return escape(escape_for_terminal(str(value)))


class RichReporter:
    """Shows the stages of long work as rich progress bars with counts and rates (on stderr).

    The bars start with the first stage, so a spinner before it (loading the model) can run.

    Args:
        console: Where the bars are drawn.
    """

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[dim]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self._started = False

    def __enter__(self) -> RichReporter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._started:
            self.progress.stop()

    def start(self, stage: str, total: int) -> None:
        """Begin a stage with ``total`` units of work."""
        if not self._started:
            self.progress.start()
            self._started = True
        self.tasks[stage] = self.progress.add_task(stage, total=total, rate="")

    def advance(self, stage: str, n: int = 1) -> None:
        """Record ``n`` more units done in ``stage``."""
        task_id = self.tasks.get(stage)
        if task_id is None:
            return
        self.progress.advance(task_id, n)
        speed = self.progress.tasks[task_id].speed
        if speed:
            self.progress.update(task_id, rate=f"{speed:,.1f}/s")

    def message(self, text: str) -> None:
        """Print a line above the bars (a skipped file, a notice)."""
        self.progress.console.print(escape_for_terminal(text), markup=False, highlight=False)


def announced_loader(
    load: Callable[[str], Embedder],
) -> Callable[[str], Embedder]:
    """Wrap a model loader so that the terminal says which model is loading while it does.

    Args:
        load: Loads a model by name.

    Returns:
        The same loader behind a spinner on stderr.
    """

    def load_with_status(model: str) -> Embedder:
        with err.status(f"Loading model {markup_safe(model)}…"):
            return load(model)

    return load_with_status


def print_report(report: IndexReport, index_dir: Path) -> None:
    """Say on stderr what a build or update did.

    Args:
        report: What was done.
        index_dir: The index folder, as given.
    """
    if report.nothing_changed:
        err.print(
            f"Index {markup_safe(index_dir)} is up to date: nothing changed, nothing embedded "
            f"({report.seconds:.1f} s)."
        )
        return
    err.print(
        f"Index {markup_safe(index_dir)}: {report.added} added, {report.changed} changed, "
        f"{report.removed} removed, {report.unchanged} unchanged documents; "
        f"{report.chunks_embedded} chunks (+{report.sentences_embedded} sentences) embedded, "
        f"{report.chunks_reused} reused; "
        f"{len(report.skipped)} files skipped ({report.seconds:.1f} s)."
    )


def _hit_text(
    text: str, highlights: list[tuple[int, int]], answer: tuple[int, int] | None = None
) -> Text:
    """The hit's text with the query's words highlighted and its answer sentence underlined.

    Escaping changes lengths, so each piece between span bounds is escaped on its own.
    """
    spans = merge_spans(highlights, len(text))
    bounds = sorted({0, len(text), *(b for span in spans for b in span), *(answer or ())})
    rendered = Text()
    for start, end in itertools.pairwise(bounds):
        if end <= start or start >= len(text):
            continue
        styles = []
        if any(s <= start and end <= e for s, e in spans):
            styles.append(HIGHLIGHT_STYLE)
        if answer and answer[0] <= start and end <= answer[1]:
            styles.append(ANSWER_STYLE)
        rendered.append(_multiline_safe(text[start:end]), style=" ".join(styles) or None)
    return rendered


def _multiline_safe(text: str) -> str:
    return escape_for_terminal(text, keep_newlines=True)


def _trim_before(text: str, limit: int = CONTEXT_CHARS) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def _trim_after(text: str, limit: int = CONTEXT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def print_result(result: SearchResult) -> None:
    """Print the hits of a search: rank, title, score, match strength, place, the passage.

    The query's words are highlighted and the sentence nearest the question underlined; a
    divider comes before the first weak match.

    Args:
        result: The search's result.
    """
    if result.undated_excluded:
        err.print(
            f"[yellow]{result.undated_excluded} article(s) without a date are left out by the "
            "date filter.[/]"
        )
    if not result.hits:
        out.print(f"No results for “{markup_safe(result.query)}” ({result.took_ms:.0f} ms).")
        return
    out.print(
        f"[bold]{len(result.hits)}[/] results for “{markup_safe(result.query)}” "
        f"(mode {result.mode}, {result.took_ms:.0f} ms)\n"
    )
    divided = False
    for hit in result.hits:
        if not divided and hit.confidence is not None and hit.confidence.label == "weak":
            _print_weak_divider(first=hit.rank == 1)
            divided = True
        _print_hit(hit)


def _print_weak_divider(first: bool) -> None:
    if first:
        out.rule("[dim]No strong match: these are the nearest passages, likely not an answer")
    else:
        out.rule("[dim]Weak matches below")
    out.print()


def _print_hit(hit: Hit) -> None:
    header = Text()
    header.append(f"{hit.rank:>2}. ", style="bold")
    header.append(escape_for_terminal(hit.title or "(untitled)"), style="bold cyan")
    header.append(f"  score {hit.score:.3f}", style="magenta")
    if hit.confidence is not None:
        label = hit.confidence.label
        header.append(
            f"  {CONFIDENCE_WORDS[label]} {hit.confidence.value:.2f}",
            style=CONFIDENCE_STYLES[label],
        )
    out.print(header)
    meta = f"{escape_for_terminal(hit.path)}  ¶{hit.paragraph + 1}"
    if hit.date:
        meta += f"  {escape_for_terminal(hit.date)}"
    out.print(Padding(Text(meta, style="dim"), (0, 0, 0, INDENT), expand=False))
    also_in = getattr(hit, "also_in", [])
    if also_in:
        out.print(
            Padding(Text(_also_in_line(also_in), style="dim"), (0, 0, 0, INDENT), expand=False)
        )
    body = Text()
    if hit.context_before:
        body.append(_multiline_safe(_trim_before(hit.context_before)), style="dim")
        body.append(" ")
    body.append_text(_hit_text(hit.text, hit.highlights, hit.answer))
    if hit.context_after:
        body.append(" ")
        body.append(_multiline_safe(_trim_after(hit.context_after)), style="dim")
    out.print(Padding(body, (0, 0, 0, INDENT), expand=False))
    out.print()


def _also_in_line(paths: list[str]) -> str:
    """The line under a hit naming the other copies of its article."""
    files = "file" if len(paths) == 1 else "files"
    return f"also in {len(paths)} other {files}: " + ", ".join(map(escape_for_terminal, paths))


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
    table = _key_table()
    for key in ("index", "documents", "chunks", "model", "dimension"):
        table.add_row(key, markup_safe(getattr(info, key)))
    for key in TIME_FIELDS:
        table.add_row(key, markup_safe(format_timestamp(getattr(info, key))) + " (local time)")
    table.add_row("chunking", markup_safe(json.dumps(info.chunking, ensure_ascii=False)))
    table.add_row(
        "sentence vectors",
        "yes" if info.sentence_vectors else "no (the next semsearch update adds them)",
    )
    table.add_row("size", f"{info.size_bytes / 1e6:.1f} MB")
    table.add_row("sources", markup_safe(", ".join(info.corpus_roots or [])))
    out.print(table)
    _print_reprints(info)
    if info.skipped:
        out.print(f"\n[bold]{len(info.skipped)} skipped files[/]")
        for skipped in info.skipped:
            out.print(f"  {markup_safe(skipped.path)}: {markup_safe(skipped.reason)}")


def _print_reprints(info: IndexInfo) -> None:
    """The reprint groups of ``semsearch info``: counts, then the largest groups' files."""
    reprints = info.reprints
    groups = "group" if reprints.groups == 1 else "groups"
    out.print(
        f"\n[bold]reprints[/]: {reprints.groups} {groups} of copies of one article, "
        f"{reprints.documents} documents in them"
    )
    for group in reprints.largest:
        out.print(f"  {markup_safe(group.group)} ({len(group.paths)} files)")
        for path in group.paths:
            out.print(f"    {markup_safe(path)}")


def print_inspection(inspection: Inspection) -> None:
    """Print how a file is read: metadata, cleaned text, removed lines, chunks.

    Args:
        inspection: The file as read.
    """
    document, chunks = inspection.document, inspection.chunks
    table = _key_table()
    for key in ("path", "title", "date", "source", "author", "script", "doc_id"):
        table.add_row(key, markup_safe(getattr(document, key) or "—"))
    out.print(table)
    out.print("\n[bold]Cleaned text[/]")
    out.print(Text(_multiline_safe(document.text)))
    out.print(f"\n[bold]Removed lines ({len(document.removed)})[/]")
    for removed in document.removed:
        line = Text(f"  {removed.line_no:>4}  ")
        line.append(f"[{escape_for_terminal(removed.reason)}] ", style="yellow")
        line.append(escape_for_terminal(removed.text), style="dim")
        out.print(line)
    out.print(f"\n[bold]Chunks ({len(chunks)})[/]")
    for chunk in chunks:
        line = Text(
            f"  #{chunk.index} ¶{chunk.paragraph + 1} [{chunk.start}:{chunk.end}] ", style="cyan"
        )
        line.append(_multiline_safe(chunk.text), style="default")
        out.print(line)


def print_json(payload: Any) -> None:
    """Print one JSON object on stdout (plain ``print``: no rich markup or wrapping).

    Args:
        payload: JSON-ready data.
    """
    print(escape_json_for_terminal(json.dumps(payload, ensure_ascii=False, indent=2)))


def print_error(error: SemsearchError) -> None:
    """Print a user-facing error and its hint on stderr (never a traceback).

    Args:
        error: The error.
    """
    err.print(f"[bold red]Error:[/] {escape(_multiline_safe(error.message))}")
    if error.hint:
        err.print(escape(_multiline_safe(error.hint)))


def save_traceback() -> Path | None:
    """Write the traceback being handled to a file in the temporary folder; None on failure."""
    import tempfile
    import traceback

    try:
        handle, name = tempfile.mkstemp(prefix="semsearch-error-", suffix=".log")
        with open(handle, "w", encoding="utf-8") as log:
            log.write(traceback.format_exc())
    except OSError:
        return None
    return Path(name)


def print_unexpected(error: Exception, details: Path | None) -> None:
    """Say in one line that something unforeseen failed, and where its traceback was saved.

    Args:
        error: The exception.
        details: The file holding the traceback (None: it could not be saved).
    """
    err.print(
        f"[bold red]Error:[/] unexpected failure ({markup_safe(type(error).__name__)}: "
        f"{markup_safe(error)})."
    )
    where = f"the traceback is in {markup_safe(details)}" if details else "no traceback was saved"
    err.print(f"This is a bug in semsearch; {where}.")
