"""Evaluate a model on a labeled dataset, and write the evaluation files.

``workbench evaluate`` is three steps: ``prediction.predict`` (any Classifier, labels matched
by name, with provenance), ``statistics.metrics.compute_metrics``, and
:func:`write_evaluation`, which writes ``predictions.csv``, ``confusion_matrix.png`` and, last,
``metrics.json`` (with the provenance: model fingerprint, data SHA-256, library versions), each
atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..io import atomic_open, write_json
from ..models import LoadOptions
from ..models.ray_engine import RayOptions
from ..records import Classifier, Dataset, Metrics, Predictions
from ..statistics.metrics import compute_metrics
from .prediction import predict


def evaluate(model: str | Classifier, dataset: str | Dataset, *, seed: int = 0, options: LoadOptions | None = None, progress: bool | None = None,
             engine: str | RayOptions = "local") -> Metrics:
    """Predict ``dataset`` with ``model`` and compute every metric (see ``compute_metrics``); ``engine="ray"`` predicts on a Ray actor pool.

    Examples
    --------
    >>> m = evaluate("demo:minilm-bbc", "bbc-news:test")
    >>> round(m.accuracy, 3) >= 0.97
    True
    """
    return compute_metrics(predict(model, dataset, options=options, progress=progress, engine=engine), seed=seed)


def plot_confusion_matrix(metrics: Metrics, path: str | os.PathLike[str]) -> None:
    """Save the confusion matrix (``render.figures.confusion_matrix_figure``) as a PNG, atomically."""
    from ..render.figures import confusion_matrix_figure
    from ..render.html import figure_png

    with atomic_open(path, "wb") as handle:
        handle.write(figure_png(confusion_matrix_figure(metrics)))


def write_evaluation(out: str | os.PathLike[str], predictions: Predictions, metrics: Metrics) -> dict[str, Path]:
    """Write predictions.csv, confusion_matrix.png and metrics.json (last) into ``out``."""
    out = Path(out)
    paths = {name: out / name for name in ("predictions.csv", "confusion_matrix.png", "metrics.json")}
    with atomic_open(paths["predictions.csv"]) as handle:
        predictions.to_frame().to_csv(handle, index=False, lineterminator="\n")
    plot_confusion_matrix(metrics, paths["confusion_matrix.png"])
    write_json(paths["metrics.json"], metrics.to_dict())
    return paths
