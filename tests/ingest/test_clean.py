"""Tests for semsearch.ingest.clean: noise out, body in, on the seeds and on small inputs."""

from __future__ import annotations

import pytest

from semsearch.ingest import Document, clean_lines

from .samples import PARAGRAPH, REMOVAL_REASONS, removed_text

# ---------------------------------------------------------------------------------------------
# The seeds: noise out, body in
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
    assert reasons <= REMOVAL_REASONS
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


# ---------------------------------------------------------------------------------------------
# Rules on small inputs
# ---------------------------------------------------------------------------------------------


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
