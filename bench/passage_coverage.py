"""Article coverage at passage level (hybrid mode): replayed on every set, cross-validated.

``ranking.rank_articles`` orders *articles* by their best passage plus article coverage (one
hit per article). This replays the same evidence added to every pooled passage's fused score
(``retrieval.experiment_passage_coverage``), on the score matrices of ``bench/tune.py`` (sets
over 2,000 queries on every second query, as there), and applies ``bench/tune.py``'s groups
and selection rule: leave one group out, pick on the others the weight with the best mean
gain over 0, ties within 0.05 to the smaller weight; ship only if the rule fitted on every
group picks it and no set loses more than noise. Result (issue 16, round 3): every fold and the
fit on all groups pick 0 — not shipped (docs/retrieval.md).

Usage::

    .venv/bin/python bench/passage_coverage.py

Writes bench/results/passage_coverage.json.
"""

from __future__ import annotations

import numpy as np
from article_coverage import group_gains, leave_one_out
from common import EVAL_DIR, load_average, write_result
from retrieval import experiment_passage_coverage
from tune import GROUPS, load_set, paired_noise

from semsearch.embed import load_embedder
from semsearch.evaluation import CachedEmbedder
from semsearch.ranking import FusionConfig

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)


def main() -> None:
    """Replay every set at every weight, cross-validate and write the results."""
    embedder = CachedEmbedder(load_embedder(None))
    config = FusionConfig()
    runs: dict[str, dict[float, np.ndarray]] = {}
    for names in GROUPS.values():
        for name in names:
            tuned = load_set(EVAL_DIR / name, embedder)
            runs[name] = {
                w: tuned.reciprocal_ranks(experiment_passage_coverage(tuned.data, config, w))
                for w in WEIGHTS
            }
            print(name, {w: round(100 * r.mean(), 2) for w, r in runs[name].items()}, flush=True)
    folds, fit_on_all = leave_one_out(group_gains(runs, GROUPS, WEIGHTS), WEIGHTS)
    payload = {
        "load_average": load_average(),
        "weights": WEIGHTS,
        "hybrid mrr@10": {
            name: {str(w): round(100 * r.mean(), 2) for w, r in rows.items()}
            for name, rows in runs.items()
        },
        "noise": {
            n: {str(w): round(paired_noise(rows[w], rows[0.0]), 2) for w in WEIGHTS[1:]}
            for n, rows in runs.items()
        },
        "folds": folds,
        "fit on all": fit_on_all,
    }
    write_result("passage_coverage", payload)
    print("folds:", folds, "fit on all:", payload["fit on all"])


if __name__ == "__main__":
    main()
