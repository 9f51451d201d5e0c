"""The ``semsearch`` command line: build, update, query, info, inspect, eval.

Argument parsing only: every command asks :class:`semsearch.service.Service` (the facade the
Streamlit page calls too, so a rule means the same in both) and prints what it gets with
:mod:`semsearch.ui.terminal`. Heavy libraries (torch, FAISS, jieba) are imported by the service
when a command needs them, so that ``--help`` and mistakes answer at once.

Exit codes: 0 success, 1 user error (a message, no traceback) or an unforeseen failure (one
line; the traceback is saved to a file), 2 usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.service import Service, load_model
from semsearch.service.debounce import DEFAULT_QUIET_SECONDS
from semsearch.terminal_safe import escape_for_terminal
from semsearch.ui import terminal, terminal_describe, terminal_results
from semsearch.ui.command_group import SuggestingGroup
from semsearch.ui.options import (
    ArticlesOption,
    DebounceOption,
    EngineOption,
    IndexOption,
    JsonOption,
    ModelCacheOption,
    ModelOption,
    PathsArgument,
    QdrantUrlOption,
    engine_choice,
)
from semsearch.ui.process_exit import run_then_exit
from semsearch.ui.terminal import RichReporter, err, markup_safe, out
from semsearch.ui.terminal_watch import TerminalWatchListener

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.storage import EngineConfig

app = typer.Typer(
    name="semsearch",
    cls=SuggestingGroup,
    help=(
        "Local semantic search over Chinese news articles.\n\n"
        'Typical use: `semsearch build seeds/` once, then `semsearch query "..."`; '
        "`semsearch update` after adding or changing articles.\n\n"
        f"The index used: --index, else {settings.INDEX_DISCOVERY_RULE}. "
        f"Environment variables: ${settings.ENV_INDEX} (index folder), ${settings.ENV_CORPUS} "
        f"(articles indexed by default, else seeds/), ${settings.ENV_MODEL} (model for a new "
        f"index), ${settings.ENV_MODEL_CACHE} (converted models), ${settings.ENV_LANG} "
        "(language of messages and help: zh-Hans, zh-Hant or en; else the locale). Paragraphs "
        "are numbered from 1, as on the page. Times are shown in local time."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _service(
    index: Path | None,
    model: str | None,
    model_cache: Path | None,
    announce: bool = True,
    engine: EngineConfig | None = None,
) -> Service:
    """The service a command asks; with ``announce``, a spinner shows while a model loads.

    ``engine`` None: a command that does not touch an index (the local engine, unused).
    """

    def load(name: str) -> Embedder:
        return load_model(name, model_cache)

    loader = terminal.announced_loader(load) if announce else None
    return Service.from_settings(
        index, model, model_cache, embedder_loader=loader, engine=engine or "local"
    )


def _run_indexing(
    paths: list[Path] | None,
    index: Path | None,
    model: str | None,
    model_cache: Path | None,
    engine: EngineConfig,
    rebuild: bool = False,
) -> None:
    service = _service(index, model, model_cache, engine=engine)
    with RichReporter(err) as reporter:
        # A one-shot command embeds nothing after its commit: the model's memory goes first.
        report = service.index_files(paths, rebuild=rebuild, reporter=reporter, release_model=True)
    terminal.print_report(report, service.index_dir)


@app.command()
def build(
    paths: PathsArgument = None,
    index: IndexOption = None,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", metavar="", help="Start from scratch, discarding the old index."),
    ] = False,
    engine: EngineOption = None,
    qdrant_url: QdrantUrlOption = None,
) -> None:
    """Index articles (default: seeds/). An existing index is updated unless --rebuild."""
    paths = paths or [settings.default_corpus_dir()]
    _run_indexing(paths, index, model, model_cache, engine_choice(engine, qdrant_url), rebuild)


@app.command()
def update(
    paths: PathsArgument = None,
    index: IndexOption = None,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
    engine: EngineOption = None,
    qdrant_url: QdrantUrlOption = None,
) -> None:
    """Bring the index in line with the files: embed only what is new, drop what vanished.

    Without PATHS, the folders the index was built from are used (or seeds/ for a new index).
    """
    _run_indexing(paths or None, index, model, model_cache, engine_choice(engine, qdrant_url))


@app.command()
def watch(
    paths: PathsArgument = None,
    index: IndexOption = None,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
    debounce: DebounceOption = DEFAULT_QUIET_SECONDS,
    engine: EngineOption = None,
    qdrant_url: QdrantUrlOption = None,
) -> None:
    """Keep the index in step with the files: update within seconds of any change, until Ctrl-C.

    Without PATHS, the folders the index was built from are watched (or seeds/ for a new
    index). A file still being written is indexed once it is complete.
    """
    service = _service(index, model, model_cache, engine=engine_choice(engine, qdrant_url))
    listener = TerminalWatchListener(service.location)
    try:
        service.watcher(paths or None, listener, quiet_seconds=debounce).run()
    except KeyboardInterrupt:
        tr = terminal.texts()
        err.print(tr("cli.watch_stopped"))


@app.command()
def query(
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT", help="What to look for: words or a question, in any language or script."
        ),
    ],
    k: Annotated[
        int, typer.Option("-k", "--top", min=1, max=1000, metavar="N", help="How many results.")
    ] = 10,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            metavar="MODE",
            help="hybrid (meaning and words), semantic (meaning only) or keyword (BM25 on words).",
        ),
    ] = "hybrid",
    as_json: JsonOption = False,
    doc: Annotated[
        list[str] | None,
        typer.Option(
            "--doc",
            metavar="TEXT",
            help="Only these articles (doc id or a part of the file path); repeatable.",
        ),
    ] = None,
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            help="Only articles dated on/after YYYY-MM-DD (undated articles are left out and "
            "counted).",
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", help="Only articles dated on/before YYYY-MM-DD."),
    ] = None,
    collapse: Annotated[
        bool,
        typer.Option(
            "--collapse", metavar="", help="Show only the best paragraph of each article."
        ),
    ] = False,
    index: IndexOption = None,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
    engine: EngineOption = None,
    qdrant_url: QdrantUrlOption = None,
) -> None:
    """Search the index and print the best paragraphs."""
    from semsearch.service.choices import MODES

    if mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(MODES)}", param_hint="--mode")
    storage = engine_choice(engine, qdrant_url)
    if not text.strip():
        raise SemsearchError(
            "The query is empty.", "Give some words to look for.", key="query.empty"
        )
    service = _service(index, model, model_cache, announce=False, engine=storage)
    live = service.open_live(need_embedder=mode != "keyword")
    result = live.search(
        text,
        k=k,
        mode=mode,
        documents=doc or None,
        date_from=date_from,
        date_to=date_to,
        collapse=collapse,
    )
    if as_json:
        terminal.print_json(result.to_json())
    else:
        terminal_results.print_result(result)


@app.command()
def info(
    index: IndexOption = None,
    as_json: JsonOption = False,
    engine: EngineOption = None,
    qdrant_url: QdrantUrlOption = None,
) -> None:
    """Describe the index: documents, chunks, model, sizes, times, skipped files."""
    described = _service(index, None, None, engine=engine_choice(engine, qdrant_url)).info()
    if as_json:
        terminal.print_json(described.to_json())
    else:
        terminal_describe.print_info(described)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An article file to clean and cut.")],
    as_json: JsonOption = False,
) -> None:
    """Show how a file is read: metadata, cleaned text, removed lines and chunks."""
    _check_article_file(file)
    inspection = _service(None, None, None).inspect(file)
    if as_json:
        terminal.print_json(inspection.to_json())
    else:
        terminal_describe.print_inspection(inspection)


def _check_article_file(file: Path) -> None:
    """Stop with a clear message when ``inspect`` is given no file or a folder."""
    shown = escape_for_terminal(str(file))
    if not file.exists():
        raise SemsearchError(
            f"{shown}: no such file.",
            f"Check the name; a relative path starts from {escape_for_terminal(str(Path.cwd()))}.",
            key="file.missing",
            params={"file": shown, "folder": escape_for_terminal(str(Path.cwd()))},
        )
    if file.is_dir():
        raise SemsearchError(
            f"{shown} is a folder.",
            "inspect reads one article file; name a file inside it.",
            key="file.folder",
            params={"file": shown},
        )


@app.command(name="eval")
def evaluate(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="FOLDER",
            help="An evaluation set: a folder with corpus.jsonl and queries.jsonl.",
        ),
    ],
    modes: Annotated[
        str, typer.Option("--modes", metavar="MODES", help="Comma-separated modes to compare.")
    ] = "semantic,keyword,hybrid",
    as_json: JsonOption = False,
    articles: ArticlesOption = False,
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
    engine: EngineOption = None,
    qdrant_url: QdrantUrlOption = None,
) -> None:
    """Measure retrieval quality (Recall@1/5/10, MRR@10, nDCG@10, median query time).

    The set is indexed in a temporary index of the chosen engine (with --qdrant-url, as the
    index semsearch-eval-<set> there, replaced by each run).
    """
    from semsearch.service.choices import MODES, format_eval_table

    chosen = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in MODES]
    if unknown or not chosen:
        raise typer.BadParameter(f"choose from {', '.join(MODES)}", param_hint="--modes")
    service = _service(None, model, model_cache, engine=engine_choice(engine, qdrant_url))
    with RichReporter(err) as reporter:
        result = service.evaluate(directory, chosen, reporter=reporter, articles=articles)
    if as_json:
        terminal.print_json(result)
    else:
        out.print(format_eval_table(result))


@app.command(name="prepare-model")
def prepare_model_command(
    model: ModelOption = None,
    model_cache: ModelCacheOption = None,
) -> None:
    """Make the model ready offline (converts the bundled default model once)."""
    path = _service(None, model, model_cache).prepare_model()
    name = markup_safe(model or settings.default_model())
    tr = terminal.texts()
    err.print(tr("cli.model_ready", model=name, path=markup_safe(path)))


def main() -> None:
    """Entry point of the ``semsearch`` console script."""
    try:
        app()
    except SemsearchError as error:
        terminal.print_error(error)
        sys.exit(1)
    except KeyboardInterrupt:
        tr = terminal.texts()
        err.print(tr("cli.interrupted"))
        sys.exit(130)
    except Exception as error:  # a bug: one line on the terminal, the traceback in a file
        terminal.print_unexpected(error, terminal.save_traceback())
        sys.exit(1)


def run() -> NoReturn:
    """Entry point of the ``semsearch`` console script: :func:`main`, then a quick exit
    (:func:`~semsearch.ui.process_exit.run_then_exit`)."""
    run_then_exit(main)


if __name__ == "__main__":
    run()
