"""Language modelling in the registry: a causal LM's perplexity and bits per byte on plain texts, and comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from ..errors import ParameterError
from ..records.language_modeling import Likelihoods, PerplexityComparison, PerplexityMetrics, TextCorpus, Window
from ..render.language_modeling import (
    likelihood_sections,
    perplexity_comparison_sections,
    perplexity_evaluation_sections,
)
from ..statistics.language_modeling_metrics import perplexity_metrics
from ..studies.evaluation import write_metrics_json
from ..studies.language_modeling import (
    compare_language_models,
    likelihood_rows,
    predict_likelihoods,
    write_likelihoods,
    write_perplexity_comparison,
    write_perplexity_evaluation,
)
from .base import AUDITED, Shown, Task, describe_pairs, evaluate_whole, stream_whole


def losses(model: Any, dataset: TextCorpus, *, progress: bool | None = None, window: Window | None = None,
           **options: Any) -> Any:
    """Each text's mean negative log-likelihood per token, the loss a membership attack on a language model reads
    (Carlini et al. 2021, "Extracting Training Data from Large Language Models")."""
    import numpy as np

    likelihoods = predict_likelihoods(model, dataset, window or Window())
    return np.asarray(likelihoods.nll) / np.maximum(np.asarray(likelihoods.tokens), 1)


def predict(
    model: Any, dataset: TextCorpus, *, seed: int = 0, progress: bool | None = None, window: Window | None = None
) -> Likelihoods:
    """Every text's log-likelihood under ``model``, read in ``window`` (default: 1,024 tokens, stride 512).

    Nothing is random, so ``seed`` changes nothing; it is taken for the verbs' one shape.
    """
    return predict_likelihoods(model, dataset, window or Window())


def score(likelihoods: Likelihoods, *, seed: int = 0) -> PerplexityMetrics:
    """``statistics.language_modeling_metrics.perplexity_metrics``: the corpus figures with intervals seeded by
    ``seed``."""
    return perplexity_metrics(likelihoods, seed=seed)


def no_explanation(*args: Any, **options: Any) -> NoReturn:
    """A language model's perplexity is no prediction to explain: a one-line ParameterError."""
    raise ParameterError(
        "perplexity scores every token of a text, so there is no one prediction to explain; explain the model's "
        "generations (--data bbc-headlines:test) or its prompted classifications (--data bbc-news:test) instead"
    )


def compare(models: Any, dataset: TextCorpus, *, window: Window | None = None, **options: Any) -> PerplexityComparison:
    """``studies.language_modeling.compare_language_models`` in ``window`` (default: 1,024 tokens, stride 512)."""
    return compare_language_models(models, dataset, window=window or Window(), **options)


def describe_metrics(metrics: PerplexityMetrics, out: Path) -> list[str]:
    ci = metrics.ci.get("bits_per_byte")
    interval = "" if ci is None else f" (95% CI {ci.low:.4f} to {ci.high:.4f})"
    return [
        f"{metrics.model} on {metrics.data}: n={metrics.n} texts, {metrics.tokens} tokens, "
        f"perplexity={metrics.perplexity:.3f} bits/byte={metrics.bits_per_byte:.4f}{interval}",
        f"wrote {out}/metrics.json, predictions.jsonl",
    ]


def describe_comparison(comparison: PerplexityComparison, out: Path) -> list[str]:
    return describe_pairs(
        comparison,
        comparison.tokens_per_s,
        "tokens",
        lambda m: f"perplexity {m.perplexity:.3f}  bits/byte {m.bits_per_byte:.4f}",
        out,
    )


LANGUAGE_MODELING = Task(
    name="language-modeling",
    model_kind="language model",
    notebook="perplexity.ipynb",
    default_method="occlusion",
    options=("window",),
    results={
        Likelihoods: Shown(write_likelihoods, likelihood_sections),
        PerplexityMetrics: Shown(write_metrics_json, perplexity_evaluation_sections),
        PerplexityComparison: Shown(write_perplexity_comparison, perplexity_comparison_sections),
        **AUDITED,
    },
    predict=predict,
    score=score,
    evaluate_into=evaluate_whole("language-modeling", predict, score, write_perplexity_evaluation),
    write_evaluation=write_perplexity_evaluation,
    explain=no_explanation,
    explain_dataset=no_explanation,
    score_faithfulness=no_explanation,
    compare=compare,
    stream=stream_whole(predict, likelihood_rows),
    predict_formats=("jsonl", "parquet"),
    describe_metrics=describe_metrics,
    describe_study=no_explanation,
    describe_comparison=describe_comparison,
    losses=losses,
    gives="the likelihoods of texts it is given",
)
