"""A causal LM on plain texts: each text's log-likelihood, the corpus perplexity, and comparisons of LMs.

``workbench evaluate`` on plain text (``bbc-text:SPLIT``, a ``.txt`` file) is :func:`predict_likelihoods`
(``LanguageModel.negative_log_likelihoods``, timed), ``statistics.language_modeling_metrics.perplexity_metrics`` and
:func:`write_perplexity_evaluation`: ``predictions.jsonl`` (one line per text: id, nll, tokens, bytes and its own
perplexity and bits per byte), then ``metrics.json``. :func:`compare_language_models` reads the same texts with two
or more LMs (after a warm-up) and tests every pair on bits per byte, which does not depend on the tokenizer.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..models import LoadOptions
from ..provenance import provenance
from ..records.language_modeling import Likelihoods, PerplexityComparison, PerplexityMetrics, TextCorpus, Window
from ..records.task import check_task
from ..statistics.language_modeling_metrics import perplexity_metrics, perplexity_pairwise
from .comparison import load_compared, write_task_comparison
from .evaluation import write_rows, write_scored_rows


def predict_likelihoods(model: Any, dataset: TextCorpus, window: Window = Window()) -> Likelihoods:
    """Every text's summed negative log-likelihood, tokens and bytes under ``model``, in corpus order, timed; the
    window recorded is the one read (``window`` cut to the model's position limit)."""
    check_task(model, dataset)
    window = model.fitted(window)
    start = time.perf_counter()
    nll, tokens = model.negative_log_likelihoods(dataset.texts, window)
    return Likelihoods(
        model=model.ref,
        dataset=dataset.name,
        ids=dataset.ids,
        texts=dataset.texts,
        nll=tuple(float(v) for v in nll),
        tokens=tuple(int(t) for t in tokens),
        bytes=tuple(len(text.encode("utf-8")) for text in dataset.texts),
        window=window,
        seconds=time.perf_counter() - start,
        provenance=provenance(model, dataset),
    )


def likelihood_rows(likelihoods: Likelihoods) -> Iterator[dict[str, Any]]:
    """One row per text: id, nll (nats), tokens, bytes (the lines of ``workbench predict``)."""
    for row in zip(likelihoods.ids, likelihoods.nll, likelihoods.tokens, likelihoods.bytes):
        yield dict(zip(("id", "nll", "tokens", "bytes"), row))


def write_likelihoods(out: str | os.PathLike[str], likelihoods: Likelihoods) -> dict[str, Path]:
    """Write predictions.jsonl (:func:`likelihood_rows`) into ``out``."""
    return write_rows(out, likelihood_rows(likelihoods))


def write_perplexity_evaluation(
    out: str | os.PathLike[str], likelihoods: Likelihoods, metrics: PerplexityMetrics
) -> dict[str, Path]:
    """Write predictions.jsonl (each text's figures) and metrics.json (last)."""
    scores = ({"perplexity": row["perplexity"], "bits_per_byte": row["bits_per_byte"]} for row in metrics.per_document)
    return write_scored_rows(out, likelihood_rows(likelihoods), scores, metrics)


def compare_language_models(
    models: Sequence[Any],
    data: str | TextCorpus,
    *,
    seed: int = 0,
    window: Window = Window(),
    options: LoadOptions | None = None,
    progress: bool | None = None,
) -> PerplexityComparison:
    """Two or more causal LMs (references or loaded) on the same texts: figures, paired tests and tokens/s.

    Examples
    --------
    >>> compare_language_models(["demo:smollm2-instruct", "my/llm"], "bbc-text:test").pairwise[0].verdict()
    """
    dataset, loaded = load_compared(models, data, options)
    predictions, scores, rates = {}, {}, {}
    for model in loaded:
        model.negative_log_likelihoods(list(dataset.texts[:1]), window)  # warm-up
        predictions[model.ref] = read = predict_likelihoods(model, dataset, window)
        rates[model.ref] = sum(read.tokens) / read.seconds
        scores[model.ref] = perplexity_metrics(read, seed=seed)
    refs = tuple(predictions)
    return PerplexityComparison(
        models=refs,
        data=dataset.name,
        seed=seed,
        window=window,
        metrics=scores,
        predictions=predictions,
        pairwise=tuple(
            perplexity_pairwise(predictions[a], predictions[b], seed=seed) for a, b in itertools.combinations(refs, 2)
        ),
        tokens_per_s=rates,
    )


def write_perplexity_comparison(out: str | os.PathLike[str], comparison: PerplexityComparison) -> dict[str, Path]:
    """Write predictions/<model>/ (as ``evaluate``), compare.json and compare.html into ``out``."""
    from ..render.language_modeling import perplexity_comparison_page

    return write_task_comparison(out, comparison, write_perplexity_evaluation, perplexity_comparison_page)
