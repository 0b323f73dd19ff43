"""A model comparison study: which model, how sure, at what cost, on what evidence.

``compare`` runs every model on the same labeled dataset and gathers, per model, the metrics
of ``workbench evaluate`` with their intervals and the running cost (documents per second and
peak memory of a fresh process streaming the data, per-document latency p50/p95, parameters,
size on disk); per pair, the paired statistics of ``comparison.pairwise`` (McNemar's exact
test, bootstrap intervals of the differences); slices per class, length and column; the
counterfactual flip rates of ``probes``; and the agreement of the models' explanations of the
same documents and labels. ``write_comparison`` writes compare.json, one predictions CSV per
model and compare.html, each atomically.
"""

from __future__ import annotations

import itertools
import os
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .comparison import pairwise, slices
from .errors import ParameterError
from .io import atomic_open, write_json
from .records import Classifier, Comparison, Dataset

LATENCY_DOCUMENTS = 50


def latency(model: Classifier, texts: Sequence[str]) -> dict[str, float]:
    """Milliseconds to classify one text at a time (p50, p95, mean) over ``texts``, after a warm-up."""
    model.predict_proba(list(texts[:2]), progress=False)
    times = []
    for text in texts:
        start = time.perf_counter()
        model.predict_proba([text], progress=False)
        times.append(1000 * (time.perf_counter() - start))
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)), "mean_ms": statistics.fmean(times)}


def size_on_disk(folder: Path) -> int:
    """Bytes of the files directly in a model folder."""
    return sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())


def compare(
    models: Sequence[str],
    data: str,
    *,
    seed: int = 0,
    slice_columns: Sequence[str] = (),
    explain_n: int = 5,
    explain_method: str = "lime",
    num_samples: int = 200,
    probe_n: int | None = None,
    latency_documents: int = LATENCY_DOCUMENTS,
    measure_memory: bool = True,
    device: str = "auto",
    text_column: str = "text",
    label_column: str = "label",
    id_column: str = "id",
    progress: bool | None = None,
) -> Comparison:
    """Compare ``models`` (references, as for ``load_model``) on the labeled dataset ``data``.

    ``probe_n`` documents (spread evenly; all by default) get the counterfactual probes, and
    ``explain_n`` documents are explained by every model with ``explain_method`` to compare
    the evidence the models use (0 skips that).

    Examples
    --------
    >>> study = compare(["demo:minilm-bbc", "demo:tfidf-logreg"], "bbc-news:test")
    >>> study.pairwise[0]["mcnemar_p"]
    """
    from .benchmark import stream_in_child
    from .data import load_columns, load_dataset
    from .evaluation import predict
    from .explainers import check_method, explain
    from .explainers.study import pick_documents
    from .faithfulness import agreement
    from .metrics import compute_metrics
    from .models import load_model
    from .probes import flip_rates

    if len(models) < 2:
        raise ParameterError(f"a comparison needs at least two models, got {len(models)}; give two or more --models")
    duplicates = sorted({m for m in models if list(models).count(m) > 1})
    if duplicates:
        raise ParameterError(f"model {duplicates[0]!r} is given more than once; give each model once")
    if explain_n < 0:
        raise ParameterError(f"explain_n must be 0 or more, got {explain_n}")
    if explain_n:
        check_method(explain_method)
    dataset: Dataset = load_dataset(data, text_column=text_column, label_column=label_column, id_column=id_column)
    if dataset.labels is None:
        raise ParameterError(f"{data} has no labels; a comparison needs a labeled dataset")
    columns = load_columns(data, slice_columns)
    classifiers = {ref: load_model(ref, device=device) for ref in models}
    predictions, metrics, cost, slice_rows, probes = {}, {}, {}, {}, {}
    latency_texts = [dataset.texts[i] for i in pick_documents(dataset, latency_documents)]
    probed = pick_documents(dataset, len(dataset) if probe_n is None else probe_n)
    for ref, model in classifiers.items():
        model.predict_proba(list(dataset.texts[:2]), progress=False)  # warm-up, so the rate is steady-state
        start = time.perf_counter()
        predictions[ref] = predict(model, dataset, progress=progress)
        seconds = time.perf_counter() - start
        metrics[ref] = compute_metrics(predictions[ref], seed=seed)
        cost[ref] = {
            "docs_per_s": len(dataset) / seconds,
            "latency": latency(model, latency_texts),
            "parameters": int(model.num_parameters),
            "size_on_disk_bytes": size_on_disk(model.folder),
        }
        if measure_memory:
            child = stream_in_child(ref, data, device, 1, text_column=text_column)
            cost[ref].update(peak_memory_mb=child["peak_rss_mb"], streaming_docs_per_s=child["documents"] / child["seconds"])
        slice_rows[ref] = slices(predictions[ref], dataset.texts, columns)
        predicted = predictions[ref].predicted
        probes[ref] = flip_rates(model, [dataset.ids[i] for i in probed], [dataset.texts[i] for i in probed], [predicted[i] for i in probed], seed=seed)
    pairs = tuple(pairwise(predictions[a], predictions[b], seed=seed) for a, b in itertools.combinations(models, 2))
    explanations: dict[str, Any] = {}
    if explain_n:
        rows = pick_documents(dataset, explain_n)
        texts, ids = [dataset.texts[i] for i in rows], [dataset.ids[i] for i in rows]
        attributions = {
            ref: explain(model, texts, method=explain_method, target=[predictions[ref].labels[i] for i in rows], ids=ids,
                         seed=seed, num_samples=num_samples, progress=progress)
            for ref, model in classifiers.items()
        }
        explanations = {
            "method": explain_method,
            "num_samples": num_samples,
            "ids": ids,
            "target": "gold label",
            "pairs": [{"a": a, "b": b, **agreement(attributions[a], attributions[b])} for a, b in itertools.combinations(models, 2)],
        }
    return Comparison(
        models=tuple(models), data=dataset.name, seed=seed, predictions=predictions, metrics=metrics, cost=cost,
        pairwise=pairs, slices=slice_rows, probes=probes, explanations=explanations,
    )


