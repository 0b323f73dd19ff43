"""SQuAD exact match and F1 of a question-answering model's answers, per question and overall, with intervals.

The scores are torchmetrics' ``squad`` (``torchmetrics.functional.text.squad``), the official
SQuAD evaluation: answers are lower-cased, stripped of punctuation, articles and extra
whitespace, and a prediction scores the best over a question's gold answers; a question
without a gold answer (SQuAD 2.0) counts as answered right only by the null answer, as the
official v2.0 script does. Checked: the official script and torchmetrics agree on these
definitions; this module only calls torchmetrics per question (so the per-question scores in
predictions.jsonl add up to the overall ones) and adds the bootstrap intervals
(``metrics.bootstrap_ci``, scipy), the HasAns/NoAns split and the reliability of the answers'
scores against exact match (``metrics.reliability``). torchmetrics computes F1 in
float32, so a per-question F1 carries float32 rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ..records.qa import QAMetrics, QAPredictions
from .metrics import CONFIDENCE_LEVEL, ECE_BINS, N_RESAMPLES, bootstrap_ci, reliability


def squad_scores(prediction: str, gold: Sequence[str]) -> tuple[float, float]:
    """Exact match and F1 (0-100) of one prediction against a question's gold answer texts (none: the null answer is right)."""
    from torchmetrics.functional.text import squad

    target = {"answers": {"text": list(gold) or [""], "answer_start": [0] * max(1, len(gold))}, "id": "q"}
    scores = squad(preds={"prediction_text": prediction, "id": "q"}, target=target)
    return float(scores["exact_match"]), float(scores["f1"])


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def compute_qa_metrics(predictions: QAPredictions, *, seed: int = 0, n_resamples: int = N_RESAMPLES,
                       confidence_level: float = CONFIDENCE_LEVEL) -> QAMetrics:
    """Every metric of ``workbench evaluate`` for a question-answering model's predictions."""
    if not predictions.ids:
        raise DataError(f"{predictions.dataset} has no questions to score; give a dataset with at least one")
    rows: list[dict[str, Any]] = []
    for qid, answer, gold in zip(predictions.ids, predictions.answers, predictions.gold):
        em, f1 = squad_scores(answer.text, [g.text for g in gold])
        rows.append({"id": qid, "exact_match": em, "f1": f1, "has_answer": bool(gold)})
    em, f1 = np.array([r["exact_match"] for r in rows]), np.array([r["f1"] for r in rows])
    interval = {"seed": seed, "n_resamples": n_resamples, "confidence_level": confidence_level}
    ci = {name: bootstrap_ci(lambda v, axis=-1: np.mean(v, axis=axis), [values], **interval) for name, values in (("exact_match", em), ("f1", f1))}
    split = {}
    for key, has in (("has_answer", True), ("no_answer", False)):
        members = [r for r in rows if r["has_answer"] is has]
        split[key] = {"n": len(members), "exact_match": _mean([r["exact_match"] for r in members]), "f1": _mean([r["f1"] for r in members])}
    answerable = [w for w in predictions.in_window if w is not None]
    return QAMetrics(
        model=predictions.model, data=predictions.dataset, n=len(rows), exact_match=float(em.mean()), f1=float(f1.mean()),
        per_question=tuple(rows), ci=ci, has_answer=split["has_answer"], no_answer=split["no_answer"],
        outside_windows=(sum(not w for w in answerable) / len(answerable)) if answerable else None,
        reliability=reliability(em / 100, np.clip([a.score for a in predictions.answers], 0.0, 1.0), n_bins=ECE_BINS,
                                **interval),
        decoding=predictions.decoding, seed=seed, provenance=predictions.provenance,
    )
