"""Tests for semsearch.ingest.metadata: titles, dates, sources and authors."""

from __future__ import annotations

from pathlib import Path

from semsearch.ingest import Document, clean_lines, read_document

from .samples import PARAGRAPH


def test_seed_titles(seeds: dict[str, Document]) -> None:
    assert seeds["000"].title == (
        "桐心澄碧永放光芒 开路先锋奋进不息——开封传承弘扬焦裕禄精神推动高质量发展综述"
    )
    assert seeds["001"].title.startswith("拼搏實干開新局")
    assert seeds["002"].title == (
        "【中心组研讨发言】弘扬XX精神激发内生动力凝神聚力推动县域发展走在前开新局"
    )
    assert seeds["003"].title == "绿廊花海增色幸福中原纾困解忧情暖千家万户——中原区党史学习教育综述"
    assert seeds["004"].title.startswith("80后书记县长谈丨当好火炬手")
    for document in seeds.values():
        # A standalone headline is not repeated in the text.
        assert not document.text.startswith(document.title)
        assert document.title not in document.text


def test_seed_metadata(seeds: dict[str, Document]) -> None:
    assert (seeds["000"].date, seeds["000"].source, seeds["000"].author) == (
        "2024-05-14",
        "开封日报",
        "刘延超",
    )
    assert seeds["001"].date is None  # 2021年2月25日 is an event in the body, not a dateline
    assert seeds["001"].author == "龔硯慶 史長來"
    assert seeds["002"].date is None
    assert seeds["003"].date == "2022-09-28"
    assert seeds["003"].author == "孙志刚"
    assert (seeds["004"].date, seeds["004"].author) == ("2021-09-03", "谢伟峰")


def test_labelled_date_beats_the_sites_today_bar() -> None:
    cleaned = clean_lines(
        ["2024年09月08日 星期日", "一篇新闻的标题", "日期：2023年1月5日 来源：某某日报", PARAGRAPH]
    )
    assert cleaned.date == "2023-01-05"
    assert cleaned.source == "某某日报"
    assert cleaned.title == "一篇新闻的标题"


def test_impossible_dates_are_ignored() -> None:
    assert clean_lines(["标题文字在此", "发布时间:2024-13-45", PARAGRAPH]).date is None
    assert clean_lines(["标题文字在此", "2019/3/7 08:00", PARAGRAPH]).date == "2019-03-07"


def test_title_falls_back_to_file_name(tmp_path: Path) -> None:
    path = tmp_path / "my_article.txt"
    path.write_text(PARAGRAPH, "utf-8")
    assert read_document(path).title == "my article"


# Short titles: an entry's name (2–3 characters) when no headline qualifies.
ENTRY_BODY = "于乐，男，1986年出生于辽宁大连，中国职业足球运动员，司职后卫，现效力于中超球队。"


def test_an_entry_gets_its_short_name_as_title() -> None:
    cleaned = clean_lines(["于乐", "", ENTRY_BODY, PARAGRAPH])
    assert cleaned.title == "于乐"
    # The name that begins the first paragraph is its subject, not a glued headline.
    assert cleaned.text.startswith(ENTRY_BODY)
    assert any(r.reason == "title" and r.text == "于乐" for r in cleaned.removed)


def test_a_short_name_right_before_the_body_is_a_title() -> None:
    # No blank line: the line is followed directly by a sentence of body text.
    assert clean_lines(["锣鼓经", ENTRY_BODY]).title == "锣鼓经"


def test_a_real_headline_beats_a_site_name_on_the_first_line() -> None:
    cleaned = clean_lines(["新浪", "", "一篇新闻的真正标题", "", PARAGRAPH])
    assert cleaned.title == "一篇新闻的真正标题"


def test_a_short_chrome_word_is_never_a_title(tmp_path: Path) -> None:
    for chrome in ("首页", "登录"):
        assert clean_lines([chrome, "", PARAGRAPH]).title is None
        path = tmp_path / "entry_page.txt"
        path.write_text(f"{chrome}\n\n{PARAGRAPH}\n", "utf-8")
        assert read_document(path).title == "entry page"


def test_short_lines_that_are_not_names_are_not_titles() -> None:
    body = ENTRY_BODY
    assert clean_lines(["于乐", "中国", body]).title is None  # not alone
    assert clean_lines(["导读：", "", body]).title is None  # a label
    assert clean_lines(["好。", "", body]).title is None  # a sentence
    assert clean_lines(["AB1", "", body]).title is None  # not Han
    assert clean_lines(["X光", "", body]).title is None  # half Han
    assert clean_lines(["乐", "", body]).title is None  # one character
