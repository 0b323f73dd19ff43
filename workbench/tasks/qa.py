"""Extractive question answering in the registry: answers, SQuAD exact match and F1, explained answers, paired tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..explainers import explain_qa
from ..records import Attribution, Faithfulness
from ..records.qa import QAComparison, QAMetrics, QAPredictions
from ..records.qa_dataset import QADataset
from ..statistics.qa_faithfulness import score_qa_faithfulness
from ..statistics.qa_metrics import compute_qa_metrics
from ..records.explanation_study import ExplanationStudy
from ..render.qa import qa_comparison_sections, qa_evaluation_sections, qa_predictions_sections
from ..render.pages import explanation_sections
from ..studies.counterfactual import qa_bias
from ..studies.membership import qa_losses
from ..studies.qa_comparison import compare_qa, write_qa_comparison
from ..studies.qa_explanation import explain_qa_dataset
from ..studies.qa_prediction import qa_rows, predict_qa, write_qa_evaluation, write_qa_metrics, write_qa_predictions
from ..studies.explanation import write_study
from .base import (AUDITED, Shown, Task, aligned_rows, describe_explanation_study, describe_pairs, evaluate_whole,
                   stream_whole)


def predict(
    model: Any, dataset: QADataset, *, seed: int = 0, progress: bool | None = None, **options: Any
) -> QAPredictions:
    """The best answer to every question (``studies.qa_prediction.predict_qa``); decoding has nothing to seed."""
    return predict_qa(model, dataset, progress=progress, **options)


def explain(
    model: Any, data: QADataset, *, method: str = "occlusion", seed: int = 0, **options: Any
) -> list[Attribution]:
    """One Attribution per question: its words and its context's, toward the best answer's span."""
    return explain_qa(model, data.questions, data.contexts, ids=data.ids, method=method, seed=seed, **options)


def score_faithfulness(
    model: Any, data: QADataset, attributions: Sequence[Attribution], *, seed: int = 0, **options: Any
) -> Faithfulness:
    """Faithfulness of explained answers against random words; their questions and contexts are found by id."""
    rows = aligned_rows(data, attributions)
    return score_qa_faithfulness(
        model, attributions, [data.questions[i] for i in rows], [data.contexts[i] for i in rows], seed=seed, **options
    )


def losses(model: Any, dataset: QADataset, *, progress: bool | None = None, max_answer_len: int = 30,
           doc_stride: int | None = None, max_seq_len: int | None = None, **options: Any) -> Any:
    """Each question's ``-log p(gold answer)`` read with the decoding options; the others decide nothing here."""
    return qa_losses(model, dataset, progress=progress, max_answer_len=max_answer_len, doc_stride=doc_stride,
                     max_seq_len=max_seq_len)


def describe_metrics(metrics: QAMetrics, out: Path) -> list[str]:
    return [
        f"{metrics.model} on {metrics.data}: n={metrics.n} exact match={metrics.exact_match:.2f} F1={metrics.f1:.2f}",
        f"wrote {out}/metrics.json, predictions.jsonl, reliability.png",
    ]


def describe_comparison(comparison: QAComparison, out: Path) -> list[str]:
    return describe_pairs(
        comparison, comparison.questions_per_s, "questions",
        lambda m: f"exact match {m.exact_match:.2f}  F1 {m.f1:.2f}", out,
    )


QUESTION_ANSWERING = Task(
    name="question-answering", model_kind="question-answering model", notebook="qa.ipynb", default_method="occlusion",
    results={
        QAPredictions: Shown(write_qa_predictions, qa_predictions_sections),
        QAMetrics: Shown(write_qa_metrics, qa_evaluation_sections),
        ExplanationStudy: Shown(write_study, explanation_sections),
        QAComparison: Shown(write_qa_comparison, qa_comparison_sections),
        **AUDITED,
    },
    options=("stability_seeds", "max_answer_len", "doc_stride", "max_seq_len", "handle_impossible", "keep_answer"),
    predict=predict,
    score=compute_qa_metrics,
    evaluate_into=evaluate_whole("question-answering", predict, compute_qa_metrics, write_qa_evaluation),
    write_evaluation=write_qa_evaluation, explain=explain, explain_dataset=explain_qa_dataset,
    score_faithfulness=score_faithfulness, compare=compare_qa,
    stream=stream_whole(predict, qa_rows, lambda dataset: {"handle_impossible": not all(dataset.has_answer)}),
    predict_formats=("jsonl", "parquet"), describe_metrics=describe_metrics, describe_study=describe_explanation_study,
    describe_comparison=describe_comparison, losses=losses, counterfactual=qa_bias,
    gives="spans of the contexts it reads",
)
