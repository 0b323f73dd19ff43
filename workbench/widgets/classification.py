"""The classifier's Explorer: documents with their class probabilities, explained word by word."""

from __future__ import annotations

from functools import cached_property

from ..records import Predictions
from .base import excerpt
from .words import WordsExplorer, reliability_html


class ClassificationExplorer(WordsExplorer):
    """Documents, the predicted label and its probability; the "wrong" ones are the misclassified."""

    task = "classification"
    wrong_label = "misclassified only"
    predictions: Predictions

    @cached_property
    def predicted(self) -> tuple[str, ...]:
        """The predicted label of every document (``Predictions.predicted`` computes them on each call)."""
        return tuple(self.predictions.predicted)

    def text(self, i: int) -> str:
        return self.dataset.texts[i]

    def wrong(self, i: int) -> bool | None:
        labels = self.predictions.labels
        return None if labels is None else labels[i] != self.predicted[i]

    def describe(self, i: int) -> str:
        p = self.predictions
        gold = f"gold {p.labels[i]} · " if p.labels is not None else ""
        return f"{gold}predicted {self.predicted[i]} ({float(p.proba[i].max()):.2f})"

    def label(self, i: int) -> str:
        p = self.predictions
        return p.labels[i] if p.labels is not None else self.predicted[i]

    def confidence_of(self, i: int) -> float | None:
        return float(self.predictions.proba[i].max())

    def document_html(self, i: int) -> str:
        from ..render.html import prose_html, table_html

        p = self.predictions
        order = sorted(range(len(p.label_names)), key=lambda k: -float(p.proba[i, k]))
        rows = [{"label": p.label_names[k], "probability": float(p.proba[i, k])} for k in order]
        return str(table_html(rows) + prose_html(excerpt(self.dataset.texts[i])))

    def calibration(self) -> str | None:
        p = self.predictions
        correct = [not self.wrong(i) for i in range(len(p.ids))]
        return reliability_html(correct, p.proba.max(axis=1), model=p.model, data=p.dataset, seed=self.seed)
