"""Predict a dataset with a model: class probabilities with the gold labels matched by name, and provenance.

``predict`` returns a ``Predictions`` record (``workbench evaluate`` scores it), or a Ray
Dataset for a Ray Dataset; ``stream_predictions`` (``workbench predict``) reads a file and
writes its predictions a shard at a time, on this process or a Ray actor pool, so memory stays
that of one shard however long the data, and a killed run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.loading import align_labels, as_dataset, column_strings
from ..errors import DataError
from ..models import LoadOptions, as_model
from ..models.ray_engine import RayModel, RayOptions, as_ray_options, labelled_columns, map_model, split_pool
from ..provenance import provenance
from ..records import Classifier, Dataset, Predictions, Provenance
from ..shards import ShardedOutput, write_sharded
from ..datasets.streaming import TextSource

SHARD_ROWS = 10_000  # rows per shard of `workbench predict`: a killed run loses at most this much work


def predict(model: str | Classifier, dataset: Any, *, options: LoadOptions | None = None, progress: bool | None = None,
            engine: str | RayOptions = "local", text_column: str = "text") -> Any:
    """Class probabilities of every text in ``dataset``, with the gold labels matched to the model's.

    ``model`` and ``dataset`` may be references (loaded with ``options``) or loaded records. A
    dataset label the model does not know raises DataError before any inference runs.
    ``engine="ray"`` (or a ``RayOptions``) runs the model on a Ray Data actor pool; the
    probabilities are the local engine's. Handed a ``ray.data.Dataset`` (with ``text_column``),
    it returns one, lazily: every column of the input plus ``prediction`` and ``p_<label>`` per
    label, which a notebook can ``write_parquet`` or iterate.

    Examples
    --------
    >>> p = predict("demo:minilm-bbc", "bbc-news:test")
    >>> p.proba.shape
    (445, 5)
    >>> out = predict("demo:minilm-bbc", ray.data.read_parquet("tickets.parquet"), engine="ray")  # doctest: +SKIP
    """
    ray_options = as_ray_options(engine)
    if type(dataset).__module__.startswith("ray.data"):
        import functools

        model = as_model(model, options)
        return map_model(model, dataset, functools.partial(labelled_columns, text_column=text_column), ray_options or RayOptions())
    dataset = as_dataset(dataset)
    model = as_model(model, options)
    labels = align_labels(dataset, model.label_names)
    runner = RayModel(model, ray_options) if ray_options else model
    proba = runner.predict_proba(dataset.texts, progress=progress)
    return Predictions(
        model=model.ref,
        dataset=dataset.name,
        ids=dataset.ids,
        labels=labels,
        label_names=tuple(model.label_names),
        proba=proba,
        provenance=provenance(model, dataset),
    )


def stream_predictions(model: Classifier, source: TextSource, path: str | os.PathLike[str], *, engine: str | RayOptions | None = None,
                       progress: bool | None = None, resume: bool = False, shard_rows: int = SHARD_ROWS) -> int:
    """Write predictions (``.csv`` or ``.parquet`` by the suffix of ``path``) shard by shard; return the row count.

    ``source`` is read a shard at a time (``TextSource``), so memory stays that of one shard
    however long the data. Rows go in shards of ``shard_rows`` into ``PATH.shards/``
    (``shards.ShardedOutput``: each shard atomic, a progress record, a lock against a second
    writer). With ``engine`` (``"ray"`` or RayOptions, or a RayModel as the model) the shards are
    predicted by a Ray Data actor pool, the file read on Ray (``ray_engine.read_table``); without,
    by this process. Started again with ``resume``, finished shards are skipped (and logged) and not
    recomputed; at the end the shards are joined into ``path`` atomically, byte-identical to an
    uninterrupted run's file, and the shard folder is removed. ``progress``: one bar over the rows.
    """
    model, engine = split_pool(model, engine)
    run = {"model": model.fingerprint, "data": source.fingerprint, "text": source.text_column, "labels": list(model.label_names),
           "label_column": source.label_column if source.has_labels else None}

    def frames(shards: ShardedOutput) -> Iterator[tuple[int, Any]]:
        chunks = _ray_chunks(model, source, shards, engine) if engine else _local_chunks(model, source, shards)
        for index, chunk in chunks:
            yield index, chunk.to_frame()

    return write_sharded(path, run, frames, shard_rows=shard_rows, resume=resume, total=source.num_rows,
                         progress=progress)


def read_predictions(path: str | os.PathLike[str], *, model: str = "", dataset: str = "", label_names: tuple[str, ...] | None = None,
                     provenance: Provenance | None = None) -> Predictions:
    """The Predictions in a predictions file (``.csv`` or ``.parquet``: ``workbench predict``'s or ``evaluate``'s columns).

    Metrics that need every prediction (the bootstrap) read them back from the written file, not
    from the run's memory; a file predicted shard by shard from a corpus larger than memory is
    scored this way. CSV probabilities are parsed round-trip (pandas writes the shortest repr),
    so they are the very floats that were written and the metrics equal the in-memory ones.
    ``label_names`` default to the ``p_<label>`` columns in file order; a file with no gold labels
    (all ``label`` cells empty) gives ``labels=None``.
    """
    import pandas as pd

    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            frame[["id", "label"]] = frame[["id", "label"]].astype(str)
        else:
            frame = pd.read_csv(path, dtype={"id": str, "label": str, "prediction": str}, keep_default_na=False, float_precision="round_trip")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} could not be read as predictions: {str(exc).strip().splitlines()[0]}; give a file `workbench predict` wrote") from None
    names = tuple(label_names or [str(c)[2:] for c in frame.columns if str(c).startswith("p_")])
    missing = [c for c in ("id", "label", *(f"p_{n}" for n in names)) if c not in frame.columns]
    if missing or not names:
        raise DataError(f"{path} lacks the predictions columns {missing or ['p_<label>']}; give a file `workbench predict` wrote")
    labels = tuple(frame["label"])
    return Predictions(model=model, dataset=dataset or str(path), ids=tuple(frame["id"]), labels=labels if any(labels) else None,
                       label_names=names, proba=frame[[f"p_{n}" for n in names]].to_numpy(dtype=float), provenance=provenance)


def _local_chunks(model: Classifier, source: TextSource, shards: ShardedOutput) -> Iterator[tuple[int, Predictions]]:
    """The pending shards predicted in this process, one ``(index, Predictions)`` at a time."""
    for index, chunk in enumerate(source.chunks(shards.shard_rows)):
        if not shards.is_done(index):
            yield index, _chunk_predictions(model, source, chunk.ids, chunk.labels, model.predict_proba(chunk.texts, progress=False))


def _ray_chunks(model: Classifier, source: TextSource, shards: ShardedOutput, engine: RayOptions) -> Iterator[tuple[int, Predictions]]:
    """The pending shards predicted by a Ray Data actor pool, one ``(index, Predictions)`` at a time, in order.

    A file is read on Ray (``read_table``; a loaded dataset goes in with ``from_items``).
    Resuming, the rows of finished shards are filtered out by row number before the model sees
    them; whole shards go, so the rows left still fall in shard-sized runs and each batch of
    ``shard_rows`` is one pending shard.
    """
    import functools

    from ..models.ray_engine import map_model, probability_columns, ray_connect, read_table

    ray = ray_connect(engine)
    if source.dataset is not None:
        d = source.dataset
        text, ids, labels = "text", "id", "label" if d.labels is not None else None
        table = ray.data.from_items([{"text": d.texts[i], "id": d.ids[i], **({"label": d.labels[i]} if labels else {})} for i in range(len(d))])
    else:
        text, ids, labels = source.text_column, source.id_column if source.has_ids else None, source.label_column if source.has_labels else None
        table = read_table(source.location, source.format, [c for c in (text, ids, labels) if c], rows=engine.batch_rows)
    total = source.num_rows if source.num_rows is not None else table.count()
    pending = [i for i in range(-(-total // shards.shard_rows)) if not shards.is_done(i)]
    if shards.done:
        table = table.zip(ray.data.range(total).rename_columns({"id": "_row"}))
        table = table.filter(functools.partial(_pending_row, frozenset(pending), shards.shard_rows))
    keep = [c for c in (text, ids, labels) if c]  # the texts come back too, to refuse a blank one as the local reader does
    # Batches that divide a shard: a resumed run's pool sees each pending row in the batch an uninterrupted run gives it, so the
    # same padding and the same bytes (finished shards are filtered out whole)
    rows = max(b for b in range(1, min(engine.batch_rows, shards.shard_rows) + 1) if shards.shard_rows % b == 0)
    out = map_model(model, table, functools.partial(probability_columns, text_column=text, keep=keep), dataclasses.replace(engine, batch_rows=rows))
    columns = [f"p_{name}" for name in model.label_names]
    for index, batch in zip(pending, out.iter_batches(batch_size=shards.shard_rows, batch_format="numpy")):
        start = index * shards.shard_rows
        cells = {c: column_strings(batch[c], source.name, c, role, start=start) for c, role in ((text, "text"), (ids, "id"), (labels, "label")) if c}
        row_ids = cells[ids] if ids else tuple(str(start + i) for i in range(len(cells[text])))
        yield index, _chunk_predictions(model, source, row_ids, cells[labels] if labels else None, np.column_stack([batch[c] for c in columns]))


def _pending_row(pending: frozenset[int], shard_rows: int, row: dict) -> bool:
    return row["_row"] // shard_rows in pending


def _chunk_predictions(model: Classifier, source: TextSource, ids: tuple[str, ...], labels: tuple[str, ...] | None, proba: np.ndarray) -> Predictions:
    """One shard's Predictions, its gold labels (if any) spelled as the model spells them (``align_labels``)."""
    if labels is not None:
        labels = align_labels(Dataset(source.name, ids, ids, labels, tuple(sorted(set(labels)))), model.label_names)
    return Predictions(model.ref, source.name, ids, labels, tuple(model.label_names), proba)
