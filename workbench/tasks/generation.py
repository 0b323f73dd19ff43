"""Generation in the registry: outputs, ROUGE, BLEU and chrF, outputs explained token by token, paired bootstrap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..explainers.generation import check_generator
from ..records.generation import GenerationComparison, GenerationMetrics, GenerationPredictions, GenerationSettings
from ..records.generation_dataset import GenerationDataset
from ..records.token_attribution import TokenAttribution, TokenFaithfulness, TokenStudy
from ..statistics.generation_metrics import compute_generation_metrics
from ..statistics.token_faithfulness import token_faithfulness
from ..render.generation import (generation_comparison_sections, generation_evaluation_sections, generation_predictions_sections,
                                  token_study_sections)
from ..studies.evaluation import write_metrics_json
from ..studies.generation_prediction import generation_rows, predict_generations, write_generation_evaluation, write_generation_predictions
from ..studies.counterfactual import generation_bias
from ..studies.generation_comparison import compare_generations, write_generation_comparison
from ..studies.generation_explanation import explain_generations, explain_tokens, write_token_study
from ..studies.membership import generation_losses
from ..words import whole_text
from .base import AUDITED, Shown, Task, describe_pairs, evaluate_whole, stream_whole


def predict(
    model: Any, dataset: GenerationDataset, *, seed: int = 0, progress: bool | None = None,
    settings: GenerationSettings | None = None,
) -> GenerationPredictions:
    """Every source's output with ``settings`` (default: greedy, 32 new tokens); ``seed`` seeds sampling."""
    return predict_generations(model, dataset, replace(settings or GenerationSettings(), seed=seed), progress=progress)


def losses(model: Any, dataset: GenerationDataset, *, progress: bool | None = None, **options: Any) -> Any:
    """Each source's mean token loss of its first reference, teacher-forced; the decoding settings change nothing.
    None for a generator that gives no token probabilities (a rule such as the lead sentence)."""
    return generation_losses(model, dataset) if callable(getattr(model, "token_probabilities", None)) else None


def outputs(model: Any, dataset: GenerationDataset, *, seed: int = 0, progress: bool | None = None,
            settings: GenerationSettings | None = None, **options: Any) -> list[str]:
    """Every source's output, as ``predict`` writes it, for the memorization audit."""
    return list(predict(model, dataset, seed=seed, progress=progress, settings=settings).predictions)


def explain(
    model: Any, data: GenerationDataset | Sequence[str], *, method: str = "occlusion", seed: int = 0,
    num_samples: int | None = None, settings: GenerationSettings | None = None, ids: Sequence[str] | None = None,
    cache: bool = True, progress: bool | None = None, contrast: str | Sequence[str] | None = None,
) -> list[TokenAttribution]:
    """Each source's output generated with ``settings``, then explained token by token; one record per source.

    ``contrast`` explains each token rather than another: ``"runner-up"`` (the model's next choice at its step), or a
    contrast output of as many tokens for every source or one per source.

    Token methods are deterministic (occlusion, gradients), so ``seed`` changes nothing; their records are not cached
    (``cache`` is taken for the verb's one shape).
    """
    check_generator(model)
    texts = list(data.texts) if isinstance(data, GenerationDataset) else list(data)
    ids = list(data.ids) if isinstance(data, GenerationDataset) else [str(i) for i in (ids or range(len(texts)))]
    settings = settings or GenerationSettings()
    outputs = model.generate_ids([whole_text(t) for t in texts], settings)
    return explain_tokens(
        model, ids, texts, outputs, method=method, num_samples=num_samples, settings=settings, progress=progress,
        contrast=contrast,
    )


def explain_dataset(
    model: Any, dataset: GenerationDataset, *, settings: GenerationSettings | None = None, cache: bool = True,
    **options: Any,
) -> TokenStudy:
    """``studies.generation_explanation.explain_generations``.

    Token records are not cached (``cache`` is taken for the verb's one shape).
    """
    return explain_generations(model, dataset, settings=settings or GenerationSettings(), **options)


def score_faithfulness(
    model: Any, data: Any, attributions: Sequence[TokenAttribution], *, seed: int = 0, **options: Any
) -> TokenFaithfulness:
    """Comprehensiveness of token explanations against random words.

    Each record holds its source, so ``data`` is not read.
    """
    return token_faithfulness(model, attributions, seed=seed, **options)


def compare(
    models: Sequence[Any], dataset: GenerationDataset, *, settings: GenerationSettings | None = None, **options: Any
) -> GenerationComparison:
    """``studies.generation_comparison.compare_generations`` with ``settings`` (default: greedy, 32 new tokens)."""
    return compare_generations(models, dataset, settings=settings or GenerationSettings(), **options)


def describe_metrics(metrics: GenerationMetrics, out: Path) -> list[str]:
    return [
        f"{metrics.model} on {metrics.data}: n={metrics.n} ROUGE-1={metrics.rouge1:.4f} ROUGE-L={metrics.rougeL:.4f} "
        f"BLEU={metrics.bleu:.2f} chrF={metrics.chrf:.2f}",
        f"wrote {out}/metrics.json, predictions.jsonl",
    ]


def describe_study(study: TokenStudy, out: Path) -> list[str]:
    lines = []
    for name, f in study.faithfulness.items():
        interval = (
            "" if f.advantage_ci is None else f" (95% CI {f.advantage_ci.low:+.4f} to {f.advantage_ci.high:+.4f})"
        )
        lines.append(
            f"{name:<22} comprehensiveness {f.comprehensiveness:.4f} (random {f.random:.4f}), "
            f"advantage {f.advantage:+.4f}"
            f"{interval}{'' if f.beats_random else '; does NOT beat random words'}  {study.seconds[name]:.1f} s"
        )
    files = "token_attributions.jsonl, token_attributions.csv, faithfulness.json, index.html"
    return lines + [f"wrote {out}/{files} ({len(study.ids)} documents)"]


def describe_comparison(comparison: GenerationComparison, out: Path) -> list[str]:
    return describe_pairs(
        comparison, comparison.documents_per_s, "documents",
        lambda m: f"ROUGE-1 {m.rouge1:.4f}  ROUGE-L {m.rougeL:.4f}  BLEU {m.bleu:.2f}  chrF {m.chrf:.2f}", out,
    )


GENERATION = Task(
    name="generation", model_kind="generator", notebook="generate.ipynb", default_method="occlusion",
    options=("settings", "contrast"),
    results={
        GenerationPredictions: Shown(write_generation_predictions, generation_predictions_sections),
        GenerationMetrics: Shown(write_metrics_json, generation_evaluation_sections),
        TokenStudy: Shown(write_token_study, token_study_sections),
        GenerationComparison: Shown(write_generation_comparison, generation_comparison_sections),
        **AUDITED,
    },
    predict=predict, score=compute_generation_metrics,
    evaluate_into=evaluate_whole("generation", predict, compute_generation_metrics, write_generation_evaluation),
    write_evaluation=write_generation_evaluation, explain=explain, explain_dataset=explain_dataset,
    score_faithfulness=score_faithfulness, compare=compare,
    stream=stream_whole(predict, generation_rows), predict_formats=("jsonl", "parquet"), describe_metrics=describe_metrics,
    describe_study=describe_study, describe_comparison=describe_comparison, losses=losses, outputs=outputs,
    counterfactual=generation_bias,
)
