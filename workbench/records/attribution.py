"""One explanation of one text: a score per word the model read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..words import split_words
from .base import Record

ANSWER_READING = "question-context"  # ``reading["mode"]`` of an explanation of an extractive answer (question words, then context words)


@dataclass(frozen=True)
class Attribution(Record):
    """One explanation of one text: a score per word the model read, toward one label.

    Every explanation method speaks this record, so methods (and models) compare word by word.
    ``text`` is the text as every method read it (whitespace runs collapsed, ``words.whole_text``;
    an answer's record holds the question, a newline and the context) and ``words`` are its words
    in order (``words.split_words``: word-character runs and single symbols), so a page shows the
    text as written with each score over its own word's characters (``render.html.shaded_text_html``).
    ``scores`` has one entry per word the model read, the first
    ``visible`` words (positive = toward ``target``); the words after them were beyond the
    model's token limit and have no score. ``output`` is the model's probability of ``target``
    on what it read and ``base`` that probability with every word masked (SHAP's base value).
    ``reading`` says how the model read the text (``reading.Reading.describe``: the mode, the
    token limit, the visible words, the windows and how they are combined); ``diagnostics``
    holds a method's own checks (integrated gradients: steps and convergence delta).
    ``params`` holds everything that decided the result: seed, sample budget, library version.
    ``contrast``, when set, is the label ``target`` is explained against (``explainers.contrast``): the scores, the
    ``output`` and the ``base`` are then of log p(target) − log p(contrast), not of a probability.
    ``to_dict`` gives one line of attributions.jsonl (no timings, so a re-run writes the same
    bytes).
    """

    id: str
    model: str
    method: str
    target: str
    text: str
    words: tuple[str, ...]
    scores: tuple[float, ...]
    output: float
    base: float
    params: Mapping[str, Any]
    reading: Mapping[str, Any] = field(default_factory=dict)
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    contrast: str | None = None

    def __post_init__(self) -> None:
        if len(self.scores) > len(self.words):
            raise ValueError(f"{len(self.words)} words but {len(self.scores)} scores")
        if split_words(self.text) != tuple(self.words):
            raise ValueError("the record's words are not its text's words (words.split_words)")

    @property
    def visible(self) -> int:
        """How many words, from the first, the model read (and so have a score)."""
        return len(self.scores)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (one line of attributions.jsonl)."""
        data = asdict(self)
        data["words"], data["scores"], data["params"] = list(self.words), list(self.scores), dict(self.params)
        data["visible"] = self.visible
        if self.contrast is None:  # the lines of plain explanations stay as they were
            del data["contrast"]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Attribution":
        """The record back from ``to_dict`` output (a cache entry or a JSONL line)."""
        fields = {k: v for k, v in data.items() if k != "visible"}
        fields["words"], fields["scores"] = tuple(fields["words"]), tuple(float(s) for s in fields["scores"])
        return cls(**fields)
