"""Match strength: how likely a hit answers the question, from query-independent evidence.

Hybrid scores are not comparable across queries (a keyword score is ~10, a semantic one ~0.6,
and an unrelated question still gets a best hit), so the confidence is read from the cosines
of the hit, which mean roughly the same for every query: the chunk's cosine to the question, the
cosine of its sentence nearest the question, and how far that stands above the question's
cosine to the crowd of the index. A logistic model turns them into a calibrated
probability; two cut-offs on it give the label shown to people.

The constants are fitted by ``bench/confidence.py`` (answerable questions of a set on its own
corpus against questions of another set on that corpus, cross-validated across sets); re-run it
when the model or the sentence vectors change. Its report: ``bench/results/confidence.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The labels, strongest first.
LABELS = ("strong", "possible", "weak")
#: The crowd a hit is compared with: the question's cosine to its this-many-th nearest chunk.
#: Cosines of a language other than the corpus's sit lower as a whole (an English question
#: scores ~0.72 against Chinese passages, a Chinese one ~0.86), so the margin over the crowd
#: carries what the raw cosine loses across languages.
BASELINE_RANK = 20


@dataclass(frozen=True)
class MatchFeatures:
    """The query-independent evidence a hit's confidence is read from.

    Attributes:
        cosine: The chunk's cosine to the question (the model's similarity).
        sentence_cosine: The cosine of the chunk's sentence nearest the question (the chunk's
            own when it has one sentence).
        margin: How far the sentence's cosine stands above the question's cosine to the
            :data:`BASELINE_RANK`-th nearest chunk of the whole index (the crowd).
    """

    cosine: float
    sentence_cosine: float
    margin: float


@dataclass(frozen=True)
class Confidence:
    """How likely a hit answers the question.

    Attributes:
        label: ``strong``, ``possible`` or ``weak``.
        value: The calibrated probability in [0, 1] that the hit's article answers the question
            (fitted on as many answerable as unanswerable questions).
        cosine: See :class:`MatchFeatures` (the features are kept for inspection).
        sentence_cosine: See :class:`MatchFeatures`.
        margin: See :class:`MatchFeatures`.
    """

    label: str
    value: float
    cosine: float
    sentence_cosine: float
    margin: float


@dataclass(frozen=True)
class Calibration:
    """A logistic model on the two cosines, and the cut-offs of the labels.

    Attributes:
        intercept: The model's intercept.
        cosine_weight: The weight of the chunk's cosine.
        sentence_weight: The weight of the best sentence's cosine.
        margin_weight: The weight of the margin over the crowd.
        strong: Probability from which a hit is ``strong``.
        possible: Probability from which a hit is ``possible`` (below: ``weak``).
    """

    intercept: float
    cosine_weight: float
    sentence_weight: float
    margin_weight: float
    strong: float
    possible: float

    def probability(self, features: MatchFeatures) -> float:
        """The calibrated probability that a hit with these features answers the question.

        Args:
            features: The hit's evidence.

        Returns:
            A value in [0, 1].
        """
        logit = (
            self.intercept
            + self.cosine_weight * features.cosine
            + self.sentence_weight * features.sentence_cosine
            + self.margin_weight * features.margin
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def judge(self, features: MatchFeatures) -> Confidence:
        """The confidence of a hit: its calibrated probability and the label of that.

        Args:
            features: The hit's evidence.

        Returns:
            The confidence, with the features it was read from.
        """
        value = self.probability(features)
        if value >= self.strong:
            label = "strong"
        elif value >= self.possible:
            label = "possible"
        else:
            label = "weak"
        return Confidence(
            label,
            round(value, 4),
            round(features.cosine, 4),
            round(features.sentence_cosine, 4),
            round(features.margin, 4),
        )


#: Fitted by ``bench/confidence.py`` (multilingual-e5-small, fused int8 ONNX export v3, BM25 b
#: 0.75, hybrid top hits; 300 answerable and 300 unanswerable questions on each of
#: cmrc2018_chunks, xquad_zh, drcd and president_news). Each corpus held out of the fit: AUC
#: 0.989 / 0.979 / 0.955 / 1.000, "strong" precision 1.000 / 1.000 / 0.970 / 1.000; fitted on
#: all: AUC 0.985, 99.2% of "strong" top hits answerable, 79.4% of answerable questions
#: "strong", 96.5% of unanswerable ones "weak" (bench/results/confidence.md). The re-fit moved
#: every weight by under 3% from the fit on b 0.3 and the older export (-55.303, 28.064,
#: 32.939, 29.187): the cosines hardly changed, only which hit is on top.
CALIBRATION = Calibration(
    intercept=-55.519,
    cosine_weight=28.704,
    sentence_weight=32.556,
    margin_weight=28.97,
    strong=0.8,
    possible=0.5,
)
