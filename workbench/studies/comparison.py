"""A model comparison: which model, how sure, at what cost, on what evidence.

Two functions. :func:`compare_predictions` is pure: from ``Predictions`` records of the same
labeled rows it computes each model's metrics with their intervals, the paired statistics of
every pair (``statistics.paired.pairwise``: McNemar's exact test, bootstrap intervals of the
differences) and slices per class, length and column, and returns a typed ``Comparison``.
:func:`compare` is the orchestrator behind ``workbench compare``: it loads the models (or takes
loaded ones), times them (``cost``), compares their predictions, runs the counterfactual
flip-rate checks (``statistics.perturbations``) and compares the models' explanations of the
same documents. ``write_comparison`` writes compare.json, one predictions CSV per model and
compare.html, each atomically.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..datasets.loading import as_dataset, load_columns
from ..errors import ParameterError
from ..explainers import check_method, explain
from ..io import atomic_open, write_json
from ..models import LoadOptions, as_model
from ..records import Classifier, Comparison, Dataset, ExplanationAgreement, Predictions
from ..records.task import check_task
from ..statistics.faithfulness import agreement
from ..statistics.metrics import compute_metrics
from ..statistics.paired import pairwise, slices
from ..statistics.perturbations import flip_rates
from .cost import LATENCY_DOCUMENTS, measure_cost
from .prediction import predict
from .explanation import pick_documents


def compare_predictions(
    predictions: Sequence[Predictions],
    texts: Sequence[str],
    *,
    columns: Mapping[str, Sequence[Any]] | None = None,
    seed: int = 0,
) -> Comparison:
    """Compare models from their predictions on the same labeled rows (``texts[i]`` is row i's text).

    Per model: metrics with bootstrap intervals (``seed``) and slices per gold class, length
    and each of ``columns``; per pair: McNemar's exact test and paired-bootstrap intervals of
    the differences. No model runs here; ``cost`` and ``probes`` of the result are empty.

    Examples
    --------
    >>> a, b = predict("demo:minilm-bbc", "bbc-news:test"), predict("demo:tfidf-logreg", "bbc-news:test")
    >>> compare_predictions([a, b], load_dataset("bbc-news:test").texts).pairwise[0].mcnemar_p
    """
    if not all(isinstance(p, Predictions) for p in predictions):
        raise TypeError("compare_predictions() takes a sequence of workbench.Predictions (from predict)")
    refs = [p.model for p in predictions]
    check_models(refs)
    by_model = dict(zip(refs, predictions))
    return Comparison(
        models=tuple(refs),
        data=predictions[0].dataset,
        seed=seed,
        predictions=by_model,
        metrics={ref: compute_metrics(p, seed=seed) for ref, p in by_model.items()},
        pairwise=tuple(pairwise(by_model[a], by_model[b], seed=seed) for a, b in itertools.combinations(refs, 2)),
        slices={ref: slices(p, texts, columns) for ref, p in by_model.items()},
        cost={},
        probes={},
    )


def check_models(refs: Sequence[str]) -> None:
    """A one-line error unless ``refs`` name two or more models, each once."""
    if len(refs) < 2:
        raise ParameterError(f"a comparison needs at least two models, got {len(refs)}; give two or more --models")
    duplicates = sorted({m for m in refs if list(refs).count(m) > 1})
    if duplicates:
        raise ParameterError(f"model {duplicates[0]!r} is given more than once; give each model once")


def load_compared(models: Sequence, data: Any, options: LoadOptions | None = None) -> tuple[Any, list]:
    """The dataset and the loaded models of a question-answering or generation comparison: two or more distinct models (references
    or loaded), each of the data's task; a one-line error otherwise."""
    if isinstance(models, (str, os.PathLike)) or not isinstance(models, Sequence):
        raise TypeError(f"models must be a list of two or more model references or loaded models; got {type(models).__name__}")
    check_models([os.fspath(m) if isinstance(m, (str, os.PathLike)) else m.ref for m in models])
    dataset = as_dataset(data)
    loaded = [as_model(m, options, dataset.task) for m in models]
    for model in loaded:
        check_task(model, dataset)
    return dataset, loaded


def write_task_comparison(out: str | os.PathLike[str], comparison: Any, write_evaluation: Any, page: Any) -> dict[str, Path]:
    """Write predictions/<model>/ (``write_evaluation(folder, predictions, metrics)``, as ``evaluate``), compare.json and
    compare.html (``page(comparison)``) into ``out``: the files of a question-answering or generation comparison."""
    out = Path(out)
    taken: set[str] = set()
    folders = {ref: f"predictions/{file_slug(ref, taken)}" for ref in comparison.models}
    for ref, folder in folders.items():
        write_evaluation(out / folder, comparison.predictions[ref], comparison.metrics[ref])
    write_json(out / "compare.json", comparison.to_dict({ref: f"{folder}/predictions.jsonl" for ref, folder in folders.items()}))
    with atomic_open(out / "compare.html") as handle:
        handle.write(page(comparison))
    return {"compare.json": out / "compare.json", "compare.html": out / "compare.html", **{ref: out / f for ref, f in folders.items()}}


def compare(
    models: Sequence[str | Classifier],
    data: str | Dataset,
    *,
    seed: int = 0,
    slice_columns: Sequence[str] = (),
    explain_n: int = 5,
    explain_method: str = "lime",
    num_samples: int = 200,
    probe_n: int | None = None,
    latency_documents: int = LATENCY_DOCUMENTS,
    measure_memory: bool = True,
    options: LoadOptions | None = None,
    progress: bool | None = None,
) -> Comparison:
    """Compare ``models`` (references, as for ``load_model``, or loaded models) on the labeled dataset ``data``.

    ``probe_n`` documents (spread evenly; all by default) get the counterfactual flip-rate
    checks, and ``explain_n`` documents are explained by every model with ``explain_method``
    to compare the evidence the models use (0 skips that). ``slice_columns`` are further
    columns of a data file to slice by.

    Examples
    --------
    >>> study = compare(["demo:minilm-bbc", "demo:tfidf-logreg"], load_dataset("bbc-news:test"))
    >>> study.pairwise[0].mcnemar_p
    """
    if isinstance(models, (str, os.PathLike)) or not isinstance(models, Sequence):
        raise TypeError(f"models must be a list of two or more model references or loaded models; got {type(models).__name__}")
    if explain_n < 0:
        raise ParameterError(f"explain_n must be 0 or more, got {explain_n}")
    if explain_n:
        check_method(explain_method)
    dataset = as_dataset(data)
    if not isinstance(dataset, Dataset):
        raise ParameterError(f"{dataset.name} holds {dataset.task} data; compare its models with workbench.compare")
    if dataset.labels is None:
        raise ParameterError(f"{dataset.name} has no labels; a comparison needs a labeled dataset")
    columns = load_columns(dataset.name, slice_columns)
    check_models([m.ref if not isinstance(m, (str, os.PathLike)) else os.fspath(m) for m in models])
    classifiers = [as_model(m, options, dataset.task) for m in models]
    for model in classifiers:
        check_task(model, dataset)
    predictions, cost = [], {}
    latency_texts = [dataset.texts[i] for i in pick_documents(dataset, latency_documents)]
    for model in classifiers:
        model.predict_proba(list(dataset.texts[:2]), progress=False)  # warm-up, so the rate is steady-state
        start = time.perf_counter()
        predictions.append(predict(model, dataset, progress=progress))
        cost[model.ref] = measure_cost(model, dataset, time.perf_counter() - start, latency_texts, memory=measure_memory)
    comparison = compare_predictions(predictions, dataset.texts, columns=columns, seed=seed)
    probed = pick_documents(dataset, len(dataset) if probe_n is None else probe_n)
    probes = {
        model.ref: flip_rates(model, [dataset.ids[i] for i in probed], [dataset.texts[i] for i in probed],
                              [p.predicted[i] for i in probed], seed=seed)
        for model, p in zip(classifiers, predictions)
    }
    explanations = _explanation_agreement(classifiers, predictions, dataset, explain_n, explain_method, num_samples, seed, progress) if explain_n else None
    return replace(comparison, cost=cost, probes=probes, explanations=explanations)


def _explanation_agreement(classifiers: Sequence[Classifier], predictions: Sequence[Predictions], dataset: Dataset, n: int, method: str,
                           num_samples: int, seed: int, progress: bool | None) -> ExplanationAgreement:
    """Every model explains the same ``n`` documents' gold labels with ``method``; the agreement of every pair."""
    rows = pick_documents(dataset, n)
    texts, ids = [dataset.texts[i] for i in rows], [dataset.ids[i] for i in rows]
    attributions = {
        model.ref: explain(model, texts, method=method, target=[p.labels[i] for i in rows], ids=ids, seed=seed, num_samples=num_samples, progress=progress)
        for model, p in zip(classifiers, predictions)
    }
    pairs = tuple(agreement(attributions[a], attributions[b], names=(a, b)) for a, b in itertools.combinations(attributions, 2))
    return ExplanationAgreement(method=method, num_samples=num_samples, ids=tuple(ids), target="gold label", pairs=pairs)


def file_slug(ref: str, taken: set[str]) -> str:
    """A file name for a model reference: letters, digits, '.', '_' and '-', unique among ``taken``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", ref).strip("-.") or "model"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name)
    return name


def write_comparison(out: str | os.PathLike[str], comparison: Comparison) -> dict[str, Path]:
    """Write compare.json, predictions/<model>.csv (id, label, prediction, probabilities) and compare.html."""
    from ..render.pages import comparison_page

    out = Path(out)
    taken: set[str] = set()
    prediction_paths = {ref: f"predictions/{file_slug(ref, taken)}.csv" for ref in comparison.models}
    for ref, path in prediction_paths.items():
        with atomic_open(out / path) as handle:
            comparison.predictions[ref].to_frame().to_csv(handle, index=False, lineterminator="\n")
    write_json(out / "compare.json", comparison.to_dict(prediction_paths))
    with atomic_open(out / "compare.html") as handle:
        handle.write(comparison_page(comparison))
    return {"compare.json": out / "compare.json", "compare.html": out / "compare.html", **{ref: out / p for ref, p in prediction_paths.items()}}
