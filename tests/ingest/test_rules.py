"""Tests for semsearch.ingest.rules: each kind of page furniture judged on its own line."""

from __future__ import annotations

import pytest

from semsearch.ingest.rules import LINE_RULES, classify_line

from .samples import PARAGRAPH, REMOVAL_REASONS


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("当前位置：首页 > 新闻", "navigation"),
        ("豫ICP备2024052524号-1", "navigation"),
        ("首页 | 时政 | 国际 | 财经 | 体育", "navigation"),
        ("相关推荐", "navigation"),
        ("• ", "navigation"),
        ("- 3 -", "page marker"),
        ("第3页", "page marker"),
        ("资料图。全媒体记者 石斐摄", "caption"),
        ("微信图片_20210902084308.jpg", "caption"),
        ("(3996795)-20231114083549", "caption"),
        ("□龔硯慶 史長來", "byline"),
        ("2022-09-28 05:01:05 3253", "metadata"),
        ("欧易(OKX)", "advertisement"),
        ("版权声明", "copyright"),
        ("由会员分享", "share-site header"),
        (PARAGRAPH, None),
        ("记者了解到，比特币价格今天大涨。", None),
    ],
)
def test_classify_line(line: str, reason: str | None) -> None:
    assert classify_line(line) == reason


def test_rules_give_the_reasons_of_single_lines() -> None:
    # Duplicates and titles are told by comparing lines, never by a line alone.
    single_line_reasons = REMOVAL_REASONS - {"duplicate", "title"}
    assert {rule.reason for rule in LINE_RULES} == single_line_reasons
