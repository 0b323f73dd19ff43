"""A question-answering model's answers on a dataset, and their SQuAD scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .answer import Answer
from .base import Record
from .comparison import PairedTest
from .metrics import ConfidenceInterval
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
class QAPredictions(Record):
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
class QAMetrics(Record):
    """SQuAD exact match and F1 (0-100, the official normalisation via torchmetrics) overall and per question.

    ``ci`` holds seeded bootstrap intervals of both; ``has_answer`` and ``no_answer`` the
    scores on the questions with and without a gold answer (SQuAD 2.0's HasAns/NoAns);
    ``outside_windows`` the share of answerable questions whose every gold answer lies outside
    every window the model read (it cannot get those right).
    """

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
    decoding: Decoding
    seed: int
    provenance: Provenance | None = None

    def to_dict(self) -> dict[str, Any]:
        """metrics.json: the scores, intervals, splits and decoding; the per-question scores go to predictions.jsonl."""
        data = asdict(self)
        data.pop("per_question")
        data["provenance"] = self.provenance.to_dict() if self.provenance else None
        return data


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


@dataclass(frozen=True)
class QASlice(Record):
    """Exact match and F1 within one slice of the questions (``by`` names the grouping); ``small``: too few to trust."""

    by: str
    slice: str
    n: int
    exact_match: float
    f1: float
    small: bool
