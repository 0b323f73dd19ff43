"""Classification metrics of a set of predictions, each computed by scikit-learn or scipy.

Checked: accuracy, balanced accuracy, precision/recall/F1 (``precision_recall_fscore_support``),
the confusion matrix, Matthews' correlation, Cohen's kappa, log loss and the Brier score are
single scikit-learn calls; confidence intervals are ``scipy.stats.bootstrap`` (percentile
method, seeded). Written here: the expected calibration error and the reliability diagram's
bins (scikit-learn's ``calibration_curve`` is binary and returns neither bin counts, which ECE
and the diagram need, nor a band), and macro F1 over
bootstrap resamples, vectorized, since ``f1_score``'s input validation costs ~2 ms a call and
an interval needs a thousand (tests check it equals ``f1_score``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import DataError, ParameterError
from ..records import ConfidenceInterval, Metrics, Predictions, Reliability

N_RESAMPLES = 1000
BOOTSTRAP_ELEMENTS = 1 << 24  # resampled values held at once by one bootstrap batch (128 MB of float64)
CONFIDENCE_LEVEL = 0.95
ECE_BINS = 15


def confidence_bins(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Each row's equal-width confidence bin over (0, 1]: bin ``b`` holds (b/n, (b+1)/n], and a confidence of 0 the
    first."""
    return np.clip(np.ceil(np.asarray(confidence) * n_bins).astype(int) - 1, 0, n_bins - 1)


def expected_calibration_error(correct: np.ndarray, confidence: np.ndarray, *, n_bins: int = ECE_BINS,
                               axis: int = -1) -> Any:
    """Top-label ECE (Guo et al. 2017): bin by confidence in equal-width bins over (0, 1],
    and average |accuracy - mean confidence| weighted by the bin's share of the rows, that is
    sum over bins of |sum of (correct - confidence)| / rows. Vectorized along ``axis``, so the
    bootstrap resamples it in batches (scikit-learn has no ECE; torchmetrics' needs tensors)."""
    correct, confidence = np.asarray(correct, dtype=float), np.asarray(confidence, dtype=float)
    bins, gaps = confidence_bins(confidence, n_bins), correct - confidence
    return sum(np.abs(np.sum(gaps * (bins == b), axis=axis)) for b in range(n_bins)) / correct.shape[axis]


