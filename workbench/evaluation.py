"""Predict a dataset with a model, score the predictions, and write the evaluation files.

``workbench evaluate`` is these three steps: :func:`predict` (any Classifier, labels matched
by name), :func:`metrics.compute_metrics`, and :func:`write_evaluation`, which writes
``predictions.csv``, ``confusion_matrix.png`` and, last, ``metrics.json``, each atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

from .data import align_labels
from .io import atomic_open, write_json
from .metrics import compute_metrics
from .records import Classifier, Dataset, Metrics, Predictions


def predict(model: Classifier, dataset: Dataset, *, progress: bool | None = None) -> Predictions:
    """Class probabilities of every text in ``dataset``, with the gold labels matched to the model's.

    A dataset label the model does not know raises DataError before any inference runs.

    Examples
    --------
    >>> p = predict(load_model("demo:minilm-bbc"), load_dataset("bbc-news:test"))
    >>> p.proba.shape
    (445, 5)
    """
    labels = align_labels(dataset, model.label_names)
    proba = model.predict_proba(dataset.texts, progress=progress)
    return Predictions(
        model=model.ref,
        dataset=dataset.name,
        ids=dataset.ids,
        labels=labels,
        label_names=tuple(model.label_names),
        proba=proba,
    )


def stream_predictions(model: Classifier, dataset: Dataset, path: str | os.PathLike[str], *, progress: bool | None = None) -> int:
    """Write predictions.csv rows chunk by chunk as inference produces them; return the row count.

    Memory stays that of one chunk however long the dataset; the file appears under its name
    only when complete (it is renamed into place at the end).
    """
    labels = align_labels(dataset, model.label_names)
    done = 0
    with atomic_open(path) as handle:
        for proba in model.iter_predict_proba(dataset.texts, progress=progress, total=len(dataset)):
            rows = slice(done, done + len(proba))
            chunk = Predictions(model.ref, dataset.name, dataset.ids[rows], labels[rows] if labels else None, tuple(model.label_names), proba)
            chunk.to_frame().to_csv(handle, index=False, header=done == 0, lineterminator="\n")
            done += len(proba)
    return done


def evaluate(model: Classifier, dataset: Dataset, *, seed: int = 0, progress: bool | None = None) -> Metrics:
    """Predict ``dataset`` with ``model`` and compute every metric (see ``compute_metrics``).

    Examples
    --------
    >>> m = evaluate(load_model("demo:minilm-bbc"), load_dataset("bbc-news:test"))
    >>> round(m.accuracy, 3) >= 0.97
    True
    """
    return compute_metrics(predict(model, dataset, progress=progress), seed=seed)


def plot_confusion_matrix(metrics: Metrics, path: str | os.PathLike[str]) -> None:
    """Save the confusion matrix (``render.confusion_matrix_figure``) as a PNG, atomically."""
    from .render import confusion_matrix_figure, figure_png

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
