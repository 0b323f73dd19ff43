"""A comparison of question-answering models on one dataset: which answers more, how sure, how fast.

:func:`compare_qa` answers every question with each model (timed), scores the answers
(``statistics.qa_metrics``), tests every pair (``statistics.qa_paired.qa_pairwise``: McNemar's
exact test on per-question exact match, paired bootstrap on exact match and F1) and slices
each model's scores by context length and question word. :func:`write_qa_comparison`
writes compare.json, one predictions JSONL per model and compare.html, each atomically.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from pathlib import Path

from ..models import LoadOptions
from ..records.qa import QAComparison
from ..records.qa_dataset import QADataset
from ..statistics.qa_metrics import compute_qa_metrics
from ..statistics.qa_paired import qa_pairwise, qa_slices
from .qa_prediction import predict_qa, write_qa_evaluation
from .comparison import load_compared, write_task_comparison


def compare_qa(
    models: Sequence,
    data: str | QADataset,
    *,
    seed: int = 0,
    max_answer_len: int = 30,
    doc_stride: int | None = None,
    max_seq_len: int | None = None,
    options: LoadOptions | None = None,
    progress: bool | None = None,
) -> QAComparison:
    """Compare two or more question-answering models (references or loaded) on the same questions.

    Each model decodes with its own window defaults unless ``doc_stride`` / ``max_seq_len``
    are given; the comparison records the first model's decoding.

    Examples
    --------
    >>> study = compare_qa(["demo:minilm-qa", "demo:lexical-qa"], "bbc-qa:test")
    >>> study.pairwise[0].verdict()
    """
    dataset, loaded = load_compared(models, data, options)
    predictions, scores, rates = {}, {}, {}
    for model in loaded:
        model.answer(list(dataset.questions[:2]), list(dataset.contexts[:2]), progress=False)  # warm-up, so the rate is steady-state
        start = time.perf_counter()
        predictions[model.ref] = predict_qa(model, dataset, max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len,
                                                 progress=progress)
        rates[model.ref] = len(dataset) / (time.perf_counter() - start)
        scores[model.ref] = compute_qa_metrics(predictions[model.ref], seed=seed)
    refs = tuple(predictions)
    return QAComparison(
        models=refs, data=dataset.name, seed=seed, decoding=predictions[refs[0]].decoding, metrics=scores, predictions=predictions,
        pairwise=tuple(qa_pairwise(predictions[a], predictions[b], scores[a], scores[b], seed=seed) for a, b in itertools.combinations(refs, 2)),
        slices={ref: tuple(qa_slices(scores[ref], dataset.questions, dataset.contexts)) for ref in refs}, questions_per_s=rates,
    )


def write_qa_comparison(out: str | os.PathLike[str], comparison: QAComparison) -> dict[str, Path]:
    """Write predictions/<model>/ (predictions.jsonl and metrics.json, as ``evaluate``), compare.json and compare.html into ``out``."""
    from ..render.qa import qa_comparison_page

    return write_task_comparison(out, comparison, write_qa_evaluation, qa_comparison_page)
