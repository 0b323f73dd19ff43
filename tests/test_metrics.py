"""Metrics equal scikit-learn's, intervals are seeded and sensible, ECE has known answers."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from sklearn import metrics as sk

from workbench.errors import DataError, ParameterError
from workbench.statistics.metrics import compute_metrics, expected_calibration_error
from workbench.records import Predictions

NAMES = ("a", "b", "c")


def random_predictions(n: int = 200, seed: int = 1, labels: bool = True) -> Predictions:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 2.0 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return Predictions(
        model="m", dataset="d", ids=tuple(map(str, range(n))), labels=tuple(NAMES[i] for i in y) if labels else None,
        label_names=NAMES, proba=proba,
    )


LABEL_METRICS = {
    "accuracy": sk.accuracy_score,
    "balanced_accuracy": sk.balanced_accuracy_score,
    "matthews_corrcoef": sk.matthews_corrcoef,
    "cohen_kappa": sk.cohen_kappa_score,
    **{f"{kind}_{avg}": partial(fn, average=avg) for avg in ("macro", "micro", "weighted")
       for kind, fn in (("precision", sk.precision_score), ("recall", sk.recall_score), ("f1", sk.f1_score))},
}


@pytest.mark.parametrize("name", sorted(LABEL_METRICS))
def test_label_metrics_equal_sklearn(name):
    p = random_predictions()
    assert getattr(compute_metrics(p), name) == pytest.approx(LABEL_METRICS[name](p.labels, p.predicted), abs=1e-12)


def test_probability_metrics_per_class_and_confusion_equal_sklearn():
    p = random_predictions()
    m = compute_metrics(p)
    assert m.log_loss == pytest.approx(sk.log_loss(p.labels, p.proba, labels=list(NAMES)), abs=1e-12)
    assert m.brier_score == pytest.approx(sk.brier_score_loss(p.labels, p.proba, labels=list(NAMES)), abs=1e-12)
    f1 = sk.f1_score(p.labels, p.predicted, labels=list(NAMES), average=None)
    assert [m.per_class[n]["f1"] for n in NAMES] == pytest.approx(list(f1))
    assert [m.per_class[n]["support"] for n in NAMES] == [p.labels.count(n) for n in NAMES]
    assert m.confusion_matrix == {"labels": list(NAMES), "matrix": sk.confusion_matrix(p.labels, p.predicted, labels=list(NAMES)).tolist()}
    assert m.n == 200


def test_probability_metrics_do_not_depend_on_the_model_label_order():
    p = random_predictions()
    order = [2, 0, 1]  # a model whose id2label is not alphabetical: c, a, b
    shuffled = Predictions(p.model, p.dataset, p.ids, p.labels, tuple(NAMES[i] for i in order), p.proba[:, order])
    m, s = compute_metrics(p), compute_metrics(shuffled)
    assert s.log_loss == pytest.approx(m.log_loss, abs=1e-12) and s.brier_score == pytest.approx(m.brier_score, abs=1e-12)
    y = np.array([NAMES.index(label) for label in p.labels])
    assert m.log_loss == pytest.approx(-np.mean(np.log(p.proba[np.arange(len(y)), y])), abs=1e-12)


@pytest.mark.parametrize("n", [50, 200])
def test_intervals_are_seeded_and_contain_the_estimate(n):
    p = random_predictions(n)
    a, b, c = compute_metrics(p, seed=0), compute_metrics(p, seed=0), compute_metrics(p, seed=1)
    assert a.to_dict() == b.to_dict()
    assert a.ci != c.ci
    for key, value in (("accuracy", a.accuracy), ("f1_macro", a.f1_macro)):
        ci = a.ci[key]
        assert ci.low <= value <= ci.high and ci.high - ci.low > 0
        assert ci.n_resamples == 1000 and ci.level == 0.95


def test_interval_narrows_with_more_data():
    small, large = compute_metrics(random_predictions(50)), compute_metrics(random_predictions(2000))
    width = lambda m: m.ci["accuracy"].high - m.ci["accuracy"].low  # noqa: E731
    assert width(large) < width(small)


def test_accuracy_interval_matches_scipy_percentile_bootstrap():
    from scipy.stats import bootstrap

    p = random_predictions()
    correct = (np.array(p.labels) == np.array(p.predicted)).astype(float)
    ref = bootstrap((correct,), np.mean, n_resamples=1000, method="percentile", rng=np.random.default_rng(0), paired=True)
    ci = compute_metrics(p, seed=0).ci["accuracy"]
    assert (ci.low, ci.high) == pytest.approx(tuple(ref.confidence_interval))


def test_vectorized_macro_f1_equals_sklearn_per_resample():
    from workbench.statistics.metrics import macro_f1_from_codes

    rng = np.random.default_rng(0)
    t, q = rng.integers(0, 4, size=(20, 30)), rng.integers(0, 4, size=(20, 30))
    q[0] = 3  # a resample that never predicts classes 0-2 (zero division)
    got = macro_f1_from_codes(t, q, [0, 1, 2, 3])
    expected = [sk.f1_score(t[i], q[i], labels=[0, 1, 2, 3], average="macro", zero_division=0) for i in range(20)]
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_a_single_row_has_no_interval_and_no_nan():
    p = random_predictions(1)
    m = compute_metrics(p)
    assert m.ci == {"accuracy": None, "f1_macro": None, "ece": None}
    assert m.n == 1
    import json

    json.dumps(m.to_dict(), allow_nan=False)


def test_ece_known_answers():
    # perfectly calibrated bins give 0; an over-confident model gives |acc - conf|
    assert expected_calibration_error(np.array([1.0, 0.0]), np.array([0.5, 0.5]), n_bins=10) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9] * 4), n_bins=10) == pytest.approx(0.4)
    # two bins: 0.95 conf/100% correct (gap .05) and 0.55 conf/0% correct (gap .55), equal weight
    assert expected_calibration_error(np.array([1.0, 0.0]), np.array([0.95, 0.55]), n_bins=10) == pytest.approx(0.3)
    rows = np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 0.0]])  # vectorized over resamples, as the bootstrap runs
    assert expected_calibration_error(rows, np.array([[0.9] * 4] * 2), n_bins=10) == pytest.approx([0.4, 0.15])


def test_the_reliability_diagram_counts_each_bin_and_bands_its_accuracy():
    """Bins, accuracies and confidences recomputed by hand; the band is seeded, holds the bin's accuracy, and is
    absent where a bin has under two rows; the count-weighted gap is the ECE."""
    p = random_predictions(400)
    m = compute_metrics(p, seed=5)
    r = m.reliability
    confidence = p.proba.max(axis=1)
    correct = np.array([gold == guess for gold, guess in zip(p.labels, p.predicted)], dtype=float)
    assert r.bins == m.ece_bins == 15 and sum(r.counts) == 400 and r.edges[0] == 0.0 and r.edges[-1] == 1.0
    for b in range(r.bins):
        inside = (confidence > r.edges[b]) & (confidence <= r.edges[b + 1])
        assert r.counts[b] == inside.sum()
        if inside.any():
            assert r.accuracy[b] == pytest.approx(correct[inside].mean())
            assert r.confidence[b] == pytest.approx(confidence[inside].mean())
        if inside.sum() >= 2:
            assert r.low[b] <= r.accuracy[b] <= r.high[b]  # a bin all right (or all wrong) has a band of width 0
        else:
            assert r.low[b] is None and r.high[b] is None
    assert any(high - low > 0.1 for low, high in zip(r.low, r.high) if low is not None)
    assert r.ece == pytest.approx(m.ece) and r.seed == 5 and r.level == 0.95
    assert m.ci["ece"].low < m.ece < m.ci["ece"].high and m.ci["ece"].n_resamples == 1000  # ECE's bootstrap interval
    assert compute_metrics(p, seed=5).reliability == r and compute_metrics(p, seed=6).reliability.low != r.low
    one = compute_metrics(random_predictions(1)).reliability
    assert sum(one.counts) == 1 and all(v is None for v in one.low)


def test_unlabeled_predictions_cannot_be_scored():
    with pytest.raises(DataError, match="has no labels"):
        compute_metrics(random_predictions(labels=False))


def test_too_few_resamples_is_refused():
    with pytest.raises(ParameterError, match="at least 100"):
        compute_metrics(random_predictions(), n_resamples=10)


def test_metrics_are_invariant_to_row_order():
    p = random_predictions()
    order = np.random.default_rng(3).permutation(len(p.ids))
    q = Predictions(model="m", dataset="d", ids=tuple(p.ids[i] for i in order), labels=tuple(p.labels[i] for i in order), label_names=NAMES, proba=p.proba[order])
    a, b = compute_metrics(p), compute_metrics(q)
    for name in ("accuracy", "f1_macro", "f1_weighted", "log_loss", "brier_score", "ece"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), abs=1e-12)


def test_many_rows_bootstrap_in_batches_with_the_same_seeded_interval(monkeypatch):
    """Past BOOTSTRAP_ELEMENTS resampled values the bootstrap runs in batches (bounded memory): still seeded, still around the estimate."""
    import workbench.statistics.metrics as metrics

    p = random_predictions(2000)
    whole = compute_metrics(p, seed=0)
    monkeypatch.setattr(metrics, "BOOTSTRAP_ELEMENTS", 2000 * 7)  # 7 resamples a batch
    batched, again = compute_metrics(p, seed=0), compute_metrics(p, seed=0)
    assert batched.to_dict() == again.to_dict()
    for key in ("accuracy", "f1_macro"):
        assert batched.ci[key].low == pytest.approx(whole.ci[key].low, abs=0.01) and batched.ci[key].high == pytest.approx(whole.ci[key].high, abs=0.01)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predictions_read_back_from_a_file_give_the_same_metrics(tmp_path, suffix):
    """The bootstrap and every other metric from predictions read back from a written file equal those from memory (floats round-trip)."""
    from workbench.studies.prediction import read_predictions

    p = random_predictions(300)
    path = tmp_path / f"p{suffix}"
    frame = p.to_frame()
    frame.to_csv(path, index=False, lineterminator="\n") if suffix == ".csv" else frame.to_parquet(path)
    back = read_predictions(path, model="m", dataset="d")
    assert back.ids == p.ids and back.labels == p.labels and back.label_names == p.label_names
    np.testing.assert_array_equal(back.proba, p.proba)
    assert compute_metrics(back, seed=4).to_dict() == compute_metrics(p, seed=4).to_dict()
    (tmp_path / "bad.csv").write_text("id,text\n1,a\n")
    with pytest.raises(DataError, match="lacks the predictions columns"):
        read_predictions(tmp_path / "bad.csv")
