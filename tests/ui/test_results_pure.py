"""Grouping, sorting, match strength, answer marks, citations and exports (no browser)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from semsearch.search import Hit, SearchResult
from semsearch.ui.arrange import articles_per_date, first_weak, group_by_article, sort_hits
from semsearch.ui.cards import answer_of, group_head_html, hit_card_html, strength_of
from semsearch.ui.export import citation, export_text
from semsearch.ui.i18n import Texts


def _hit(rank: int, doc: str, date: str | None = "2024-05-14", **extra: Any) -> Hit:
    hit = Hit(
        rank=rank,
        score=1.0 / rank,
        chunk_id=rank,
        doc_id=doc,
        title=f"标题{doc}",
        path=f"seeds/{doc}.txt",
        date=date,
        paragraph=rank,
        start=0,
        end=4,
        text="开福区火炬手。",
        highlights=[(0, 3)],
    )
    for name, value in extra.items():
        setattr(hit, name, value)
    return hit


@dataclass
class Confidence:
    """A stand-in for the search's confidence object."""

    label: str
    value: float = 0.5
    extra: dict[str, float] = field(default_factory=dict)


def test_hits_group_by_article_in_order_of_their_best_hit() -> None:
    hits = [_hit(1, "a"), _hit(2, "b"), _hit(3, "a"), _hit(4, "c", None)]
    groups = group_by_article(hits)
    assert [[h.rank for h in g] for g in groups] == [[1, 3], [2], [4]]
    assert [h.rank for h in sort_hits(hits, "relevance")] == [1, 2, 3, 4]
    hits[1].date = "2025-01-01"
    assert [h.rank for h in sort_hits(hits, "date")] == [2, 1, 3, 4]  # undated last
    assert articles_per_date(hits) == ({"2024-05-14": 1, "2025-01-01": 1}, 1)


def test_the_weak_divider_goes_before_a_tail_of_weak_matches_only() -> None:
    assert first_weak(["strong", "possible", "weak", "weak"]) == 2
    assert first_weak(["weak", None]) == 0
    assert first_weak(["strong", "weak", "strong"]) is None
    assert first_weak([None, None]) is None


def test_strength_and_answer_are_read_whatever_their_shape() -> None:
    assert strength_of(_hit(1, "a")) is None
    assert strength_of(_hit(1, "a", confidence="strong")) == "strong"
    assert strength_of(_hit(1, "a", confidence=Confidence("weak"))) == "weak"
    assert strength_of(_hit(1, "a", confidence={"label": "possible"})) == "possible"
    assert strength_of(_hit(1, "a", confidence=("weak", 0.1))) == "weak"
    assert strength_of(_hit(1, "a", confidence="bogus")) is None
    assert answer_of(_hit(1, "a", answer=(3, 6))) == (3, 6)
    assert answer_of(_hit(1, "a", answer=Confidence("x"))) is None
    assert answer_of(_hit(1, "a", answer=(5, 5))) is None


def test_cards_show_strength_answer_and_localized_meta() -> None:
    hit = _hit(3, "a", confidence=Confidence("strong"), answer=(3, 7))
    markup = hit_card_html(hit, Texts("zh-Hans"))
    assert 'data-strength="strong">强匹配</span>' in markup
    assert '<mark>开福区</mark><span class="ss-answer">火炬手。</span>' in markup
    assert "第 4 段" in markup and "得分 0.333" in markup and "2024年5月14日" in markup
    head = group_head_html([hit, _hit(5, "a")], Texts("en"))
    assert "标题a" in head and "14 May 2024" in head and "Strong match" in head


def test_citation_names_title_source_date_paragraph_and_file() -> None:
    hit = _hit(2, "a")
    assert citation(hit, Texts("zh-Hans"), "开封日报") == (
        "《标题a》，开封日报，2024年5月14日，第 3 段（seeds/a.txt）"
    )
    assert citation(_hit(2, "b", None), Texts("en")) == (
        "“标题b”, undated, paragraph 3 (seeds/b.txt)"
    )


def test_exports_carry_every_hit() -> None:
    result = SearchResult("开福区", "hybrid", 10, 12.5, [_hit(1, "a"), _hit(2, "b", None)])
    sources = {"a": "开封日报"}
    rows = list(csv.reader(io.StringIO(export_text(result, "csv", Texts("en"), sources)[1:])))
    assert rows[0][:4] == ["rank", "strength", "score", "title"]
    assert rows[1][3:6] == ["标题a", "开封日报", "2024-05-14"] and len(rows) == 3
    payload = json.loads(export_text(result, "json", Texts("en"), sources))
    assert [r["source"] for r in payload["results"]] == ["开封日报", None]
    markdown = export_text(result, "md", Texts("zh-Hans"), sources)
    assert markdown.startswith("# “开福区”的搜索结果")
    assert "1. 《标题a》，开封日报" in markdown and "   > 开福区火炬手。" in markdown
