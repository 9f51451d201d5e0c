"""Tests of the match-strength calibration."""

from __future__ import annotations

import pytest

from semsearch.search.confidence import CALIBRATION, Calibration, MatchFeatures


def test_labels_follow_the_cut_offs() -> None:
    calibration = Calibration(0.0, 0.0, 0.0, 10.0, strong=0.8, possible=0.5)
    assert calibration.judge(MatchFeatures(0.9, 0.9, 1.0)).label == "strong"  # p = 0.99995
    assert calibration.judge(MatchFeatures(0.9, 0.9, 0.05)).label == "possible"  # p = 0.62
    assert calibration.judge(MatchFeatures(0.9, 0.9, -0.1)).label == "weak"  # p = 0.27


@pytest.mark.parametrize(
    ("features", "label"),
    [
        # Typical top hits measured by bench/confidence.py (medians of each group).
        ((0.918, 0.928, 0.073), "strong"),  # answerable, cmrc2018_chunks
        ((0.902, 0.917, 0.079), "strong"),  # traditional question, xquad_zh
        ((0.845, 0.855, 0.017), "weak"),  # unanswerable on cmrc2018_chunks
        ((0.72, 0.72, -0.02), "weak"),  # an English question the model cannot match
    ],
)
def test_the_fitted_calibration_on_typical_hits(features: tuple[float, ...], label: str) -> None:
    assert CALIBRATION.judge(MatchFeatures(*features)).label == label


def test_the_value_is_a_probability_rising_with_each_feature() -> None:
    low = CALIBRATION.probability(MatchFeatures(0.85, 0.86, 0.02))
    assert 0.0 <= low < CALIBRATION.probability(MatchFeatures(0.90, 0.86, 0.02)) <= 1.0
    assert low < CALIBRATION.probability(MatchFeatures(0.85, 0.90, 0.02))
    assert low < CALIBRATION.probability(MatchFeatures(0.85, 0.86, 0.06))
    assert CALIBRATION.probability(MatchFeatures(-5, -5, -5)) == pytest.approx(0.0)
