"""Answer a question-answering dataset with a model, score the answers, and write the evaluation files.

``workbench evaluate`` on a question-answering model is :func:`predict_qa` (the best answer
to every question, decoded as the pipeline does, with whether a gold answer lay inside a window
the model read), ``statistics.qa_metrics.compute_qa_metrics``, and :func:`write_qa_evaluation`:
``predictions.jsonl`` (one line per question) and, last, ``metrics.json``, each atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..provenance import provenance
from ..records.qa import Decoding, QAMetrics, QAPredictions
from ..records.qa_dataset import QADataset
from ..records.task import check_task
from .evaluation import save_figure, write_metrics_json, write_rows, write_scored_rows


def predict_qa(model, dataset: QADataset, *, max_answer_len: int = 30, doc_stride: int | None = None, max_seq_len: int | None = None,
                    handle_impossible: bool | None = None, progress: bool | None = None) -> QAPredictions:
    """The model's best answer to every question, with the decoding used and where the gold answers lay.

    ``handle_impossible`` defaults to whether the dataset has unanswerable questions (SQuAD 2.0).
    """
    check_task(model, dataset)
    if handle_impossible is None:
        handle_impossible = not all(dataset.has_answer)
    max_seq_len, doc_stride = model.decoding_lengths(max_seq_len, doc_stride)
    answers = model.answer(dataset.questions, dataset.contexts, max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len,
                           handle_impossible=handle_impossible, progress=progress)
    in_window = []
    for question, context, gold in zip(dataset.questions, dataset.contexts, dataset.answers):
        windows = model.context_windows(question, context, max_seq_len=max_seq_len, doc_stride=doc_stride) if gold else []
        in_window.append(any(a <= g.answer_start and g.answer_start + len(g.text) <= b for g in gold for a, b in windows) if gold else None)
    return QAPredictions(
        model=model.ref, dataset=dataset.name, ids=dataset.ids, answers=tuple(best[0] for best in answers), gold=dataset.answers,
        in_window=tuple(in_window), decoding=Decoding(max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len,
                                                     handle_impossible=handle_impossible),
        provenance=provenance(model, dataset),
    )


def qa_rows(predictions: QAPredictions) -> Iterator[dict[str, Any]]:
    """One row per question: id, prediction, start, end, score and the gold answers (``workbench predict``'s lines)."""
    for qid, answer, gold in zip(predictions.ids, predictions.answers, predictions.gold):
        yield {"id": qid, "prediction": answer.text, "start": answer.start, "end": answer.end, "score": answer.score,
               "answers": [g.text for g in gold]}


def write_qa_predictions(out: str | os.PathLike[str], predictions: QAPredictions) -> dict[str, Path]:
    """Write predictions.jsonl (:func:`qa_rows`) into ``out``."""
    return write_rows(out, qa_rows(predictions))


def write_qa_metrics(out: str | os.PathLike[str], metrics: QAMetrics) -> dict[str, Path]:
    """Write reliability.png (the answers' scores against exact match), then metrics.json (last)."""
    from ..render.qa import qa_reliability_figure

    path = Path(out) / "reliability.png"
    save_figure(qa_reliability_figure(metrics), path)
    return {"reliability.png": path, **write_metrics_json(out, metrics)}


def write_qa_evaluation(out: str | os.PathLike[str], predictions: QAPredictions, metrics: QAMetrics) -> dict[str, Path]:
    """Write predictions.jsonl (:func:`qa_rows` with each question's exact_match and f1), reliability.png and
    metrics.json (last)."""
    scores = ({"exact_match": row["exact_match"], "f1": row["f1"]} for row in metrics.per_question)
    return write_scored_rows(out, qa_rows(predictions), scores, metrics, write_qa_metrics)
