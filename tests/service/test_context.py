"""Tests of what the service cuts around a hit: paragraph windows and neighbourhoods."""

from __future__ import annotations

from dataclasses import dataclass

from semsearch.service.context import neighbourhood_in, paragraph_window


@dataclass
class PlacedHit:
    """The fields of a hit that place it in its article."""

    doc_id: str
    start: int
    end: int
    text: str


def test_paragraph_window_takes_whole_neighbouring_paragraphs() -> None:
    text = "一一\n二二二\n\n三三三\n四四\n五五"
    three = text.index("三")
    assert text[slice(*paragraph_window(text, three + 1, three + 2))] == "二二二\n\n三三三\n四四"
    assert text[slice(*paragraph_window(text, 0, 1, before=3, after=0))] == "一一"
    last = text.index("五")
    assert (
        text[slice(*paragraph_window(text, three, last + 1, after=5))]
        == "二二二\n\n三三三\n四四\n五五"
    )
    assert paragraph_window(text, 2, 3) == (2, 3)  # only a line break: the span itself
    assert paragraph_window("", 0, 0) == (0, 0)


def test_neighbourhood_takes_one_paragraph_each_side_with_the_hit_and_highlights() -> None:
    article = "导语段落。\n前一段。\n开福区树立人人都是火炬手的理念。\n后一段。\n结尾段落。"
    start = article.index("开福区")
    end = article.index("\n后一段")
    hit = PlacedHit("doc", start, end, article[start:end])
    around = neighbourhood_in(article, hit, "开福区火炬手")
    assert around is not None
    assert around.text == "前一段。\n开福区树立人人都是火炬手的理念。\n后一段。"
    assert around.text[around.hit_start : around.hit_end] == hit.text
    marked = [around.text[s:e] for s, e in around.highlights]
    assert "开福区" in marked and "火炬手" in marked


def test_neighbourhood_of_a_changed_article_is_none() -> None:
    hit = PlacedHit("doc", 0, 4, "旧的文字")
    assert neighbourhood_in("新的文字，不同了", hit, "文字") is None
