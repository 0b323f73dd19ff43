"""Words of a text and the text with some words masked: the unit every explanation scores.

A *word* is a maximal run of word characters (``\\w+``) or a single symbol (``[^\\w\\s]``:
punctuation, ``$``, ``£``, ``%``). Symbols are words of their own because BERT's basic
tokenizer splits every punctuation character into a token of its own, and because a symbol
glued to the word before it would lend that word its importance: in "demand for $280bn" the
``$`` is evidence of its own, and it is not "for"'s. A *segment* is a word with the
whitespace after it (the first also takes any text before it), so the segments of a text
concatenate back to the text.

Masking follows shap's ``Text`` masker exactly (checked in shap 0.51 ``maskers/_text.py``): a
masked segment becomes a space, then runs of whitespace collapse to one and the ends are
stripped. Every method masks this way: occlusion, the faithfulness scores and every record's
``base`` call :func:`mask_words`; SHAP is given :class:`WordTokenizer` with the mask token
``" "``; LIME is given :func:`split_words` as its splitter with ``bow=False`` and the mask
string ``" "``, and its strings are collapsed with :func:`whole_text` (lime 0.2.0.1
``IndexedString.inverse_removing``), so all of them evaluate the very strings this module
builds, and a masked word never takes its neighbours' symbols with it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

WORD = re.compile(r"\w+|[^\w\s]")
SPACES = re.compile(r"\s+")


def text_seed(text: str) -> int:
    """A 64-bit integer from the text's SHA-256: seeds per-text randomness, independent of order."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the words of ``text``, in order."""
    return [m.span() for m in WORD.finditer(text)]


def occurrences(context: str, text: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` in ``context``, ignoring case: where an extractive answer stands (a
    question-answering model's ``span_positions`` keeps those at its tokenizer's word boundaries)."""
    return [m.span() for m in re.finditer(re.escape(text), context, re.IGNORECASE)] if text else []


def split_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` in order (repeated words repeat)."""
    return tuple(WORD.findall(text))


def segment_offsets(text: str) -> list[tuple[int, int]]:
    """Spans of the segments: word ``i`` up to word ``i + 1``; the first from 0, the last to the end."""
    starts = [start for start, _ in word_spans(text)]
    if not starts:
        return []
    bounds = [0, *starts[1:], len(text)]
    return list(zip(bounds[:-1], bounds[1:]))


def mask_words(text: str, keep: Sequence[bool]) -> str:
    """``text`` with the words whose ``keep`` is False masked (shap's Text-masker rule)."""
    segments = segment_offsets(text)
    if len(keep) != len(segments):
        raise ValueError(f"{len(keep)} keep flags for {len(segments)} words")
    parts = [text[a:b] if kept else " " for (a, b), kept in zip(segments, keep)] if segments else [text]
    return SPACES.sub(" ", "".join(parts)).strip()


def whole_text(text: str) -> str:
    """``text`` as every method evaluates it unmasked (whitespace collapsed, ends stripped)."""
    return SPACES.sub(" ", text).strip()


class WordTokenizer:
    """The minimal tokenizer shap's ``Text`` masker accepts, returning segments as tokens.

    Checked: shap's own ``SimpleTokenizer`` splits on ``\\W+`` only, drops the separators
    after the last word and yields an empty first token for text that starts with one, so its
    unmasked string is not the text; this one's segments cover the whole text.
    """

    def __call__(self, text: str, return_offsets_mapping: bool = True) -> dict[str, Any]:
        offsets = segment_offsets(text) or ([(0, len(text))] if text else [])
        out: dict[str, Any] = {"input_ids": [text[a:b] for a, b in offsets]}
        if return_offsets_mapping:
            out["offset_mapping"] = offsets
        return out
