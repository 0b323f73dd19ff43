"""Is question-answering model A really better than B here? Paired statistics of two models' SQuAD scores, and slices.

The same tests as ``paired`` for classifiers, on per-question scores: McNemar's exact test on
exact match (``paired.mcnemar_test``, statsmodels) and paired-bootstrap intervals of the mean
differences in exact match and F1 (``metrics.bootstrap_ci``, scipy, the questions resampled
jointly). Slices: per context length (in words) and per question word (who, what, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ..records.qa import QAMetrics, QAPairwise, QAPredictions, QASlice
from .metrics import CONFIDENCE_LEVEL, N_RESAMPLES, bootstrap_ci
from .paired import SIGNIFICANCE, SMALL_SLICE, contingency, length_bucket, mcnemar_test


def qa_pairwise(a: QAPredictions, b: QAPredictions, scores_a: QAMetrics, scores_b: QAMetrics, *, seed: int = 0, n_resamples: int = N_RESAMPLES,
                confidence_level: float = CONFIDENCE_LEVEL) -> QAPairwise:
    """A against B on the same questions (``scores_*`` are ``compute_qa_metrics`` of ``a`` and ``b``)."""
    if a.ids != b.ids:
        raise DataError(f"{a.model} and {b.model} answered different questions; compare answers to the same dataset")
    em_a, em_b = (np.array([r["exact_match"] for r in s.per_question]) for s in (scores_a, scores_b))
    f1_a, f1_b = (np.array([r["f1"] for r in s.per_question]) for s in (scores_a, scores_b))
    table, test = mcnemar_test(em_a > 0, em_b > 0)

    def mean_diff(p: np.ndarray, q: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(p, axis=axis) - np.mean(q, axis=axis)

    interval = {"seed": seed, "n_resamples": n_resamples, "confidence_level": confidence_level}
    em_ci, f1_ci = bootstrap_ci(mean_diff, [em_a, em_b], **interval), bootstrap_ci(mean_diff, [f1_a, f1_b], **interval)
    differ = [i for i in range(len(a.ids)) if (em_a[i] > 0) != (em_b[i] > 0)]
    return QAPairwise(
        a=a.model, b=b.model, n=len(a.ids), mcnemar_p=float(test.pvalue), mcnemar_statistic=float(test.statistic),
        significant=bool(test.pvalue < SIGNIFICANCE), contingency=contingency(table), exact_match_a=float(em_a.mean()),
        exact_match_b=float(em_b.mean()), exact_match_diff=float(em_a.mean() - em_b.mean()),
        exact_match_diff_ci=None if em_ci is None else (em_ci.low, em_ci.high), f1_diff=float(f1_a.mean() - f1_b.mean()),
        f1_diff_ci=None if f1_ci is None else (f1_ci.low, f1_ci.high), confidence_level=confidence_level,
        agreement=float(np.mean([x.text == y.text for x, y in zip(a.answers, b.answers)])),
        disagreements=tuple({"id": a.ids[i], "gold": [g.text for g in a.gold[i]], "a": a.answers[i].text, "b": b.answers[i].text} for i in differ),
    )


def question_word(question: str) -> str:
    """The question's wh-word (who, what, when, where, which, why, how), else "other"."""
    for word in question.lower().split():
        if word.strip("\"'“‘(") in ("who", "what", "when", "where", "which", "why", "how", "whom", "whose"):
            return word.strip("\"'“‘(")
    return "other"


def qa_slices(scores: QAMetrics, questions: Sequence[str], contexts: Sequence[str]) -> list[QASlice]:
    """Exact match and F1 per context-length bucket (words) and per question word."""
    groups: dict[str, list[Any]] = {"context length": [length_bucket(len(c.split())) for c in contexts],
                                    "question word": [question_word(q) for q in questions]}
    rows = []
    for by, values in groups.items():
        for group in sorted(set(values), key=str):
            members = [r for r, v in zip(scores.per_question, values) if v == group]
            rows.append(QASlice(by=by, slice=str(group), n=len(members), exact_match=float(np.mean([r["exact_match"] for r in members])),
                                f1=float(np.mean([r["f1"] for r in members])), small=len(members) < SMALL_SLICE))
    return rows
