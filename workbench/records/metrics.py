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
class Metrics(Result):
    """Classification metrics of one set of predictions (see ``metrics.compute_metrics``).

    ``per_class`` maps each label name to precision, recall, F1 and support; ``confusion_matrix``
    holds the matrix with rows = gold label, columns = predicted label, both in ``labels`` order.
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
