"""Classification metrics with their confidence intervals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .base import Record, Result
from .predictions import Provenance


@dataclass(frozen=True)
class ConfidenceInterval(Record):
    """A bootstrap confidence interval of one metric."""

    low: float
    high: float
    level: float
    n_resamples: int
    method: str


@dataclass(frozen=True)
class Reliability(Record):
    """A reliability diagram's numbers: how often the model is right at each level of confidence.

    Rows fall into ``bins`` equal-width confidence bins over (0, 1] (``edges``); per bin,
    ``counts`` rows, their mean ``confidence`` and their ``accuracy`` (None where a bin is
    empty), and ``low``/``high``, the percentile bootstrap band of the accuracy (rows resampled
    ``n_resamples`` times with ``seed``; None where fewer than two rows fall in the bin). A
    calibrated model's accuracy equals its confidence in every bin; the expected calibration
    error is the count-weighted mean gap.
    """

    bins: int
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    confidence: tuple[float | None, ...]
    accuracy: tuple[float | None, ...]
    low: tuple[float | None, ...]
    high: tuple[float | None, ...]
    level: float
    n_resamples: int
    seed: int

    @property
    def ece(self) -> float:
        """The expected calibration error: the mean |accuracy - confidence| of the bins, weighted by their rows."""
        total = sum(self.counts)
        bins = zip(self.counts, self.accuracy, self.confidence)
        gaps = [c * abs(a - m) for c, a, m in bins if a is not None and m is not None]
        return sum(gaps) / total


@dataclass(frozen=True)
class Metrics(Result):
    """Classification metrics of one set of predictions (see ``metrics.compute_metrics``).

    ``per_class`` maps each label name to precision, recall, F1 and support; ``confusion_matrix``
    holds the matrix with rows = gold label, columns = predicted label, both in ``labels`` order;
    ``reliability`` the top-label reliability diagram in the ECE's bins.
    """

    model: str
    data: str
    n: int
    label_names: tuple[str, ...]
    accuracy: float
    balanced_accuracy: float
    precision_macro: float
    recall_macro: float
    f1_macro: float
    precision_micro: float
    recall_micro: float
    f1_micro: float
    precision_weighted: float
    recall_weighted: float
    f1_weighted: float
    matthews_corrcoef: float | None
    cohen_kappa: float | None
    log_loss: float
    brier_score: float
    ece: float
    ece_bins: int
    reliability: Reliability
    per_class: Mapping[str, Mapping[str, float]]
    confusion_matrix: Mapping[str, Any]
    ci: Mapping[str, ConfidenceInterval | None]
    seed: int
    provenance: Provenance | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the content of metrics.json)."""
        data = asdict(self)
        data["label_names"] = list(self.label_names)
        data["provenance"] = self.provenance.to_dict() if self.provenance else None
        return data
