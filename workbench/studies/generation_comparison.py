"""A comparison of generators on one dataset: which writes closer to the references, by how much, how fast.

:func:`compare_generations` generates every output with each model (timed, after a warm-up),
scores them (``statistics.generation_metrics``), tests every pair
(``statistics.generation_paired``: paired bootstrap on per-document ROUGE-L and chrF) and
slices each model's scores by source length. :func:`write_generation_comparison` writes
compare.json, predictions/<model>/ (as ``evaluate``) and compare.html, each atomically.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path

from ..models import LoadOptions
from ..records.generation import GenerationComparison, GenerationSettings
from ..records.generation_dataset import GenerationDataset
from ..statistics.generation_metrics import compute_generation_metrics
from ..statistics.generation_paired import generation_pairwise, generation_slices
from .comparison import load_compared, write_task_comparison
from .generation_prediction import predict_generations, write_generation_evaluation


def compare_generations(models: Sequence, data: str | GenerationDataset, *, seed: int = 0, settings: GenerationSettings = GenerationSettings(),
                        options: LoadOptions | None = None, progress: bool | None = None) -> GenerationComparison:
    """Compare two or more generators (references or loaded) on the same sources, with the same generation settings.

    Examples
    --------
    >>> study = compare_generations(["demo:headline-bbc", "demo:lead-sentence"], "bbc-headlines:test")
    >>> study.pairwise[0].verdict()
    """
    dataset, loaded = load_compared(models, data, options)
    predictions, scores, rates = {}, {}, {}
    for model in loaded:
        model.generate(list(dataset.texts[:2]), max_new_tokens=settings.max_new_tokens, num_beams=settings.num_beams, progress=False)  # warm-up
        predictions[model.ref] = predict_generations(model, dataset, settings, progress=progress)
        rates[model.ref] = len(dataset) / predictions[model.ref].seconds
        scores[model.ref] = compute_generation_metrics(predictions[model.ref], seed=seed)
    refs = tuple(predictions)
    return GenerationComparison(
        models=refs, data=dataset.name, seed=seed, generation=settings, metrics=scores, predictions=predictions,
        pairwise=tuple(generation_pairwise(scores[a], scores[b], ids_a=predictions[a].ids, ids_b=predictions[b].ids, seed=seed)
                       for a, b in itertools.combinations(refs, 2)),
        slices={ref: tuple(generation_slices(scores[ref], dataset.texts)) for ref in refs}, documents_per_s=rates,
    )


def write_generation_comparison(out: str | os.PathLike[str], comparison: GenerationComparison) -> dict[str, Path]:
    """Write predictions/<model>/ (predictions.jsonl and metrics.json, as ``evaluate``), compare.json and compare.html into ``out``."""
    from ..render.generation import generation_comparison_page

    return write_task_comparison(out, comparison, write_generation_evaluation, generation_comparison_page)
