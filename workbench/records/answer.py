"""One answer of an extractive question-answering model: a span of the context and its score."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Record


@dataclass(frozen=True)
class Answer(Record):
    """A span of the context that answers a question.

    ``start`` and ``end`` are character offsets in the context (end exclusive), so
    ``context[start:end] == text``; ``score`` is the span's probability, start x end softmax
    over the window it was found in (summed over windows that found the same text), as the
    transformers question-answering pipeline reports it. The null answer (no answer in the
    context, SQuAD 2.0) has ``text == ""`` and ``start == end == 0``.
    """

    text: str
    start: int
    end: int
    score: float

    @property
    def is_null(self) -> bool:
        """Whether this is the null answer (the model says the context holds none)."""
        return self.text == "" and self.start == self.end == 0
