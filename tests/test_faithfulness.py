"""Faithfulness and agreement, with known answers on a linear bag-of-words classifier (and one that reads only its first words)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from workbench.errors import ParameterError
from workbench.statistics.faithfulness import FRACTIONS, agreement, rationale_size, score_faithfulness, top_words, unstable
from workbench.reading import Reading
from workbench.records import Attribution
from workbench.words import split_words, whole_text, word_spans

WEIGHTS = {"great": 3.0, "fine": 1.0, "awful": -2.0}


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


class BagOfWords:
    """p(pos) = sigmoid(sum of the weights of the words present): its exact attributions are known."""

    ref, label_names, fingerprint = "bag-of-words", ("neg", "pos"), "bag-of-words"
    limit = None

    def __init__(self):
        self.seen: list[str] = []

    def predict_proba(self, texts, *, progress=None):
        self.seen += texts
        pos = np.array([sigmoid(sum(WEIGHTS.get(w, 0.0) for w in split_words(t)[: self.limit])) for t in texts])
        return np.stack([1 - pos, pos], axis=1)

    def reading(self, text):
        return Reading.whole(text)


class FirstWords(BagOfWords):
    """The bag of words of the first ``limit`` words only, as a truncating transformer reads."""

    limit = 4

    def reading(self, text):
        text = whole_text(text)
        spans = word_spans(text)
        return Reading(text, "truncate", ((0, spans[min(self.limit, len(spans)) - 1][1]),) if spans else (), max_tokens=self.limit)


def record(text: str, scores, id_: str = "0") -> Attribution:
    model = BagOfWords()
    words = split_words(text)
    output = float(model.predict_proba([text])[0, 1])
    return Attribution(id_, model.ref, "known", "pos", text, words, tuple(scores), output, 0.5, {})


def test_top_words_and_rationale_size():
    assert top_words([0.1, 0.5, 0.5, -1], 2).tolist() == [1, 2]
    assert [rationale_size(5, f) for f in FRACTIONS] == [1, 1, 1, 1, 3]
    assert rationale_size(0, 0.2) == 0


def test_scores_equal_but_for_float_rounding_tie_and_the_earlier_word_wins():
    """Owen values of words shap never splits are equal sums added in other orders: rounding must not rank them."""
    summed = 0.1 + 0.2  # 0.30000000000000004: 0.3 but for rounding
    assert summed > 0.3 and top_words([0.3, summed, 0.1], 1).tolist() == [0]
    assert top_words([summed, 0.3, 0.1], 1).tolist() == [0]
    assert top_words([0.3, 0.3 + 1e-9, 0.1], 1).tolist() == [1]  # a real difference still ranks
    ours = record("a great movie with a plot", [0.3, summed, 0.1, 0.0, -0.1, 0.2])
    theirs = record("a great movie with a plot", [summed, 0.3, 0.1, 0.0, -0.1, 0.2])
    same = {"n": 1, "k": 5, "spearman": 1.0, "kendall": 1.0, "top_k_overlap": 1.0}
    assert agreement([ours], [theirs]).to_dict() == same


def test_known_comprehensiveness_and_sufficiency():
    text = "a great movie with a plot"
    exact = [WEIGHTS.get(w, 0.0) for w in split_words(text)]
    result = score_faithfulness(BagOfWords(), [record(text, exact)], [text], seed=0)
    output = sigmoid(3.0)
    # every fraction up to 20 % deletes "great" alone (1 of 6 words); 50 % deletes 3 words incl. "great"
    assert result.method.comprehensiveness == pytest.approx(output - 0.5)
    assert result.method.sufficiency == pytest.approx(0.0)
    assert result.method.aopc_comprehensiveness == pytest.approx(output - 0.5)
    assert result.method.curves["comprehensiveness"] == pytest.approx([output - 0.5] * 5)
    assert result.random.comprehensiveness < result.method.comprehensiveness
    assert result.n == 1 and result.documents[0]["id"] == "0"


def test_random_baseline_is_seeded():
    text = "great fine awful and more words here"
    attributions, texts = [record(text, [0.0] * 7)], [text]
    a = score_faithfulness(BagOfWords(), attributions, texts, seed=1)
    assert a == score_faithfulness(BagOfWords(), attributions, texts, seed=1)
    assert a.random != score_faithfulness(BagOfWords(), attributions, texts, seed=2).random


def test_faithfulness_needs_the_texts_that_were_explained():
    with pytest.raises(ParameterError, match="does not explain the text given for it"):
        score_faithfulness(BagOfWords(), [record("great film", [1, 0])], ["awful film"])
    with pytest.raises(ParameterError, match="1 attributions for 2 texts"):
        score_faithfulness(BagOfWords(), [record("great film", [1, 0])], ["great film", "x"])


def test_agreement_of_identical_reversed_and_constant_scores():
    text = "one two three four five six"
    base = record(text, [6, 5, 4, 3, 2, 1])
    same = agreement([base], [record(text, [6, 5, 4, 3, 2, 1])], k=2)
    assert (same.spearman, same.kendall, same.top_k_overlap, same.n) == pytest.approx((1.0, 1.0, 1.0, 1))
    reversed_ = agreement([base], [record(text, [1, 2, 3, 4, 5, 6])], k=2)
    assert reversed_.spearman == pytest.approx(-1.0) and reversed_.top_k_overlap == 0.0
    constant = agreement([base], [record(text, [0] * 6)], k=2)
    assert constant.spearman is None and constant.n == 1
    with pytest.raises(ParameterError, match="different words"):
        agreement([base], [record("one two", [1, 2])])


def test_faithfulness_perturbs_only_what_the_model_read():
    """Deleting a read word must not pull an unread one into view: 'great' is beyond the limit of 4."""
    model = FirstWords()
    text = "awful plot and acting but great music"
    read = split_words(text)[: model.limit]
    exact = [WEIGHTS.get(w, 0.0) for w in read]
    attribution = Attribution("0", model.ref, "known", "pos", text, split_words(text), tuple(exact), 0.0, 0.5, {})
    result = score_faithfulness(model, [attribution], [text], seed=0)
    assert model.seen and all("great" not in t and "music" not in t for t in model.seen)
    assert result.documents[0]["words"] == 4
    # the top 20 % of 4 words is "plot" (the highest, 0.0, first of the ties): deleting it changes nothing
    assert result.method.curves["comprehensiveness"][0] == pytest.approx(0.0)
    with pytest.raises(ParameterError, match="scores 7 words but bag-of-words reads 4; score it with the model that made it"):
        score_faithfulness(model, [record(text, [0.0] * 7)], [text])


def test_a_method_no_better_than_random_is_flagged():
    texts = ["great fine awful and more words here now", "fine great and awful plot words here too", "awful great fine film and words here again"]
    exact = [record(t, [WEIGHTS.get(w, 0.0) for w in split_words(t)], str(i)) for i, t in enumerate(texts)]
    inverted = [record(t, [-WEIGHTS.get(w, 0.0) for w in split_words(t)], str(i)) for i, t in enumerate(texts)]
    good = score_faithfulness(BagOfWords(), exact, texts, seed=0)
    bad = score_faithfulness(BagOfWords(), inverted, texts, seed=0)
    assert good.no_better_than_random is False and good.against_random["comprehensiveness"].ci["low"] > 0
    assert bad.no_better_than_random is True and bad.against_random["comprehensiveness"].advantage < 0
    one = score_faithfulness(BagOfWords(), exact[:1], texts[:1], seed=0)
    assert one.random_repeats == 19 and one.against_random["comprehensiveness"].beats == 19
    assert one.against_random["comprehensiveness"].p == pytest.approx(0.05) and one.no_better_than_random is False
    assert score_faithfulness(BagOfWords(), inverted[:1], texts[:1], seed=0).no_better_than_random is True


def test_agreement_compares_the_words_both_models_read():
    text = "one two three four five six"
    whole = record(text, [6, 5, 4, 3, 2, 1])
    prefix = Attribution("0", "first-words", "known", "pos", text, split_words(text), (6.0, 5.0, 4.0), 0.5, 0.5, {})
    assert agreement([whole], [prefix], k=2).to_dict() == {"n": 1, "k": 2, "spearman": pytest.approx(1.0), "kendall": pytest.approx(1.0), "top_k_overlap": 1.0}


def test_unstable_when_fewer_than_three_of_the_top_five_survive():
    assert unstable(0.8) is False
    assert unstable(0.6) is False
    assert unstable(0.4) is True
    assert unstable(None) is None


def test_one_document_s_test_against_random_words_is_plain_json():
    """`workbench explain --n 1` writes this record: numpy numbers in it made the JSON writer fail."""
    from workbench.io import dumps_json

    text = "great fine awful and more words here now"
    exact = record(text, [WEIGHTS.get(w, 0.0) for w in split_words(text)])
    one = score_faithfulness(BagOfWords(), [exact], [text], seed=0)
    test = one.against_random["comprehensiveness"]
    assert (type(test.beats), type(test.orders), type(test.p), type(test.clears)) == (int, int, float, bool)
    assert json.loads(dumps_json(one.to_dict()))["against_random"]["comprehensiveness"]["beats"] == 19
