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