def reliability(correct: np.ndarray, confidence: np.ndarray, *, n_bins: int = ECE_BINS, seed: int = 0,
                n_resamples: int = N_RESAMPLES, confidence_level: float = CONFIDENCE_LEVEL) -> Reliability:
    """The reliability diagram of ``confidence`` (one per row, 0-1) against ``correct`` (1 right, 0 wrong): per bin of
    :func:`confidence_bins`, its rows, mean confidence and accuracy, and a percentile bootstrap band of the accuracy
    (rows resampled jointly with ``seed``, a few hundred MB at a time, as :func:`bootstrap_ci` does)."""
    correct, confidence = np.asarray(correct, dtype=float), np.asarray(confidence, dtype=float)
    bins, n = confidence_bins(confidence, n_bins), len(correct)
    counts = np.bincount(bins, minlength=n_bins)
    right = np.bincount(bins, weights=correct, minlength=n_bins)
    sure = np.bincount(bins, weights=confidence, minlength=n_bins)
    rng = np.random.default_rng(seed)
    accuracy = np.full((n_resamples, n_bins), np.nan)
    batch = max(1, BOOTSTRAP_ELEMENTS // max(n, 1))
    for start in range(0, n_resamples if n >= 2 else 0, batch):
        size = min(batch, n_resamples - start)
        rows = rng.integers(0, n, size=(size, n))
        keys = (bins[rows] + n_bins * np.arange(size)[:, None]).ravel()
        drawn = np.bincount(keys, minlength=size * n_bins).reshape(size, n_bins)
        hits = np.bincount(keys, weights=correct[rows].ravel(), minlength=size * n_bins).reshape(size, n_bins)
        accuracy[start:start + size] = np.divide(hits, drawn, out=np.full(drawn.shape, np.nan), where=drawn > 0)
    tail = 100 * (1 - confidence_level) / 2
    banded = counts >= 2
    low, high = np.full(n_bins, np.nan), np.full(n_bins, np.nan)
    if banded.any():
        low[banded], high[banded] = np.nanpercentile(accuracy[:, banded], [tail, 100 - tail], axis=0)

    def values(array: np.ndarray, where: np.ndarray) -> tuple[float | None, ...]:
        return tuple(float(v) if ok else None for v, ok in zip(array, where))

    edges = tuple(float(e) for e in np.linspace(0.0, 1.0, n_bins + 1))
    return Reliability(bins=n_bins, edges=edges, counts=tuple(int(c) for c in counts),
                       confidence=values(np.divide(sure, np.maximum(counts, 1)), counts > 0),
                       accuracy=values(np.divide(right, np.maximum(counts, 1)), counts > 0), low=values(low, banded),
                       high=values(high, banded), level=confidence_level, n_resamples=n_resamples, seed=seed)


def macro_f1_from_codes(y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int], axis: int = -1) -> np.ndarray:
    """Macro F1 of integer-coded labels along ``axis`` (many resamples at once).

    Equals ``sklearn.metrics.f1_score(y_true, y_pred, labels=labels, average="macro",
    zero_division=0)`` for each resample.
    """
    y_true, y_pred = np.moveaxis(y_true, axis, -1), np.moveaxis(y_pred, axis, -1)
    scores = []
    for k in labels:
        is_true, is_pred = y_true == k, y_pred == k
        tp = np.sum(is_true & is_pred, axis=-1)
        denominator = np.sum(is_true, axis=-1) + np.sum(is_pred, axis=-1)
        scores.append(np.divide(2.0 * tp, denominator, out=np.zeros(tp.shape), where=denominator > 0))
    return np.mean(scores, axis=0)


