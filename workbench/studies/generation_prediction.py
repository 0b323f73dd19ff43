"""Generate from every source of a dataset with a model, score the outputs, and write the evaluation files.

``workbench evaluate`` on a generator is :func:`predict_generations` (``Generator.generate``
over the sources, batched, in dataset order, with the settings and the time it took),
``statistics.generation_metrics.compute_generation_metrics``, and
:func:`write_generation_evaluation`: ``predictions.jsonl`` (one line per document: id,
prediction, references and every per-document score) and, last, ``metrics.json``, each
atomically. Every figure in ``metrics.json`` is recomputable from ``predictions.jsonl`` with
rouge-score and sacrebleu.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..provenance import provenance
from ..records.generation import GenerationMetrics, GenerationPredictions, GenerationSettings
from ..records.generation_dataset import GenerationDataset
from ..records.task import check_task
from .evaluation import write_rows, write_scored_rows


def predict_generations(model, dataset: GenerationDataset, settings: GenerationSettings = GenerationSettings(), *,
                        progress: bool | None = None) -> GenerationPredictions:
    """The model's output for every source of ``dataset``, in dataset order, with the references and the settings used."""
    check_task(model, dataset)
    start = time.perf_counter()
    predictions = model.generate(dataset.texts, max_new_tokens=settings.max_new_tokens, num_beams=settings.num_beams,
                                 do_sample=settings.do_sample, seed=settings.seed, progress=progress)
    return GenerationPredictions(model=model.ref, dataset=dataset.name, ids=dataset.ids, sources=dataset.texts, predictions=tuple(predictions),
                                 references=dataset.references, settings=settings, seconds=time.perf_counter() - start,
                                 provenance=provenance(model, dataset))


def generation_rows(generations: GenerationPredictions) -> Iterator[dict[str, Any]]:
    """One row per document: id, prediction, reference and references (the lines of ``workbench predict``)."""
    for doc_id, prediction, refs in zip(generations.ids, generations.predictions, generations.references):
        yield {"id": doc_id, "prediction": prediction, "reference": refs[0] if refs else None, "references": list(refs)}


def write_generation_predictions(out: str | os.PathLike[str], generations: GenerationPredictions) -> dict[str, Path]:
    """Write predictions.jsonl (:func:`generation_rows`) into ``out``."""
    return write_rows(out, generation_rows(generations))


def write_generation_evaluation(out: str | os.PathLike[str], generations: GenerationPredictions,
                                metrics: GenerationMetrics) -> dict[str, Path]:
    """Write predictions.jsonl (:func:`generation_rows` with every per-document score) and metrics.json (last)."""
    return write_scored_rows(out, generation_rows(generations), metrics.per_document, metrics)
