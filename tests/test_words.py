"""Words and masking: symbols are words of their own, and lime, shap and occlusion mask alike, exactly."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from workbench.words import WordTokenizer, mask_words, segment_offsets, split_words, whole_text

TEXT = '"Shares rose," said the bank\'s chief -- 3.5% up!'


def test_words_are_word_runs_and_single_symbols():
    assert split_words(TEXT) == ('"', "Shares", "rose", ",", '"', "said", "the", "bank", "'", "s", "chief", "-", "-", "3", ".", "5", "%", "up", "!")
    assert split_words("demand for $280bn") == ("demand", "for", "$", "280bn")


def test_a_masked_word_leaves_the_symbols_next_to_it():
    text = "demand for $280bn."
    assert mask_words(text, [True, False, True, True, True]) == "demand $280bn."
    assert mask_words(text, [True, True, False, True, True]) == "demand for 280bn."
    assert mask_words("U.S. banks", [True, False, True, True, True]) == "U S. banks"  # never glues two words into a new one


def test_segments_cover_the_text():
    text = "  (Hello), world...  again! "
    segments = segment_offsets(text)
    assert "".join(text[a:b] for a, b in segments) == text
    assert [text[a:b] for a, b in segments] == ["  (", "Hello", ")", ", ", "world", ".", ".", ".  ", "again", "! "]
    assert segment_offsets("   ") == []


@pytest.mark.parametrize("keep, expected", [
    ((True,) * 10, "(Hello), world... again!"),
    ((False, False, False, True, True, True, True, True, True, True), ", world... again!"),
    ((True, True, True, True, False, True, True, True, True, True), "(Hello), ... again!"),
    ((False,) * 10, ""),
])
def test_mask_words(keep, expected):
    assert mask_words("  (Hello), world...  again! ", keep) == expected


def test_mask_words_needs_one_flag_per_word():
    with pytest.raises(ValueError, match="2 keep flags for 3 words"):
        mask_words("a b c", [True, True])


def test_whole_text_is_the_unmasked_text():
    text = "a\n\nb  c."
    assert whole_text(text) == mask_words(text, [True] * 4) == "a b c."


def every_keep(n: int):
    return [list(keep) for keep in itertools.product([True, False], repeat=n)]


def test_shap_text_masker_builds_the_same_strings():
    import shap

    text = "  (Hello), world!  "
    masker = shap.maskers.Text(WordTokenizer(), mask_token=" ", collapse_mask_token=True)
    for keep in every_keep(len(split_words(text))):
        assert masker(np.array(keep), text)[0][0] == mask_words(text, keep)


def test_lime_as_the_workbench_configures_it_builds_the_same_strings():
    """lime's IndexedString with our splitter, bow=False and a blank mask, collapsed: mask_words' strings."""
    from lime.lime_text import IndexedString

    text = "demand for $280bn, (U.S.) up"
    indexed = IndexedString(text, split_expression=split_words, bow=False, mask_string=" ")
    n = indexed.num_words()
    assert tuple(indexed.word(i) for i in range(n)) == split_words(text)
    for keep in every_keep(n)[::7]:
        removed = [i for i, kept in enumerate(keep) if not kept]
        assert whole_text(indexed.inverse_removing(removed)) == mask_words(text, keep)