def bootstrap_ci(
    statistic: Callable[..., float],
    data: Sequence[np.ndarray],
    *,
    seed: int,
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
) -> ConfidenceInterval | None:
    """Percentile bootstrap interval of ``statistic`` over rows resampled jointly (paired).

    None for fewer than two rows, where no interval exists.
    """
    from scipy.stats import bootstrap

    if len(data[0]) < 2:
        return None
    n = len(data[0])
    result = bootstrap(
        tuple(data),
        statistic,
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method="percentile",
        rng=np.random.default_rng(seed),
        # millions of rows: resample a few hundred MB at a time, not n_resamples x n at once (small data is one batch, as before)
        batch=None if n * n_resamples <= BOOTSTRAP_ELEMENTS else max(1, BOOTSTRAP_ELEMENTS // n),
    )
    low, high = result.confidence_interval
    return ConfidenceInterval(low=float(low), high=float(high), level=confidence_level, n_resamples=n_resamples, method="percentile")


def proportion_interval(
    successes: int, trials: int, *, confidence_level: float = CONFIDENCE_LEVEL
) -> ConfidenceInterval | None:
    """The Wilson score interval of ``successes`` of ``trials`` (``scipy.stats.binomtest``); None without a trial.

    For a rate near 0 or 1 (how often a model memorizes, or flips under a swap), where a percentile bootstrap of a
    sample with no success is the point [0, 0]; Wilson's interval still says how large a rate the trials rule out.
    """
    from scipy.stats import binomtest

    if trials == 0:
        return None
    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence_level, method="wilson")
    return ConfidenceInterval(low=float(interval.low), high=float(interval.high), level=confidence_level,
                              n_resamples=0, method="wilson")


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def compute_metrics(
    predictions: Predictions,
    *,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    ece_bins: int = ECE_BINS,
) -> Metrics:
    """Every metric of ``workbench evaluate`` for one set of labeled predictions.

    Averaged scores use scikit-learn's defaults (the labels present in the gold labels or the
    predictions); ``per_class`` and the confusion matrix list every label of the model.
    Bootstrap intervals (accuracy, macro F1) resample rows with ``seed``; the same
    predictions and seed give identical numbers.

    Examples
    --------
    >>> metrics = compute_metrics(predictions, seed=0)
    >>> metrics.accuracy, metrics.ci["accuracy"].low
    """
    from sklearn import metrics as sk

    if predictions.labels is None:
        raise DataError(f"{predictions.dataset} has no labels, so it cannot be evaluated; give a dataset with a label column")
    if n_resamples < 100:
        raise ParameterError(f"n_resamples must be at least 100 for a meaningful interval, got {n_resamples}")
    y_true = np.array(predictions.labels, dtype=object)
    y_pred = np.array(predictions.predicted, dtype=object)
    names = list(predictions.label_names)
    proba = predictions.proba
    present = sorted(set(y_true) | set(y_pred), key=names.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-division and single-class warnings: the values say it
        scores = {}
        for average in ("macro", "micro", "weighted"):
            p, r, f, _ = sk.precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
            scores |= {f"precision_{average}": float(p), f"recall_{average}": float(r), f"f1_{average}": float(f)}
        p, r, f, s = sk.precision_recall_fscore_support(y_true, y_pred, labels=names, average=None, zero_division=0)
        per_class = {
            name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, name in enumerate(names)
        }
        balanced = sk.balanced_accuracy_score(y_true, y_pred)
        mcc = sk.matthews_corrcoef(y_true, y_pred)
        kappa = sk.cohen_kappa_score(y_true, y_pred)
    # log_loss and brier_score_loss read y_prob's columns in sorted label order, whatever ``labels`` says
    # (scikit-learn's LabelBinarizer); a model's order (id2label) need not be sorted
    ordered = sorted(names)
    proba_sorted = proba[:, [names.index(name) for name in ordered]]
    codes = {name: i for i, name in enumerate(names)}
    true_codes = np.array([codes[y] for y in y_true])
    pred_codes = proba.argmax(axis=1)
    correct = (true_codes == pred_codes).astype(float)

    def macro_f1(t: np.ndarray, q: np.ndarray, axis: int = -1) -> np.ndarray:
        return macro_f1_from_codes(t, q, [codes[n] for n in present], axis=axis)

    return Metrics(
        model=predictions.model,
        data=predictions.dataset,
        n=len(y_true),
        label_names=tuple(names),
        accuracy=float(sk.accuracy_score(y_true, y_pred)),
        balanced_accuracy=float(balanced),
        **scores,
        matthews_corrcoef=_finite(mcc),
        cohen_kappa=_finite(kappa),
        log_loss=float(sk.log_loss(y_true, proba_sorted, labels=ordered)),
        brier_score=float(sk.brier_score_loss(y_true, proba_sorted, labels=ordered)),
        ece=float(expected_calibration_error(correct, proba.max(axis=1), n_bins=ece_bins)),
        ece_bins=ece_bins,
        reliability=reliability(correct, proba.max(axis=1), n_bins=ece_bins, seed=seed, n_resamples=n_resamples,
                                confidence_level=confidence_level),
        per_class=per_class,
        confusion_matrix={"labels": names, "matrix": sk.confusion_matrix(y_true, y_pred, labels=names).tolist()},
        ci={
            "accuracy": bootstrap_ci(lambda c, axis=-1: np.mean(c, axis=axis), [correct], seed=seed, n_resamples=n_resamples, confidence_level=confidence_level),
            "f1_macro": bootstrap_ci(macro_f1, [true_codes, pred_codes], seed=seed, n_resamples=n_resamples, confidence_level=confidence_level),
            "ece": bootstrap_ci(lambda c, q, axis=-1: expected_calibration_error(c, q, n_bins=ece_bins, axis=axis),
                                [correct, proba.max(axis=1)], seed=seed, n_resamples=n_resamples,
                                confidence_level=confidence_level),
        },
        seed=seed,
        provenance=predictions.provenance,
    )
