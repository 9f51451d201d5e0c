"""Unit tests of the page's rendering helpers: escaping, highlighting, article view."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from semsearch.service import Article, Neighbourhood
from semsearch.storage import DocumentRecord
from semsearch.ui.article import article_html, article_view_html
from semsearch.ui.cards import (
    context_html,
    context_paragraphs_html,
    hit_card_html,
    neighbourhood_html,
)
from semsearch.ui.i18n import Texts
from semsearch.ui.page import (
    display_title,
    escape_markdown,
    format_timestamp,
    markdown_code,
    render_inline,
    render_marked,
    render_paragraphs,
)

#: The only tags the renderers may emit; anything else would have come from the text.
_OWN_TAG = re.compile(
    r'</?(?:mark|span|p|div|br|button)(?: (?:class|id|title|type|data-[a-z-]+)="[^"<>]*")*>'
)


@dataclass
class FakeHit:
    """The fields of a search hit the renderers read."""

    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    rank: int = 1
    score: float = 0.8766
    doc_id: str = "doc"
    title: str = "标题"
    path: str = "news/a.txt"
    date: str | None = "2024-05-14"
    paragraph: int = 2
    start: int = 0
    end: int = 0
    context_before: str = ""
    context_after: str = ""


def _visible_text(markup: str) -> str:
    """What a browser shows: our tags removed, entities decoded."""
    return html.unescape(_OWN_TAG.sub("", markup.replace("<br>", "\n")))


INJECTION = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \'single\''


def test_render_marked_escapes_markup_and_marks_spans() -> None:
    text = "焦裕禄<script>alert(1)</script>精神"
    markup = render_marked(text, [(0, 3), (text.index("精"), len(text))])
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    assert markup.startswith("<mark>焦裕禄</mark>")
    assert markup.endswith("<mark>精神</mark>")
    assert _visible_text(markup) == text


def test_render_marked_escapes_attribute_breakers() -> None:
    markup = render_marked(INJECTION, [(0, 8)])
    assert "<img" not in markup
    assert "onerror=alert(1)&gt;" in markup
    assert '"' not in _OWN_TAG.sub("", markup)
    assert _visible_text(markup) == INJECTION


def test_render_marked_with_hit_range_wraps_marks_inside_hit() -> None:
    markup = render_marked("abcdef", highlights=[(2, 3)], hit_range=(1, 4))
    assert markup == (
        'a<span class="ss-hit">b</span><span class="ss-hit"><mark>c</mark></span>'
        '<span class="ss-hit">d</span>ef'
    )


def test_render_inline_keeps_paragraph_breaks_and_offsets() -> None:
    text = "第一段\n第二段关键词"
    start = text.index("关键词")
    markup = render_inline(text, [(start, start + 3)])
    assert markup == "第一段<br>第二段<mark>关键词</mark>"


def test_render_paragraphs_marks_hit_across_paragraphs_and_anchors_first() -> None:
    text = "甲段落\n乙段落\n\n丙段落"
    hit = (text.index("落"), text.index("乙") + 2)
    markup = render_paragraphs(text, [], hit, hit_anchor="hit")
    assert markup.count("<p") == 3  # the empty paragraph is dropped
    assert markup.startswith('<p id="hit">甲段<span class="ss-hit">落</span></p>')
    assert '<p><span class="ss-hit">乙段</span>落</p>' in markup
    assert markup.endswith("<p>丙段落</p>")


def test_article_html_marks_hit_and_query_words() -> None:
    text = "导语。\n开福区树立人人都是火炬手的理念。\n结尾。"
    start = text.index("开福区")
    end = text.index("\n结尾")
    markup = article_html(text, start, end, highlights=[(start, start + 3), (0, 2)])
    assert markup.startswith('<div class="ss-article"><p><mark>导语</mark>。</p>')
    assert '<p id="ss-hit"><span class="ss-hit"><mark>开福区</mark></span>' in markup
    assert _visible_text(markup) == text.replace("\n", "")


def test_article_html_of_injection_shows_text_only() -> None:
    markup = article_html(f"前言\n{INJECTION}\n后记", 3, 10)
    assert "<script" not in markup and "<img" not in markup
    assert "&lt;/script&gt;&lt;img src=x" in markup


def test_article_html_without_text_says_so() -> None:
    assert "no text" in article_html("")


def test_hit_card_html_escapes_every_field() -> None:
    hit = FakeHit(
        text=INJECTION,
        highlights=[(0, 8)],
        title="<b onmouseover=alert(1)>标题</b>",
        path='evil"><script>.txt',
        date="<i>2024</i>",
    )
    markup = hit_card_html(hit)
    leftovers = _OWN_TAG.sub("", markup)
    assert "<" not in leftovers and ">" not in leftovers
    assert "&lt;b onmouseover=alert(1)&gt;标题&lt;/b&gt;" in markup
    assert "score 0.877" in markup
    assert "¶3" in markup


def test_context_html_dims_neighbours_and_keeps_hit_highlights() -> None:
    hit = FakeHit(text="关键句子", highlights=[(0, 2)], context_before="前<文", context_after="")
    markup = context_html(hit)
    assert markup == (
        '<div class="ss-context"><p>前&lt;文</p><p class="ss-hit"><mark>关键</mark>句子</p></div>'
    )


def test_context_paragraphs_html_marks_hit_among_neighbours() -> None:
    text = "前文<b>\n命中段落\n后文"
    start = text.index("命中")
    markup = context_paragraphs_html(text, start, start + 4, [(start, start + 2)])
    assert markup == (
        '<div class="ss-context"><p>前文&lt;b&gt;</p>'
        '<p><span class="ss-hit"><mark>命中</mark></span><span class="ss-hit">段落</span></p>'
        "<p>后文</p></div>"
    )


def test_neighbourhood_html_uses_the_paragraphs_or_falls_back_to_the_hit_context() -> None:
    hit = FakeHit(text="命中段落", highlights=[(0, 2)], context_before="前", start=3, end=7)
    around = Neighbourhood("前文\n命中段落\n后文", 3, 7, [(3, 5)])
    assert neighbourhood_html(hit, around) == context_paragraphs_html(around.text, 3, 7, [(3, 5)])
    assert neighbourhood_html(hit, None) == context_html(hit)


def test_article_view_html_escapes_title_and_meta_and_marks_the_hit() -> None:
    text = "导语。\n开福区<b>火炬手</b>。"
    record = DocumentRecord(
        "doc", "news/<a>.txt", "标题", "2024-05-14", "日报", None, "h", "simplified", 1, text
    )
    hit = FakeHit(text="开福区", title="<i>标题</i>", start=4, end=7)
    markup = article_view_html(hit, Article(record, [(4, 7)]))
    assert markup.startswith('<div class="ss-article-view" data-hits="1" data-current="0">')
    assert '<div class="ss-title">&lt;i&gt;标题&lt;/i&gt;</div>' in markup
    assert "news/&lt;a&gt;.txt · 14 May 2024 · 日报 · the hit is marked in blue" in markup
    assert '<p id="ss-hit-0"><span class="ss-hit" data-hit="0"><mark>开福区</mark></span>' in markup
    assert "&lt;b&gt;火炬手" in markup
    assert "ss-nav" not in markup  # one hit: nothing to move between


def test_article_view_html_numbers_the_hits_subdues_other_words_and_starts_at_the_clicked_one() -> (
    None
):
    text = "导语火炬。\n开福区火炬手。\n结尾火炬。"
    record = DocumentRecord("doc", "a.txt", "标题", None, None, None, "h", "simplified", 1, text)
    first = FakeHit(text="开福区", start=6, end=9, rank=2)
    second = FakeHit(text="结尾", start=14, end=16, rank=1)
    words = [(2, 4), (9, 11), (16, 18)]
    markup = article_view_html(second, Article(record, words), Texts("zh-Hans"), [first, second])
    assert 'data-hits="2" data-current="1"' in markup
    assert '<mark class="ss-soft">火炬</mark>' in markup  # outside every hit
    assert '<p id="ss-hit-1"><span class="ss-hit" data-hit="1">结尾</span>' in markup
    assert "下一处" in markup and "第 2 / 2 处命中" in markup
    assert "命中的片段以蓝色标出" in markup
    leftovers = _OWN_TAG.sub("", markup)
    assert "<" not in leftovers and ">" not in leftovers


def test_display_title_falls_back_to_file_name() -> None:
    assert display_title(FakeHit(text="", title="  ", path="dir/sub/报道.txt")) == "报道.txt"
    assert display_title(FakeHit(text="", title=" 新闻 ")) == "新闻"


def test_escape_markdown_neutralizes_links_and_emphasis() -> None:
    escaped = escape_markdown("**粗** [点我](javascript:alert(1))\n_x_ <b>")
    assert escaped == r"\*\*粗\*\* \[点我\]\(javascript\:alert\(1\)\) \_x\_ \<b\>"


def test_markdown_code_fences_longer_than_any_backtick_run() -> None:
    assert markdown_code("seeds/新闻") == "`seeds/新闻`"
    assert markdown_code("a``b") == "```a``b```"
    assert markdown_code("`x`\ny") == "`` `x` y ``"


def test_format_timestamp_handles_iso_epoch_and_garbage() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", format_timestamp("2025-01-02T03:04:05Z"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", format_timestamp(1_700_000_000))
    assert format_timestamp(None) == "—"
    assert format_timestamp("not a date") == "not a date"


@given(
    text=st.text(alphabet=st.sampled_from(list("<>&\"'/=ab焦裕禄 \n")), max_size=40),
    spans=st.lists(st.tuples(st.integers(-5, 45), st.integers(-5, 45)), max_size=5),
    hit=st.one_of(st.none(), st.tuples(st.integers(-5, 45), st.integers(-5, 45))),
)
def test_renderers_never_emit_markup_from_text(
    text: str, spans: list[tuple[int, int]], hit: tuple[int, int] | None
) -> None:
    for markup in (
        render_inline(text, spans),
        render_paragraphs(text, spans, hit, hit_anchor="a"),
    ):
        leftovers = _OWN_TAG.sub("", markup)
        assert "<" not in leftovers and ">" not in leftovers and '"' not in leftovers
    assert _visible_text(render_inline(text, spans)) == text
    line = text.replace("\n", " ")
    assert _visible_text(render_marked(line, spans, hit)) == line
