"""The looked-up form of jieba's dictionary segments a query as the whole dictionary does."""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.lexical.analyzer import jieba_segmenter
from semsearch.lexical.query_dictionary import QueryDictionary

QUERIES = [
    "北京大学图书馆几点开门",
    "锣鼓经是什么",
    "apple公司2023年发布了iphone 15吗?",
    "台风登陆后气象部门发布了什么预警",
    "中华人民共和国国务院新闻办公室",
    "",
    "a",
]


@pytest.fixture(scope="module")
def dictionary(tmp_path_factory: pytest.TempPathFactory) -> QueryDictionary:
    return QueryDictionary(tmp_path_factory.mktemp("dictionaries") / "jieba.sqlite")


@pytest.mark.parametrize("query", QUERIES)
def test_same_words_as_the_whole_dictionary(dictionary: QueryDictionary, query: str) -> None:
    whole = jieba_segmenter().lcut_for_search(query, HMM=False)
    assert dictionary.segmenter(query).lcut_for_search(query, HMM=False) == whole


def test_only_substrings_are_looked_up(dictionary: QueryDictionary) -> None:
    entries = dictionary.entries("北京大学")
    assert entries["北京"] > 0 and entries["北京大学"] > 0
    assert all(word in "北京大学" for word in entries)


def test_made_once_then_read(tmp_path: Path) -> None:
    path = tmp_path / "jieba.sqlite"
    QueryDictionary(path)
    made = path.stat().st_mtime_ns
    assert QueryDictionary(path).total > 0
    assert path.stat().st_mtime_ns == made
