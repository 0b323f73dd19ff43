"""Evaluate a model on a labeled dataset, and write the evaluation files.

``evaluate`` is ``prediction.predict`` (any Classifier, labels matched by name, with
provenance) then ``statistics.metrics.compute_metrics``, in memory. ``workbench evaluate`` runs
:func:`evaluate_into`: the predictions go to ``predictions.csv`` shard by shard
(``prediction.stream_predictions``: atomic shards, a lock, ``--resume`` after a kill), the
metrics are computed from the predictions read back from that file, and
``confusion_matrix.png`` and, last, ``metrics.json`` (with the provenance: model fingerprint,
data SHA-256, library versions) are written, each atomically. :func:`write_evaluation` writes
the same files from predictions held in memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..datasets.loading import align_labels
from ..io import atomic_open, write_json, write_jsonl
from ..models import LoadOptions
from ..models.ray_engine import RayOptions, split_pool
from ..provenance import provenance
from ..records import Classifier, Dataset, Metrics, Predictions
from ..statistics.metrics import compute_metrics
from ..datasets.streaming import TextSource
from .prediction import SHARD_ROWS, predict, read_predictions, stream_predictions


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


def save_figure(figure, path: str | os.PathLike[str]) -> None:
    """Save a figure of ``render.figures`` as a PNG, atomically."""
    from ..render.html import figure_png

    with atomic_open(path, "wb") as handle:
        handle.write(figure_png(figure))


def evaluate_into(out: str | os.PathLike[str], model: Classifier, dataset: Dataset, *, seed: int = 0, engine: str | RayOptions | None = None,
                  progress: bool | None = None, resume: bool = False, shard_rows: int = SHARD_ROWS) -> Metrics:
    """Evaluate into ``out`` as ``workbench evaluate`` does: predictions.csv shard by shard, metrics from the file, then the figure and metrics.json.

    The predictions are written through ``stream_predictions`` (so a killed run finishes with
    ``resume``, recomputing only the missing shards) and read back from the written file for
    every metric, the bootstrap included; the files equal ``write_evaluation``'s for the same
    predictions. A dataset label the model does not know is an error before anything is written.
    ``engine`` (or a RayModel as the model) predicts on a Ray actor pool.
    """
    out = Path(out)
    local, engine = split_pool(model, engine)
    align_labels(dataset, local.label_names)
    stream_predictions(local, TextSource(dataset), out / "predictions.csv", engine=engine, progress=progress, resume=resume, shard_rows=shard_rows)
    predictions = read_predictions(out / "predictions.csv", model=local.ref, dataset=dataset.name, label_names=tuple(local.label_names),
                                   provenance=provenance(local, dataset))
    metrics = compute_metrics(predictions, seed=seed)
    write_metrics(out, metrics)
    return metrics


def write_metrics(out: str | os.PathLike[str], metrics: Metrics) -> dict[str, Path]:
    """Write confusion_matrix.png, reliability.png, then metrics.json: last, so its presence says the evaluation
    finished."""
    from ..render.figures import confusion_matrix_figure, reliability_figure

    paths = {name: Path(out) / name for name in ("confusion_matrix.png", "reliability.png", "metrics.json")}
    save_figure(confusion_matrix_figure(metrics), paths["confusion_matrix.png"])
    diagram = reliability_figure(metrics.reliability, model=metrics.model, data=metrics.data)
    save_figure(diagram, paths["reliability.png"])
    write_json(paths["metrics.json"], metrics.to_dict())
    return paths


def write_predictions(out: str | os.PathLike[str], predictions: Predictions) -> dict[str, Path]:
    """Write predictions.csv (id, label, prediction, p_<label>...: ``workbench predict``'s columns) into ``out``."""
    path = Path(out) / "predictions.csv"
    with atomic_open(path) as handle:
        predictions.to_frame().to_csv(handle, index=False, lineterminator="\n")
    return {"predictions.csv": path}


def write_rows(out: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]]) -> dict[str, Path]:
    """Write predictions.jsonl, one row a line: the predictions file of a task whose data loads whole."""
    path = Path(out) / "predictions.jsonl"
    write_jsonl(path, rows)
    return {"predictions.jsonl": path}


Writer = Callable[[str | os.PathLike[str], Any], dict[str, Path]]  # (out, record) -> the files written, by name


def write_scored_rows(out: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]],
                      scores: Iterable[Mapping[str, Any]], metrics: Any,
                      write_metrics: Writer | None = None) -> dict[str, Path]:
    """Write predictions.jsonl (each row with its item's scores), then the metrics' files by ``write_metrics``
    (default: :func:`write_metrics_json`), metrics.json last: ``workbench evaluate``'s files for question answering
    and generation."""
    scored = write_rows(out, ({**row, **item} for row, item in zip(rows, scores)))
    return {**scored, **(write_metrics or write_metrics_json)(out, metrics)}


def write_metrics_json(out: str | os.PathLike[str], metrics: Any) -> dict[str, Path]:
    """metrics.json: all that ``workbench evaluate`` writes of a QA model's or a generator's metrics beside the
    predictions."""
    path = Path(out) / "metrics.json"
    write_json(path, metrics.to_dict())
    return {"metrics.json": path}


def write_evaluation(out: str | os.PathLike[str], predictions: Predictions, metrics: Metrics) -> dict[str, Path]:
    """Write predictions.csv, confusion_matrix.png, reliability.png and metrics.json (last) into ``out``."""
    return {**write_predictions(out, predictions), **write_metrics(out, metrics)}
