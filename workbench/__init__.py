"""workbench: evaluate, explain and compare transformer text classifiers.

The public surface is a few verbs, the records they exchange, and the errors::

    import workbench as wb
    ds = wb.load_dataset("bbc-news:test")
    model = wb.load_model("demo:minilm-bbc")
    predictions = wb.predict(model, ds)
    metrics = wb.compute_metrics(predictions, seed=0)     # or wb.evaluate(model, ds)
    wb.run_report("notebooks/evaluate.ipynb", "reports/mine", {"seed": 1})   # a papermill report
    wb.Explorer(model, ds)                                # the ipywidgets app, in JupyterLab

Names load lazily, so ``import workbench`` imports neither torch nor transformers.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

logging.getLogger("workbench").addHandler(logging.NullHandler())

_EXPORTS = {
    "load_dataset": "data",
    "load_model": "models",
    "predict": "evaluation",
    "evaluate": "evaluation",
    "write_evaluation": "evaluation",
    "compute_metrics": "metrics",
    "explain": "explainers",
    "compare": "compare_models",
    "write_comparison": "compare_models",
    "Comparison": "records",
    "explain_dataset": "explainers.study",
    "score_faithfulness": "faithfulness",
    "agreement": "faithfulness",
    "run_report": "report",
    "write_index": "report",
    "Explorer": "widgets",
    "Attribution": "records",
    "Dataset": "records",
    "Predictions": "records",
    "Metrics": "records",
    "ConfidenceInterval": "records",
    "Classifier": "records",
    "WorkbenchError": "errors",
    "DataError": "errors",
    "ModelError": "errors",
    "ParameterError": "errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .data import load_dataset
    from .errors import DataError, ModelError, ParameterError, WorkbenchError
    from .evaluation import evaluate, predict, write_evaluation
    from .compare_models import compare, write_comparison
    from .explainers import explain
    from .explainers.study import explain_dataset
    from .faithfulness import agreement, score_faithfulness
    from .metrics import compute_metrics
    from .models import load_model
    from .report import run_report, write_index
    from .widgets import Explorer
    from .records import Attribution, Classifier, Comparison, ConfidenceInterval, Dataset, Metrics, Predictions


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
