"""The question-answering dataset record: questions, their contexts and gold answer spans."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .base import Record
from .rows import Rows


@dataclass(frozen=True)
class GoldAnswer(Record):
    """A gold answer: its text and its character offset in the context (``context[start:start + len(text)] == text``)."""

    text: str
    answer_start: int


@dataclass(frozen=True)
class QADataset(Rows):
    """Questions with their contexts and gold answers, as SQuAD holds them.

    ``answers[i]`` are the gold answers of question i; an empty tuple marks a question the
    context does not answer (SQuAD 2.0's NoAns). ``sha256`` fingerprints the content.
    """

    name: str
    ids: tuple[str, ...]
    questions: tuple[str, ...]
    contexts: tuple[str, ...]
    answers: tuple[tuple[GoldAnswer, ...], ...]
    sha256: str = field(default="")

    task = "question-answering"
    ROWS = ("ids", "questions", "contexts", "answers")

    def __post_init__(self) -> None:
        if not self.sha256:
            content = [self.ids, self.questions, self.contexts, [[a.to_dict() for a in gold] for gold in self.answers]]
            object.__setattr__(self, "sha256", hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest())

    @property
    def examples(self) -> tuple[str, ...]:
        """Each question with its context (a newline between): one example, as ``Rows.examples`` says."""
        return tuple(f"{q}\n{c}" for q, c in zip(self.questions, self.contexts))

    @property
    def has_answer(self) -> tuple[bool, ...]:
        """Whether each question has a gold answer (SQuAD 2.0's HasAns; False is NoAns)."""
        return tuple(bool(gold) for gold in self.answers)
