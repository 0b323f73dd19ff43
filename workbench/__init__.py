"""workbench: evaluate, explain and compare transformer text models.

The public surface is a few verbs, the records they exchange, and the errors::

    import workbench as wb
    ds = wb.load_dataset("bbc-news:test")
    model = wb.load_model("demo:minilm-bbc")
    predictions = wb.predict(model, ds)
    metrics = wb.compute_metrics(predictions, seed=0)     # or wb.evaluate(model, ds)
    wb.run_report("notebooks/evaluate.ipynb", "reports/mine", {"seed": 1})   # a papermill report
    wb.compare(["demo:minilm-bbc", "demo:tfidf-logreg"], ds)   # references or loaded models
    wb.Explorer(model, ds)                                # the ipywidgets app, in JupyterLab
    qa = wb.load_model("demo:minilm-qa")                  # extractive question answering
    answers = wb.predict_answers(qa, wb.load_dataset("bbc-qa:test"))
    wb.compute_qa_metrics(answers, seed=0).exact_match    # SQuAD exact match and F1, with intervals
    writer = wb.load_model("demo:headline-bbc")           # generation: encoder-decoder or decoder-only
    outputs = wb.predict_generations(writer, wb.load_dataset("bbc-headlines:test"))
    wb.compute_generation_metrics(outputs, seed=0).rouge1  # ROUGE, BLEU, chrF, with intervals

Names load lazily, so ``import workbench`` imports neither torch nor transformers and changes
nothing in the process. The layers, from the bottom: errors, io, words, reading, records,
datasets, provenance; models; statistics; explainers; render; studies; report,
bench, demos.build; widgets and cli (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

logging.getLogger("workbench").addHandler(logging.NullHandler())

_EXPORTS = {
    "load_dataset": "datasets",
    "load_model": "models",
    "LoadOptions": "models",
    "RayOptions": "models.ray_engine",
    "RayModel": "models.ray_engine",
    "TextSource": "datasets.streaming",
    "stream_predictions": "studies.prediction",
    "read_predictions": "studies.prediction",
    "predict": "studies.prediction",
    "evaluate": "studies.evaluation",
    "write_evaluation": "studies.evaluation",
    "compute_metrics": "statistics.metrics",
    "explain": "explainers",
    "explain_dataset": "studies.explanation",
    "write_study": "studies.explanation",
    "compare": "studies.comparison",
    "compare_predictions": "studies.comparison",
    "write_comparison": "studies.comparison",
    "score_faithfulness": "statistics.faithfulness",
    "predict_answers": "studies.answering",
    "write_qa_evaluation": "studies.answering",
    "compute_qa_metrics": "statistics.qa_metrics",
    "explain_answers": "explainers",
    "explain_questions": "studies.answer_explanation",
    "compare_answers": "studies.answer_comparison",
    "write_answer_comparison": "studies.answer_comparison",
    "score_answer_faithfulness": "statistics.qa_faithfulness",
    "predict_generations": "studies.generating",
    "write_generation_evaluation": "studies.generating",
    "compute_generation_metrics": "statistics.generation_metrics",
    "explain_generations": "studies.generation_explanation",
    "write_token_study": "studies.generation_explanation",
    "compare_generations": "studies.generation_comparison",
    "write_generation_comparison": "studies.generation_comparison",
    "token_faithfulness": "statistics.token_faithfulness",
    "GenerationSettings": "records.generation",
    "agreement": "statistics.faithfulness",
    "run_report": "report",
    "write_index": "report",
    "Explorer": "widgets",
    "Attribution": "records",
    "Comparison": "records",
    "Dataset": "records",
    "ExplanationStudy": "records",
    "Faithfulness": "records",
    "Metrics": "records",
    "Pairwise": "records",
    "Predictions": "records",
    "Provenance": "records",
    "ConfidenceInterval": "records",
    "Classifier": "records",
    "WorkbenchError": "errors",
    "DataError": "errors",
    "ModelError": "errors",
    "ParameterError": "errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .datasets import load_dataset
    from .errors import DataError, ModelError, ParameterError, WorkbenchError
    from .explainers import explain, explain_answers
    from .models import LoadOptions, load_model
    from .records import (Attribution, Classifier, Comparison, ConfidenceInterval, Dataset, ExplanationStudy, Faithfulness, Metrics, Pairwise,
                          Predictions, Provenance)
    from .records.generation import GenerationSettings
    from .report import run_report, write_index
    from .statistics.faithfulness import agreement, score_faithfulness
    from .statistics.generation_metrics import compute_generation_metrics
    from .statistics.metrics import compute_metrics
    from .statistics.qa_faithfulness import score_answer_faithfulness
    from .statistics.qa_metrics import compute_qa_metrics
    from .statistics.token_faithfulness import token_faithfulness
    from .studies.answer_comparison import compare_answers, write_answer_comparison
    from .studies.answer_explanation import explain_questions
    from .studies.answering import predict_answers, write_qa_evaluation
    from .studies.comparison import compare, compare_predictions, write_comparison
    from .studies.evaluation import evaluate, write_evaluation
    from .studies.generating import predict_generations, write_generation_evaluation
    from .studies.generation_comparison import compare_generations, write_generation_comparison
    from .studies.generation_explanation import explain_generations, write_token_study
    from .datasets.streaming import TextSource
    from .models.ray_engine import RayModel, RayOptions
    from .studies.prediction import predict, read_predictions, stream_predictions
    from .studies.explanation import explain_dataset, write_study
    from .widgets import Explorer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
