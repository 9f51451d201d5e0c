"""Tests for semsearch.documents: reading, encodings, cleaning and metadata of article files."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from semsearch.documents import (
    MAX_TEXT_BYTES,
    SUPPORTED_SUFFIXES,
    Document,
    UnreadableFileError,
    clean_lines,
    decode_text,
    detect_script,
    discover_files,
    document_id,
    load_documents,
    normalize_text,
    read_document,
)
from semsearch.errors import DocumentError, SemsearchError

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def seeds() -> dict[str, Document]:
    """The five seed articles, read once, keyed by their number ("000" … "004")."""
    return {path.name[:3]: read_document(path, root=SEEDS) for path in sorted(SEEDS.glob("*.txt"))}


def removed_text(document: Document) -> str:
    return "\n".join(line.text for line in document.removed)


# ---------------------------------------------------------------------------------------------
# The seeds: noise out, body in, metadata right
# ---------------------------------------------------------------------------------------------

NOISE = {
    "000": [
        "2024年09月08日 星期日",
        "党史上的今天",
        "当前位置",
        "阅览137次",
        "发布时间:2024-05-14",
        "资料图。焦裕禄干部学院供图",
        "郑开大道满目绿意生机盎然(3996795)-20231114083549",
        "资料图。全媒体记者 石斐摄",
        "(8290955)-20240316071004",
        "资料图。全媒体记者李浩摄",
        "分享到",
        "友情链接",
        "豫ICP备2024052524号-1",
        "豫公网安备41021102000060号",
        "开封党史方志",
    ],
    "001": ["□龔硯慶 史長來"],
    "002": ["由会员分享", "可在线阅读", "请在第壹文秘上搜索", "6页珍藏版", ".docx"],
    "003": [
        "欧易(OKX)",
        "国内用户最喜爱的合约交易所",
        "火币(HTX )",
        "全球知名的比特币交易所",
        "币安(Binance)",
        "全球用户最多的交易所",
        "2022-09-28 05:01:05 3253",
        "摘要:",
        "赵卫平 摄",
        "本报记者 孙志刚 摄",
        "张亮 摄",
        "本报记者 孙志刚 通讯员",
        "本版图片除署名外均由中原区委宣传部提供",
        "版权声明",
        "如内容侵权",
        "相关推荐",
        "友情链接",
        "币圈社群欧易官网",
    ],
    "004": [
        "四海资讯",
        "首页 > 国内资讯 > 湖南新闻",
        "时间:2021-09-03",
        "微信图片_20210902084308.jpg",
        "(作者:谢伟峰",
        "上一篇:衡阳市加大物业服务收费信息公开力度",
        "下一篇:清风头条",
    ],
}

BODY = {
    "000": [
        "精神历久弥新永续传承,因其凝聚着不忘初心、不负人民的强大能量。",
        "习近平总书记强调,亲民爱民、艰苦奋斗、科学求实、迎难而上、无私奉献的焦裕禄精神",
        "制造立市固基底。开封抓实制造立市战略",
        "在推进中国式现代化建设河南实践中勇做开路先锋。",
    ],
    "001": [
        "一步緊似一步干在實處,方能昂首闊步走在前列。",
        "牢記囑托 黨建引領",
        # A paragraph with mojibake from a lossy conversion stays whole.
        "對標對表省委“兩個確!薄笆髴鹇浴、開封市委“16136”總體工作思路",
        "建設新時代中國特色社會主義精神高地、全國共同富?h域新樣板",
        "站上新的起點,蘭考人奮力譜寫新時代蘭考更加出彩的絢麗篇章!",
    ],
    "002": [
        "XX精神带有地域特质,又跨越地域,是党和国家的宝贵精神财富",
        # Sentences the page markers had cut in two are whole again.
        "贯彻落实省第十二次党代会和市第十三次党代会精神,需要矢志不渝传承弘扬XX精神",
        "建设77个党建共同体,每个共同体覆盖68个村",
        "一代人有一代人的使命。",
        "以一域精彩为现代化强省强市建设增光添彩。",
    ],
    "003": [
        "“回望过往的奋斗路,眺望前方的奋进路,必须把党的历史学习好、总结好",
        "“一盘棋”谋篇布局 把航定舵明方向",
        "中原区委将党史学习教育作为一项重大政治任务",
        "以优异成绩迎接党的二十大胜利召开。",
    ],
    "004": [
        "编者按:今年是中国共产党成立100周年",
        "开福区行政版图形似一支熊熊燃烧的火炬。",
        "不断巩固风清气正的政治生态。",
    ],
}


@pytest.mark.parametrize("seed", sorted(NOISE))
def test_seed_noise_is_removed_and_recorded(seeds: dict[str, Document], seed: str) -> None:
    document = seeds[seed]
    for noise in NOISE[seed]:
        assert noise not in document.text, f"{noise!r} survived in seed {seed}"
        assert noise in removed_text(document) + document.title or noise == ".docx", noise


@pytest.mark.parametrize("seed", sorted(BODY))
def test_seed_body_sentences_survive(seeds: dict[str, Document], seed: str) -> None:
    for sentence in BODY[seed]:
        assert sentence in seeds[seed].text, f"{sentence!r} missing from seed {seed}"


def test_every_removed_line_has_a_known_reason(seeds: dict[str, Document]) -> None:
    reasons = {line.reason for document in seeds.values() for line in document.removed}
    known = {
        "navigation",
        "advertisement",
        "caption",
        "copyright",
        "share-site header",
        "duplicate",
        "page marker",
        "metadata",
        "byline",
        "title",
    }
    assert reasons <= known
    assert {"advertisement", "caption", "copyright", "page marker", "duplicate"} <= reasons


def test_seed_reasons_name_the_kind_of_noise(seeds: dict[str, Document]) -> None:
    def reason_of(seed: str, fragment: str) -> str:
        return next(r.reason for r in seeds[seed].removed if fragment in r.text)

    assert reason_of("000", "当前位置") == "navigation"
    assert reason_of("000", "石斐摄") == "caption"
    assert reason_of("000", "豫ICP备") == "navigation"
    assert reason_of("002", "由会员分享") == "share-site header"
    assert reason_of("003", "欧易(OKX)") == "advertisement"
    assert reason_of("003", "摘要") == "duplicate"
    assert reason_of("003", "版权声明") == "copyright"
    assert reason_of("004", "微信图片_") == "caption"


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


def test_seed_script_and_traditional_text_stays_traditional(seeds: dict[str, Document]) -> None:
    assert seeds["001"].script == "traditional"
    assert "蘭考" in seeds["001"].text and "兰考" not in seeds["001"].text
    for seed in ("000", "002", "003", "004"):
        assert seeds[seed].script == "simplified"


def test_seed_page_markers_are_cut_and_sentences_joined(seeds: dict[str, Document]) -> None:
    document = seeds["002"]
    markers = [line for line in document.removed if line.reason == "page marker"]
    assert [line.text for line in markers] == [f"{n}、" for n in range(1, 9)]
    for n in range(2, 9):
        assert f"{n}、" not in document.text.replace("二、", "").replace("四、", "")
    # The headline glued to page one is cut from the first paragraph and recorded.
    assert document.text.startswith("XX精神带有地域特质")
    assert any(r.reason == "title" and r.text == document.title for r in document.removed)


def test_seed_paragraphs_are_one_a_line(seeds: dict[str, Document]) -> None:
    paragraphs = seeds["000"].text.split("\n")
    assert len(paragraphs) == 14
    assert all(p == p.strip() and p for p in paragraphs)
    assert all("\xa0" not in document.text for document in seeds.values())


def test_seed_ids_and_hashes(seeds: dict[str, Document]) -> None:
    document = seeds["000"]
    assert document.doc_id == document_id(SEEDS / "000_02c521df31b8c6f7.txt", SEEDS)
    assert len(document.doc_id) == 16
    assert len({d.doc_id for d in seeds.values()}) == 5
    assert len(document.content_hash) == 64


# ---------------------------------------------------------------------------------------------
# Cleaning is a pure function of content; ids depend on the relative path only
# ---------------------------------------------------------------------------------------------


def test_cleaning_depends_only_on_content(tmp_path: Path) -> None:
    source = SEEDS / "003_6b8e5731eb4a4e29.txt"
    copy = tmp_path / "deep" / "folder" / "copy.txt"
    copy.parent.mkdir(parents=True)
    shutil.copy(source, copy)
    original, copied = read_document(source), read_document(copy)
    assert (copied.text, copied.title, copied.removed) == (
        original.text,
        original.title,
        original.removed,
    )
    assert copied.content_hash == original.content_hash


def test_document_id_is_relative_to_root_and_survives_edits(tmp_path: Path) -> None:
    for corpus in (tmp_path / "a", tmp_path / "b"):
        (corpus / "sub").mkdir(parents=True)
        (corpus / "sub" / "x.txt").write_text(
            "第一段正文内容，足够长以便作为正文保留下来。", "utf-8"
        )
    first = read_document(tmp_path / "a" / "sub" / "x.txt", root=tmp_path / "a")
    second = read_document(tmp_path / "b" / "sub" / "x.txt", root=tmp_path / "b")
    assert first.doc_id == second.doc_id
    (tmp_path / "a" / "sub" / "x.txt").write_text(
        "改过的正文内容，同样足够长可以保留下来。", "utf-8"
    )
    edited = read_document(tmp_path / "a" / "sub" / "x.txt", root=tmp_path / "a")
    assert edited.doc_id == first.doc_id and edited.content_hash != first.content_hash
    # Without a root, a file is known by its name.
    assert read_document(tmp_path / "a" / "sub" / "x.txt").doc_id == document_id(Path("x.txt"))


# ---------------------------------------------------------------------------------------------
# Rules on small inputs
# ---------------------------------------------------------------------------------------------

PARAGRAPH = "这是一段足够长的正文内容，用来确认清理规则不会误删真正的文章段落。"


def test_numbered_list_is_not_mistaken_for_page_markers() -> None:
    lines = [
        "标题在这里",
        PARAGRAPH,
        "1、加强组织领导，明确责任分工，层层压实各级党组织的主体责任。",
        "2、完善制度机制，建立健全长效机制，确保各项工作落到实处。",
        "3、强化督促检查，定期通报进展情况，及时发现和解决问题。",
    ]
    cleaned = clean_lines(lines)
    assert "1、加强组织领导" in cleaned.text and "2、完善制度机制" in cleaned.text
    assert not any(r.reason == "page marker" for r in cleaned.removed)


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


def test_exact_repeats_and_summaries_are_duplicates() -> None:
    second = "第二段正文同样足够长，讲的是另一件事情，也应该完整地保留在文章里。"
    cleaned = clean_lines(
        [
            "标题文字在此",
            "摘要：" + PARAGRAPH[:20] + "...",
            PARAGRAPH,
            "资料图片说明文字重复出现了两次",
            second,
            "资料图片说明文字重复出现了两次",
            PARAGRAPH,
        ]
    )
    assert cleaned.title == "标题文字在此"
    reasons = [(r.line_no, r.reason) for r in cleaned.removed]
    assert reasons == [(1, "title"), (2, "duplicate"), (6, "duplicate"), (7, "duplicate")]
    assert cleaned.text == "\n".join([PARAGRAPH, "资料图片说明文字重复出现了两次", second])


def test_body_mentioning_noise_words_is_kept() -> None:
    body = (
        "记者从市版权局获悉，今年以来全市查处侵权盗版案件十二起，"
        "并在友情链接、分享到朋友圈等网络传播环节加强了监管。"
    )
    cleaned = clean_lines(["标题文字在此", body])
    assert cleaned.text == body


def test_text_without_any_prose_keeps_its_lines() -> None:
    cleaned = clean_lines(["短句一", "短句二"])
    assert cleaned.text == "短句一\n短句二"


# ---------------------------------------------------------------------------------------------
# Unicode normalization and script
# ---------------------------------------------------------------------------------------------


def test_normalize_converts_full_width_ascii_but_keeps_chinese_punctuation() -> None:
    raw = "ＧＤＰ增长５．２％，总额１２３亿元（同比）：好！真的？是；～\u3000完。“引号”《书名》、"
    assert normalize_text(raw) == (
        "GDP增长5.2%，总额123亿元（同比）：好！真的？是；～ 完。“引号”《书名》、"
    )


def test_normalize_spaces_and_invisible_characters() -> None:
    raw = "前\u00a0\u00a0后\u200b中\ufeff间\t尾  \r\n第二行\u3000\u3000\r第三行\x07"
    assert normalize_text(raw) == "前 后中间 尾\n第二行\n第三行"


def test_detect_script() -> None:
    assert detect_script("蘭考縣委榮獲全國脫貧攻堅先進集體稱號") == "traditional"
    assert detect_script("兰考县委荣获全国脱贫攻坚先进集体称号") == "simplified"
    assert detect_script("English only 123") == "unknown"


# ---------------------------------------------------------------------------------------------
# Encodings (files generated here)
# ---------------------------------------------------------------------------------------------

SIMPLIFIED = (
    "开封坚持以习近平总书记三次亲临视察的特殊关怀为动力，把学习弘扬焦裕禄精神作为永恒课题。"
)
TRADITIONAL = (
    "開封堅持以習近平總書記三次親臨視察的特殊關懷為動力，把學習弘揚焦裕祿精神作為永恆課題。"
)


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("gb18030", SIMPLIFIED),
        ("gbk", "短文本"),
        ("big5", TRADITIONAL),
        ("big5", "臺灣新聞"),
        ("utf-16", SIMPLIFIED),  # with a byte-order mark
        ("utf-16-le", SIMPLIFIED + "\n第二行"),  # without one
        ("utf-8-sig", TRADITIONAL),
        ("utf-8", SIMPLIFIED),
    ],
)
def test_decode_text(encoding: str, text: str) -> None:
    assert decode_text(text.encode(encoding))[0] == text


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("gb18030", SIMPLIFIED),
        ("big5", TRADITIONAL),
        ("utf-16", TRADITIONAL),
        ("utf-8-sig", SIMPLIFIED),
    ],
)
def test_encoded_files_read_right(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / f"article-{encoding}.txt"
    title = "新聞標題" if text == TRADITIONAL else "新闻标题"
    path.write_bytes(f"{title}\n\n{text}\n".encode(encoding))
    document = read_document(path)
    assert document.title == title
    assert document.text == text
    assert document.script == ("traditional" if text == TRADITIONAL else "simplified")


# ---------------------------------------------------------------------------------------------
# Bad input: one clear reason each, and the rest goes on
# ---------------------------------------------------------------------------------------------


def reason_for(path: Path) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    error = caught.value
    assert isinstance(error, UnreadableFileError) and isinstance(error, SemsearchError)
    assert str(path) in error.message and "\n" not in error.message
    return error.reason


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text(" \n\n \n", "utf-8")
    assert reason_for(tmp_path / "empty.txt") == "empty file"
    assert reason_for(tmp_path / "blank.md") == "empty file"


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    assert reason_for(path).startswith("binary file")


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(b"\x80\xff" * 200)
    assert reason_for(path).startswith("undecodable bytes")


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: no 100 MB written to disk
    assert path.stat().st_size > MAX_TEXT_BYTES
    started = time.perf_counter()
    reason = reason_for(path)
    assert reason.startswith("file too large (100 MB")
    assert time.perf_counter() - started < 0.5


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xyz"
    path.write_text("数据", "utf-8")
    assert reason_for(path) == "unsupported file type .xyz"


def test_file_that_disappears(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    path.write_text(PARAGRAPH, "utf-8")
    files, _ = discover_files([tmp_path])
    path.unlink()
    assert files == [path]
    assert reason_for(path) == "file disappeared before it could be read"


def test_nothing_left_after_cleaning(tmp_path: Path) -> None:
    path = tmp_path / "chrome.html"
    path.write_text(
        "<html><body><div>分享到：</div><div>友情链接</div><div>豫ICP备12345678号</div>"
        "</body></html>",
        "utf-8",
    )
    assert reason_for(path) == "no article text left after cleaning"


def test_broken_docx_and_pdf(tmp_path: Path) -> None:
    (tmp_path / "bad.docx").write_bytes(b"PK\x03\x04 this is no zip")
    (tmp_path / "bad.pdf").write_bytes(b"just some text, no pdf")
    assert reason_for(tmp_path / "bad.docx").startswith("not a valid .docx file")
    assert reason_for(tmp_path / "bad.pdf").startswith("not a valid .pdf file")


def test_load_documents_skips_bad_files_and_reads_the_rest(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    shutil.copy(SEEDS / "000_02c521df31b8c6f7.txt", corpus / "sub" / "good.txt")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.md").write_bytes(b"\x00\x01\x02\x03" * 100)
    (corpus / "notes.xyz").write_text("x", "utf-8")
    with (corpus / "huge.htm").open("wb") as handle:
        handle.truncate(MAX_TEXT_BYTES + 1)
    documents, skipped = load_documents([corpus])
    assert [d.path for d in documents] == [str(corpus / "sub" / "good.txt")]
    assert documents[0].doc_id == document_id(corpus / "sub" / "good.txt", corpus)
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons.keys() == {"empty.txt", "binary.md", "notes.xyz", "huge.htm"}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["notes.xyz"] == "unsupported file type .xyz"
    assert reasons["huge.htm"].startswith("file too large")
    assert reasons["binary.md"].startswith("binary file")


def test_discover_files(tmp_path: Path) -> None:
    for name in ("b.txt", "a.md", "sub/c.html", "sub/d.PDF", ".hidden.txt", ".git/e.txt", "f"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", "utf-8")
    files, skipped = discover_files([tmp_path, tmp_path / "b.txt", tmp_path / "missing"])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "a.md",
        "b.txt",
        "sub/c.html",
        "sub/d.PDF",
    ]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("f", "unsupported file type (no extension)"),
        ("missing", "no such file or folder"),
    ]
    assert {".txt", ".md", ".html", ".htm", ".docx", ".pdf"} == SUPPORTED_SUFFIXES


# ---------------------------------------------------------------------------------------------
# Other formats (generated here)
# ---------------------------------------------------------------------------------------------

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


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF whose text is Chinese, in the standard Adobe-GB1 font with UCS-2 codes."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> >>] >>"
    )
    pages_id = add(b"")  # filled in below, once the page ids are known
    kids = []
    for lines in pages:
        operations = ["BT /F1 12 Tf 14 TL 50 780 Td"]
        operations += [f"<{line.encode('utf-16-be').hex()}> Tj T*" for line in lines]
        stream = "\n".join([*operations, "ET"]).encode()
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id, font, content)
            )
        )
    kid_refs = " ".join(f"{kid} 0 R" for kid in kids).encode()
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)


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


def test_title_falls_back_to_file_name(tmp_path: Path) -> None:
    path = tmp_path / "my_article.txt"
    path.write_text(PARAGRAPH, "utf-8")
    assert read_document(path).title == "my article"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PermissionError, "permission denied"),
        (FileNotFoundError, "file disappeared before it could be read"),
    ],
)
def test_errors_while_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[OSError], reason: str
) -> None:
    # The file is there when its size is checked and goes wrong when it is opened (a file
    # deleted mid-build, or one whose permissions the user cannot read; root reads anything,
    # so the failure is injected).
    path = tmp_path / "article.txt"
    path.write_text(PARAGRAPH, "utf-8")

    def failing_open(self: Path, *args: object, **kwargs: object) -> object:
        raise error(13, "injected")

    monkeypatch.setattr(Path, "open", failing_open)
    assert reason_for(path) == reason


def test_rules_generalise_to_an_unseen_news_page() -> None:
    page = [
        "新华网",
        "首页 | 时政 | 国际 | 财经 | 体育 | 娱乐",
        "某市召开全市经济工作会议部署2023年重点工作",
        "2023-03-01 10:20:30 来源：新华网 编辑：张三",
        "【字号 大 中 小】【打印】【关闭】",
        "新华网北京3月1日电（记者王五）某市1日召开全市经济工作会议，总结去年经济工作，部署今年任务。",
        "会议强调，要坚持稳中求进工作总基调，推动经济实现质的有效提升和量的合理增长。",
        "一、扩大有效需求",
        "要着力扩大国内需求，把恢复和扩大消费摆在优先位置，多渠道增加城乡居民收入。",
        "责任编辑：李四",
        "扫一扫在手机打开当前页",
        "相关新闻",
        "· 某某市召开会议研究部署安全生产工作",
        "Copyright © 2000-2023 XINHUANET.com All Rights Reserved.",
    ]
    cleaned = clean_lines(page)
    assert cleaned.title == "某市召开全市经济工作会议部署2023年重点工作"
    assert (cleaned.date, cleaned.source) == ("2023-03-01", "新华网")
    assert cleaned.text.split("\n") == [page[5], page[6], page[7], page[8]]
    assert [r.line_no for r in cleaned.removed] == [1, 2, 3, 4, 5, 10, 11, 12, 13, 14]
