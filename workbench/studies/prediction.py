"""Predict a dataset with a model: class probabilities with the gold labels matched by name, and provenance.

``predict`` returns a ``Predictions`` record (``workbench evaluate`` scores it);
``stream_predictions`` writes predictions.csv chunk by chunk (``workbench predict``), so
memory stays that of one chunk however long the data.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..data import align_labels, as_dataset
from ..io import atomic_open
from ..models import LoadOptions, as_model
from ..provenance import provenance
from ..records import Classifier, Dataset, Predictions

logger = logging.getLogger(__name__)
SHARD_ROWS = 10_000  # rows per shard of `workbench predict`: a killed run loses at most this much work


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


def stream_predictions(model: Classifier, dataset: Dataset, path: str | os.PathLike[str], *, progress: bool | None = None, resume: bool = False,
                       shard_rows: int = SHARD_ROWS) -> int:
    """Write predictions.csv shard by shard, so a killed run resumes where it stopped; return the row count.

    Rows go in shards of ``shard_rows`` into ``PATH.shards/`` (``shards.ShardedOutput``: each
    shard atomic, a progress record, a lock against a second writer); started again with
    ``resume``, finished shards are skipped (and logged), and at the end the shards are joined
    into ``path`` atomically, byte-identical to an uninterrupted run's file, and the shard folder
    is removed. Memory stays that of one chunk however long the dataset.
    """
    import shutil

    from ..shards import ShardedOutput, output_lock

    path = Path(path)
    labels = align_labels(dataset, model.label_names)
    folder = path.with_name(path.name + ".shards")
    run = {"model": model.fingerprint, "data": dataset.sha256, "labels": list(model.label_names), "rows": len(dataset)}
    count = -(-len(dataset) // shard_rows)
    with output_lock(folder):
        shards = ShardedOutput(folder, run, shard_rows=shard_rows, suffix="csv", resume=resume)
        for index in range(count):
            rows = slice(index * shard_rows, min(len(dataset), (index + 1) * shard_rows))
            if shards.is_done(index):
                logger.info("shard %d (rows %d-%d) was done earlier; skipped", index, rows.start, rows.stop - 1)
                continue
            proba = model.predict_proba(dataset.texts[rows], progress=progress)
            chunk = Predictions(model.ref, dataset.name, dataset.ids[rows], labels[rows] if labels else None, tuple(model.label_names), proba)
            text = chunk.to_frame().to_csv(index=False, header=index == 0, lineterminator="\n")
            shards.write(index, lambda handle, text=text: handle.write(text.encode("utf-8")))
            logger.info("shard %d (rows %d-%d) written", index, rows.start, rows.stop - 1)
        with atomic_open(path, "wb") as handle:
            for index in range(count):
                handle.write(shards.path(index).read_bytes())
    shutil.rmtree(folder, ignore_errors=True)
    return len(dataset)
