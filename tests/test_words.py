"""Words and masking: the same split as lime and shap, and shap's masking rule, exactly."""

from __future__ import annotations

import pytest

from workbench.words import WordTokenizer, mask_words, segment_offsets, split_words, whole_text


def test_words_are_lime_features_in_order():
    from lime.lime_text import IndexedString

    text = '"Shares rose," said the bank\'s chief -- 3.5% up!'
    indexed = IndexedString(text, bow=False)
    assert split_words(text) == tuple(indexed.word(i) for i in range(indexed.num_words()))


def test_segments_cover_the_text():
    text = "  (Hello), world...  again! "
    segments = segment_offsets(text)
    assert "".join(text[a:b] for a, b in segments) == text
    assert [text[a:b] for a, b in segments] == ["  (Hello), ", "world...  ", "again! "]
    assert segment_offsets("...") == []


@pytest.mark.parametrize("keep, expected", [
    ((True, True, True), "(Hello), world... again!"),
    ((False, True, True), "world... again!"),
    ((True, False, True), "(Hello), again!"),
    ((False, False, False), ""),
])
def test_mask_words(keep, expected):
    assert mask_words("  (Hello), world...  again! ", keep) == expected


def test_mask_words_needs_one_flag_per_word():
    with pytest.raises(ValueError, match="2 keep flags for 3 words"):
        mask_words("a b c", [True, True])


def test_whole_text_is_the_unmasked_text():
    text = "a\n\nb  c"
    assert whole_text(text) == mask_words(text, [True] * 3) == "a b c"


def test_shap_text_masker_builds_the_same_strings():
    import numpy as np
    import shap

    text = "  (Hello), world...  again! "
    masker = shap.maskers.Text(WordTokenizer(), mask_token=" ", collapse_mask_token=True)
    for keep in ([True, True, True], [False, True, False], [True, False, True], [False, False, False]):
        assert masker(np.array(keep), text)[0][0] == mask_words(text, keep)
