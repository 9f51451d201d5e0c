"""Tests for semsearch.ingest.formats: HTML, docx, PDF and Markdown files (generated here)."""

from __future__ import annotations

from pathlib import Path

from semsearch.ingest import read_document

from .samples import make_pdf, reason_for


def test_broken_docx_and_pdf(tmp_path: Path) -> None:
    (tmp_path / "bad.docx").write_bytes(b"PK\x03\x04 this is no zip")
    (tmp_path / "bad.pdf").write_bytes(b"just some text, no pdf")
    assert reason_for(tmp_path / "bad.docx").startswith("not a valid .docx file")
    assert reason_for(tmp_path / "bad.pdf").startswith("not a valid .pdf file")


SEED_000_PARAGRAPHS = [
    "精神历久弥新永续传承,因其凝聚着不忘初心、不负人民的强大能量。",
    "焦裕禄,一个永不褪色的名字;焦裕禄精神,一座永放光芒的灯塔,在汴梁大地已成为人人尊崇、"
    "时时学习、处处践行的精神追求。",
    "习近平总书记强调,亲民爱民、艰苦奋斗、科学求实、迎难而上、无私奉献的焦裕禄精神,"
    "过去是、现在是、将来仍然是我们党的宝贵精神财富,永远不会过时。",
]


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in SEED_000_PARAGRAPHS * 2)
    html = (
        '<!DOCTYPE html><html><head><meta charset="gb2312"><title>焦裕禄精神综述_开封党史方志'
        '</title><meta property="article:published_time" content="2024-05-14"></head><body>'
        '<div class="nav"><a href="/">首页</a> &gt; <a href="/x">焦裕禄精神</a></div>'
        '<ul class="menu"><li><a href="/a">首页</a></li><li><a href="/b">新闻中心</a></li></ul>'
        f"<article><h1>开封传承弘扬焦裕禄精神综述</h1>{paragraphs}"
        "<p>资料图。全媒体记者 石斐摄</p></article>"
        '<div class="footer">豫ICP备2024052524号-1 版权所有</div></body></html>'
    )
    path = tmp_path / "page.html"
    path.write_bytes(html.encode("gb18030"))
    document = read_document(path)
    assert document.title == "开封传承弘扬焦裕禄精神综述"
    assert document.date == "2024-05-14"
    assert document.text.split("\n")[0] == SEED_000_PARAGRAPHS[0]
    for noise in ("首页", "新闻中心", "石斐摄", "ICP"):
        assert noise not in document.text


def test_docx_paragraphs_heading_and_table(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    word.add_heading("开封传承弘扬焦裕禄精神推动高质量发展综述", level=1)
    for paragraph in SEED_000_PARAGRAPHS:
        word.add_paragraph(paragraph)
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "全市上榜“中国好人”的人数"
    table.rows[0].cells[1].text = "共有六十二人入选全国榜单并受到表彰。"
    word.add_paragraph("资料图。全媒体记者 石斐摄")
    path = tmp_path / "speech.docx"
    word.save(str(path))
    document = read_document(path)
    assert document.title == "开封传承弘扬焦裕禄精神推动高质量发展综述"
    assert document.text.split("\n") == [
        *SEED_000_PARAGRAPHS,
        "全市上榜“中国好人”的人数 共有六十二人入选全国榜单并受到表彰。",
    ]
    assert any(r.reason == "caption" for r in document.removed)


def test_pdf_lines_are_joined_into_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(
        make_pdf(
            [
                [
                    "开封传承弘扬焦裕禄精神",
                    "精神历久弥新永续传承，因其凝聚着不忘初心、不负人民的强大",
                    "能量。焦裕禄，一个永不褪色的名字。",
                    "1",
                ],
                ["第二页的内容在这里继续写下去，一直写到这一行的末尾为止", "结束。"],
            ]
        )
    )
    document = read_document(path)
    assert document.title == "开封传承弘扬焦裕禄精神"
    assert document.text.split("\n") == [
        "精神历久弥新永续传承，因其凝聚着不忘初心、不负人民的强大能量。焦裕禄，一个永不褪色的名字。",
        "第二页的内容在这里继续写下去，一直写到这一行的末尾为止结束。",
    ]
    assert any(r.reason == "page marker" and r.text == "1" for r in document.removed)


def test_markdown_front_matter_links_and_wrapped_lines(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text(
        "---\ntitle: 一篇博客文章的标题\ndate: 2023-07-01\n---\n\n"
        "# 一篇博客文章的标题\n\n"
        "第一段的前半句写在这一行，\n后半句写在下一行，[链接文字](http://example.com)也在。\n\n"
        "![图片](a.png)\n\n"
        "- 列表项目一的内容比较长，超过了三十个字符以便作为正文段落保留。\n",
        "utf-8",
    )
    document = read_document(path)
    assert document.title == "一篇博客文章的标题"
    assert document.date == "2023-07-01"
    assert document.text.split("\n") == [
        "第一段的前半句写在这一行，后半句写在下一行，链接文字也在。",
        "列表项目一的内容比较长，超过了三十个字符以便作为正文段落保留。",
    ]
