"""The options the CLI's commands share, declared once with their help, defaults and variables.

Typer reads each command's signature; the commands in :mod:`semsearch.cli` name these types, so
every ``--index``, ``--model`` or ``--engine`` reads the same in every ``--help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from semsearch import settings

if TYPE_CHECKING:
    from semsearch.service.choices import EngineConfig

IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index",
        "-i",
        metavar="FOLDER",
        help="Index folder.",
        show_default=settings.INDEX_DISCOVERY_RULE,
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        metavar="NAME",
        help="Sentence-transformers model name or local folder.",
        show_default=(
            "the model the index was built with; for a new index, eval and prepare-model: "
            f"${settings.ENV_MODEL}, else {settings.DEFAULT_MODEL}"
        ),
    ),
]
ModelCacheOption = Annotated[
    Path | None,
    typer.Option(
        "--model-cache",
        metavar="FOLDER",
        help="Where the converted default model is kept.",
        show_default=f"${settings.ENV_MODEL_CACHE}, else the user cache folder",
    ),
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="NAME",
        help="Storage engine: local (FAISS + SQLite files) or qdrant.",
        show_default=f"${settings.ENV_ENGINE}, else local",
    ),
]
QdrantUrlOption = Annotated[
    str | None,
    typer.Option(
        "--qdrant-url",
        metavar="URL",
        help=f"With --engine qdrant: a server or cluster URL (http(s)://host:6333, API key from "
        f"${settings.ENV_QDRANT_API_KEY}) or a folder for Qdrant's in-process local mode; "
        f"--index names the index there.",
        show_default=f"${settings.ENV_QDRANT_URL}, else local mode in the --index folder",
    ),
]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="PATHS",
        help="Files and folders of articles (.txt .md .html .htm .docx .pdf), searched "
        "recursively.",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", metavar="", help="Print one JSON object on stdout.")
]


def engine_choice(engine: str | None, qdrant_url: str | None) -> EngineConfig:
    """The engine the ``--engine`` and ``--qdrant-url`` options ask for.

    Args:
        engine: ``--engine`` (None: ``$SEMSEARCH_ENGINE``, else local).
        qdrant_url: ``--qdrant-url``.

    Returns:
        The engine configuration.

    Raises:
        typer.BadParameter: An unknown engine, or a URL without ``--engine qdrant``.
    """
    from semsearch.service.choices import ENGINES, EngineConfig

    name = engine or settings.default_engine()
    if name not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    if qdrant_url and name != "qdrant":
        raise typer.BadParameter("it needs --engine qdrant", param_hint="--qdrant-url")
    return EngineConfig(name, qdrant_url)


DebounceOption = Annotated[
    float,
    typer.Option(
        "--debounce",
        min=0.1,
        max=60.0,
        help="Seconds the folders must be quiet (no file changing) before an update.",
    ),
]
