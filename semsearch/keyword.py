"""Keyword side of the search: one tokenizer for Chinese text and a BM25 index over its tokens.

Traditional and simplified Chinese meet here: every text is converted to simplified (OpenCC
``t2s``), normalized (NFKC, lower case) and cut into tokens. The token scheme was chosen by
measurement (docs/retrieval.md): every Han character and every pair of adjacent Han characters,
plus whole Latin words and numbers. Character n-grams need no dictionary, so a name the
segmenter does not know still matches, and they load instantly (no jieba on the query path).

:func:`tokenize` is the only place that turns text into keyword tokens. The store keeps each
chunk's tokens, so an index update rebuilds BM25 from stored tokens without re-tokenizing.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from semsearch import text as script_conversion
from semsearch.chunking import split_sentences
from semsearch.errors import IndexStoreError
from semsearch.text import to_simplified

#: Han characters (CJK unified ideographs, extension A, compatibility ideographs).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_HAN}]+|[a-z]+|\d+(?:\.\d+)?")
_HAN_RE = re.compile(rf"[{_HAN}]")

#: Words that only say "this is a question" (什么, 哪里, 多少, 是谁…). They carry no topic, and in
#: a question-shaped query they outweigh the words that do: removing them from keyword queries
#: gained +1.0 MRR@10 for BM25 on cmrc2018_chunks (docs/retrieval.md). Single characters that
#: also live inside content words (几何, 何炅, 吗啡) are left alone; 吗 and 呢 only go at the end.
_QUESTION_WORDS_TEXT = (
    "什么 甚么 哪些 哪个 哪里 哪儿 哪位 哪一 哪 多少 是谁 谁 怎么 怎样 如何 为什么 为何 "
    "何时 是否 多久 多长 多大 多高 几个 几年 几次 几种 几位 几天 几岁"
)
#: Longest first, so 哪里 is removed whole before 哪 is tried.
QUESTION_WORDS: tuple[str, ...] = tuple(
    sorted(set(_QUESTION_WORDS_TEXT.split()), key=len, reverse=True)
)
_QUESTION_RE = re.compile(
    "|".join(re.escape(word) for word in QUESTION_WORDS) + r"|[吗呢](?=[\s？?。！!]*$)"
)

#: Words never worth highlighting (function words); the BM25 side lets IDF weigh them instead.
_STOP_WORDS_TEXT = (
    "的 了 是 在 和 与 及 或 也 都 而 被 把 这 那 之 其 于 为 以 对 等 着 过 有 个 一 "
    "上 中 下 就 并 又 从 到 由 将 向 还 所 让 给 跟 啊 吧 呀 么 得 地 请 最 "
    "the a an of and or to in on at is are was were be for by with as from that this"
)
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())


def normalize(text: str) -> str:
    """Return the form keyword matching works on: simplified, NFKC (full width → ASCII), lower case.

    Args:
        text: Any text.
    """
    return unicodedata.normalize("NFKC", to_simplified(text)).lower()


def strip_question_words(text: str) -> str:
    """Blank out question words (什么, 哪, 多少, 是谁…) so a keyword query keeps its topic words.

    The text is converted to simplified first, so traditional questions (甚麼, 哪裡) match too.

    Args:
        text: A query.

    Returns:
        The simplified query with each question word replaced by a space.
    """
    return _QUESTION_RE.sub(" ", to_simplified(text))


#: Names the token scheme; stored with an index so that tokens from another scheme are not mixed.
TOKENIZER_VERSION = "han-1-2gram+latin/v1"


def tokenize(text: str) -> list[str]:
    """Turn text into keyword tokens: Han characters and bigrams, Latin words, numbers.

    Args:
        text: A passage or a query, in traditional or simplified Chinese (or anything else).

    Returns:
        Tokens in text order: for each run of Han characters its characters, then its adjacent
        pairs; each Latin word and each number (decimals kept) as one token.
    """
    tokens: list[str] = []
    for match in _TOKEN_RE.finditer(normalize(text)):
        run = match.group()
        if _HAN_RE.match(run):
            tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run)
    return tokens


def tokenize_query(text: str) -> list[str]:
    """Tokenize a search query: question words removed, then :func:`tokenize`.

    Falls back to the full query when it consists of question words only.

    Args:
        text: The user's query.
    """
    return tokenize(strip_question_words(text)) or tokenize(text)


# ---------------------------------------------------------------------------------------------
# Sentence evidence
# ---------------------------------------------------------------------------------------------


def _token_set(normalized: str) -> frozenset[str]:
    """The distinct :func:`tokenize` tokens of already normalized text (a faster set form)."""
    tokens: set[str] = set()
    for match in _TOKEN_RE.finditer(normalized):
        run = match.group()
        if _HAN_RE.match(run):
            tokens.update(run)
            tokens.update(map(operator.add, run, run[1:]))
        else:
            tokens.add(run)
    return frozenset(tokens)


@functools.lru_cache(maxsize=16384)
def sentence_tokens(text: str, title: str = "") -> tuple[frozenset[str], ...]:
    """The distinct keyword tokens of each sentence of a chunk, each with the title's tokens.

    The same tokens :func:`tokenize` gives each sentence, made in one pass over the normalized
    chunk (this runs at query time for every pooled chunk not seen before), and cached: the
    same chunks come back query after query.

    Args:
        text: The chunk's text.
        title: The article's title (every sentence is about it).
    """
    title_tokens = _token_set(normalize(title)) if title else frozenset()
    return tuple(
        title_tokens | _token_set(sentence) for sentence in split_sentences(normalize(text))
    )


def sentence_coverage(
    query_weights: dict[str, float], sentences: Sequence[frozenset[str]]
) -> float:
    """The largest share of the query's token weight that one of the sentences holds.

    Args:
        query_weights: Each distinct query token and its weight
            (:meth:`KeywordIndex.token_weights`).
        sentences: Token sets from :func:`sentence_tokens`.

    Returns:
        A value in [0, 1]; 0 when the query has no weighted token.
    """
    total = sum(query_weights.values())
    if total <= 0:
        return 0.0
    # Set intersection runs in C over the smaller set; this is on the query path for every
    # pooled chunk.
    wanted = frozenset(query_weights)
    best = max(
        (sum(map(query_weights.__getitem__, wanted & tokens)) for tokens in sentences),
        default=0.0,
    )
    return best / total


def best_sentence_coverage(query_weights: dict[str, float], text: str, title: str = "") -> float:
    """The largest share of the query's token weight found together in one sentence of a chunk.

    BM25 rewards a chunk for holding the query's words anywhere in it; this rewards holding them
    close together, in one sentence (with the article's title, which every sentence is about).
    Used as a small extra term of the hybrid fusion, chosen by measurement (docs/retrieval.md).

    Args:
        query_weights: Each distinct query token and its weight
            (:meth:`KeywordIndex.token_weights`).
        text: The chunk's text.
        title: The article's title.

    Returns:
        A value in [0, 1]: 1 when one sentence (with the title) holds every weighted query token.
    """
    return sentence_coverage(query_weights, sentence_tokens(text, title))


# ---------------------------------------------------------------------------------------------
# Highlighting
# ---------------------------------------------------------------------------------------------


@functools.cache
def _jieba() -> object:
    import logging

    import jieba

    # jieba logs its dictionary load on stderr; a CLI user should not see it.
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _aligned_form(text: str) -> str:
    """``text`` simplified, NFKC-folded and lower-cased with its length kept, one char per char.

    Positions in the result are positions in ``text``, which is what highlight spans need.
    """
    converted = to_simplified(text)
    if len(converted) != len(text):
        # OpenCC phrase rules can change the length; converting one character at a time
        # keeps every position (at the cost of phrase context, which highlighting can spare).
        converter = script_conversion.converter(script_conversion.T2S)
        converted = "".join(_one_char(converter.convert(ch), ch) for ch in text)
    return "".join(map(_fold_char, converted))


@functools.lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """One character folded like :func:`normalize` (full width → ASCII, lower case), if that
    stays one character (ﬁ → fi would shift every later position, so it stays ﬁ)."""
    return _one_char(unicodedata.normalize("NFKC", ch).lower(), ch)


def _one_char(candidate: str, fallback: str) -> str:
    return candidate if len(candidate) == 1 else fallback


def _highlight_terms(query: str) -> list[str]:
    """The words of ``query`` worth highlighting, in the aligned form, longest first."""
    segmenter = _jieba()
    simplified = _aligned_form(strip_question_words(query))
    terms: set[str] = set()
    # Search-engine mode also yields the parts of long words (北京大学图书馆 → 北京, 大学, 图书馆),
    # so a text that splits a compound still lights up. Without HMM, jieba invents no words
    # across a boundary (锣鼓经是 stays 锣鼓 / 经 / 是, not 锣鼓 / 经是).
    for word in segmenter.lcut_for_search(simplified, HMM=False):  # type: ignore[attr-defined]
        word = word.strip()
        if not word or word in STOP_WORDS or not any(ch.isalnum() for ch in word):
            continue
        if len(word) == 1 and not _HAN_RE.match(word):
            continue
        terms.add(word)
    return sorted(terms, key=len, reverse=True)


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Find the query's words in ``text``, across traditional and simplified script.

    The query is converted to simplified and cut into words with jieba (question words, stop
    words and lone non-Han characters dropped); each word is looked up in a simplified copy of
    ``text`` that keeps its positions, so 「臺灣」 in the text lights up for the query 台湾.
    A lone Han character is only marked where it joins other matches (江 + 刺 in 水泽江刺), unless
    the query has no longer word, so single characters do not speckle the text.

    Args:
        text: The text shown to the user (a hit's chunk).
        query: The user's query.

    Returns:
        Sorted, non-overlapping ``(start, end)`` character spans in ``text``.
    """
    if not text or not query.strip():
        return []
    haystack = _aligned_form(text)
    terms = _highlight_terms(query)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = haystack.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = haystack.find(term, start + len(term))
    merged = _merge_spans(spans)
    if any(len(term) > 1 for term in terms):
        merged = [(start, end) for start, end in merged if end - start > 1]
    return merged


def _merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# ---------------------------------------------------------------------------------------------
# BM25 index
# ---------------------------------------------------------------------------------------------

#: BM25 parameters chosen on cmrc2018_chunks (docs/retrieval.md). A low k1 saturates term
#: frequency early: a chunk that repeats the title's characters should not beat one that holds
#: more of the question's distinct characters and pairs (+0.9 MRR@10 hybrid over k1=1.5, b=0.75).
DEFAULT_K1 = 0.3
DEFAULT_B = 0.3

_IDS_FILE = "ids.npy"
_PARAMS_FILE = "keyword.json"
_FORMAT_VERSION = 1


class KeywordIndex:
    """BM25 (bm25s, Lucene variant) over pre-tokenized chunks identified by integer ids.

    Args:
        k1: Term-frequency saturation.
        b: Length normalization.
    """

    def __init__(self, k1: float = DEFAULT_K1, b: float = DEFAULT_B) -> None:
        self.k1 = k1
        self.b = b
        self._bm25: object | None = None
        self._ids = np.zeros(0, dtype=np.int64)
        # Ids sorted once, with the row each one lives in, to map ids to rows by binary search.
        self._sorted_ids = self._ids
        self._rows_of_sorted = self._ids
        # The last query's scores: hybrid search asks twice for the same query (its top
        # candidates, then the pool's scores), and at 1M chunks one scoring takes ~15 ms.
        self._last_scores: tuple[tuple[int, ...], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> np.ndarray:
        """The chunk ids in the index (int64, in build order)."""
        return self._ids

    def build(self, ids: Sequence[int], token_lists: Sequence[Sequence[str]]) -> None:
        """Index chunks given their ids and tokens (from :func:`tokenize`), replacing any content.

        Args:
            ids: One unique integer id per chunk.
            token_lists: The tokens of each chunk, same order as ``ids``.

        Raises:
            ValueError: If the lengths differ or an id repeats (a programming error).
        """
        if len(ids) != len(token_lists):
            raise ValueError(f"{len(ids)} ids but {len(token_lists)} token lists")
        id_array = np.asarray(list(ids), dtype=np.int64)
        if len(np.unique(id_array)) != len(id_array):
            raise ValueError("chunk ids must be unique")
        self._ids = id_array
        self._index_ids()
        self._last_scores = None
        if not len(id_array):
            self._bm25 = None
            return
        import bm25s

        bm25 = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        # bm25s cannot index a chunk without tokens; an empty string token keeps rows aligned
        # and never matches a query (queries have no empty tokens).
        corpus = [list(tokens) if tokens else [""] for tokens in token_lists]
        bm25.index(corpus, show_progress=False)
        self._bm25 = bm25

    def _index_ids(self) -> None:
        order = np.argsort(self._ids, kind="stable")
        self._sorted_ids = self._ids[order]
        self._rows_of_sorted = order

    def _rows(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Rows of the given ids; ids not in the index are dropped."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        if not len(self._sorted_ids) or not len(chunk_ids):
            return np.zeros(0, dtype=np.int64)
        positions = np.searchsorted(self._sorted_ids, chunk_ids)
        positions = np.minimum(positions, len(self._sorted_ids) - 1)
        found = self._sorted_ids[positions] == chunk_ids
        return self._rows_of_sorted[positions[found]]

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every indexed chunk (row order of :attr:`ids`) for the query tokens.

        Args:
            query_tokens: Tokens from :func:`tokenize_query` (repeats count repeatedly).

        Returns:
            float32 scores; read-only (the last query's array is kept for a repeated call).
        """
        if self._bm25 is None:
            return np.zeros(len(self._ids), dtype=np.float32)
        vocabulary: dict[str, int] = self._bm25.vocab_dict  # type: ignore[attr-defined]
        token_ids = [vocabulary[t] for t in query_tokens if t and t in vocabulary]
        if not token_ids:
            return np.zeros(len(self._ids), dtype=np.float32)
        key = tuple(token_ids)
        last = self._last_scores
        if last is not None and last[0] == key:
            return last[1]
        scores = np.asarray(
            self._bm25.get_scores_from_ids(token_ids),  # type: ignore[attr-defined]
            dtype=np.float32,
        )
        scores.setflags(write=False)  # shared with the next call for the same query
        self._last_scores = (key, scores)
        return scores

    def token_weights(self, query_tokens: Sequence[str]) -> dict[str, float]:
        """The inverse document frequency (BM25's, Lucene form) of each distinct query token.

        Tokens no chunk holds get no entry: they cannot be matched anywhere.

        Args:
            query_tokens: Tokens from :func:`tokenize_query`.
        """
        if self._bm25 is None:
            return {}
        vocabulary: dict[str, int] = self._bm25.vocab_dict  # type: ignore[attr-defined]
        pointers = self._bm25.scores["indptr"]  # type: ignore[attr-defined]
        count = len(self._ids)
        weights: dict[str, float] = {}
        for token in dict.fromkeys(query_tokens):
            column = vocabulary.get(token) if token else None
            if column is None or column + 1 >= len(pointers):
                continue
            frequency = int(pointers[column + 1] - pointers[column])
            if frequency:
                weights[token] = float(np.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5)))
        return weights

    def search(
        self, query_tokens: Sequence[str], k: int, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``k`` best chunks for the query tokens, best first.

        Only chunks that share at least one token with the query are returned.

        Args:
            query_tokens: Tokens from :func:`tokenize_query`.
            k: How many results at most.
            chunk_ids: If given, only these chunks are candidates (a filter).

        Returns:
            ``(chunk id, BM25 score)`` pairs, highest score first (ties: lower id first).
        """
        if k <= 0 or not len(self._ids):
            return []
        scores = self.scores(query_tokens)
        if chunk_ids is not None:
            rows = self._rows(np.asarray(chunk_ids))
        else:
            rows = np.flatnonzero(scores > 0)
        rows = rows[scores[rows] > 0]
        if not len(rows):
            return []
        candidate_scores = scores[rows]
        if len(rows) > k:
            keep = np.argpartition(-candidate_scores, k - 1)[:k]
            rows, candidate_scores = rows[keep], candidate_scores[keep]
        candidate_ids = self._ids[rows]
        order = np.lexsort((candidate_ids, -candidate_scores))
        return [(int(candidate_ids[i]), float(candidate_scores[i])) for i in order]

    def save(self, directory: Path) -> None:
        """Write the index into ``directory`` (created if needed).

        Args:
            directory: A folder of its own (the store uses ``<generation>/keyword``).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / _IDS_FILE, self._ids)
        if self._bm25 is not None:
            self._bm25.save(str(directory), show_progress=False)  # type: ignore[attr-defined]
        params = {"format_version": _FORMAT_VERSION, "k1": self.k1, "b": self.b}
        params["tokenizer"] = TOKENIZER_VERSION
        (directory / _PARAMS_FILE).write_text(json.dumps(params), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        """Read an index written by :meth:`save`.

        Args:
            directory: The folder given to :meth:`save`.

        Raises:
            IndexStoreError: If the folder is missing, incomplete or of another format.
        """
        directory = Path(directory)
        params_path = directory / _PARAMS_FILE
        rebuild_hint = "Rebuild the index: semsearch build --rebuild"
        try:
            params = json.loads(params_path.read_text(encoding="utf-8"))
            ids = np.load(directory / _IDS_FILE)
        except (OSError, ValueError) as error:
            raise IndexStoreError(
                f"The keyword index in {directory} is missing or damaged ({error}).", rebuild_hint
            ) from error
        if params.get("format_version") != _FORMAT_VERSION:
            raise IndexStoreError(
                f"The keyword index in {directory} has an unknown format.", rebuild_hint
            )
        index = cls(k1=float(params["k1"]), b=float(params["b"]))
        index._ids = ids.astype(np.int64)
        index._index_ids()
        if len(ids):
            import bm25s

            try:
                index._bm25 = bm25s.BM25.load(str(directory), mmap=False, show_progress=False)
            except (OSError, ValueError, KeyError) as error:
                raise IndexStoreError(
                    f"The keyword index in {directory} is damaged ({error}).", rebuild_hint
                ) from error
        return index