def _slug(ref: str, taken: set[str]) -> str:
    """A file name for a model reference: letters, digits, '.', '_' and '-', unique among ``taken``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", ref).strip("-.") or "model"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name)
    return name


def verdict(pair: Mapping[str, Any]) -> str:
    """One sentence that says whether A and B differ, with the interval and the test."""
    low, high = pair["accuracy_diff_ci"] or (float("nan"), float("nan"))
    level = round(100 * pair["confidence_level"])
    if pair["significant"]:
        better = pair["a"] if pair["accuracy_diff"] > 0 else pair["b"]
        judgement = f"{better} is more accurate (McNemar p = {pair['mcnemar_p']:.3g} < 0.05)"
    else:
        judgement = f"the difference is not significant (McNemar p = {pair['mcnemar_p']:.3g})"
    return (f"{pair['a']} vs {pair['b']}: accuracy difference {100 * pair['accuracy_diff']:+.1f} points "
            f"({level}% CI {100 * low:+.1f} to {100 * high:+.1f}); {judgement}.")


def comparison_dict(study: Comparison, prediction_paths: Mapping[str, str]) -> dict[str, Any]:
    """The content of compare.json: references, metrics, prediction paths, pairs, slices, probes."""
    return {
        "models": list(study.models),
        "data": study.data,
        "seed": study.seed,
        "metrics": {ref: m.to_dict() for ref, m in study.metrics.items()},
        "cost": study.cost,
        "predictions": dict(prediction_paths),
        "pairwise": [{**pair, "verdict": verdict(pair)} for pair in study.pairwise],
        "slices": study.slices,
        "probes": study.probes,
        "explanations": study.explanations,
    }


def write_comparison(out: str | os.PathLike[str], study: Comparison) -> dict[str, Path]:
    """Write compare.json, predictions/<model>.csv (id, label, prediction, probabilities) and compare.html."""
    from .render import comparison_page

    out = Path(out)
    taken: set[str] = set()
    prediction_paths = {ref: f"predictions/{_slug(ref, taken)}.csv" for ref in study.models}
    for ref, path in prediction_paths.items():
        with atomic_open(out / path) as handle:
            study.predictions[ref].to_frame().to_csv(handle, index=False, lineterminator="\n")
    content = comparison_dict(study, prediction_paths)
    write_json(out / "compare.json", content)
    with atomic_open(out / "compare.html") as handle:
        handle.write(comparison_page(content))
    return {"compare.json": out / "compare.json", "compare.html": out / "compare.html", **{ref: out / p for ref, p in prediction_paths.items()}}
