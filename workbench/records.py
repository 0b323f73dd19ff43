"""The records every module speaks: datasets, predictions and metrics, plus the classifier protocol.

Records are frozen dataclasses; their JSON keys are their field names. Keeping one record per
concept means the data loader, the inference engine, the metrics and the CLI never convert
between private shapes, and later layers (explanations, comparisons, reports) read the same types.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Texts with optional gold labels.

    ``labels`` holds label *names* (not integer codes), so datasets and models are matched by
    name; ``label_names`` is the sorted set of names present. ``sha256`` fingerprints the content
    (ids, texts, labels) for manifests and caches.
    """

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    label_names: tuple[str, ...]
    sha256: str = field(default="")

    def __post_init__(self) -> None:
        if not self.sha256:
            digest = hashlib.sha256(
                json.dumps([self.ids, self.texts, self.labels], ensure_ascii=False).encode("utf-8")
            ).hexdigest()
            object.__setattr__(self, "sha256", digest)

    def __len__(self) -> int:
        return len(self.texts)


@runtime_checkable
class Classifier(Protocol):
    """What every model exposes, transformer or not: label names and class probabilities.

    ``predict_proba(texts)`` returns an ``(n, k)`` float64 array whose columns follow
    ``label_names`` and whose rows follow ``texts``; ``iter_predict_proba(texts)`` streams the
    same rows chunk by chunk over any iterable.
    """

    ref: str
    label_names: tuple[str, ...]

    def predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray: ...

    def iter_predict_proba(self, texts: Iterable[str], *, progress: bool | None = None, total: int | None = None) -> Iterator[np.ndarray]: ...


@dataclass(frozen=True, eq=False)
class Predictions:
    """One model's class probabilities on one dataset, rows in dataset order.

    ``labels`` are the gold labels spelled as the model spells them (see ``data.align_labels``);
    ``proba`` columns follow ``label_names`` (the model's order).
    """

    model: str
    dataset: str
    ids: tuple[str, ...]
    labels: tuple[str, ...] | None
    label_names: tuple[str, ...]
    proba: np.ndarray

    @property
    def predicted(self) -> tuple[str, ...]:
        """The arg-max label name of every row."""
        return tuple(self.label_names[i] for i in self.proba.argmax(axis=1))

    def to_frame(self) -> Any:
        """A pandas DataFrame with columns ``id, label, prediction, p_<label>...`` (predictions.csv)."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "id": list(self.ids),
                "label": list(self.labels) if self.labels is not None else [""] * len(self.ids),
                "prediction": list(self.predicted),
            }
        )
        for j, name in enumerate(self.label_names):
            frame[f"p_{name}"] = self.proba[:, j]
        return frame


@dataclass(frozen=True)
class ConfidenceInterval:
    """A bootstrap confidence interval of one metric."""

    low: float
    high: float
    level: float
    n_resamples: int
    method: str


@dataclass(frozen=True)
class Metrics:
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the content of metrics.json)."""
        data = asdict(self)
        data["label_names"] = list(self.label_names)
        return data
