"""Is model A really better than model B on this data? Paired statistics of two sets of predictions, and slices.

For two models' predictions on the same labeled rows: McNemar's exact test on correctness
(``statsmodels.stats.contingency_tables.mcnemar``, exact binomial), paired-bootstrap
confidence intervals of the differences in accuracy and macro F1 (``metrics.bootstrap_ci``:
``scipy.stats.bootstrap`` with the rows resampled jointly), the agreement rate, per-class F1
differences and the rows on which they disagree. And slices of one model's predictions: per
class, per length bucket and per any column, with slices too small to trust flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ..records import Pairwise, Predictions, SliceMetrics
from .metrics import CONFIDENCE_LEVEL, N_RESAMPLES, bootstrap_ci, macro_f1_from_codes

SIGNIFICANCE = 0.05
SMALL_SLICE = 30  # fewer rows than this: the slice's metrics are flagged as unreliable
LENGTH_BUCKETS = (0, 100, 200, 400, 800)  # words; the last bucket is open-ended


def _check_paired(a: Predictions, b: Predictions) -> None:
    if a.labels is None or b.labels is None:
        raise DataError(f"comparing needs gold labels; {a.dataset} has none")
    if a.ids != b.ids:
        raise DataError(f"{a.model} and {b.model} were run on different rows; compare predictions of the same dataset")
    if list(a.labels) != list(b.labels):
        raise DataError(f"{a.model} and {b.model} see different gold labels; give models that share label names")


def mcnemar_test(correct_a: np.ndarray, correct_b: np.ndarray):  # -> tuple[list[list[int]], statsmodels Bunch]
    """The 2x2 table of which rows each side gets right and McNemar's exact test on it (statsmodels)."""
    from statsmodels.stats.contingency_tables import mcnemar

    table = [[int(np.sum(correct_a & correct_b)), int(np.sum(correct_a & ~correct_b))],
             [int(np.sum(~correct_a & correct_b)), int(np.sum(~correct_a & ~correct_b))]]
    return table, mcnemar(table, exact=True)


def contingency(table: Sequence[Sequence[int]]) -> dict[str, int]:
    """The McNemar table with its cells named."""
    return {"both_correct": table[0][0], "only_a_correct": table[0][1], "only_b_correct": table[1][0], "both_wrong": table[1][1]}


def pairwise(a: Predictions, b: Predictions, *, seed: int = 0, n_resamples: int = N_RESAMPLES, confidence_level: float = CONFIDENCE_LEVEL) -> Pairwise:
    """A against B on the same rows: McNemar's exact p, bootstrap intervals of the differences, where they differ.

    Differences are A minus B. ``significant`` is McNemar's p below 0.05.
    """
    from sklearn.metrics import f1_score

    _check_paired(a, b)
    y = np.asarray(a.labels, dtype=object)
    pred_a, pred_b = np.asarray(a.predicted, dtype=object), np.asarray(b.predicted, dtype=object)
    correct_a, correct_b = pred_a == y, pred_b == y
    table, test = mcnemar_test(correct_a, correct_b)
    names = sorted(set(a.label_names) | set(b.label_names))
    codes = {name: i for i, name in enumerate(names)}
    y_codes = np.array([codes[v] for v in y])
    a_codes, b_codes = np.array([codes[v] for v in pred_a]), np.array([codes[v] for v in pred_b])
    present = sorted({int(c) for c in np.concatenate([y_codes, a_codes, b_codes])})

    def accuracy_diff(t, p, q, axis=-1):
        return np.mean(p == t, axis=axis) - np.mean(q == t, axis=axis)

    def f1_diff(t, p, q, axis=-1):
        return macro_f1_from_codes(t, p, present, axis=axis) - macro_f1_from_codes(t, q, present, axis=axis)

    interval = {"seed": seed, "n_resamples": n_resamples, "confidence_level": confidence_level}
    acc_ci = bootstrap_ci(accuracy_diff, [y_codes, a_codes, b_codes], **interval)
    f1_ci = bootstrap_ci(f1_diff, [y_codes, a_codes, b_codes], **interval)
    f1_a = f1_score(y, pred_a, labels=list(a.label_names), average=None, zero_division=0)
    f1_b = f1_score(y, pred_b, labels=list(a.label_names), average=None, zero_division=0)
    differ = np.flatnonzero(pred_a != pred_b)
    return Pairwise(
        a=a.model,
        b=b.model,
        n=len(y),
        mcnemar_p=float(test.pvalue),
        mcnemar_statistic=float(test.statistic),
        significant=bool(test.pvalue < SIGNIFICANCE),
        contingency=contingency(table),
        accuracy_a=float(correct_a.mean()),
        accuracy_b=float(correct_b.mean()),
        accuracy_diff=float(correct_a.mean() - correct_b.mean()),
        accuracy_diff_ci=None if acc_ci is None else (acc_ci.low, acc_ci.high),
        f1_macro_diff=float(f1_diff(y_codes, a_codes, b_codes)),
        f1_macro_diff_ci=None if f1_ci is None else (f1_ci.low, f1_ci.high),
        confidence_level=confidence_level,
        agreement=float(np.mean(pred_a == pred_b)),
        per_class_f1_diff={name: float(f1_a[i] - f1_b[i]) for i, name in enumerate(a.label_names)},
        disagreements=tuple({"id": a.ids[i], "label": y[i], "a": pred_a[i], "b": pred_b[i]} for i in differ),
    )


def slice_metrics(predictions: Predictions, groups: Sequence[str], *, by: str) -> list[SliceMetrics]:
    """Accuracy and macro F1 of ``predictions`` within each group (``groups[i]`` is row i's group)."""
    from sklearn.metrics import accuracy_score, f1_score

    y = np.asarray(predictions.labels, dtype=object)
    predicted = np.asarray(predictions.predicted, dtype=object)
    groups = np.asarray(groups, dtype=object)
    rows = []
    for group in sorted(set(groups.tolist()), key=str):
        members = groups == group
        rows.append(SliceMetrics(
            by=by,
            slice=str(group),
            n=int(members.sum()),
            accuracy=float(accuracy_score(y[members], predicted[members])),
            f1_macro=float(f1_score(y[members], predicted[members], average="macro", zero_division=0)),
            small=bool(members.sum() < SMALL_SLICE),
        ))
    return rows


def length_bucket(words: int, buckets: Sequence[int] = LENGTH_BUCKETS) -> str:
    """The name of the length bucket of a text of ``words`` words, e.g. ``"200-399 words"``."""
    lower = max(b for b in buckets if b <= words)
    following = [b for b in buckets if b > lower]
    return f"{lower}-{following[0] - 1} words" if following else f"{lower}+ words"


def slices(predictions: Predictions, texts: Sequence[str], columns: Mapping[str, Sequence[Any]] | None = None) -> list[SliceMetrics]:
    """Metrics per gold class, per length bucket (in words) and per value of each extra column."""
    groups: dict[str, Sequence[Any]] = {"class": predictions.labels, "length": [length_bucket(len(t.split())) for t in texts]}
    groups.update(columns or {})
    return [row for by, values in groups.items() for row in slice_metrics(predictions, values, by=by)]
