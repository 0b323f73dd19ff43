"""What a model reads of a text: the unit every explanation explains and every faithfulness score perturbs.

A transformer reads at most ``max_length`` tokens. Under ``long_text="truncate"`` it reads a
prefix of a long document and never the rest; under ``long_text="window"`` it reads the whole
document in overlapping windows and averages their probabilities. An explanation has to
explain that reading, not the text: deleting a word of a truncated document pulls later,
unread words into view, so a perturbation method that masks the whole document credits words
the model never read when it made the prediction being explained.

A :class:`Reading` holds the character spans of the *units* the model reads: one span
(the whole text, or the prefix whose tokens fit) or one per window. A unit starts at a word
(a window that opens inside a word starts at the next word; the overlap gave that word to
the window before) and ends where the model's last token ends, so a word cut by the limit is
read as the part of it the model saw. Words that start at or after the end of the last unit
are not read: explanations give them no score and show them greyed. Checked: the
transformers tokenizers' ``return_overflowing_tokens`` with ``stride`` gives the windows
(the inference engine's), and ``return_offsets_mapping`` their characters; no explanation
library (lime, shap, captum, ferret) restricts perturbations to what the model read.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .words import word_spans, whole_text

MODES = ("whole", "truncate", "window")
COMBINE = "mean of the windows' attributions, as the prediction is the mean of the windows' probabilities"


@dataclass(frozen=True)
class Reading:
    """How a model reads one text (``text`` with whitespace collapsed, as every method sees it).

    ``mode`` is ``whole`` (the model reads any length), ``truncate`` or ``window``; ``spans``
    are the character spans of the units read, in order; ``max_tokens`` and ``stride`` are the
    model's token limit and window overlap (None where they do not apply).
    """

    text: str
    mode: str
    spans: tuple[tuple[int, int], ...]
    max_tokens: int | None = None
    stride: int | None = None

    @classmethod
    def whole(cls, text: str) -> "Reading":
        """A reading of all of ``text`` at once (models without a length limit)."""
        text = whole_text(text)
        return cls(text, "whole", ((0, len(text)),) if text else ())

    @cached_property
    def starts(self) -> list[int]:
        """Start characters of the words of ``text``."""
        return [start for start, _ in word_spans(self.text)]

    @property
    def end(self) -> int:
        """The character where the model stops reading."""
        return max((end for _, end in self.spans), default=0)

    @property
    def visible(self) -> int:
        """How many words (from the first) the model reads, wholly or in part."""
        return bisect.bisect_left(self.starts, self.end)

    @property
    def read_text(self) -> str:
        """The text up to where the model stops reading: what faithfulness perturbs."""
        return self.text[: self.end]

    def units(self) -> list[tuple[str, np.ndarray]]:
        """Each unit's text and the indices (into the words of ``text``) of the unit's words."""
        out = []
        for start, end in self.spans:
            unit = self.text[start:end]
            index = [bisect.bisect_right(self.starts, start + a) - 1 for a, _ in word_spans(unit)]
            out.append((unit, np.asarray(index, dtype=np.int64)))
        return out

    def describe(self) -> dict[str, Any]:
        """A JSON-ready account of the reading for an Attribution record."""
        out: dict[str, Any] = {"mode": self.mode, "max_tokens": self.max_tokens, "visible": self.visible, "words": len(self.starts)}
        if self.mode == "window":
            out["stride"] = self.stride
            out["windows"] = [[int(index[0]), int(index[-1]) + 1] for _, index in self.units() if len(index)]
            out["combine"] = COMBINE
        return out


def tokenizer_reading(tokenizer, text: str, *, max_length: int, long_text: str, stride: int) -> Reading:
    """The :class:`Reading` of a transformers tokenizer cutting ``text`` as the inference engine does.

    ``long_text`` is ``truncate`` (one unit: the tokens that fit) or ``window`` (one unit per
    window of ``max_length`` tokens overlapping by ``stride``).
    """
    text = whole_text(text)
    window = long_text == "window"
    encoded = tokenizer(
        [text], truncation=True, max_length=max_length, stride=stride if window else 0,
        return_overflowing_tokens=window, return_offsets_mapping=True, return_special_tokens_mask=True,
    )
    starts = [start for start, _ in word_spans(text)]
    spans = []
    for offsets, special in zip(encoded["offset_mapping"], encoded["special_tokens_mask"]):
        tokens = [(a, b) for (a, b), is_special in zip(offsets, special) if not is_special and b > a]
        if not tokens:
            continue
        first = bisect.bisect_left(starts, tokens[0][0])  # the first word that starts in this window
        if first < len(starts) and starts[first] < tokens[-1][1]:
            spans.append((starts[first], tokens[-1][1]))
    return Reading(text, long_text, tuple(spans), max_tokens=max_length, stride=stride if window else None)


def combine_units(values: Sequence[np.ndarray]) -> np.ndarray:
    """Combine per-unit values (probabilities, attributions) the way the prediction combines windows: their mean."""
    return np.mean(np.asarray(values, dtype=np.float64), axis=0)
