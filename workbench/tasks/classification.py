"""Text classification in the registry: class probabilities, accuracy and F1, word explanations, paired tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..datasets.streaming import TextSource
from ..explainers import explain as explain_texts
from ..records import Attribution, Comparison, ExplanationStudy, Faithfulness, Metrics, Predictions
from ..statistics.faithfulness import score_faithfulness as faithfulness_of_texts
from ..statistics.metrics import compute_metrics
from ..render.pages import comparison_sections, evaluation_sections, explanation_sections, predictions_sections
from ..studies.comparison import compare, write_comparison
from ..studies.counterfactual import classification_bias
from ..studies.evaluation import evaluate_into, write_evaluation, write_metrics, write_predictions
from ..studies.explanation import explain_dataset, write_study
from ..studies.membership import classification_losses
from ..studies.prediction import predict as predict_probabilities, stream_predictions
from .base import AUDITED, Shown, Task, aligned_rows, describe_explanation_study


def predict(model: Any, data: Any, *, seed: int = 0, progress: bool | None = None, **options: Any) -> Any:
    """Class probabilities of every text (``studies.prediction.predict``); ``seed`` has nothing to seed here."""
    return predict_probabilities(model, data, progress=progress, **options)


def stream(model: Any, data: str, path: Path, *, columns: Mapping[str, Any], seed: int = 0, **options: Any) -> int:
    """``workbench predict``: the file read a shard at a time (``TextSource``), so a corpus larger than memory works;
    ``seed`` has nothing to seed here."""
    source = TextSource(data, **{k: columns[k] for k in ("text_column", "label_column", "id_column")})
    return stream_predictions(model, source, path, **options)


def losses(model: Any, dataset: Any, *, progress: bool | None = None, **options: Any) -> Any:
    """Each labeled text's ``-log p(gold label)``, what a membership attack reads; ``options`` decide nothing here."""
    return classification_losses(predict_probabilities(model, dataset, progress=progress))


def score_faithfulness(
    model: Any, data: Any, attributions: Sequence[Attribution], *, seed: int = 0, **options: Any
) -> Faithfulness:
    """Comprehensiveness and sufficiency against random words; ``data`` holds the explained texts (a Dataset by id)."""
    texts = data if isinstance(data, (list, tuple)) else [data.texts[i] for i in aligned_rows(data, attributions)]
    return faithfulness_of_texts(model, attributions, texts, seed=seed, **options)


def describe_metrics(metrics: Metrics, out: Path) -> list[str]:
    ci = metrics.ci["accuracy"]
    interval = f" (95% CI {ci.low:.3f}-{ci.high:.3f})" if ci else ""
    return [
        f"{metrics.model} on {metrics.data}: n={metrics.n} accuracy={metrics.accuracy:.4f}{interval} "
        f"macro-F1={metrics.f1_macro:.4f}",
        f"wrote {out}/metrics.json, predictions.csv, confusion_matrix.png, reliability.png",
    ]


def describe_comparison(comparison: Comparison, out: Path) -> list[str]:
    lines = []
    for ref in comparison.models:
        m, c = comparison.metrics[ref], comparison.cost[ref]
        ci = m.ci["accuracy"]
        interval = f" ({ci.low:.3f}-{ci.high:.3f})" if ci else ""
        memory = f", {c.peak_memory_mb:.0f} MiB" if c.peak_memory_mb is not None else ""
        lines.append(
            f"{ref:<24} accuracy {m.accuracy:.4f}{interval}  macro-F1 {m.f1_macro:.4f}  "
            f"{c.docs_per_s:.1f} docs/s{memory}"
        )
    return (
        lines
        + [pair.verdict() for pair in comparison.pairwise]
        + [f"wrote {out}/compare.json, compare.html, predictions/"]
    )


CLASSIFICATION = Task(
    name="classification",
    model_kind="classifier",
    notebook="evaluate.ipynb",
    default_method="lime",
    results={
        Predictions: Shown(write_predictions, predictions_sections),
        Metrics: Shown(write_metrics, evaluation_sections),
        ExplanationStudy: Shown(write_study, explanation_sections),
        Comparison: Shown(write_comparison, comparison_sections),
        **AUDITED,
    },
    options=(
        "stability_seeds", "target", "contrast", "text_column", "slice_columns", "probe_n", "explain_n",
        "explain_method", "latency_documents", "measure_memory",
    ),
    predict=predict,
    score=compute_metrics,
    evaluate_into=evaluate_into,
    write_evaluation=write_evaluation,
    explain=explain_texts,
    explain_dataset=explain_dataset,
    score_faithfulness=score_faithfulness,
    compare=compare,
    stream=stream,
    predict_formats=("csv", "parquet"),
    describe_metrics=describe_metrics,
    describe_study=describe_explanation_study,
    describe_comparison=describe_comparison,
    losses=losses,
    counterfactual=classification_bias,
    gives="labels",
)
