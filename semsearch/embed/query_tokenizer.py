"""A short text tokenized without loading the whole vocabulary: the cold start of a query.

Loading the export's ``tokenizer.json`` (a Unigram model of 250,002 pieces) took about 0.6 s of
a cold ``semsearch query`` on a quiet machine and 1.5–4.7 s under load: the vocabulary is the
whole cost (the same file with ten pieces and the same pre-tokenizer loads in 2 ms). A Unigram
tokenizer segments a word by the best-scoring path through the pieces that are substrings of it,
so a tokenizer holding only those pieces, with their scores, segments it the same way. The
pieces are written once to a SQLite file beside the export; a text looks up its substrings
(a few milliseconds) and is tokenized by a tokenizer of the same pre-tokenizer and
post-processor whose vocabulary is those pieces. Two details keep the ids identical:

- the first pieces (``<s>``, ``<pad>``, ``</s>``, ``<unk>``) keep their ids, which the
  post-processor and the unknown-piece handling name;
- the lowest-scoring piece is always included: ``tokenizers`` scores an unknown character
  relative to the vocabulary's lowest score.

Other ids are mapped back to the whole vocabulary's. Tested against the whole tokenizer on every
query of the evaluation sets (tests/embed/test_embed_query_tokenizer.py).

The passages and sentences of a small update are tokenized the same way, all of a call's texts
with one looked-up vocabulary (:data:`MAX_BATCH_CHARACTERS`): a one-article ``semsearch update``
then neither loads the whole vocabulary nor frees it at its end (tested on every passage and
sentence of the evaluation sets).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from semsearch.sqlbatch import open_lookup_file, select_in

if TYPE_CHECKING:
    from tokenizers import Tokenizer

#: Bumped when the file's layout changes (an old file is then made again). 2: the longest piece
#: starting with each character (``starts``).
FILE_VERSION = 2

#: Ids the post-processor and the unknown piece name directly: kept as they are.
KEPT_IDS = 4

#: Longer texts are tokenized by the whole tokenizer (their substrings would be many lookups).
MAX_CHARACTERS = 2000

#: Passages of one call holding at most this many characters are tokenized from looked-up
#: pieces. The lookups cost about 6 µs per character, linearly (0.035 s for a 20-passage article
#: and its 59 sentences, 5.3k characters; 0.14 s for 26k, 0.7 s for 110k; load 4.3), against
#: about 0.9 s for loading the whole tokenizer (0.65 s) and freeing it at the end of a command
#: (0.26 s) on a quiet machine: the break-even is far above; 20k (a few articles per call)
#: keeps the lookups small also in a long-lived process that never loads the whole tokenizer.
MAX_BATCH_CHARACTERS = 20_000

_METASPACE = "▁"


def pieces_file(onnx_dir: Path) -> Path:
    """Where the looked-up form of an export's vocabulary is kept (beside the export).

    Args:
        onnx_dir: The ONNX export's folder.

    Returns:
        The SQLite file's path (named after the export and this layout).
    """
    return onnx_dir.parent / "query-pieces" / f"{onnx_dir.name}-v{FILE_VERSION}.sqlite"


def _frame(config: dict[str, Any]) -> dict[str, Any] | None:
    """The tokenizer's configuration without its vocabulary, or None if not a plain Unigram."""
    model = config.get("model") or {}
    if model.get("type") != "Unigram" or config.get("normalizer") or config.get("added_tokens"):
        return None
    if model.get("byte_fallback") or model.get("unk_id") is None:
        return None
    if int(model["unk_id"]) >= KEPT_IDS:
        return None
    return {**config, "model": {**model, "vocab": []}}


def _filler(tokenizer_file: Path) -> Callable[[sqlite3.Connection], None]:
    """Writes the pieces of ``tokenizer_file`` and its configuration into a lookup file."""

    def fill(db: sqlite3.Connection) -> None:
        config = json.loads(tokenizer_file.read_text(encoding="utf-8"))
        frame = _frame(config)
        vocab = config["model"]["vocab"] if frame is not None else []
        db.execute("CREATE TABLE pieces (piece TEXT PRIMARY KEY, id INTEGER, score REAL)")
        db.execute("CREATE TABLE info (frame TEXT, kept TEXT, lowest TEXT, longest INTEGER)")
        db.execute("CREATE TABLE starts (ch TEXT PRIMARY KEY, longest INTEGER)")
        # A piece spelled twice keeps its first id, as tokenizers' own lookup does.
        db.executemany(
            "INSERT OR IGNORE INTO pieces VALUES (?, ?, ?)",
            ((piece, index, score) for index, (piece, score) in enumerate(vocab)),
        )
        longest_from: dict[str, int] = {}
        for piece, _score in vocab:
            if piece:
                longest_from[piece[0]] = max(longest_from.get(piece[0], 0), len(piece))
        db.executemany("INSERT INTO starts VALUES (?, ?)", longest_from.items())
        lowest = min(range(len(vocab)), key=lambda index: vocab[index][1]) if vocab else 0
        db.execute(
            "INSERT INTO info VALUES (?, ?, ?, ?)",
            (
                json.dumps(frame),
                json.dumps(vocab[:KEPT_IDS]),
                json.dumps([lowest, *vocab[lowest]]) if vocab else "null",
                max((len(piece) for piece, _ in vocab), default=0),
            ),
        )

    return fill


