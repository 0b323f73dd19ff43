"""The protocol of a question-answering model, beside ``Classifier`` and ``Generator``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .answer import Answer

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class Answerer(Protocol):
    """An extractive question-answering model: the best spans of each context for its question.

    ``answer`` returns, per question, its ``top_k`` best ``Answer`` spans of the context, best first (with
    ``handle_impossible``, the empty answer competes); ``answer_probability`` the probability of a given answer text
    (what its explanations explain); ``context_windows`` the character spans of the context it reads per window, and
    ``decoding_lengths`` the window and stride that ``None`` stands for. Met by the transformer answerer
    (``models.qa``) and the lexical baseline (``models.lexical_qa``).
    """

    ref: str
    backend: str  # what computes its outputs: torch, onnxruntime, scikit-learn, python (a rule)
    fingerprint: str

    def answer(self, questions: Sequence[str], contexts: Sequence[str], *, top_k: int = 1, max_answer_len: int = 30,
               doc_stride: int | None = None, max_seq_len: int | None = None, handle_impossible: bool = False,
               progress: bool | None = None) -> list[tuple[Answer, ...]]: ...

    def answer_probability(self, questions: Sequence[str], contexts: Sequence[str], texts: Sequence[str], *,
                           max_answer_len: int = 30, doc_stride: int | None = None, max_seq_len: int | None = None,
                           progress: bool | None = None) -> np.ndarray: ...

    def context_windows(self, question: str, context: str, *, max_seq_len: int | None = None,
                        doc_stride: int | None = None) -> list[tuple[int, int]]: ...

    def decoding_lengths(self, max_seq_len: int | None, doc_stride: int | None) -> tuple[int, int]: ...
