"""A question-answering model's answers on a dataset, and their SQuAD scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .answer import Answer
from .base import ItemMetrics, Record, Result
from .comparison import PairedTest
from .metrics import ConfidenceInterval, Reliability
from .predictions import Provenance
from .qa_dataset import GoldAnswer


@dataclass(frozen=True)
class Decoding(Record):
    """How answers were decoded: the longest answer in tokens, the window, its overlap, and whether the null answer competes."""

    max_answer_len: int
    doc_stride: int
    max_seq_len: int
    handle_impossible: bool


@dataclass(frozen=True, eq=False)
class QAPredictions(Result):
    """One model's best answer to every question of a dataset, in dataset order, with the gold answers.

    ``in_window[i]`` says whether a gold answer of question i lies whole inside one of the
    windows the model read (None for a question without gold answers).
    """

    model: str
    dataset: str
    ids: tuple[str, ...]
    answers: tuple[Answer, ...]
    gold: tuple[tuple[GoldAnswer, ...], ...]
    in_window: tuple[bool | None, ...]
    decoding: Decoding
    provenance: Provenance | None = None


@dataclass(frozen=True)
class QAMetrics(ItemMetrics):
    """SQuAD exact match and F1 (0-100, the official normalisation via torchmetrics) overall and per question.

    ``ci`` holds seeded bootstrap intervals of both; ``has_answer`` and ``no_answer`` the
    scores on the questions with and without a gold answer (SQuAD 2.0's HasAns/NoAns);
    ``outside_windows`` the share of answerable questions whose every gold answer lies outside
    every window the model read (it cannot get those right); ``reliability`` how often an answer
    of each score is exactly right (is a 0.9 answer right 90 % of the time?).
    """

    PER_ITEM = "per_question"

    model: str
    data: str
    n: int
    exact_match: float
    f1: float
    per_question: tuple[Mapping[str, Any], ...]
    ci: Mapping[str, ConfidenceInterval | None]
    has_answer: Mapping[str, Any]
    no_answer: Mapping[str, Any]
    outside_windows: float | None
    reliability: Reliability
    decoding: Decoding
    seed: int
    provenance: Provenance | None = None


@dataclass(frozen=True)
class QAPairwise(PairedTest):
    """Question-answering model A against B on the same questions; differences are A minus B.

    McNemar's exact test on which questions each answers exactly (``significant``: p < 0.05),
    paired-bootstrap intervals ``[low, high]`` of the exact-match and F1 differences (0-100),
    the share of questions both answer with the same text, and the questions where exactly one
    is right.
    """

    exact_match_a: float
    exact_match_b: float
    exact_match_diff: float
    exact_match_diff_ci: tuple[float, float] | None
    f1_diff: float
    f1_diff_ci: tuple[float, float] | None
    confidence_level: float
    agreement: float
    disagreements: tuple[Mapping[str, Any], ...]

    def verdict(self) -> str:
        """One sentence that says whether A and B differ in exact match, with the interval and the test, and their F1 difference."""
        low, high = self.exact_match_diff_ci or (float("nan"), float("nan"))
        level = round(100 * self.confidence_level)
        if self.significant:
            judgement = f"{self.a if self.exact_match_diff > 0 else self.b} answers more questions exactly (McNemar p = {self.mcnemar_p:.3g} < 0.05)"
        else:
            judgement = f"the difference is not significant (McNemar p = {self.mcnemar_p:.3g})"
        return (f"{self.a} vs {self.b}: exact match difference {self.exact_match_diff:+.1f} points ({level}% CI {low:+.1f} to {high:+.1f}), "
                f"F1 {self.f1_diff:+.1f}; {judgement}.")


@dataclass(frozen=True)
class QASlice(Record):
    """Exact match and F1 within one slice of the questions (``by`` names the grouping); ``small``: too few to trust."""

    by: str
    slice: str
    n: int
    exact_match: float
    f1: float
    small: bool


@dataclass(frozen=True, eq=False)
class QAComparison(Result):
    """Question-answering models on one dataset: each one's scores and answers, every pair's tests, slices, and speed.

    ``questions_per_s`` is each model's rate answering the whole dataset (one timed pass in
    this process, after a warm-up).
    """

    models: tuple[str, ...]
    data: str
    seed: int
    decoding: Decoding
    metrics: Mapping[str, QAMetrics]
    predictions: Mapping[str, QAPredictions]
    pairwise: tuple[QAPairwise, ...]
    slices: Mapping[str, tuple[QASlice, ...]]
    questions_per_s: Mapping[str, float]

    def to_dict(self, prediction_paths: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The content of compare.json (``prediction_paths``: where each model's answers were written)."""
        return {
            "task": "question-answering",
            "models": list(self.models),
            "data": self.data,
            "seed": self.seed,
            "decoding": self.decoding.to_dict(),
            "metrics": {ref: m.to_dict() for ref, m in self.metrics.items()},
            "questions_per_s": dict(self.questions_per_s),
            "predictions": dict(prediction_paths or {}),
            "pairwise": [p.to_dict() for p in self.pairwise],
            "slices": {ref: [row.to_dict() for row in rows] for ref, rows in self.slices.items()},
        }
