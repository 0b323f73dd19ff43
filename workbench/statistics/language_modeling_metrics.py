"""Perplexity and bits per byte of a causal LM on plain texts, with bootstrap intervals, and paired comparisons.

The corpus figures are ratios of sums over texts (every token weighs the same, as transformers' perplexity guide and
lm-evaluation-harness's ``wikitext`` task count them): perplexity = exp(Σ nll / Σ tokens), bits per byte =
Σ nll / (ln 2 · Σ UTF-8 bytes). Their intervals are seeded percentile bootstraps over texts (scipy, through
``metrics.bootstrap_ci``: texts resampled, the ratio recomputed); a pair of models is compared on per-text bits per
byte, resampled jointly. Checked: torchmetrics' ``Perplexity`` averages over tokens of one batch of logits and gives
no interval, and lm-eval reports no interval for perplexity, so the sums here are computed directly.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError
from ..records.language_modeling import Likelihoods, PerplexityMetrics, PerplexityPairwise
from .metrics import CONFIDENCE_LEVEL, N_RESAMPLES, bootstrap_ci


def _perplexity(nll: np.ndarray, tokens: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(np.sum(nll, axis=axis) / np.sum(tokens, axis=axis))


def _bits_per_byte(nll: np.ndarray, size: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.sum(nll, axis=axis) / (math.log(2) * np.sum(size, axis=axis))


def _nll_per_token(nll: np.ndarray, tokens: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.sum(nll, axis=axis) / np.sum(tokens, axis=axis)


def perplexity_metrics(likelihoods: Likelihoods, *, seed: int = 0, n_resamples: int = N_RESAMPLES) -> PerplexityMetrics:
    """Corpus perplexity, bits per byte and nats per token of ``likelihoods``, each with a bootstrap interval."""
    nll = np.asarray(likelihoods.nll, dtype=np.float64)
    tokens = np.asarray(likelihoods.tokens, dtype=np.float64)
    size = np.asarray(likelihoods.bytes, dtype=np.float64)
    if not len(nll) or tokens.sum() == 0:
        raise DataError(f"{likelihoods.dataset} has no tokens to score; give texts with words in them")
    interval = {"seed": seed, "n_resamples": n_resamples}
    per_document = tuple(
        {
            "nll": float(n),
            "tokens": int(t),
            "bytes": int(b),
            "perplexity": math.exp(n / t) if t else float("nan"),
            "bits_per_byte": n / (math.log(2) * b) if b else float("nan"),
        }
        for n, t, b in zip(nll, tokens, size)
    )
    return PerplexityMetrics(
        model=likelihoods.model,
        data=likelihoods.dataset,
        n=len(nll),
        tokens=int(tokens.sum()),
        bytes=int(size.sum()),
        perplexity=float(_perplexity(nll, tokens)),
        bits_per_byte=float(_bits_per_byte(nll, size)),
        nll_per_token=float(_nll_per_token(nll, tokens)),
        ci={
            "perplexity": bootstrap_ci(_perplexity, [nll, tokens], **interval),
            "bits_per_byte": bootstrap_ci(_bits_per_byte, [nll, size], **interval),
            "nll_per_token": bootstrap_ci(_nll_per_token, [nll, tokens], **interval),
        },
        per_document=per_document,
        window=likelihoods.window,
        seed=seed,
        provenance=likelihoods.provenance,
    )


def perplexity_pairwise(
    a: Likelihoods,
    b: Likelihoods,
    *,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
) -> PerplexityPairwise:
    """LM ``a`` against ``b`` on the same texts: the difference in corpus bits per byte, with a paired bootstrap."""
    if a.ids != b.ids:
        raise DataError(f"{a.model} and {b.model} read different texts; compare them on the same dataset")
    size = np.asarray(a.bytes, dtype=np.float64)
    nll_a, nll_b = np.asarray(a.nll, dtype=np.float64), np.asarray(b.nll, dtype=np.float64)

    def difference(p: np.ndarray, q: np.ndarray, s: np.ndarray, axis: int = -1) -> np.ndarray:
        return _bits_per_byte(p, s, axis=axis) - _bits_per_byte(q, s, axis=axis)

    ci = bootstrap_ci(
        difference, [nll_a, nll_b, size], seed=seed, n_resamples=n_resamples, confidence_level=confidence_level
    )
    bpb_a, bpb_b = float(_bits_per_byte(nll_a, size)), float(_bits_per_byte(nll_b, size))
    return PerplexityPairwise(
        a=a.model,
        b=b.model,
        n=len(size),
        bits_per_byte_a=bpb_a,
        bits_per_byte_b=bpb_b,
        bits_per_byte_diff=bpb_a - bpb_b,
        bits_per_byte_diff_ci=None if ci is None else (ci.low, ci.high),
        confidence_level=confidence_level,
        wins_a=int(np.sum(nll_a < nll_b)),
        wins_b=int(np.sum(nll_b < nll_a)),
    )
