"""Tests of hits: their JSON form and the context taken from neighbouring chunks."""

from __future__ import annotations

from semsearch.search import Searcher, context_around
from semsearch.storage import StoredChunk

from .memory_index import ARTICLES


def test_hit_json_has_every_field(searcher: Searcher) -> None:
    payload = searcher.search("经济增长", k=1).to_json()
    hit = payload["results"][0]
    assert set(hit) >= {
        "rank",
        "score",
        "chunk_id",
        "doc_id",
        "title",
        "path",
        "date",
        "paragraph",
        "start",
        "end",
        "text",
        "context_before",
        "context_after",
        "highlights",
    }
    assert payload["mode"] == "hybrid"


def test_context_comes_from_the_neighbouring_chunks(searcher: Searcher) -> None:
    hit = searcher.search("消费和投资拉动经济增长", k=1, mode="keyword").hits[0]
    assert hit.doc_id == "econ" and hit.paragraph == 1
    assert hit.context_before == ARTICLES["econ"][3][0]
    assert hit.context_after == ARTICLES["econ"][3][2]
    plain = searcher.search("消费和投资拉动经济增长", k=1, mode="keyword", context=False)
    assert plain.hits[0].context_before == plain.hits[0].context_after == ""


def test_context_is_trimmed_and_skips_the_overlap() -> None:
    def stored(index: int, start: int, text: str) -> StoredChunk:
        return StoredChunk(index, "d", index, 0, start, start + len(text), text, "", "p", None)

    previous = stored(0, 0, "甲" * 200 + "重叠")
    hit = stored(1, 200, "重叠正文")
    following = stored(2, 202, "正文后面的内容" + "乙" * 300)
    before, after = context_around(hit, previous, following, limit=120)
    assert before == "甲" * 120
    assert after.startswith("后面的内容") and len(after) == 120
    assert context_around(hit, None, None) == ("", "")
