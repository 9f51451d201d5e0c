"""Keyword evidence: how much of a query's keyword weight a sentence, or an article, holds.

BM25 rewards a chunk for holding the query's words anywhere in it; sentence evidence rewards
holding them close together, in one sentence (with the article's title, which every sentence is
about). The hybrid fusion adds it as a small extra term, chosen by measurement
(docs/retrieval.md). Article coverage looks the other way: with one hit per article, it counts
the query's words found anywhere in the article's pooled chunks, which no single passage may
hold together. Title match looks at the title alone: how much of it a query names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

from semsearch.lexical.analyzer import OTHER_TOKEN_RE, normalize, token_set
from semsearch.text import HAN_RE, split_sentences


@functools.lru_cache(maxsize=16384)
def sentence_tokens(text: str, title: str = "") -> tuple[frozenset[str], ...]:
    """The distinct keyword tokens of each sentence of a chunk, each with the title's tokens.

    The same tokens :func:`~semsearch.lexical.analyzer.tokenize` gives each sentence, made in
    one pass over the normalized chunk (this runs at query time for every pooled chunk not seen
    before), and cached: the same chunks come back query after query.

    Args:
        text: The chunk's text.
        title: The article's title (every sentence is about it).

    Returns:
        One token set per sentence (:func:`~semsearch.text.split_sentences`), in text order.
    """
    title_tokens = token_set(normalize(title)) if title else frozenset()
    return tuple(
        title_tokens | token_set(sentence) for sentence in split_sentences(normalize(text))
    )


@functools.lru_cache(maxsize=16384)
def sentence_forms(text: str, title: str = "") -> SentenceForms:
    """A chunk's sentences in the normalized form its tokens are made from, for
    :func:`coverage_scorer` (cached like :func:`sentence_tokens`, and cheaper to make).

    Args:
        text: The chunk's text.
        title: The article's title.

    Returns:
        The normalized title, the normalized sentences (:func:`~semsearch.text.split_sentences`)
        and the tokens other than Han of the title and of each sentence.
    """
    title_form = normalize(title) if title else ""
    sentences = tuple(split_sentences(normalize(text)))
    return SentenceForms(
        title_form,
        sentences,
        frozenset(OTHER_TOKEN_RE.findall(title_form)),
        tuple(frozenset(OTHER_TOKEN_RE.findall(sentence)) for sentence in sentences),
    )


class SentenceForms(NamedTuple):
    """What :func:`sentence_forms` keeps of a chunk."""

    title: str
    sentences: tuple[str, ...]
    title_others: frozenset[str]
    others: tuple[frozenset[str], ...]


def sentence_coverage(
    query_weights: dict[str, float], sentences: Sequence[frozenset[str]]
) -> float:
    """The largest share of the query's token weight that one of the sentences holds.

    Args:
        query_weights: Each distinct query token and its weight
            (:meth:`~semsearch.lexical.bm25.KeywordIndex.token_weights`).
        sentences: Token sets from :func:`sentence_tokens`.

    Returns:
        A value in [0, 1]; 0 when the query has no weighted token.
    """
    return _Coverage(query_weights)(sentences)


class _Coverage:
    """:func:`sentence_coverage` with the query's side computed once (a pool asks per chunk).

    A sentence's share is summed in one order, the query set's own, whichever way the tokens
    it holds are found, so both ways give the same float (``sum`` over a set intersection
    followed the smaller set's order, which moved the last bit of some shares).
    """

    def __init__(self, query_weights: dict[str, float]) -> None:
        self.weight = query_weights.__getitem__
        self.total = sum(query_weights.values())
        self.order = list(frozenset(query_weights))
        self.han = [bool(HAN_RE.match(token)) for token in self.order]

    def __call__(self, sentences: Sequence[frozenset[str]]) -> float:
        if self.total <= 0:
            return 0.0
        order, weight = self.order, self.weight
        best = max(
            (sum([weight(token) for token in order if token in tokens]) for tokens in sentences),
            default=0.0,
        )
        return best / self.total

    def of_forms(self, forms: SentenceForms) -> float:
        """The same value as ``self(sentence_tokens(text, title))``, from the chunk's forms.

        A query token made of Han characters (one, or two adjacent) is among a sentence's
        tokens exactly when it occurs in the sentence's normalized text (adjacent Han
        characters always share a Han run), so it is looked up there instead of tokenizing
        the sentence: at 1M chunks every pool is new to the cache, and tokenizing its 50
        chunks cost about 3 ms of a query.
        """
        if self.total <= 0:
            return 0.0
        title, title_others, weight = forms.title, forms.title_others, self.weight
        kinds = list(zip(self.order, self.han, strict=True))
        shares = (
            sum(
                [
                    weight(token)
                    for token, han in kinds
                    if (
                        (token in title or token in sentence)
                        if han
                        else (token in title_others or token in others)
                    )
                ]
            )
            for sentence, others in zip(forms.sentences, forms.others, strict=True)
        )
        return max(shares, default=0.0) / self.total


def best_sentence_coverage(query_weights: dict[str, float], text: str, title: str = "") -> float:
    """The largest share of the query's token weight found together in one sentence of a chunk.

    Args:
        query_weights: Each distinct query token and its weight
            (:meth:`~semsearch.lexical.bm25.KeywordIndex.token_weights`).
        text: The chunk's text.
        title: The article's title.

    Returns:
        A value in [0, 1]: 1 when one sentence (with the title) holds every weighted query token.
    """
    return sentence_coverage(query_weights, sentence_tokens(text, title))


def article_coverage(query_weights: dict[str, float], chunks: Sequence[tuple[str, str]]) -> float:
    """The share of the query's token weight that some chunks of one article hold together.

    Args:
        query_weights: Each distinct query token and its weight
            (:meth:`~semsearch.lexical.bm25.KeywordIndex.token_weights`).
        chunks: ``(text, title)`` of the article's chunks (tokens cached by
            :func:`sentence_tokens`).

    Returns:
        A value in [0, 1]: 1 when every weighted query token occurs in one of the chunks.
    """
    wanted = frozenset(query_weights)
    held: set[str] = set()
    # Only the query's tokens are gathered (an intersection runs over the smaller set): a union
    # of every token of 80 pooled chunks cost more than the rest of a keyword search.
    for text, title in chunks:
        for tokens in sentence_tokens(text, title):
            held |= wanted & tokens
        if len(held) == len(wanted):
            break
    return sentence_coverage(query_weights, (frozenset(held),))


def coverage_scorer(query_weights: dict[str, float]) -> Callable[[str, str], float]:
    """:func:`best_sentence_coverage` for one query and many chunks (its side computed once).

    Args:
        query_weights: Each distinct query token and its weight.

    Returns:
        A function of a chunk's text and title giving the same value as
        :func:`best_sentence_coverage`.
    """
    coverage = _Coverage(query_weights)
    return lambda text, title="": coverage.of_forms(sentence_forms(text, title))


@functools.lru_cache(maxsize=16384)
def title_tokens(title: str) -> frozenset[str]:
    """The distinct keyword tokens of a title (cached: a pool's titles come back query after query).

    Args:
        title: An article's title.

    Returns:
        Its tokens (:func:`~semsearch.lexical.analyzer.tokenize`'s, as a set).
    """
    return token_set(normalize(title)) if title else frozenset()


def title_match(query_weights: dict[str, float], title_weights: dict[str, float]) -> float:
    """The share of a title's token weight that the query holds: how much of the title it names.

    A question that names an article's subject (大沙地站共有几层？) holds all of the title's
    tokens (大沙地站); a neighbour's title (大沙东站) only some of them.

    Args:
        query_weights: Each distinct query token and its weight
            (:meth:`~semsearch.lexical.bm25_index.KeywordIndex.token_weights`).
        title_weights: The same for the title's tokens (:func:`title_tokens`).

    Returns:
        A value in [0, 1]; 0 for a title without weighted tokens.
    """
    total = sum(title_weights.values())
    if total <= 0:
        return 0.0
    return sum(weight for token, weight in title_weights.items() if token in query_weights) / total
