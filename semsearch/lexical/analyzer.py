"""The keyword analyzer: how text becomes keyword tokens, and a query analysed once per search.

Traditional and simplified Chinese meet here: every text is converted to simplified (OpenCC
``t2s``), normalized (NFKC, lower case) and cut into tokens. The token scheme was chosen by
measurement (docs/retrieval.md): every Han character and every pair of adjacent Han characters,
plus whole Latin words and numbers. Character n-grams need no dictionary, so a name the
segmenter does not know still matches, and they load instantly (no jieba on the query path).

:func:`tokenize` is the only place that turns text into keyword tokens. The store keeps each
chunk's tokens, so an index update rebuilds BM25 from stored tokens without re-tokenizing.

A search analyses its query once (:func:`analyze_query`): the BM25 side, the sentence evidence
and the highlighting of every hit all read the same :class:`AnalyzedQuery`.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from semsearch.lexical.query_dictionary import query_dictionary
from semsearch.text import HAN_RANGES, HAN_RE, T2S, converter, to_simplified

#: Tokens other than Han runs: Latin words and numbers (decimals kept).
_OTHER_TOKENS = r"[a-z]+|\d+(?:\.\d+)?"
_TOKEN_RE = re.compile(rf"[{HAN_RANGES}]+|{_OTHER_TOKENS}")
#: The tokens of normalized text that are not Han: the same matches as :func:`token_set` makes
#: (a Han run never holds a letter or a digit, so leaving it out moves no other match).
OTHER_TOKEN_RE = re.compile(_OTHER_TOKENS)

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

#: Names the token scheme; stored with an index so that tokens from another scheme are not mixed.
TOKENIZER_VERSION = "han-1-2gram+latin/v1"


# -- normal forms --------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Return the form keyword matching works on: simplified, NFKC (full width → ASCII), lower case.

    Args:
        text: Any text.

    Returns:
        The normalized text (its length may differ from ``text``'s).
    """
    return unicodedata.normalize("NFKC", to_simplified(text)).lower()


def aligned_form(text: str) -> str:
    """``text`` simplified, NFKC-folded and lower-cased with its length kept, one char per char.

    Positions in the result are positions in ``text``, which is what highlight spans need.

    Args:
        text: Any text.

    Returns:
        A string as long as ``text``, folded like :func:`normalize` wherever that keeps lengths.
    """
    converted = to_simplified(text)
    if len(converted) != len(text):
        # OpenCC phrase rules can change the length; converting one character at a time
        # keeps every position (at the cost of phrase context, which highlighting can spare).
        one_by_one = converter(T2S)
        converted = "".join(_one_char(one_by_one.convert(ch), ch) for ch in text)
    return "".join(map(_fold_char, converted))


@functools.lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """One character folded like :func:`normalize` (full width → ASCII, lower case), if that
    stays one character (ﬁ → fi would shift every later position, so it stays ﬁ)."""
    return _one_char(unicodedata.normalize("NFKC", ch).lower(), ch)


def _one_char(candidate: str, fallback: str) -> str:
    return candidate if len(candidate) == 1 else fallback


def strip_question_words(text: str) -> str:
    """Blank out question words (什么, 哪, 多少, 是谁…) so a keyword query keeps its topic words.

    The text is converted to simplified first, so traditional questions (甚麼, 哪裡) match too.

    Args:
        text: A query.

    Returns:
        The simplified query with each question word replaced by a space.
    """
    return _QUESTION_RE.sub(" ", to_simplified(text))


# -- keyword tokens ------------------------------------------------------------------------------


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
        if HAN_RE.match(run):
            tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run)
    return tokens


def token_set(normalized: str) -> frozenset[str]:
    """The distinct :func:`tokenize` tokens of already normalized text, made faster as a set.

    Args:
        normalized: Text passed through :func:`normalize`.

    Returns:
        ``frozenset(tokenize(text))`` for the text ``normalized`` was made from.
    """
    tokens: set[str] = set()
    for match in _TOKEN_RE.finditer(normalized):
        run = match.group()
        if not HAN_RE.match(run):
            tokens.add(run)
            continue
        tokens.update(run)
        tokens.update(map(operator.add, run, run[1:]))
    return frozenset(tokens)


def tokenize_query(text: str) -> list[str]:
    """Tokenize a search query: question words removed, then :func:`tokenize`.

    Falls back to the full query when it consists of question words only.

    Args:
        text: The user's query.

    Returns:
        The query's keyword tokens (repeats kept: BM25 counts them repeatedly).
    """
    return tokenize(strip_question_words(text)) or tokenize(text)


# -- highlight terms -----------------------------------------------------------------------------


@functools.cache
def jieba_segmenter() -> Any:
    """The jieba module, its dictionary loaded once per process and its log kept quiet.

    Returns:
        The initialized ``jieba`` module.
    """
    import logging

    import jieba

    # jieba logs its dictionary load on stderr; a CLI user should not see it.
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def highlight_terms(query: str) -> tuple[str, ...]:
    """The words of ``query`` worth highlighting, in the aligned form, longest first.

    Question words, stop words, words without a letter or digit and lone non-Han characters are
    left out.

    Args:
        query: The user's query.

    Returns:
        Distinct words, longest first (:func:`aligned_form`, so they can be looked up in the
        aligned form of a text).
    """
    simplified = aligned_form(strip_question_words(query))
    terms: set[str] = set()
    # Search-engine mode also yields the parts of long words (北京大学图书馆 → 北京, 大学, 图书馆),
    # so a text that splits a compound still lights up. Without HMM, jieba invents no words
    # across a boundary (锣鼓经是 stays 锣鼓 / 经 / 是, not 锣鼓 / 经是).
    # The dictionary's entries are looked up for this query only (query_dictionary): loading
    # the whole of it took a third of a cold ``semsearch query``; the words are the same.
    segmenter = query_dictionary().segmenter(simplified)
    for word in segmenter.lcut_for_search(simplified, HMM=False):
        word = word.strip()
        if not word or word in STOP_WORDS or not any(ch.isalnum() for ch in word):
            continue
        if len(word) == 1 and not HAN_RE.match(word):
            continue
        terms.add(word)
    return tuple(sorted(terms, key=len, reverse=True))


# -- the analysed query --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalyzedQuery:
    """A query analysed once for a whole search.

    Keyword search, sentence evidence and highlighting all take it, so a search tokenizes its
    query once and segments it with jieba at most once (not once per hit). Make it with
    :func:`analyze_query`.

    Attributes:
        text: The query as the user gave it.
        tokens: Its keyword tokens (:func:`tokenize_query`).
    """

    text: str
    tokens: tuple[str, ...]

    @functools.cached_property
    def highlight_terms(self) -> tuple[str, ...]:
        """The query's words worth highlighting (:func:`highlight_terms`), segmented on first use.

        Lazy because segmenting loads jieba's dictionary, which a search without highlights
        never needs.
        """
        return highlight_terms(self.text)


def analyze_query(query: str | AnalyzedQuery) -> AnalyzedQuery:
    """Analyse a query once, for every stage of a search that reads it.

    Args:
        query: The user's query, or a query analysed already (returned as it is).

    Returns:
        The analysed query.
    """
    if isinstance(query, AnalyzedQuery):
        return query
    return AnalyzedQuery(text=query, tokens=tuple(tokenize_query(query)))
