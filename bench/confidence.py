"""Fit and measure the match-strength calibration (``semsearch.search.confidence``).

For each evaluation set A, its corpus is indexed (vectors from the cache) and searched in hybrid
mode with questions that it answers (A's own) and questions that it cannot answer (those of the
other sets, in equal number). The searcher's top hit gives the two query-independent features
the product reads (the chunk's cosine, its best sentence's cosine, and that sentence's margin
over the question's cosine to the crowd of the index); the label is whether the
question is answerable on that corpus. A logistic regression on the three features is fitted
leaving one set out at a time (cross-validation across sets) and then on all sets; the final
constants are the ones to copy into ``CALIBRATION``. drcd is in traditional script, and
xquad_zh_tw's traditional questions are checked against xquad_zh's corpus, and a few English
questions against cmrc2018_chunks.

Usage (from the repository root)::

    .venv/bin/python bench/confidence.py            # collect features (cached), fit, report
    .venv/bin/python bench/confidence.py --refit    # fit again from the cached features

Writes bench/results/confidence.json and bench/results/confidence.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import CACHE_DIR, EVAL_DIR, RESULTS_DIR, print_table, write_result  # noqa: E402

from semsearch.search.confidence import LABELS, Calibration, MatchFeatures  # noqa: E402

SETS = ("cmrc2018_chunks", "xquad_zh", "drcd", "president_news")
#: Questions per side (answerable, unanswerable) and set; enough for a stable AUC, quick to run.
PER_SIDE = 300
#: Label cut-offs on the calibrated probability (fitted on balanced data: 0.5 is a coin toss).
STRONG, POSSIBLE = 0.8, 0.5
FEATURES_FILE = CACHE_DIR / "confidence_features.json"
#: Questions in English about passages of cmrc2018_chunks (answerable), and unrelated ones.
ENGLISH = {
    "cmrc2018_chunks": [
        ("Which two companies developed Samurai Warriors 3?", True),
        ("Where is the headquarters of Wesco Financial?", True),
        ("Why did the number of Hokkaido wolves decline?", True),
        ("What is the capital of France?", False),
        ("How do quantum computer chips get export licences?", False),
        ("Which team won the 1998 football World Cup final?", False),
    ]
}


def _questions(name: str) -> list[str]:
    with (EVAL_DIR / name / "queries.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()]


def _sample(items: list[str], count: int, seed: str) -> list[str]:
    chosen = list(items)
    random.Random(seed).shuffle(chosen)
    return chosen[:count]


def _gold_answers(name: str) -> dict[str, list[str]]:
    """Question → its gold answer strings (sets that have them)."""
    with (EVAL_DIR / name / "queries.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return {row["text"]: row.get("answers") or [] for row in rows}


def _answer_check(reader: Any, hit: Any, question: str, gold: list[str]) -> dict[str, bool] | None:
    """Whether the marked sentence, and the keyword-chosen one, hold a gold answer.

    Only for a top hit whose text holds a gold answer at all (else the sentence cannot).
    """
    from semsearch.lexical import analyze_query
    from semsearch.search.answer import keyword_answer

    if hit.answer is None or not any(answer in hit.text for answer in gold):
        return None
    weights = reader.keyword_weights(analyze_query(question).tokens)
    by_keywords = keyword_answer(hit.text, weights)

    def holds(span: tuple[int, int] | None) -> bool:
        return span is not None and any(answer in hit.text[slice(*span)] for answer in gold)

    return {"marked": holds(hit.answer), "keywords": holds(by_keywords)}


def collect(embedder: Any) -> list[dict[str, Any]]:
    """Search every set's corpus with answerable and unanswerable questions; one row each."""
    from semsearch.evaluation import eval_documents, load_eval_set
    from semsearch.indexing import build_from_chunks
    from semsearch.search import Searcher
    from semsearch.storage import open_index

    rows: list[dict[str, Any]] = []
    for name in SETS:
        others = [other for other in SETS if other != name]
        asked = [(q, True, name) for q in _sample(_questions(name), PER_SIDE, name)]
        for other in others:
            share = PER_SIDE // len(others)
            asked += [(q, False, other) for q in _sample(_questions(other), share, name + other)]
        if name == "xquad_zh":
            asked += [
                (q, True, "xquad_zh_tw") for q in _sample(_questions("xquad_zh_tw"), 60, "tw")
            ]
        asked += [(q, answerable, "english") for q, answerable in ENGLISH.get(name, [])]
        gold = _gold_answers(name)
        documents, chunks_by_doc, _ = eval_documents(load_eval_set(EVAL_DIR / name))
        with tempfile.TemporaryDirectory(prefix="semsearch-confidence-") as scratch:
            index_dir = Path(scratch) / "index"
            build_from_chunks(index_dir, documents, chunks_by_doc, embedder)
            reader = open_index(index_dir)
            try:
                searcher = Searcher(reader, embedder)
                for question, answerable, origin in asked:
                    found = searcher.search(question, k=1, context=False, highlight=False)
                    if not found.hits or found.hits[0].confidence is None:
                        continue
                    top = found.hits[0]
                    confidence = top.confidence
                    rows.append(
                        {
                            "corpus": name,
                            "origin": origin,
                            "question": question,
                            "answerable": answerable,
                            "features": [
                                confidence.cosine,
                                confidence.sentence_cosine,
                                confidence.margin,
                            ],
                            "answer_sentence": _answer_check(
                                reader, top, question, gold.get(question, [])
                            )
                            if origin == name
                            else None,
                        }
                    )
            finally:
                reader.close()
        print(f"{name}: {len(asked)} questions", file=sys.stderr)
    return rows


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The area under the ROC curve (the chance a random answerable question outranks an
    unanswerable one; ties count half)."""
    positive, negative = scores[labels], scores[~labels]
    if not len(positive) or not len(negative):
        return float("nan")
    greater = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return float(greater + ties / 2)


def fit(rows: list[dict[str, Any]]) -> Calibration:
    """A logistic regression on the three features (balanced classes), as a Calibration."""
    from sklearn.linear_model import LogisticRegression

    features = np.array([row["features"] for row in rows])
    labels = np.array([row["answerable"] for row in rows])
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000)
    model.fit(features, labels)
    return Calibration(
        intercept=round(float(model.intercept_[0]), 3),
        cosine_weight=round(float(model.coef_[0][0]), 3),
        sentence_weight=round(float(model.coef_[0][1]), 3),
        margin_weight=round(float(model.coef_[0][2]), 3),
        strong=STRONG,
        possible=POSSIBLE,
    )


def measure(calibration: Calibration, rows: list[dict[str, Any]]) -> dict[str, float]:
    """AUC, precision and recall of ``strong``, and the share of unanswerable ones ``weak``."""
    values = np.array([calibration.probability(MatchFeatures(*row["features"])) for row in rows])
    labels = np.array([row["answerable"] for row in rows])
    strong = values >= calibration.strong
    weak = values < calibration.possible
    return {
        "questions": len(rows),
        "AUC": round(auc(values, labels), 4),
        "strong precision": round(float(labels[strong].mean()) if strong.any() else 0.0, 4),
        "strong recall": round(float(strong[labels].mean()) if labels.any() else 0.0, 4),
        "unanswerable weak": round(float(weak[~labels].mean()) if (~labels).any() else 0.0, 4),
        "answerable weak": round(float(weak[labels].mean()) if labels.any() else 0.0, 4),
    }


def _labels_of(calibration: Calibration, rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(LABELS, 0)
    for row in rows:
        counts[calibration.judge(MatchFeatures(*row["features"])).label] += 1
    return counts


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Cross-validate across sets, fit on all, and print and return every figure."""
    core = [row for row in rows if row["origin"] in SETS]
    held_out = {}
    for name in SETS:
        trained = fit([row for row in core if row["corpus"] != name])
        held_out[name] = measure(trained, [row for row in core if row["corpus"] == name])
    final = fit(core)
    result = {
        "per_side": PER_SIDE,
        "answer_sentence": _answer_sentence_figures(core),
        "held_out": held_out,
        "all_sets_in_sample": measure(final, core),
        "calibration": final.__dict__,
        "traditional_questions_on_xquad_zh": _labels_of(
            final, [row for row in rows if row["origin"] == "xquad_zh_tw"]
        ),
        "english_questions": [
            {
                "question": row["question"],
                "answerable": row["answerable"],
                "label": final.judge(MatchFeatures(*row["features"])).label,
                "value": round(final.probability(MatchFeatures(*row["features"])), 3),
            }
            for row in rows
            if row["origin"] == "english"
        ],
    }
    header = ["held-out corpus", *next(iter(held_out.values())).keys()]
    table = [[name, *figures.values()] for name, figures in held_out.items()]
    table.append(["all (final fit)", *result["all_sets_in_sample"].values()])
    print_table("Confidence, each corpus held out of the fit", header, table)
    print(json.dumps(result["calibration"]))
    return result


