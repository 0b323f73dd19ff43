"""Scores of generated texts against references, from the reference implementations: rouge-score and sacrebleu.

* ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum F-measures from Google's ``rouge-score`` with
  Porter stemming (as the summarisation literature reports them), per document against its
  best reference, and overall as the mean of the per-document scores, with seeded bootstrap
  intervals (``metrics.bootstrap_ci``). ROUGE-Lsum splits summaries into sentences at
  newlines, as rouge-score expects.
* BLEU and chrF from ``sacrebleu``: corpus scores (0-100) with their signatures, and sentence
  scores per document (BLEU with effective order, as sacrebleu advises for single sentences);
  the length ratio is BLEU's (system length / reference length).

Nothing is re-derived: every figure here is recomputable from ``predictions.jsonl`` with the
same two libraries (checked in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from .metrics import bootstrap_ci

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def rouge_per_document(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    """Each document's ROUGE F-measures against its best-scoring reference (rouge-score, stemmed)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    rows = []
    for prediction, refs in zip(predictions, references):
        scores = scorer.score_multi(list(refs), prediction)
        rows.append({name: float(scores[name].fmeasure) for name in ROUGE_TYPES})
    return rows


def generation_scores(predictions: Sequence[str], references: Sequence[Sequence[str]], *, seed: int = 0) -> dict[str, Any]:
    """Per-document and overall ROUGE, BLEU and chrF of ``predictions`` against ``references`` (one or more per document)."""
    import sacrebleu

    if len(predictions) != len(references):
        raise ParameterError(f"{len(predictions)} predictions for {len(references)} reference sets; give one of each per document")
    if any(not refs for refs in references):
        raise ParameterError("every document needs at least one reference")
    per_document = rouge_per_document(predictions, references)
    width = max(len(refs) for refs in references)
    streams = [[refs[k] if k < len(refs) else None for refs in references] for k in range(width)]  # sacrebleu's layout: one stream per reference
    bleu, chrf = sacrebleu.metrics.BLEU(), sacrebleu.metrics.CHRF()
    sentence_bleu = sacrebleu.metrics.BLEU(effective_order=True)  # sacrebleu's advice for one sentence: no zero from a missing 4-gram
    corpus_bleu, corpus_chrf = bleu.corpus_score(list(predictions), streams), chrf.corpus_score(list(predictions), streams)
    for row, prediction, refs in zip(per_document, predictions, references):
        row["bleu"] = float(sentence_bleu.sentence_score(prediction, list(refs)).score)
        row["chrf"] = float(chrf.sentence_score(prediction, list(refs)).score)
    ci = {}
    for name in ROUGE_TYPES:
        values = np.array([row[name] for row in per_document])
        interval = bootstrap_ci(lambda v, axis=-1: np.mean(v, axis=axis), [values], seed=seed)
        ci[name] = None if interval is None else interval.to_dict()
    return {
        "n": len(predictions),
        **{name: float(np.mean([row[name] for row in per_document])) if per_document else None for name in ROUGE_TYPES},
        "bleu": float(corpus_bleu.score), "chrf": float(corpus_chrf.score),
        "length_ratio": float(corpus_bleu.sys_len / corpus_bleu.ref_len) if corpus_bleu.ref_len else None,
        "signatures": {"bleu": str(bleu.get_signature()), "chrf": str(chrf.get_signature())},
        "ci": ci, "per_document": per_document,
    }
