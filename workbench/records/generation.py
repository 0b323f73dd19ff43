"""A generator's outputs on a dataset, and their ROUGE, BLEU and chrF scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError
from .base import ItemMetrics, Record, Result
from .metrics import ConfidenceInterval
from .predictions import Provenance


@dataclass(frozen=True)
class GenerationSettings(Record):
    """How texts were generated: the most new tokens, the beams, sampling and its seed (``metrics.json``'s ``generation``)."""

    max_new_tokens: int = 64
    num_beams: int = 1
    do_sample: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "num_beams"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ParameterError(f"{name} must be a whole number of at least 1, got {value!r}")
        if self.do_sample and self.num_beams > 1:
            raise ParameterError("sampling runs with num_beams=1; give do_sample=False for beam search, or num_beams=1")

    def describe(self) -> str:
        """The settings in a few words, for pages: "greedy, at most 32 new tokens"."""
        how = f"sampling (seed {self.seed})" if self.do_sample else f"beam search ({self.num_beams} beams)" if self.num_beams > 1 else "greedy"
        return f"{how}, at most {self.max_new_tokens} new tokens"


@dataclass(frozen=True, eq=False)
class GenerationPredictions(Result):
    """One generator's output for every source of a dataset, in dataset order, with the references."""

    model: str
    dataset: str
    ids: tuple[str, ...]
    sources: tuple[str, ...]
    predictions: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]
    settings: GenerationSettings
    seconds: float
    provenance: Provenance | None = None


@dataclass(frozen=True)
class GenerationMetrics(ItemMetrics):
    """ROUGE-1/2/L/Lsum F-measures (0-1, mean over documents), corpus BLEU and chrF (0-100, sacrebleu), the length ratio.

    ``per_document`` holds each document's scores (predictions.jsonl), ``ci`` seeded
    bootstrap intervals of every overall figure (documents resampled; BLEU and chrF
    recomputed from the resampled documents' statistics), ``signatures`` sacrebleu's.
    """

    PER_ITEM = "per_document"

    model: str
    data: str
    n: int
    rouge1: float
    rouge2: float
    rougeL: float  # noqa: N815 (rouge-score's name)
    rougeLsum: float  # noqa: N815
    bleu: float
    chrf: float
    length_ratio: float | None
    ci: Mapping[str, ConfidenceInterval | None]
    signatures: Mapping[str, str]
    per_document: tuple[Mapping[str, float], ...]
    generation: GenerationSettings
    seed: int
    provenance: Provenance | None = None


@dataclass(frozen=True)
class GenerationPairwise(Record):
    """Generator A against B on the same documents; differences are A minus B in per-document ROUGE-L (0-1) and sentence chrF (0-100).

    The intervals are paired bootstraps over documents; ``wins_a``/``wins_b``/``ties`` count
    the documents where each has the higher ROUGE-L.
    """

    a: str
    b: str
    n: int
    rougeL_a: float  # noqa: N815
    rougeL_b: float  # noqa: N815
    rougeL_diff: float  # noqa: N815
    rougeL_diff_ci: tuple[float, float] | None  # noqa: N815
    chrf_diff: float
    chrf_diff_ci: tuple[float, float] | None
    confidence_level: float
    wins_a: int
    wins_b: int
    ties: int

    @property
    def significant(self) -> bool:
        """Whether the ROUGE-L difference's interval excludes 0."""
        return _excludes_zero(self.rougeL_diff_ci)

    def verdict(self) -> str:
        """One sentence: the ROUGE-L and chrF differences with their intervals, and for each which model is closer to the references."""
        level = round(100 * self.confidence_level)

        def judged(name: str, diff: float, ci: tuple[float, float] | None, digits: int) -> str:
            low, high = ci or (float("nan"), float("nan"))
            judgement = (f"{self.a if diff > 0 else self.b} is closer to the references" if _excludes_zero(ci)
                         else "not significant (the interval includes 0)")
            return f"{name} difference {diff:+.{digits}f} ({level}% CI {low:+.{digits}f} to {high:+.{digits}f}): {judgement}"

        return (f"{self.a} vs {self.b}: {judged('ROUGE-L', self.rougeL_diff, self.rougeL_diff_ci, 4)}; "
                f"{judged('chrF', self.chrf_diff, self.chrf_diff_ci, 2)}.")


def _excludes_zero(ci: tuple[float, float] | None) -> bool:
    return ci is not None and (ci[0] > 0 or ci[1] < 0)


@dataclass(frozen=True)
class GenerationSlice(Record):
    """Mean per-document ROUGE-L and chrF within one source-length slice; ``small``: too few documents to trust."""

    slice: str
    n: int
    rougeL: float  # noqa: N815
    chrf: float
    small: bool


@dataclass(frozen=True, eq=False)
class GenerationComparison(Result):
    """Generators on one dataset: each one's scores and outputs, every pair's paired tests, slices by source length, and speed."""

    models: tuple[str, ...]
    data: str
    seed: int
    generation: GenerationSettings
    metrics: Mapping[str, GenerationMetrics]
    predictions: Mapping[str, GenerationPredictions]
    pairwise: tuple[GenerationPairwise, ...]
    slices: Mapping[str, tuple[GenerationSlice, ...]]
    documents_per_s: Mapping[str, float]

    def to_dict(self, prediction_paths: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The content of compare.json (``prediction_paths``: where each model's outputs were written)."""
        return {
            "task": "generation", "models": list(self.models), "data": self.data, "seed": self.seed, "generation": self.generation.to_dict(),
            "metrics": {ref: m.to_dict() for ref, m in self.metrics.items()}, "documents_per_s": dict(self.documents_per_s),
            "predictions": dict(prediction_paths or {}), "pairwise": [p.to_dict() for p in self.pairwise],
            "slices": {ref: [row.to_dict() for row in rows] for ref, rows in self.slices.items()},
        }
