"""Is generator A really closer to the references than B here? Paired statistics of per-document scores, and slices.

Paired-bootstrap intervals (``metrics.bootstrap_ci``, scipy; documents resampled jointly) of
the mean differences in per-document ROUGE-L (rouge-score) and sentence chrF (sacrebleu), as
the issue of comparing summarisers asks (Koehn 2004's paired bootstrap for MT); slices by
source length in words (``paired.length_bucket``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import DataError
from ..records.generation import GenerationMetrics, GenerationPairwise, GenerationSlice
from .metrics import CONFIDENCE_LEVEL, N_RESAMPLES, bootstrap_ci
from .paired import SMALL_SLICE, length_bucket


def generation_pairwise(a: GenerationMetrics, b: GenerationMetrics, *, ids_a: Sequence[str], ids_b: Sequence[str], seed: int = 0,
                        n_resamples: int = N_RESAMPLES, confidence_level: float = CONFIDENCE_LEVEL) -> GenerationPairwise:
    """A against B on the same documents (``ids_*``: the documents each scored, which must be the same)."""
    if tuple(ids_a) != tuple(ids_b):
        raise DataError(f"{a.model} and {b.model} wrote for different documents; compare outputs on the same dataset")

    def mean_diff(p: np.ndarray, q: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(p, axis=axis) - np.mean(q, axis=axis)

    interval = {"seed": seed, "n_resamples": n_resamples, "confidence_level": confidence_level}
    rouge_a, rouge_b = (np.array([row["rougeL"] for row in m.per_document]) for m in (a, b))
    chrf_a, chrf_b = (np.array([row["chrf"] for row in m.per_document]) for m in (a, b))
    rouge_ci, chrf_ci = bootstrap_ci(mean_diff, [rouge_a, rouge_b], **interval), bootstrap_ci(mean_diff, [chrf_a, chrf_b], **interval)
    return GenerationPairwise(
        a=a.model, b=b.model, n=len(rouge_a), rougeL_a=float(rouge_a.mean()), rougeL_b=float(rouge_b.mean()),
        rougeL_diff=float(rouge_a.mean() - rouge_b.mean()), rougeL_diff_ci=None if rouge_ci is None else (rouge_ci.low, rouge_ci.high),
        chrf_diff=float(chrf_a.mean() - chrf_b.mean()), chrf_diff_ci=None if chrf_ci is None else (chrf_ci.low, chrf_ci.high),
        confidence_level=confidence_level, wins_a=int(np.sum(rouge_a > rouge_b)), wins_b=int(np.sum(rouge_b > rouge_a)),
        ties=int(np.sum(rouge_a == rouge_b)),
    )


def generation_slices(metrics: GenerationMetrics, sources: Sequence[str]) -> list[GenerationSlice]:
    """Mean per-document ROUGE-L and chrF per source-length bucket (words)."""
    buckets = [length_bucket(len(source.split())) for source in sources]
    rows = []
    for bucket in sorted(set(buckets), key=lambda name: int(name.split("-")[0].split("+")[0])):  # by lower bound
        members = [row for row, b in zip(metrics.per_document, buckets) if b == bucket]
        rows.append(GenerationSlice(slice=str(bucket), n=len(members), rougeL=float(np.mean([r["rougeL"] for r in members])),
                                    chrf=float(np.mean([r["chrf"] for r in members])), small=len(members) < SMALL_SLICE))
    return rows
