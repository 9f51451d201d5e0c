"""Tests for semsearch.ingest.normalize: Unicode normalization and script detection."""

from __future__ import annotations

from semsearch.ingest import Document, detect_script, normalize_text


def test_seed_script_and_traditional_text_stays_traditional(seeds: dict[str, Document]) -> None:
    assert seeds["001"].script == "traditional"
    assert "蘭考" in seeds["001"].text and "兰考" not in seeds["001"].text
    for seed in ("000", "002", "003", "004"):
        assert seeds[seed].script == "simplified"


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
