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
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from .reading import Reading


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
    same rows chunk by chunk over any iterable. ``fingerprint`` is a SHA-256 of the weights and
    of the options that change outputs. ``reading(text)`` says what the model reads of a text
    (``reading.Reading``): the prefix within its token limit, its windows, or all of it.
    """

    ref: str
    label_names: tuple[str, ...]
    fingerprint: str

    def predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray: ...

    def iter_predict_proba(self, texts: Iterable[str], *, progress: bool | None = None, total: int | None = None) -> Iterator[np.ndarray]: ...

    def reading(self, text: str) -> Reading: ...


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


@dataclass(frozen=True)
class Attribution:
    """One explanation of one text: a score per word the model read, toward one label.

    Every explanation method speaks this record, so methods (and models) compare word by word.
    ``words`` are all the text's words in order (``words.split_words``: word-character runs
    and single symbols); ``scores`` has one entry per word the model read, the first
    ``visible`` words (positive = toward ``target``); the words after them were beyond the
    model's token limit and have no score. ``output`` is the model's probability of ``target``
    on what it read and ``base`` that probability with every word masked (SHAP's base value).
    ``reading`` says how the model read the text (``reading.Reading.describe``: the mode, the
    token limit, the visible words, the windows and how they are combined); ``diagnostics``
    holds a method's own checks (integrated gradients: steps and convergence delta).
    ``params`` holds everything that decided the result: seed, sample budget, library version.
    ``to_dict`` gives one line of attributions.jsonl (no timings, so a re-run writes the same
    bytes).
    """

    id: str
    model: str
    method: str
    target: str
    words: tuple[str, ...]
    scores: tuple[float, ...]
    output: float
    base: float
    params: Mapping[str, Any]
    reading: Mapping[str, Any] = field(default_factory=dict)
    diagnostics: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.scores) > len(self.words):
            raise ValueError(f"{len(self.words)} words but {len(self.scores)} scores")

    @property
    def visible(self) -> int:
        """How many words, from the first, the model read (and so have a score)."""
        return len(self.scores)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (one line of attributions.jsonl)."""
        data = asdict(self)
        data["words"], data["scores"], data["params"] = list(self.words), list(self.scores), dict(self.params)
        data["visible"] = self.visible
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Attribution":
        """The record back from ``to_dict`` output (a cache entry or a JSONL line)."""
        fields = {k: v for k, v in data.items() if k != "visible"}
        fields["words"], fields["scores"] = tuple(fields["words"]), tuple(float(s) for s in fields["scores"])
        return cls(**fields)


@dataclass(frozen=True, eq=False)
class Comparison:
    """A comparison study of several models on one labeled dataset (see ``compare_models.compare``).

    ``metrics`` and ``cost`` map each model reference to its evaluation metrics (with
    intervals) and to its running cost (documents per second, latency, peak memory, size);
    ``pairwise`` holds one dict per pair of models (McNemar's ``mcnemar_p``, intervals of the
    differences, disagreements); ``slices``, ``probes`` and ``explanations`` map each model to
    its slice metrics, counterfactual flip rates and, per pair, attribution agreement.
    """

    models: tuple[str, ...]
    data: str
    seed: int
    predictions: Mapping[str, Predictions]
    metrics: Mapping[str, Metrics]
    cost: Mapping[str, Mapping[str, Any]]
    pairwise: tuple[Mapping[str, Any], ...]
    slices: Mapping[str, Any]
    probes: Mapping[str, Any]
    explanations: Mapping[str, Any]
