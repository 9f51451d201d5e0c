"""The page's models and open index, loaded once per server process — at start-up if asked.

Streamlit runs the page's script for the first time only when the first visitor arrives, so a
cache filled by the script makes that visitor wait for the model and the index (13–16 s on
this machine). ``python -m semsearch.ui.serve`` (``make run``) calls :func:`warm_up_in_background`
before it starts the server; the page then finds both ready in this module's process-wide
caches, or waits behind its progress message for a warm-up still under way (the lock).
Started with plain ``streamlit run app.py``, the first visitor loads them instead.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from semsearch import settings
from semsearch.errors import SemsearchError
from semsearch.service import LiveIndex, Service, load_model

if TYPE_CHECKING:
    from semsearch.embed import Embedder

LOG = logging.getLogger("semsearch.app")
#: Open versions kept: the live one and the one before it (a search may still hold it).
KEEP_VERSIONS = 2

# One lock for both caches: a visitor who arrives during the warm-up waits for it rather than
# loading a second copy of the model.
_lock = threading.RLock()
_embedders: dict[tuple[str, str], Embedder] = {}
_versions: OrderedDict[tuple[str, str, str], LiveIndex] = OrderedDict()
_warming = threading.Event()
_watchers: dict[str, threading.Thread] = {}
#: Imported by the warm-up too: the page's first run would pay them (the chart's libraries
#: alone take seconds on a busy machine).
PAGE_MODULES = (
    "semsearch.ui.results",
    "semsearch.ui.sidebar",
    "pandas",
    "altair",
    "streamlit.elements.lib.built_in_chart_utils",
)


def model_cache() -> str:
    """Where converted models are kept (part of the cache keys)."""
    return str(settings.default_model_cache())


def embedder(model: str, cache_dir: str) -> Embedder:
    """Load an embedding model once per process (shared by all sessions).

    Args:
        model: The model's name or folder.
        cache_dir: Where converted models are kept.

    Returns:
        The embedder.
    """
    with _lock:
        key = (model, cache_dir)
        if key not in _embedders:
            _embedders[key] = load_model(model, Path(cache_dir))
        return _embedders[key]


def service(index_dir: Path | None = None) -> Service:
    """The service over the configured index and corpus, with the process-wide model cache.

    Args:
        index_dir: The index folder (None: the configured one).

    Returns:
        The service.
    """
    cache_dir = model_cache()
    return Service.from_settings(index_dir, embedder_loader=lambda name: embedder(name, cache_dir))


def live_index(index_dir: str, generation: str) -> LiveIndex:
    """The index version ``generation`` open with its own model, warmed up (once per process).

    Args:
        index_dir: The index folder, resolved.
        generation: The live version's name (a new version on disk opens a new searcher).

    Returns:
        The version open for searching.

    Raises:
        SemsearchError: The index or its model cannot be opened.
    """
    key = (index_dir, generation, model_cache())
    with _lock:
        if key in _versions:
            _versions.move_to_end(key)
            return _versions[key]
        live = service(Path(index_dir)).open_live()
        live.warm_up()
        _versions[(index_dir, live.generation, key[2])] = live
        while len(_versions) > KEEP_VERSIONS:
            _versions.popitem(last=False)
        return live


def start_watching(index_dir: str) -> threading.Thread:
    """Start the server's one watcher thread (``SEMSEARCH_WATCH=1``), once per process.

    Args:
        index_dir: The index folder, resolved.

    Returns:
        The thread keeping the index in step with its folders.
    """
    from semsearch.service.watching import LoggingListener, watch_in_background

    with _lock:
        if index_dir not in _watchers:
            watcher = service(Path(index_dir)).watcher(None, LoggingListener())
            _watchers[index_dir] = watch_in_background(watcher)
        return _watchers[index_dir]


def is_warming() -> bool:
    """True while the start-up warm-up is loading (the page says so instead of a bare spinner)."""
    return _warming.is_set()


def _warm_up(index_dir: Path | None) -> None:
    started = time.monotonic()
    try:
        page_service = service(index_dir)
        generation = page_service.live_version()
        if generation is not None:
            live_index(str(page_service.index_dir.resolve()), generation)
        for name in PAGE_MODULES:
            importlib.import_module(name)
        LOG.warning("semsearch: model and index ready in %.1f s", time.monotonic() - started)
    except SemsearchError as error:  # the page shows the same error to its first visitor
        LOG.warning("semsearch: warm-up failed: %s", error.message)
    finally:
        _warming.clear()


def warm_up_in_background(index_dir: Path | None = None) -> threading.Thread:
    """Load the model and open the live index in a thread, while the server starts.

    Args:
        index_dir: The index folder (None: the configured one).

    Returns:
        The started (daemon) thread.
    """
    _warming.set()
    thread = threading.Thread(target=_warm_up, args=(index_dir,), name="semsearch-warm-up")
    thread.daemon = True
    thread.start()
    return thread
