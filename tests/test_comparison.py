"""Paired comparison statistics against statsmodels and scikit-learn, slices, and probes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar

from workbench.statistics.paired import length_bucket, pairwise, slices
from workbench.errors import DataError
from workbench.statistics.perturbations import add_typos, flip_rates, swap_gender
from workbench.records import Predictions

LABELS = ("a", "b", "c")


def predictions(model: str, gold: list[str], predicted: list[str], ids=None) -> Predictions:
    proba = np.full((len(gold), 3), 0.1)
    for i, p in enumerate(predicted):
        proba[i, LABELS.index(p)] = 0.8
    return Predictions(model, "d", tuple(ids or map(str, range(len(gold)))), tuple(gold), LABELS, proba)


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    gold = list(rng.choice(LABELS, 200))
    a = [g if rng.random() < 0.9 else rng.choice(LABELS) for g in gold]
    b = [g if rng.random() < 0.6 else rng.choice(LABELS) for g in gold]
    return predictions("A", gold, a), predictions("B", gold, b), gold, a, b


def test_pairwise_equals_statsmodels_and_sklearn(pair):
    pa, pb, gold, a, b = pair
    result = pairwise(pa, pb, seed=0)
    ca, cb = np.array(a) == np.array(gold), np.array(b) == np.array(gold)
    table = [[np.sum(ca & cb), np.sum(ca & ~cb)], [np.sum(~ca & cb), np.sum(~ca & ~cb)]]
    assert result.mcnemar_p == mcnemar(table, exact=True).pvalue
    assert result.accuracy_diff == pytest.approx(accuracy_score(gold, a) - accuracy_score(gold, b))
    assert result.f1_macro_diff == pytest.approx(f1_score(gold, a, average="macro") - f1_score(gold, b, average="macro"))
    low, high = result.accuracy_diff_ci
    assert low < result.accuracy_diff < high and low > 0  # A is clearly better here
    assert result.significant and result.mcnemar_p < 0.05
    assert result.agreement == np.mean(np.array(a) == np.array(b))
    assert len(result.disagreements) == int(np.sum(np.array(a) != np.array(b)))
    per_class = f1_score(gold, a, labels=list(LABELS), average=None) - f1_score(gold, b, labels=list(LABELS), average=None)
    assert list(result.per_class_f1_diff.values()) == pytest.approx(per_class.tolist())
    assert pairwise(pa, pb, seed=0) == result  # seeded intervals


def test_identical_models_do_not_differ(pair):
    pa, _, gold, a, _ = pair
    result = pairwise(pa, predictions("A2", gold, a), seed=0)
    assert result.mcnemar_p == 1.0 and not result.significant and result.disagreements == ()
    assert result.accuracy_diff_ci == (0.0, 0.0)


def test_pairs_need_the_same_rows():
    a = predictions("A", ["a", "b"], ["a", "b"])
    with pytest.raises(DataError, match="different rows"):
        pairwise(a, predictions("B", ["a", "b"], ["a", "a"], ids=["x", "y"]))


def test_slices_by_class_length_and_column():
    gold, predicted = ["a", "a", "b", "c"], ["a", "b", "b", "c"]
    rows = slices(predictions("A", gold, predicted), ["w " * 5, "w " * 150, "w", "w " * 900], {"source": ["x", "x", "y", "y"]})
    by = {(r.by, r.slice): r.to_dict() for r in rows}
    assert by[("class", "a")]["accuracy"] == 0.5 and by[("class", "a")]["n"] == 2 and by[("class", "a")]["small"]
    assert by[("length", "0-99 words")]["n"] == 2 and by[("length", "100-199 words")]["n"] == 1 and by[("length", "800+ words")]["n"] == 1
    assert by[("source", "y")]["accuracy"] == 1.0
    assert [length_bucket(n) for n in (0, 99, 100, 400, 10_000)] == ["0-99 words", "0-99 words", "100-199 words", "400-799 words", "800+ words"]


def test_gender_swap_and_typos():
    assert swap_gender("He met John; his wife, Mary, thanked him. HE left.") == "She met Mary; her husband, John, thanked her. SHE left."
    text = "The government announced another economic package yesterday morning in parliament today"
    assert add_typos(text, seed=1) == add_typos(text, seed=1)
    assert sorted(add_typos(text, seed=1, rate=1.0)) == sorted(text) and add_typos(text, seed=1, rate=1.0) != text


class KeywordModel:
    """Predicts 'b' when the word 'she' appears, else 'a': a model with a known gender bias."""

    ref, label_names, fingerprint = "keyword", LABELS, "keyword"

    def predict_proba(self, texts, *, progress=None):
        return np.array([[0.1, 0.8, 0.1] if "she" in t.lower().split() else [0.8, 0.1, 0.1] for t in texts])


def test_flip_rates_find_a_biased_model():
    texts = ["he said so", "she said so", "no pronoun here"]
    rates = flip_rates(KeywordModel(), ["0", "1", "2"], texts, ["a", "b", "a"])
    assert rates["gender_swap"].to_dict() == {"edited": 2, "flipped": 2, "flip_rate": 1.0, "flipped_ids": ["0", "1"]}
    assert rates["lowercase"].edited == 0 and rates["lowercase"].flip_rate is None
    assert rates["uppercase"].flip_rate == 0.0