class QueryTokenizer:
    """Tokenizes short texts as the export's tokenizer does, from the looked-up pieces.

    Args:
        onnx_dir: The ONNX export's folder (its ``tokenizer.json``).
        max_length: Tokens kept per text (the whole tokenizer's truncation).

    Raises:
        ValueError: The tokenizer is not a plain Unigram model (the caller then loads it
            whole).
    """

    def __init__(self, onnx_dir: Path, max_length: int) -> None:
        self._db = open_lookup_file(pieces_file(onnx_dir), _filler(onnx_dir / "tokenizer.json"))
        self._lock = threading.Lock()
        frame, kept, lowest, self.longest = self._db.execute("SELECT * FROM info").fetchone()
        if frame == "null":
            raise ValueError("not a plain Unigram tokenizer")
        self._kept = [(str(piece), float(score)) for piece, score in json.loads(kept)]
        self._lowest = json.loads(lowest)
        frame = json.loads(frame)
        self._unk_id = int(frame["model"]["unk_id"])
        self._tokenizer = _frame_tokenizer(frame, self._kept, max_length)

    def set_max_length(self, max_length: int) -> None:
        """Cut texts at ``max_length`` tokens from now on.

        Args:
            max_length: Tokens kept per text, special tokens included.
        """
        with self._lock:
            self._tokenizer.enable_truncation(max_length=max_length)

    def pieces(self, texts: list[str]) -> list[tuple[int, str, float]]:
        """The vocabulary's pieces that are substrings of ``texts`` as the model reads them.

        Args:
            texts: Normalized texts (prompt included).

        Returns:
            ``(id, piece, score)`` of each piece, the kept first ids excluded.
        """
        spaced_texts = [_METASPACE + text.replace(" ", _METASPACE) for text in texts]
        with self._lock:
            # Only substrings as long as the longest piece starting with their first character
            # can be pieces: 3.6 times fewer lookups than up to the longest piece (16) on news.
            longest_from = dict(
                select_in(
                    self._db,
                    "SELECT ch, longest FROM starts WHERE ch IN ({marks})",
                    list(set().union(*spaced_texts)),
                )
            )
        fragments: set[str] = set()
        for spaced in spaced_texts:
            size = len(spaced)
            fragments.update(
                spaced[start : start + length]
                for start, character in enumerate(spaced)
                for length in range(1, min(longest_from.get(character, 0), size - start) + 1)
            )
        with self._lock:
            rows = select_in(
                self._db,
                "SELECT id, piece, score FROM pieces WHERE piece IN ({marks})",
                list(fragments),
            )
        return [(int(i), str(piece), float(score)) for i, piece, score in rows if i >= KEPT_IDS]

    def encode(self, text: str) -> list[int]:
        """Token ids of one normalized text, as the whole tokenizer gives them.

        Args:
            text: A normalized text (prompt included).

        Returns:
            The ids, special tokens included, cut at the maximum length.
        """
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        """Token ids of normalized texts, as the whole tokenizer gives them.

        One vocabulary serves them all: the pieces of the other texts that are not substrings
        of a word can never be on its path, and those that are, are its own pieces too.

        Args:
            texts: Normalized texts (prompt included).

        Returns:
            Each text's ids, special tokens included, cut at the maximum length.
        """
        from tokenizers.models import Unigram

        found = self.pieces(texts)
        lowest_id, lowest_piece, lowest_score = self._lowest
        if lowest_id >= KEPT_IDS and all(i != lowest_id for i, _, _ in found):
            found.append((lowest_id, lowest_piece, lowest_score))
        ids = np.array([*range(KEPT_IDS), *(i for i, _, _ in found)], dtype=np.int64)
        vocab = [*self._kept, *((piece, score) for _, piece, score in found)]
        with self._lock:
            self._tokenizer.model = Unigram(vocab, self._unk_id, False)
            encoded = self._tokenizer.encode_batch(texts)
        return [ids[item.ids].tolist() for item in encoded]


def _frame_tokenizer(
    frame: dict[str, Any], kept: list[tuple[str, float]], max_length: int
) -> Tokenizer:
    """The whole tokenizer's pre-tokenizer, post-processor and settings, with a tiny vocabulary
    (each text then gets its own, :meth:`QueryTokenizer.encode`)."""
    from tokenizers import Tokenizer

    config = {**frame, "model": {**frame["model"], "vocab": kept}}
    tokenizer = Tokenizer.from_str(json.dumps(config))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer
