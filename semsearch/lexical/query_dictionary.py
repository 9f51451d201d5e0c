"""jieba's dictionary looked up word by word, so segmenting a query does not load all of it.

Highlighting segments the query with jieba (:func:`~semsearch.lexical.analyzer.highlight_terms`).
Loading jieba's whole dictionary (about 350,000 words and their prefixes) took a third of a
cold ``semsearch query``; a short query only ever looks up its own substrings. So the
dictionary jieba would build (its words, frequencies and zero-frequency prefixes) is written
once to a SQLite file beside the model cache, and each segmentation gets a jieba tokenizer
holding just the entries of its text's substrings. jieba's segmentation reads nothing else of
its dictionary (the DAG, the route and the search-mode n-grams are all substrings of the text),
so the words are the same as with the whole dictionary.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from semsearch import settings
from semsearch.sqlbatch import open_lookup_file, select_in

#: Bumped when the file's layout changes (an old file is then made again).
FILE_VERSION = 1

_lock = threading.Lock()


def dictionary_file() -> Path:
    """Where the looked-up form of jieba's dictionary is kept (beside the model cache).

    Returns:
        The SQLite file's path (named after jieba's version and this layout's).
    """
    import jieba

    name = f"jieba-{jieba.__version__}-v{FILE_VERSION}.sqlite"
    return settings.default_model_cache().parent / "dictionaries" / name


def _fill(db: sqlite3.Connection) -> None:
    """Write jieba's prefix dictionary (as ``jieba.initialize`` builds it) into ``db``."""
    import jieba

    with jieba.get_dict_file() as handle:
        frequencies, total = jieba.Tokenizer.gen_pfdict(handle)
    db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL)")
    db.execute("CREATE TABLE info (total INTEGER NOT NULL, longest INTEGER NOT NULL)")
    db.executemany("INSERT INTO words VALUES (?, ?)", frequencies.items())
    db.execute("INSERT INTO info VALUES (?, ?)", (total, max(map(len, frequencies))))


class QueryDictionary:
    """The looked-up form of jieba's dictionary (made on first use).

    Args:
        path: The SQLite file (default :func:`dictionary_file`).
    """

    def __init__(self, path: Path | None = None) -> None:
        self._db = open_lookup_file(path or dictionary_file(), _fill)
        self._db_lock = threading.Lock()
        self.total, self.longest = self._db.execute("SELECT total, longest FROM info").fetchone()

    def entries(self, text: str) -> dict[str, int]:
        """The dictionary's entries that are substrings of ``text``.

        Args:
            text: The text to segment.

        Returns:
            Word or prefix → frequency (0 for a prefix that is not a word).
        """
        # Prefix by prefix, as jieba's DAG walks it: every prefix of a word is an entry, so a
        # substring whose prefix is not one cannot be either (a few small lookups, not one per
        # substring of the text).
        found: dict[str, int] = {}
        starts = list(range(len(text)))
        for length in range(1, self.longest + 1):
            starts = [start for start in starts if start + length <= len(text)]
            if not starts:
                break
            fragments = list({text[start : start + length] for start in starts})
            with self._db_lock:
                rows = select_in(
                    self._db, "SELECT word, freq FROM words WHERE word IN ({marks})", fragments
                )
            found.update(rows)
            starts = [start for start in starts if text[start : start + length] in found]
        return found

    def segmenter(self, text: str) -> Any:
        """A jieba tokenizer that segments ``text`` as one with the whole dictionary would.

        Args:
            text: The text it will segment (other texts would miss words).

        Returns:
            An initialized ``jieba.Tokenizer``.
        """
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = self.entries(text)
        tokenizer.total = self.total
        tokenizer.initialized = True
        return tokenizer


@functools.cache
def query_dictionary() -> QueryDictionary:
    """The process's :class:`QueryDictionary` (opened, or made, once).

    Returns:
        The dictionary.
    """
    with _lock:
        return QueryDictionary()
