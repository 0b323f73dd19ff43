"""The records every module speaks, one per concept, each a frozen dataclass with ``to_dict``.

* ``Dataset``                              texts, gold labels, ids, content hash (``dataset``)
* ``Classifier``, ``Answerer``, ``Generator``   the protocols of each task's models (``classifier``, ``answerer``,
  ``generator``): what ``load_model`` returns
* ``Predictions``, ``Provenance``          one model's probabilities on one dataset, and their origin
* ``Metrics``, ``ConfidenceInterval``, ``Reliability``   classification metrics with bootstrap intervals, calibration
* ``Attribution``                          one explanation of one text, a score per word read
* ``Answer``                               a span of a context that answers a question, with its score
* ``Faithfulness`` and its parts           faithfulness against random words, agreement, stability
* ``ExplanationStudy``                     several methods on the same documents, scored
* ``Comparison``, ``Pairwise``, ``Cost``   models compared: paired tests, slices, flip rates, cost

Keeping one record per concept means the loaders, the engine, the statistics, the renderers
and the CLI never convert between private shapes, and no layer reads another's nested dicts by
string keys; JSON keys are field names.
"""

from .answer import Answer
from .answerer import Answerer
from .attribution import Attribution
from .classifier import Classifier
from .comparison import Comparison, Cost, ExplanationAgreement, FlipRate, Latency, Pairwise, SliceMetrics
from .dataset import Dataset
from .explanation_study import DiagnosticsSummary, ExplanationStudy, ReadingSummary
from .generator import Generator
from .faithfulness import Agreement, Faithfulness, RandomTest, ScoreSummary, Stability
from .metrics import ConfidenceInterval, Metrics, Reliability
from .predictions import Predictions, Provenance

__all__ = [
    "Agreement", "Answer", "Answerer", "Attribution", "Classifier", "Comparison", "ConfidenceInterval", "Cost", "Dataset",
    "DiagnosticsSummary", "ExplanationAgreement", "ExplanationStudy", "Faithfulness", "FlipRate", "Generator", "Latency",
    "Metrics", "Pairwise", "Predictions", "Provenance", "RandomTest", "ReadingSummary", "Reliability", "ScoreSummary",
    "SliceMetrics", "Stability",
]
