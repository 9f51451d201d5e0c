"""Generated reprints of seed articles and near-misses that must not be taken for them.

A reprint is the same body in other site chrome (navigation, ad, copyright lines), in the other
script and with other punctuation; near-misses are another report on the same topic (seeds 000
and 001 both tell of 焦裕禄 and 兰考) and an article with the second half of its paragraphs
replaced.
"""

from __future__ import annotations

from pathlib import Path

from semsearch.text import to_traditional

from .helpers import SEEDS

HALF_WIDTH = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "！": "!", "？": "?",
                            "（": "(", "）": ")", "“": '"', "”": '"'})  # fmt: skip
CHROME_TOP = ["首页 > 新闻中心 > 国内新闻", "字号：大 中 小  打印本页"]
CHROME_MIDDLE = "【广告】下载客户端，阅读更多精彩内容"
CHROME_BOTTOM = ["责任编辑：王小明", "版权所有 © 2024 某某网 京ICP备12345678号", "相关阅读"]


def seed_lines(number: int) -> list[str]:
    """The non-empty lines of a seed article."""
    text = SEEDS[number].read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def reprint(lines: list[str], traditional: bool = True) -> str:
    """The article in other chrome, the other script and half-width punctuation."""
    body = [to_traditional(line) if traditional else line for line in lines]
    body = [line.translate(HALF_WIDTH) for line in body]
    middle = len(body) // 2
    return "\n".join([*CHROME_TOP, *body[:middle], CHROME_MIDDLE, *body[middle:], *CHROME_BOTTOM])


def half_replaced(lines: list[str], other: list[str]) -> str:
    """The article with the second half of its lines replaced by another article's."""
    middle = len(lines) // 2
    return "\n".join(lines[:middle] + other[: len(lines) - middle])


def write_family(folder: Path) -> dict[str, str]:
    """Write an article, two reprints and three near-misses; each file's role by name.

    Args:
        folder: Where the files go (created).

    Returns:
        ``file name → role`` (``article``, ``reprint``, or ``near-miss``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    article = seed_lines(0)
    files = {
        "a_original.txt": ("\n".join(article), "article"),
        "b_traditional.txt": (reprint(article), "reprint"),
        "c_punctuation.txt": (reprint(article, traditional=False), "reprint"),
        "d_same_topic.txt": ("\n".join(seed_lines(1)), "near-miss"),
        "e_half_replaced.txt": (half_replaced(article, seed_lines(4)), "near-miss"),
        "f_other.txt": ("\n".join(seed_lines(4)), "near-miss"),
    }
    for name, (text, _role) in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name: role for name, (_text, role) in files.items()}
