"""Duplicates between splits (issue 28's audits): planted copies found and unrelated texts left alone, exact Jaccard
figures, seeded sketches, one-line errors, and the demo data's word-for-word copies between its splits."""

from __future__ import annotations

import pytest

from workbench.errors import DataError, ParameterError
from workbench.statistics.duplicates import jaccard, shingles, split_duplicates

STORY = (
    "The central bank left its main interest rate unchanged on Thursday and said that inflation would stay above "
    "its target for most of next year, as energy prices and wages kept rising faster than the economy could absorb. "
    "Markets had expected the decision, and shares in the largest lenders closed a little higher in late trading."
)
MATCH = (
    "The home side scored twice in the last ten minutes to win the cup final, after a first half in which the "
    "visitors had missed a penalty and hit the post, and their captain said the comeback was the best of his career."
)
LAUNCH = (
    "The company unveiled a cheaper phone with a larger battery and said it would reach shops in March, hoping to win "
    "back buyers who had moved to rivals offering longer warranties and faster chargers at the same price."
)


def test_planted_copies_are_found_and_unrelated_texts_are_not():
    references = [STORY, MATCH, LAUNCH]
    rewrapped = STORY.replace(" and said", "\n and  said")  # the same words, wrapped otherwise
    extended = MATCH + " Fans waited for hours."  # four words more: 4 shingles of 45 new
    half = " ".join(LAUNCH.split()[:17]) + " " + " ".join(MATCH.split()[:17])  # shares only a part of each
    unrelated = "Heavy snow closed the main roads in the north overnight, and schools in three towns stayed shut."
    probes = [unrelated, extended, rewrapped, half]
    found = split_duplicates(["s", "m", "l"], references, ["u", "e", "r", "h"], probes, reference="train", probe="test")
    assert found.exact == (("r", "s"),) and found.exact_rate == 0.25
    expected = jaccard(shingles(extended), shingles(MATCH))
    assert 0.8 <= expected < 1 and found.near == (("e", "m", expected),) and found.near_rate == 0.25
    assert jaccard(shingles(half), shingles(LAUNCH)) < 0.5  # below the threshold: not reported
    assert (found.reference, found.probe, found.references, found.probes) == ("train", "test", 3, 4)
    again = split_duplicates(["s", "m", "l"], references, ["u", "e", "r", "h"], probes, reference="train", probe="test")
    assert again.to_dict() == found.to_dict()  # seeded sketches: the same record


def test_shingles_and_jaccard():
    assert shingles("A b c d e f", 5) == {"a b c d e", "b c d e f"}
    assert shingles("one two", 5) == {"one two"}  # shorter than a shingle: one shingle of its words
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3) and jaccard(set(), set()) == 0.0


def test_bad_settings_and_ragged_splits_are_one_line():
    with pytest.raises(ParameterError, match=r"^threshold 0 is not a Jaccard similarity in \(0, 1\]"):
        split_duplicates(["a"], ["x y"], ["b"], ["x y"], threshold=0)
    with pytest.raises(DataError, match="^test: 1 ids for 2 texts; give one id per text$"):
        split_duplicates(["a"], ["x"], ["b"], ["x", "y"], probe="test")


@pytest.mark.integration
def test_the_headline_demos_test_split_copies_42_training_articles_word_for_word():
    """bbc-headlines:test against its train split: the 42 word-for-word copies the audit issue counted (the BBC
    corpus holds some articles twice, under two ids), and near copies only at or above the threshold."""
    from workbench.datasets import load_dataset

    train, test = load_dataset("bbc-headlines:train"), load_dataset("bbc-headlines:test")
    found = split_duplicates(train.ids, train.texts, test.ids, test.texts, reference="train", probe="test")
    assert len(found.exact) == 42 and found.probes == 445 and found.exact_rate == pytest.approx(42 / 445)
    texts = dict(zip(train.ids, train.texts)) | dict(zip(test.ids, test.texts))
    for probe, reference in found.exact:
        assert " ".join(texts[probe].split()) == " ".join(texts[reference].split()) and probe != reference
    assert all(score >= 0.8 for _, _, score in found.near)
    assert not {p for p, _ in found.exact} & {p for p, _, _ in found.near}
