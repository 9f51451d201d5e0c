"""The ``semsearch`` command line: build, update, query, info, inspect, eval.

The CLI is a thin layer: every decision lives in the indexer, the searcher or the evaluation
module, which the Streamlit app uses too. Heavy libraries (torch, FAISS, jieba) are imported
inside the commands so that ``--help`` and mistakes answer at once.

Exit codes: 0 success, 1 user error (a message, no traceback), 2 usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from semsearch import settings
from semsearch.errors import SemsearchError

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.indexing import IndexReport
    from semsearch.search import SearchResult

app = typer.Typer(
    name="semsearch",
    help=(
        "Local semantic search over Chinese news articles.\n\n"
        'Typical use: `semsearch build seeds/` once, then `semsearch query "..."`; '
        "`semsearch update` after adding or changing articles."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index",
        "-i",
        help=f"Index folder [default: ${settings.ENV_INDEX} or index/].",
        show_default=False,
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help=(
            "Sentence-transformers model name or local folder "
            f"[default: ${settings.ENV_MODEL} or {settings.DEFAULT_MODEL}; "
            "for queries: the model the index was built with]."
        ),
        show_default=False,
    ),
]
ModelCacheOption = Annotated[
    Path | None,
    typer.Option(
        "--model-cache",
        help=f"Where the converted default model is kept [default: ${settings.ENV_MODEL_CACHE} "
        "or the user cache dir].",
        show_default=False,
    ),
]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Files and folders of articles (.txt .md .html .htm .docx .pdf), searched "
        "recursively.",
        show_default=False,
    ),
]


def _index_dir(index: Path | None) -> Path:
    return index if index is not None else settings.default_index_dir()


def _load_embedder(model: str | None, model_cache: Path | None) -> Embedder:
    from semsearch.embed import load_embedder

    with err.status(f"Loading model {escape(model or settings.default_model())}…"):
        return load_embedder(model, cache_dir=model_cache)


class RichReporter:
    """Shows the indexer's stages as rich progress bars with counts and rates (on stderr)."""

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

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def start(self, stage: str, total: int) -> None:
        """Begin a stage with ``total`` units of work."""
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
        self.progress.console.print(text, markup=False, highlight=False)


def _print_report(report: IndexReport, index_dir: Path) -> None:
    if report.nothing_changed:
        err.print(
            f"Index {escape(str(index_dir))} is up to date: nothing changed, nothing embedded "
            f"({report.seconds:.1f} s)."
        )
        return
    err.print(
        f"Index {escape(str(index_dir))}: {report.added} added, {report.changed} changed, "
        f"{report.removed} removed, {report.unchanged} unchanged documents; "
        f"{report.chunks_embedded} chunks (+{report.sentences_embedded} sentences) embedded, "
        f"{report.chunks_reused} reused; "
        f"{len(report.skipped)} files skipped ({report.seconds:.1f} s)."
    )


def _run_indexing(
    command: str,
    paths: list[Path] | None,
    index: Path | None,
    model: str | None,
    model_cache: Path | None,
    rebuild: bool = False,
) -> None:
    from semsearch import indexing

    index_dir = _index_dir(index)
    embedder = _load_embedder(model, model_cache)
    with RichReporter(err) as reporter:
        if command == "build":
            report = indexing.build(
                paths or [settings.default_corpus_dir()],
                index_dir,
                embedder,
                rebuild=rebuild,
                reporter=reporter,
            )
        else:
            report = indexing.update(paths or None, index_dir, embedder, reporter=reporter)
    _print_report(report, index_dir)


@app.command()
def build(
    paths: PathsArgument = None,
    index: IndexOption = None,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Start from scratch, discarding the old index.")
    ] = False,
) -> None:
    """Index articles (default: seeds/). An existing index is updated unless --rebuild."""
    _run_indexing("build", paths, index, model, model_cache, rebuild=rebuild)


@app.command()
def update(
    paths: PathsArgument = None,
    index: IndexOption = None,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
) -> None:
    """Bring the index in line with the files: embed only what is new, drop what vanished.

    Without PATHS, the folders the index was built from are used (or seeds/ for a new index).
    """
    _run_indexing("update", paths, index, model, model_cache)


