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

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..records.generation import GenerationMetrics, GenerationPredictions
from .metrics import N_RESAMPLES, bootstrap_ci

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


def generation_scores(predictions: Sequence[str], references: Sequence[Sequence[str]], *, seed: int = 0,
                      n_resamples: int = N_RESAMPLES) -> dict[str, Any]:
    """Per-document and overall ROUGE, BLEU and chrF of ``predictions`` against ``references`` (one or more per document).

    The overall figures get seeded percentile bootstrap intervals over documents: ROUGE's
    from the per-document scores, corpus BLEU's, chrF's and the length ratio's by summing the
    resampled documents' sacrebleu statistics and scoring them as sacrebleu scores a corpus.
    """
    import sacrebleu

    if len(predictions) != len(references):
        raise ParameterError(f"{len(predictions)} predictions for {len(references)} reference sets; give one of each per document")
    if any(not refs for refs in references):
        raise ParameterError("every document needs at least one reference")
    per_document = rouge_per_document(predictions, references)
    width = max((len(refs) for refs in references), default=1)
    streams = [[refs[k] if k < len(refs) else None for refs in references] for k in range(width)]  # sacrebleu's layout: one stream per reference
    bleu, chrf = sacrebleu.metrics.BLEU(), sacrebleu.metrics.CHRF()
    sentence_bleu = sacrebleu.metrics.BLEU(effective_order=True)  # sacrebleu's advice for one sentence: no zero from a missing 4-gram
    corpus_bleu, corpus_chrf = bleu.corpus_score(list(predictions), streams), chrf.corpus_score(list(predictions), streams)
    for row, prediction, refs in zip(per_document, predictions, references):
        row["bleu"] = float(sentence_bleu.sentence_score(prediction, list(refs)).score)
        row["chrf"] = float(chrf.sentence_score(prediction, list(refs)).score)
    ci = {name: bootstrap_ci(_mean, [np.array([row[name] for row in per_document])], seed=seed, n_resamples=n_resamples) for name in ROUGE_TYPES}
    bleu_stats = np.array(bleu._extract_corpus_statistics(list(predictions), streams), dtype=np.int64).reshape(len(predictions), -1)
    chrf_stats = np.array(chrf._extract_corpus_statistics(list(predictions), streams), dtype=np.int64).reshape(len(predictions), -1)
    ci["bleu"] = bootstrap_ci(_corpus_statistic(lambda stats: bleu._compute_score_from_stats(stats).score), list(bleu_stats.T), seed=seed,
                              n_resamples=n_resamples)
    ci["chrf"] = bootstrap_ci(_corpus_statistic(lambda stats: chrf._compute_score_from_stats(stats).score), list(chrf_stats.T), seed=seed,
                              n_resamples=n_resamples)
    ci["length_ratio"] = bootstrap_ci(_corpus_statistic(lambda stats: stats[0] / stats[1] if stats[1] else np.nan), list(bleu_stats[:, :2].T),
                                      seed=seed, n_resamples=n_resamples)
    return {
        "n": len(predictions),
        **{name: float(np.mean([row[name] for row in per_document])) if per_document else float("nan") for name in ROUGE_TYPES},
        "bleu": float(corpus_bleu.score), "chrf": float(corpus_chrf.score),
        "length_ratio": float(corpus_bleu.sys_len / corpus_bleu.ref_len) if corpus_bleu.ref_len else None,
        "signatures": {"bleu": str(bleu.get_signature()), "chrf": str(chrf.get_signature())},
        "ci": ci, "per_document": tuple(per_document),
    }


def compute_generation_metrics(generations: GenerationPredictions, *, seed: int = 0, n_resamples: int = N_RESAMPLES) -> GenerationMetrics:
    """The scores of one generator's outputs (``generation_scores``) as the metrics record ``metrics.json`` is written from."""
    scores = generation_scores(generations.predictions, generations.references, seed=seed, n_resamples=n_resamples)
    return GenerationMetrics(model=generations.model, data=generations.dataset, generation=generations.settings, seed=seed,
                             provenance=generations.provenance, **scores)


def _mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(values, axis=axis)


def _corpus_statistic(score: Callable[[list[int]], float]) -> Callable[..., np.ndarray]:
    """A vectorised bootstrap statistic: sum each resample's per-document statistics (one column each) and score the sums."""
    def statistic(*columns: np.ndarray, axis: int = -1) -> np.ndarray:
        sums = np.stack([column.sum(axis=axis) for column in columns], axis=-1)
        flat = sums.reshape(-1, sums.shape[-1])
        return np.array([score(row.tolist()) for row in flat], dtype=float).reshape(sums.shape[:-1])

    return statistic
