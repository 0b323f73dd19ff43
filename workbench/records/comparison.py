"""A comparison of models on one labeled dataset: paired tests, slices, flip rates, cost."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .base import Record, Result
from .faithfulness import Agreement
from .metrics import Metrics
from .predictions import Predictions


@dataclass(frozen=True)
class PairedTest(Record):
    """Model A against model B on the same rows: McNemar's exact test on which rows each gets right (``significant``: p < 0.05)."""

    a: str
    b: str
    n: int
    mcnemar_p: float
    mcnemar_statistic: float
    significant: bool
    contingency: Mapping[str, int]


@dataclass(frozen=True)
class Pairwise(PairedTest):
    """Model A against model B on the same rows (``statistics.paired.pairwise``); differences are A minus B.

    McNemar's exact test on which rows each gets right (``significant``: p < 0.05), the
    accuracy and macro-F1 differences with paired-bootstrap intervals ``[low, high]``, the
    share of rows on which they agree, per-class F1 differences and the rows they disagree on.
    """

    accuracy_a: float
    accuracy_b: float
    accuracy_diff: float
    accuracy_diff_ci: tuple[float, float] | None
    f1_macro_diff: float
    f1_macro_diff_ci: tuple[float, float] | None
    confidence_level: float
    agreement: float
    per_class_f1_diff: Mapping[str, float]
    disagreements: tuple[Mapping[str, str], ...]

    def verdict(self) -> str:
        """One sentence that says whether A and B differ, with the interval and the test."""
        low, high = self.accuracy_diff_ci or (float("nan"), float("nan"))
        level = round(100 * self.confidence_level)
        if self.significant:
            better = self.a if self.accuracy_diff > 0 else self.b
            judgement = f"{better} is more accurate (McNemar p = {self.mcnemar_p:.3g} < 0.05)"
        else:
            judgement = f"the difference is not significant (McNemar p = {self.mcnemar_p:.3g})"
        return (f"{self.a} vs {self.b}: accuracy difference {100 * self.accuracy_diff:+.1f} points "
                f"({level}% CI {100 * low:+.1f} to {100 * high:+.1f}); {judgement}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, with the verdict."""
        data = asdict(self)
        for key in ("accuracy_diff_ci", "f1_macro_diff_ci"):
            data[key] = None if data[key] is None else list(data[key])
        data["disagreements"] = [dict(d) for d in self.disagreements]
        return {**data, "verdict": self.verdict()}


@dataclass(frozen=True)
class SliceMetrics(Record):
    """Accuracy and macro F1 within one slice of the rows (``by`` names the grouping); ``small``: too few rows to trust."""

    by: str
    slice: str
    n: int
    accuracy: float
    f1_macro: float
    small: bool


@dataclass(frozen=True)
class FlipRate(Record):
    """How often one counterfactual edit flips a model's prediction: texts ``edited``, how many ``flipped``, their ids."""

    edited: int
    flipped: int
    flip_rate: float | None
    flipped_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "flipped_ids": list(self.flipped_ids)}


@dataclass(frozen=True)
class Latency(Record):
    """Milliseconds to classify one text at a time: median, 95th percentile and mean."""

    p50_ms: float
    p95_ms: float
    mean_ms: float


@dataclass(frozen=True)
class Cost(Record):
    """What running a model costs: documents per second, latency, parameters, size on disk and,
    when measured in a fresh process, peak memory and the streaming rate."""

    docs_per_s: float
    latency: Latency
    parameters: int
    size_on_disk_bytes: int
    peak_memory_mb: float | None = None
    streaming_docs_per_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the memory fields only when measured)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class ExplanationAgreement(Record):
    """Whether models use the same evidence: ``method`` explanations of the same documents' gold labels, agreement per pair."""

    method: str
    num_samples: int
    ids: tuple[str, ...]
    target: str
    pairs: tuple[Agreement, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"method": self.method, "num_samples": self.num_samples, "ids": list(self.ids), "target": self.target,
                "pairs": [p.to_dict() for p in self.pairs]}


@dataclass(frozen=True, eq=False)
class Comparison(Result):
    """A comparison of several models on one labeled dataset (``studies.comparison``).

    ``metrics``, ``slices``, ``cost`` and ``probes`` map each model reference to its metrics
    (with intervals), its slice metrics, its running cost and its counterfactual flip rates per
    edit; ``pairwise`` holds one record per pair of models; ``explanations`` the agreement of
    their explanations of the same documents (None when not asked for). ``cost`` and
    ``probes`` are empty for a comparison of predictions alone (``compare_predictions``).
    """

    models: tuple[str, ...]
    data: str
    seed: int
    predictions: Mapping[str, Predictions]
    metrics: Mapping[str, Metrics]
    pairwise: tuple[Pairwise, ...]
    slices: Mapping[str, Sequence[SliceMetrics]]
    cost: Mapping[str, Cost]
    probes: Mapping[str, Mapping[str, FlipRate]]
    explanations: ExplanationAgreement | None = None

    def to_dict(self, prediction_paths: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The content of compare.json (``prediction_paths``: where each model's predictions were written)."""
        return {
            "models": list(self.models),
            "data": self.data,
            "seed": self.seed,
            "metrics": {ref: m.to_dict() for ref, m in self.metrics.items()},
            "cost": {ref: c.to_dict() for ref, c in self.cost.items()},
            "predictions": dict(prediction_paths or {}),
            "pairwise": [p.to_dict() for p in self.pairwise],
            "slices": {ref: [row.to_dict() for row in rows] for ref, rows in self.slices.items()},
            "probes": {ref: {edit: rate.to_dict() for edit, rate in edits.items()} for ref, edits in self.probes.items()},
            "explanations": self.explanations.to_dict() if self.explanations else {},
        }
