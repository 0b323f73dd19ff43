"""One model's predictions on one dataset, and where they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .base import Record, Result

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Provenance(Record):
    """What a result came from: the model's fingerprint, the data's SHA-256 and the library versions.

    ``model_fingerprint`` is the SHA-256 of the model folder's files and of the options that
    change outputs (``Classifier.fingerprint``); ``data_sha256`` that of the dataset's ids,
    texts and labels (``Dataset.sha256``); ``packages`` the installed versions of the libraries
    that decide the numbers (``provenance.package_versions``); ``prompt`` the prompt of a decoder-only LM
    (``records.prompt.Prompt.to_dict``: template, verbalizers, chat, system, shots...), absent for other models.
    """

    model: str
    model_fingerprint: str
    data: str
    data_sha256: str
    packages: Mapping[str, str | None]
    prompt: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``prompt`` only where the model has one)."""
        data = {**asdict(self), "packages": dict(self.packages)}
        if self.prompt is None:
            del data["prompt"]
        return data


@dataclass(frozen=True, eq=False)
class Predictions(Result):
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
    provenance: Provenance | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the fields, ``proba`` as one list of probabilities per row (``label_names`` order)."""
        return {"model": self.model, "dataset": self.dataset, "ids": list(self.ids),
                "labels": None if self.labels is None else list(self.labels), "label_names": list(self.label_names),
                "proba": self.proba.tolist(), "provenance": self.provenance.to_dict() if self.provenance else None}

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