def _hit_text(text: str, highlights: list[tuple[int, int]]) -> Text:
    rendered = Text(text)
    for start, end in highlights:
        rendered.stylize("bold black on yellow", start, end)
    return rendered


def _trim_before(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def _trim_after(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _print_result(result: SearchResult) -> None:
    if not result.hits:
        out.print(f"No results for “{escape(result.query)}” ({result.took_ms:.0f} ms).")
        return
    out.print(
        f"[bold]{len(result.hits)}[/] results for “{escape(result.query)}” "
        f"(mode {result.mode}, {result.took_ms:.0f} ms)\n"
    )
    for hit in result.hits:
        header = Text()
        header.append(f"{hit.rank:>2}. ", style="bold")
        header.append(hit.title or "(untitled)", style="bold cyan")
        header.append(f"  score {hit.score:.3f}", style="magenta")
        out.print(header)
        meta = f"    {hit.path}  ¶{hit.paragraph + 1}"
        if hit.date:
            meta += f"  {hit.date}"
        out.print(Text(meta, style="dim"))
        body = Text("    ")
        if hit.context_before:
            body.append(_trim_before(hit.context_before), style="dim")
            body.append(" ")
        body.append_text(_hit_text(hit.text, hit.highlights))
        if hit.context_after:
            body.append(" ")
            body.append(_trim_after(hit.context_after), style="dim")
        out.print(body)
        out.print()


@app.command()
def query(
    text: Annotated[str, typer.Argument(help="What to look for, in any words or script.")],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=1000, help="Results.")] = 10,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="hybrid (default), semantic (meaning only) or keyword (BM25 on words).",
        ),
    ] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    doc: Annotated[
        list[str] | None,
        typer.Option("--doc", help="Only these articles (doc id or a part of the file path)."),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Only articles dated on/after YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Only articles dated on/before YYYY-MM-DD.")
    ] = None,
    collapse: Annotated[
        bool, typer.Option("--collapse", help="Show only the best paragraph of each article.")
    ] = False,
    index: IndexOption = None,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
) -> None:
    """Search the index and print the best paragraphs."""
    from semsearch.search import MODES, open_searcher

    if mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(MODES)}", param_hint="--mode")
    if not text.strip():
        raise SemsearchError("The query is empty.", "Give some words to look for.")
    searcher = open_searcher(
        _index_dir(index), model=model, model_cache=model_cache, need_embedder=mode != "keyword"
    )
    result = searcher.search(
        text,
        k=k,
        mode=mode,
        documents=doc or None,
        date_from=date_from,
        date_to=date_to,
        collapse=collapse,
    )
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_result(result)


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@app.command()
def info(
    index: IndexOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Describe the index: documents, chunks, model, sizes, times, skipped files."""
    from semsearch.storage import open_index

    index_dir = _index_dir(index)
    reader = open_index(index_dir)
    manifest = reader.manifest
    generation_dir = (index_dir / "current").resolve()
    files = {f.name: f.stat().st_size for f in sorted(generation_dir.iterdir()) if f.is_file()}
    payload = {
        "index": str(index_dir),
        "generation": reader.generation,
        "documents": reader.document_count,
        "chunks": reader.chunk_count,
        "model": manifest.model_id,
        "model_fingerprint": manifest.model_fingerprint,
        "dimension": manifest.dimension,
        "chunking": manifest.chunking,
        "sentence_vectors": reader.has_sentence_vectors,
        "format_version": manifest.format_version,
        "created_at": manifest.created_at,
        "updated_at": manifest.updated_at,
        "corpus_roots": manifest.corpus_roots,
        "size_bytes": _folder_size(generation_dir),
        "files": files,
        "skipped": [{"path": s.path, "reason": s.reason} for s in reader.skipped_files()],
    }
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key in ("index", "documents", "chunks", "model", "dimension", "created_at", "updated_at"):
        table.add_row(key, escape(str(payload[key])))
    table.add_row("chunking", escape(json.dumps(payload["chunking"], ensure_ascii=False)))
    table.add_row(
        "sentence vectors",
        "yes" if payload["sentence_vectors"] else "no (the next semsearch update adds them)",
    )
    table.add_row("size", f"{payload['size_bytes'] / 1e6:.1f} MB")
    table.add_row("sources", escape(", ".join(payload["corpus_roots"] or [])))
    out.print(table)
    if payload["skipped"]:
        out.print(f"\n[bold]{len(payload['skipped'])} skipped files[/]")
        for skipped in payload["skipped"]:
            out.print(f"  {escape(skipped['path'])}: {escape(skipped['reason'])}")


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="An article file to clean and cut.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show how a file is read: metadata, cleaned text, removed lines and chunks."""
    from semsearch.chunking import chunk_document
    from semsearch.ingest import read_document

    document = read_document(file)
    chunks = chunk_document(document)
    if as_json:
        payload = {
            "path": document.path,
            "doc_id": document.doc_id,
            "title": document.title,
            "date": document.date,
            "source": document.source,
            "author": document.author,
            "script": document.script,
            "content_hash": document.content_hash,
            "text": document.text,
            "removed": [
                {"line": r.line_no, "text": r.text, "reason": r.reason} for r in document.removed
            ],
            "chunks": [
                {
                    "index": c.index,
                    "paragraph": c.paragraph,
                    "start": c.start,
                    "end": c.end,
                    "text": c.text,
                }
                for c in chunks
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key in ("path", "title", "date", "source", "author", "script", "doc_id"):
        table.add_row(key, escape(str(getattr(document, key) or "—")))
    out.print(table)
    out.print("\n[bold]Cleaned text[/]")
    out.print(Text(document.text))
    out.print(f"\n[bold]Removed lines ({len(document.removed)})[/]")
    for removed in document.removed:
        line = Text(f"  {removed.line_no:>4}  ")
        line.append(f"[{removed.reason}] ", style="yellow")
        line.append(removed.text, style="dim")
        out.print(line)
    out.print(f"\n[bold]Chunks ({len(chunks)})[/]")
    for chunk in chunks:
        line = Text(
            f"  #{chunk.index} ¶{chunk.paragraph + 1} [{chunk.start}:{chunk.end}] ", style="cyan"
        )
        line.append(chunk.text, style="default")
        out.print(line)


@app.command(name="eval")
def evaluate(
    directory: Annotated[
        Path,
        typer.Argument(help="An evaluation set: a folder with corpus.jsonl and queries.jsonl."),
    ],
    modes: Annotated[
        str, typer.Option("--modes", help="Comma-separated modes to compare.")
    ] = "semantic,keyword,hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
) -> None:
    """Measure retrieval quality (Recall@1/5/10, MRR@10, nDCG@10, median query time)."""
    from semsearch.evaluation import format_eval_table, run_eval
    from semsearch.search import MODES

    chosen = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in MODES]
    if unknown or not chosen:
        raise typer.BadParameter(f"choose from {', '.join(MODES)}", param_hint="--modes")
    embedder = _load_embedder(model, model_cache)
    with RichReporter(err) as reporter:
        result = run_eval(directory, chosen, embedder, reporter=reporter)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        out.print(format_eval_table(result))


@app.command(name="prepare-model")
def prepare_model_command(
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
) -> None:
    """Make the model ready offline (converts the bundled default model once)."""
    from semsearch.embed import prepare_model

    path = prepare_model(model, cache_dir=model_cache)
    err.print(f"Model {escape(model or settings.default_model())} is ready: {escape(str(path))}")


def main() -> None:
    """Entry point of the ``semsearch`` console script."""
    try:
        app()
    except SemsearchError as error:
        err.print(f"[bold red]Error:[/] {escape(error.message)}")
        if error.hint:
            err.print(escape(error.hint))
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("Interrupted. The index is unchanged unless the last step had finished.")
        sys.exit(130)


if __name__ == "__main__":
    main()