def _answer_sentence_figures(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per corpus: how often the marked sentence (and the keyword-chosen one) holds the answer."""
    figures = {}
    for name in SETS:
        checks = [
            row["answer_sentence"]
            for row in rows
            if row["corpus"] == name and row.get("answer_sentence")
        ]
        if checks:
            figures[name] = {
                "top hits holding a gold answer": len(checks),
                "marked sentence holds it": round(
                    sum(c["marked"] for c in checks) / len(checks), 4
                ),
                "keyword sentence holds it": round(
                    sum(c["keywords"] for c in checks) / len(checks), 4
                ),
            }
    return figures


def main() -> None:
    """Collect the features (or read them back with ``--refit``), fit and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refit", action="store_true", help="Reuse the cached features.")
    arguments = parser.parse_args()
    if arguments.refit and FEATURES_FILE.is_file():
        rows = json.loads(FEATURES_FILE.read_text(encoding="utf-8"))
    else:
        from semsearch.embed import load_embedder
        from semsearch.evaluation import CachedEmbedder

        embedder = CachedEmbedder(load_embedder())
        try:
            rows = collect(embedder)
        finally:
            embedder.close()
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        FEATURES_FILE.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    result = report(rows)
    write_result("confidence", result)
    (RESULTS_DIR / "confidence.md").write_text(_markdown(result), encoding="utf-8")


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Match strength: how well the confidence separates answerable questions",
        "",
        f"{result['per_side']} answerable and {result['per_side']} unanswerable questions per "
        "corpus (hybrid search, top hit); each row is fitted without that corpus.",
        "",
        "| held-out corpus | questions | AUC | strong precision | strong recall | "
        "unanswerable weak | answerable weak |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, figures in [
        *result["held_out"].items(),
        ("all (final fit)", result["all_sets_in_sample"]),
    ]:
        lines.append("| " + " | ".join([name, *(str(v) for v in figures.values())]) + " |")
    lines += [
        "",
        f"Final calibration: `{json.dumps(result['calibration'])}`",
        "",
        "Traditional questions (xquad_zh_tw) on xquad_zh: "
        f"{result['traditional_questions_on_xquad_zh']}",
        "",
        "English questions on cmrc2018_chunks:",
        "",
    ]
    lines += [
        f"- {row['question']} (answerable: {row['answerable']}): {row['label']} {row['value']}"
        for row in result["english_questions"]
    ]
    lines += [
        "",
        "## The answer sentence",
        "",
        "Of the answerable questions whose top hit holds a gold answer: how often the sentence "
        "marked (nearest the question by sentence vectors) holds it, against the sentence with "
        "most of the query's keyword weight (keyword mode's choice).",
        "",
        "| corpus | top hits holding a gold answer | marked sentence | keyword sentence |",
        "|---|---|---|---|",
    ]
    lines += [
        "| " + " | ".join([name, *(str(v) for v in figures.values())]) + " |"
        for name, figures in result["answer_sentence"].items()
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
