"""Traditional-script articles: headline, date, source and author found as in simplified.

Each layout is written once in simplified characters; its traditional twin is generated with
OpenCC, and both must give the same metadata (the traditional one in its own script).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from semsearch.ingest.clean import clean_lines
from semsearch.text import to_simplified, to_traditional

BODY = [
    "3月22日，全省经济工作会议在郑州召开，会议总结了过去一年的发展成绩，部署了今年的重点任务。",
    "会议指出，要坚持稳中求进工作总基调，努力扩大国内需求，加快建设现代化产业体系，推动经济实现质的有效提升。",
]

# (lines, title, date, source, author)
LAYOUTS = [
    (
        ["河南召开全省经济工作会议", "2024年03月22日 来源:河南日报", *BODY],
        "河南召开全省经济工作会议",
        "2024-03-22",
        "河南日报",
        None,
    ),
    (
        [
            "当前位置: 首页 > 新闻中心 > 要闻",
            "全省经济工作会议在郑州召开",
            "发布时间: 2024-03-22 10:30 来源: 人民网 作者: 张国华",
            *BODY,
            "上一篇: 春季农业生产有序推进",
        ],
        "全省经济工作会议在郑州召开",
        "2024-03-22",
        "人民网",
        "张国华",
    ),
    (
        ["郑州部署今年经济工作重点任务", "本报记者 王小明", "2023-11-02", *BODY],
        "郑州部署今年经济工作重点任务",
        "2023-11-02",
        None,
        "王小明",
    ),
    (
        [
            "经济工作会议释放发展新信号",
            "来源：新华社 | 时间：2022年9月28日 | 浏览：120次",
            *BODY,
            "版权所有 © 2022 河南日报网",
        ],
        "经济工作会议释放发展新信号",
        "2022-09-28",
        "新华社",
        None,
    ),
]


@pytest.mark.parametrize(("lines", "title", "date", "source", "author"), LAYOUTS)
def test_simplified_layouts_give_their_metadata(
    lines: list[str], title: str, date: str, source: str | None, author: str | None
) -> None:
    cleaned = clean_lines(lines)
    assert (cleaned.title, cleaned.date, cleaned.source, cleaned.author) == (
        title,
        date,
        source,
        author,
    )


@pytest.mark.parametrize(("lines", "title", "date", "source", "author"), LAYOUTS)
def test_traditional_twins_give_the_same_metadata_in_their_script(
    lines: list[str], title: str, date: str, source: str | None, author: str | None
) -> None:
    twin = [to_traditional(line) for line in lines]
    assert twin != lines  # the twin really is in the other script
    cleaned = clean_lines(twin)
    assert cleaned.title == to_traditional(title)
    assert cleaned.date == date
    assert cleaned.source == (to_traditional(source) if source else None)
    assert cleaned.author == (to_traditional(author) if author else None)
    assert cleaned.text == "\n".join(to_traditional(line) for line in BODY)
    assert to_simplified(cleaned.text) == "\n".join(BODY)


def test_a_big5_file_of_a_traditional_twin_is_read_with_its_metadata(tmp_path: Path) -> None:
    from semsearch.ingest import read_document

    lines, title, date, source, _ = LAYOUTS[0]
    path = tmp_path / "article.txt"
    path.write_bytes("\n".join(to_traditional(line) for line in lines).encode("big5"))
    document = read_document(path)
    assert (document.title, document.date, document.source) == (
        to_traditional(title),
        date,
        to_traditional(source),
    )
    assert document.script == "traditional"
