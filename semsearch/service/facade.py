"""The service: what the CLI and the page ask of semsearch, each rule written once.

The two front ends differ only in how they ask and how they show. Everything else is decided
here: which model indexing uses (the index's own unless one is named; a new index gets the
configured default), which folders an update or a rebuild covers, how uploads are saved and
indexed, what describes the index. Heavy libraries are imported inside the methods, so that
importing the service (and ``semsearch --help``) stays fast.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semsearch import settings
from semsearch.errors import IndexStoreError
from semsearch.service.debounce import DEFAULT_QUIET_SECONDS
from semsearch.service.live import LiveIndex
from semsearch.service.reports import IndexInfo, Inspection, describe_index
from semsearch.service.uploading import UploadOutcome, save_and_index

if TYPE_CHECKING:
    from semsearch.embed import Embedder
    from semsearch.indexing import IndexReport
    from semsearch.progress import Reporter
    from semsearch.service.watching import ObserverFactory, Watcher, WatchListener
    from semsearch.storage import EngineConfig
    from semsearch.storage.manifest import Manifest

#: Loads an embedding model by name (the page passes one that keeps models across sessions).
EmbedderLoader = Callable[[str], "Embedder"]


def load_model(model: str, model_cache: Path | None = None) -> Embedder:
    """Load an embedding model (converting the bundled default once); the default loader.

    Args:
        model: A model name or folder.
        model_cache: Where converted models are kept (None: the configured place).

    Returns:
        The embedder.

    Raises:
        ModelError: The model cannot be found, converted or loaded.
    """
    from semsearch.embed import load_embedder

    return load_embedder(model, cache_dir=model_cache)


class Service:
    """semsearch for a front end: one index, one corpus folder, one way to get models.

    Args:
        index_dir: The index folder.
        corpus_dir: The folder of articles: where uploads are saved and what a new index covers.
        model: A model that replaces the index's own everywhere (the CLI's ``--model``).
        model_cache: Where converted models are kept (None: the configured place).
        engine: The storage engine that holds the index (a name or a
            :class:`~semsearch.storage.EngineConfig` saying where a Qdrant index lives).
        embedder_loader: Loads a model by name (default :func:`load_model`).
    """

    def __init__(
        self,
        index_dir: Path,
        corpus_dir: Path,
        model: str | None = None,
        model_cache: Path | None = None,
        engine: str | EngineConfig = "local",
        embedder_loader: EmbedderLoader | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.corpus_dir = Path(corpus_dir)
        self.model = model
        self.model_cache = model_cache
        self.engine = engine
        self._loader = embedder_loader

    @classmethod
    def from_settings(
        cls,
        index_dir: Path | None = None,
        model: str | None = None,
        model_cache: Path | None = None,
        embedder_loader: EmbedderLoader | None = None,
        engine: str | EngineConfig | None = None,
    ) -> Service:
        """Make the service the settings describe (``$SEMSEARCH_INDEX``, ``$SEMSEARCH_CORPUS``…).

        Args:
            index_dir: The index folder (None: :func:`settings.default_index_dir`).
            model: A model to use instead of the index's own (None: the index's own).
            model_cache: Where converted models are kept (None: the configured place).
            embedder_loader: Loads a model by name (default :func:`load_model`).
            engine: The storage engine (None: ``$SEMSEARCH_ENGINE``, else the local one; a
                Qdrant index lives at ``$SEMSEARCH_QDRANT_URL`` unless the config names a
                place).

        Returns:
            The service.

        Raises:
            IndexStoreError: An unknown engine.
        """
        from semsearch.storage import engine_config

        return cls(
            index_dir if index_dir is not None else settings.default_index_dir(),
            settings.default_corpus_dir(),
            model=model,
            model_cache=model_cache,
            engine=engine_config(engine),
            embedder_loader=embedder_loader,
        )

    @property
    def location(self) -> str:
        """Where the index lives, for people: its folder, or its name on a Qdrant place."""
        from semsearch.storage import describe_location

        return describe_location(self.index_dir, self.engine)

    # -- models ------------------------------------------------------------------------------

    def load_embedder(self, model: str) -> Embedder:
        """Load a model by name with this service's loader.

        Args:
            model: The model's name or folder.

        Returns:
            The embedder.

        Raises:
            ModelError: The model cannot be found, converted or loaded.
        """
        if self._loader is not None:
            return self._loader(model)
        return load_model(model, self.model_cache)

    def indexing_model(self, model: str | None = None) -> str:
        """Name the model that indexing uses: the rule both front ends share.

        Args:
            model: A model named for this one operation.

        Returns:
            ``model``, else the service's own override, else the model the index was built with,
            else (a new or unreadable index) the configured default.
        """
        chosen = model or self.model
        if chosen:
            return chosen
        manifest = self._live_manifest()
        return manifest.model_id if manifest is not None else settings.default_model()

    def _live_manifest(self) -> Manifest | None:
        """The live version's manifest; None for no index or a damaged one.

        A damaged index is no reason to stop here: the writer reports it, or a rebuild
        replaces it.
        """
        from semsearch.storage import live_manifest

        try:
            return live_manifest(self.index_dir, self.engine)
        except IndexStoreError:
            return None

    def prepare_model(self) -> Path:
        """Make the model ready offline (converting the bundled default once).

        Returns:
            The local folder holding the model.

        Raises:
            ModelError: The model cannot be found or converted.
        """
        from semsearch.embed import prepare_model

        return prepare_model(self.model, cache_dir=self.model_cache)

    # -- reading -----------------------------------------------------------------------------

    def live_version(self) -> str | None:
        """Name the version a search would open now; cheap enough to ask on every interaction.

        Returns:
            The version's name, or None when there is no index yet.
        """
        from semsearch.storage import live_version

        return live_version(self.index_dir, self.engine)

    def open_live(self, need_embedder: bool = True) -> LiveIndex:
        """Open the live version for searching, with the model it was built with.

        Args:
            need_embedder: False for keyword-only searching, which then loads no model.

        Returns:
            The live version, ready to search.

        Raises:
            IndexStoreError: No index, a damaged one, or one built with another model than
                the service's override.
            ModelError: The model cannot be loaded.
        """
        from semsearch.search import open_searcher

        searcher = open_searcher(
            self.index_dir,
            model=self.model,
            model_cache=self.model_cache,
            need_embedder=need_embedder,
            embedder_loader=self.load_embedder,
            engine=self.engine,
        )
        return LiveIndex(searcher)

    def info(self, live: LiveIndex | None = None) -> IndexInfo:
        """Describe the index: counts, model, settings, times, size, skipped files.

        Args:
            live: The version already open (None: open the live one).

        Returns:
            The description.

        Raises:
            IndexStoreError: No index, or a damaged one.
        """
        from semsearch.storage import open_index, version_files

        reader = live.reader if live is not None else open_index(self.index_dir, self.engine)
        disk = version_files(self.index_dir, reader.generation, self.engine)
        return describe_index(reader, self.location, disk)

    def inspect(self, path: Path) -> Inspection:
        """Read one file as the indexer would: metadata, cleaned text, removed lines, chunks.

        Args:
            path: The article file.

        Returns:
            The document and its chunks.

        Raises:
            DocumentError: The file cannot be read as an article.
        """
        from semsearch.chunking import chunk_document
        from semsearch.ingest import read_document

        document = read_document(path)
        return Inspection(document, chunk_document(document))

    # -- writing -----------------------------------------------------------------------------

    def index_files(
        self,
        paths: Sequence[Path] | None = None,
        rebuild: bool = False,
        model: str | None = None,
        reporter: Reporter | None = None,
        release_model: bool = False,
    ) -> IndexReport:
        """Update the index from files (embedding only what is new), or rebuild it from scratch.

        An update adds new files, re-reads changed ones and drops vanished ones under ``paths``.
        A rebuild makes the index again and covers only ``paths``; searching goes on until the
        new version replaces the old one.

        Args:
            paths: Files and folders. None means, for an update, the ones the index covers (a
                new index: the corpus folder); for a rebuild, those and the corpus folder, the
                ones that exist.
            rebuild: Start from scratch instead of updating.
            model: The model to use (default: see :meth:`indexing_model`).
            reporter: Receives progress.
            release_model: Unload the model before the commit, for a one-shot command (the
                page and the watcher keep theirs).

        Returns:
            What was done.

        Raises:
            SemsearchError: The model cannot be loaded, a path does not exist, or the index is
                locked, or (for an update) damaged or built with another model.
        """
        from semsearch import indexing

        if paths is None and rebuild:
            paths = self._rebuild_roots()
        elif paths is None and self.live_version() is None:
            paths = [self.corpus_dir]  # a new index covers the corpus folder
        embedder = self.load_embedder(self.indexing_model(model))
        if rebuild:
            return indexing.build(
                paths,
                self.index_dir,
                embedder,
                rebuild=True,
                reporter=reporter,
                engine=self.engine,
                release_model=release_model,
            )
        return indexing.update(
            paths,
            self.index_dir,
            embedder,
            reporter=reporter,
            engine=self.engine,
            release_model=release_model,
        )

    def _rebuild_roots(self) -> list[Path]:
        """What a rebuild covers by default: the index's roots and the corpus, those that exist."""
        manifest = self._live_manifest()
        covered = [Path(root) for root in manifest.corpus_roots] if manifest else []
        return [root for root in [*covered, self.corpus_dir] if root.exists()]

    def watcher(
        self,
        paths: Sequence[Path] | None,
        listener: WatchListener,
        quiet_seconds: float = DEFAULT_QUIET_SECONDS,
        observer_factory: ObserverFactory | None = None,
    ) -> Watcher:
        """Make a watcher whose updates are :meth:`index_files`, the model kept between them.

        Args:
            paths: The files and folders to follow (None: those the index covers).
            listener: Told about every update, notice and failure.
            quiet_seconds: How long the folders must be quiet before an update.
            observer_factory: Makes the file-event observer (default: the system's events).

        Returns:
            The watcher; :meth:`~semsearch.service.watching.Watcher.run` starts it.
        """
        from semsearch.service.watching import Watcher

        keeping = copy.copy(self)
        keeping._loader = functools.lru_cache(maxsize=2)(self.load_embedder)
        return Watcher(keeping, paths, listener, quiet_seconds, observer_factory)

    def save_uploads(
        self, files: Sequence[tuple[str, bytes]], reporter: Reporter | None = None
    ) -> UploadOutcome:
        """Save uploaded articles into the corpus folder, then index those that were saved.

        Args:
            files: ``(name as sent, content)`` of each uploaded file.
            reporter: Receives the progress of indexing.

        Returns:
            What became of each file (a file the indexer could not read is refused, not
            saved), and the indexing report or error. Never raises: every failure is in it.
        """
        return save_and_index(self.corpus_dir, files, self.index_files, reporter)

    def upload_extensions(self) -> list[str]:
        """Name the file types an upload may have.

        Returns:
            The extensions without the dot, sorted.
        """
        from semsearch.ingest import SUPPORTED_SUFFIXES

        return sorted(suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES)

    # -- evaluation --------------------------------------------------------------------------

    def evaluate(
        self, directory: Path, modes: Sequence[str], reporter: Reporter | None = None, **kw: bool
    ) -> dict[str, Any]:
        """Measure retrieval quality on an evaluation set with the service's model.

        Args:
            directory: The set's folder (``corpus.jsonl``, ``queries.jsonl``).
            modes: The search modes to measure.
            reporter: Receives progress.
            **kw: ``articles=True`` for article level (see ``run_eval``).

        Returns:
            The metrics per mode (see :func:`semsearch.evaluation.run_eval`).

        Raises:
            SemsearchError: The model cannot be loaded or the set cannot be read.
        """
        from semsearch.evaluation import run_eval

        embedder = self.load_embedder(self.model or settings.default_model())
        return run_eval(directory, modes, embedder, reporter=reporter, engine=self.engine, **kw)
