"""A comparison of question-answering models on one dataset: which answers more, how sure, how fast.

:func:`compare_answers` answers every question with each model (timed), scores the answers
(``statistics.qa_metrics``), tests every pair (``statistics.qa_paired.qa_pairwise``: McNemar's
exact test on per-question exact match, paired bootstrap on exact match and F1) and slices
each model's scores by context length and question word. :func:`write_answer_comparison`
writes compare.json, one predictions JSONL per model and compare.html, each atomically.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from pathlib import Path

from ..data import as_dataset
from ..io import atomic_open, write_json
from ..models import LoadOptions, as_model
from ..records.qa import QAComparison
from ..records.qa_dataset import QADataset
from ..statistics.qa_metrics import compute_qa_metrics
from ..statistics.qa_paired import qa_pairwise, qa_slices
from .answering import check_task, predict_answers, write_qa_evaluation
from .comparison import check_models, file_slug


def compare_answers(
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
    >>> study = compare_answers(["demo:minilm-qa", "demo:lexical-qa"], "bbc-qa:test")
    >>> study.pairwise[0].verdict()
    """
    if isinstance(models, (str, os.PathLike)) or not isinstance(models, Sequence):
        raise TypeError(f"models must be a list of two or more model references or loaded models; got {type(models).__name__}")
    check_models([os.fspath(m) if isinstance(m, (str, os.PathLike)) else m.ref for m in models])
    dataset = as_dataset(data)
    loaded = [as_model(m, options) for m in models]
    for model in loaded:
        check_task(model, dataset)
    predictions, scores, rates = {}, {}, {}
    for model in loaded:
        model.answer(list(dataset.questions[:2]), list(dataset.contexts[:2]), progress=False)  # warm-up, so the rate is steady-state
        start = time.perf_counter()
        predictions[model.ref] = predict_answers(model, dataset, max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len,
                                                 progress=progress)
        rates[model.ref] = len(dataset) / (time.perf_counter() - start)
        scores[model.ref] = compute_qa_metrics(predictions[model.ref], seed=seed)
    refs = tuple(predictions)
    return QAComparison(
        models=refs, data=dataset.name, seed=seed, decoding=predictions[refs[0]].decoding, metrics=scores, predictions=predictions,
        pairwise=tuple(qa_pairwise(predictions[a], predictions[b], scores[a], scores[b], seed=seed) for a, b in itertools.combinations(refs, 2)),
        slices={ref: tuple(qa_slices(scores[ref], dataset.questions, dataset.contexts)) for ref in refs}, questions_per_s=rates,
    )


def write_answer_comparison(out: str | os.PathLike[str], comparison: QAComparison) -> dict[str, Path]:
    """Write predictions/<model>/ (predictions.jsonl and metrics.json, as ``evaluate``), compare.json and compare.html into ``out``."""
    from ..render.answers import answer_comparison_page

    out = Path(out)
    taken: set[str] = set()
    folders = {ref: f"predictions/{file_slug(ref, taken)}" for ref in comparison.models}
    for ref, folder in folders.items():
        write_qa_evaluation(out / folder, comparison.predictions[ref], comparison.metrics[ref])
    write_json(out / "compare.json", comparison.to_dict({ref: f"{folder}/predictions.jsonl" for ref, folder in folders.items()}))
    with atomic_open(out / "compare.html") as handle:
        handle.write(answer_comparison_page(comparison))
    return {"compare.json": out / "compare.json", "compare.html": out / "compare.html", **{ref: out / f for ref, f in folders.items()}}
