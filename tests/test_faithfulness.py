"""Faithfulness and agreement, with known answers on a linear bag-of-words classifier."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.errors import ParameterError
from workbench.faithfulness import FRACTIONS, agreement, rationale_size, score_faithfulness, top_words
from workbench.records import Attribution
from workbench.words import split_words

WEIGHTS = {"great": 3.0, "fine": 1.0, "awful": -2.0}


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


class BagOfWords:
    """p(pos) = sigmoid(sum of the weights of the words present): its exact attributions are known."""

    ref, label_names, fingerprint = "bag-of-words", ("neg", "pos"), "bag-of-words"

    def predict_proba(self, texts, *, progress=None):
        pos = np.array([sigmoid(sum(WEIGHTS.get(w, 0.0) for w in split_words(t))) for t in texts])
        return np.stack([1 - pos, pos], axis=1)


def record(text: str, scores, id_: str = "0") -> Attribution:
    model = BagOfWords()
    words = split_words(text)
    return Attribution(id_, model.ref, "known", "pos", words, tuple(scores), float(model.predict_proba([text])[0, 1]), 0.5, {})


def test_top_words_and_rationale_size():
    assert top_words([0.1, 0.5, 0.5, -1], 2).tolist() == [1, 2]
    assert [rationale_size(5, f) for f in FRACTIONS] == [1, 1, 1, 1, 3]
    assert rationale_size(0, 0.2) == 0


def test_known_comprehensiveness_and_sufficiency():
    text = "a great movie with a plot"
    exact = [WEIGHTS.get(w, 0.0) for w in split_words(text)]
    result = score_faithfulness(BagOfWords(), [record(text, exact)], [text], seed=0)
    output = sigmoid(3.0)
    # every fraction up to 20 % deletes "great" alone (1 of 6 words); 50 % deletes 3 words incl. "great"
    assert result["method"]["comprehensiveness"] == pytest.approx(output - 0.5)
    assert result["method"]["sufficiency"] == pytest.approx(0.0)
    assert result["method"]["aopc_comprehensiveness"] == pytest.approx(output - 0.5)
    assert result["method"]["curves"]["comprehensiveness"] == pytest.approx([output - 0.5] * 5)
    assert result["random"]["comprehensiveness"] < result["method"]["comprehensiveness"]
    assert result["n"] == 1 and result["documents"][0]["id"] == "0"


def test_random_baseline_is_seeded():
    text = "great fine awful and more words here"
    attributions, texts = [record(text, [0.0] * 7)], [text]
    a = score_faithfulness(BagOfWords(), attributions, texts, seed=1)
    assert a == score_faithfulness(BagOfWords(), attributions, texts, seed=1)
    assert a["random"] != score_faithfulness(BagOfWords(), attributions, texts, seed=2)["random"]


def test_faithfulness_needs_the_texts_that_were_explained():
    with pytest.raises(ParameterError, match="does not explain the text given for it"):
        score_faithfulness(BagOfWords(), [record("great film", [1, 0])], ["awful film"])
    with pytest.raises(ParameterError, match="1 attributions for 2 texts"):
        score_faithfulness(BagOfWords(), [record("great film", [1, 0])], ["great film", "x"])


def test_agreement_of_identical_reversed_and_constant_scores():
    text = "one two three four five six"
    base = record(text, [6, 5, 4, 3, 2, 1])
    same = agreement([base], [record(text, [6, 5, 4, 3, 2, 1])], k=2)
    assert (same["spearman"], same["kendall"], same["top_k_overlap"], same["n"]) == pytest.approx((1.0, 1.0, 1.0, 1))
    reversed_ = agreement([base], [record(text, [1, 2, 3, 4, 5, 6])], k=2)
    assert reversed_["spearman"] == pytest.approx(-1.0) and reversed_["top_k_overlap"] == 0.0
    constant = agreement([base], [record(text, [0] * 6)], k=2)
    assert constant["spearman"] is None and constant["n"] == 1
    with pytest.raises(ParameterError, match="different words"):
        agreement([base], [record("one two", [1, 2])])
