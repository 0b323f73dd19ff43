"""Predict a dataset with a model: class probabilities with the gold labels matched by name, and provenance.

``predict`` returns a ``Predictions`` record (``workbench evaluate`` scores it);
``stream_predictions`` writes predictions.csv chunk by chunk (``workbench predict``), so
memory stays that of one chunk however long the data.
"""

from __future__ import annotations

import os

from ..data import align_labels, as_dataset
from ..io import atomic_open
from ..models import LoadOptions, as_model
from ..provenance import provenance
from ..records import Classifier, Dataset, Predictions


def predict(model: str | Classifier, dataset: str | Dataset, *, options: LoadOptions | None = None, progress: bool | None = None) -> Predictions:
    """Class probabilities of every text in ``dataset``, with the gold labels matched to the model's.

    ``model`` and ``dataset`` may be references (loaded with ``options``) or loaded records. A
    dataset label the model does not know raises DataError before any inference runs.

    Examples
    --------
    >>> p = predict("demo:minilm-bbc", "bbc-news:test")
    >>> p.proba.shape
    (445, 5)
    """
    dataset = as_dataset(dataset)
    model = as_model(model, options)
    labels = align_labels(dataset, model.label_names)
    proba = model.predict_proba(dataset.texts, progress=progress)
    return Predictions(
        model=model.ref,
        dataset=dataset.name,
        ids=dataset.ids,
        labels=labels,
        label_names=tuple(model.label_names),
        proba=proba,
        provenance=provenance(model, dataset),
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
