"""workbench: evaluate, explain and compare transformer text models.

The public surface is one set of verbs for every task, the records they return, and the errors::

    import workbench as wb
    model, ds = wb.load_model("demo:minilm-bbc"), wb.load_dataset("bbc-news:test")   # a classifier
    metrics = wb.evaluate(model, ds, seed=0)                     # accuracy and F1 with intervals
    study = wb.explain_dataset(model, ds, n=5)                   # LIME, SHAP, gradients; faithfulness
    wb.compare(["demo:minilm-bbc", "demo:tfidf-logreg"], ds)     # paired tests, cost, probes
    wb.audit("demo:minilm-bbc", "bbc-news")                      # membership, duplicates, bias (train vs test)
    wb.evaluate("demo:minilm-qa", "bbc-qa:test").exact_match     # question answering: the same verbs
    wb.evaluate("demo:headline-bbc", "bbc-headlines:test").rouge1   # generation: the same verbs
    wb.run_report("demo:minilm-qa", "bbc-qa:test", "reports/qa")     # the task's papermill report
    wb.Explorer(model, ds)                                       # the ipywidgets app, in JupyterLab

Each verb looks the model's task up in ``workbench.tasks``. Names load lazily, so ``import workbench``
imports neither torch nor transformers and changes nothing in the process. The layers, from the
bottom: errors, io, words, reading, records, datasets, provenance; models; statistics; explainers;
render; studies; tasks; report, bench, demos.build; verbs; widgets and cli (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from .records import base as _records

logging.getLogger("workbench").addHandler(logging.NullHandler())


def _presenter_of(result: Any) -> Any:
    """How a verb's result writes and shows itself: looked up in the task registry, which sits above the records, so
    the package root hands this to them (``records.base.presenter_of``) and the registry loads when first asked."""
    from .tasks import presenter_of

    return presenter_of(result)


_records.presenter_of = _presenter_of

#: Where each public name lives: the verbs, what loads models and data, the result records, the errors.
_MODULES = {
    "verbs": ("predict", "evaluate", "explain", "explain_dataset", "compare", "score_faithfulness", "audit",
              "run_report", "compute_metrics", "write_evaluation"),
    "datasets": ("load_dataset",),
    "models": ("load_model", "LoadOptions"),
    "models.ray_engine": ("RayOptions",),
    "widgets": ("Explorer",),
    "personal_data": ("redacting",),
    "report": ("write_index",),
    "records": ("Answerer", "Attribution", "Classifier", "Comparison", "Dataset", "ExplanationStudy", "Faithfulness",
                "Generator", "Metrics", "Predictions"),
    "records.audit": ("Audit",),
    "records.qa_dataset": ("QADataset",),
    "records.qa": ("QAPredictions", "QAMetrics", "QAComparison"),
    "records.generation_dataset": ("GenerationDataset",),
    "records.generation": ("GenerationSettings", "GenerationPredictions", "GenerationMetrics", "GenerationComparison"),
    "records.token_attribution": ("TokenAttribution", "TokenStudy"),
    "errors": ("WorkbenchError", "DataError", "ModelError", "ParameterError"),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .datasets import load_dataset
    from .errors import DataError, ModelError, ParameterError, WorkbenchError
    from .models import LoadOptions, load_model
    from .models.ray_engine import RayOptions
    from .personal_data import redacting
    from .records import (Answerer, Attribution, Classifier, Comparison, Dataset, ExplanationStudy, Faithfulness,
                          Generator, Metrics, Predictions)
    from .records.audit import Audit
    from .records.generation import GenerationComparison, GenerationMetrics, GenerationPredictions, GenerationSettings
    from .records.generation_dataset import GenerationDataset
    from .records.qa import QAComparison, QAMetrics, QAPredictions
    from .records.qa_dataset import QADataset
    from .records.token_attribution import TokenAttribution, TokenStudy
    from .report import write_index
    from .verbs import (audit, compare, compute_metrics, evaluate, explain, explain_dataset, predict, run_report,
                        score_faithfulness, write_evaluation)
    from .widgets import Explorer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
