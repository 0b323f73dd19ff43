"""An explanation study of a dataset: several methods on the same documents, scored and written.

``explain_dataset`` is what ``workbench explain`` and the explain notebook run: it picks the
documents, explains them with every method, scores each method's faithfulness against a
random baseline, the agreement of every pair of methods and the stability of each stochastic
method under further seeds, and returns an :class:`records.ExplanationStudy`. ``write_study``
writes ``attributions.jsonl`` (one line per document and method, no timings, so a re-run gives
the same bytes), ``faithfulness.json`` and ``index.html``, each atomically.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.loading import as_dataset
from ..errors import ParameterError
from ..explainers import check_method, explain
from ..explainers.contrast import check_study_contrast
from ..io import atomic_open, write_json, write_jsonl
from ..models import LoadOptions, as_model
from ..models.ray_engine import RayModel, RayOptions, split_pool
from ..records import Attribution, Classifier, Dataset, DiagnosticsSummary, ExplanationStudy, Faithfulness, ReadingSummary, Stability
from ..statistics.faithfulness import agreement, score_faithfulness, seed_stability


def pick_documents(dataset: Dataset, n: int) -> list[int]:
    """``n`` row indices spread evenly over the dataset (so every part of a sorted set is seen)."""
    if n < 1:
        raise ParameterError(f"n must be at least 1, got {n}")
    if n >= len(dataset):
        return list(range(len(dataset)))
    return sorted({int(i) for i in np.linspace(0, len(dataset) - 1, n).round()})


def explain_dataset(
    model: str | Classifier,
    dataset: str | Dataset,
    *,
    methods: Sequence[str] = ("lime", "shap", "integrated-gradients"),
    n: int = 20,
    seed: int = 0,
    num_samples: int | None = None,
    stability_seeds: int = 1,
    cache: bool = True,
    options: LoadOptions | None = None,
    progress: bool | None = None,
    engine: str | RayOptions = "local",
    contrast: str | None = None,
) -> ExplanationStudy:
    """Explain ``n`` documents of ``dataset`` with each of ``methods`` and score the explanations.

    ``model`` and ``dataset`` may be references (loaded with ``options``) or loaded records.
    ``stability_seeds`` further seeds (``seed + 1``, ...) re-run each stochastic method to
    measure its stability; 0 skips that. ``engine="ray"`` (or a RayOptions, or a ``RayModel``
    as the model) spreads the documents over a Ray actor pool: each document's explanation is
    seeded by its text, so the records are the local engine's; faithfulness is scored here.
    ``contrast="runner-up"`` explains each document's predicted label rather than its most probable other label
    (log p(predicted) − log p(runner-up)), and faithfulness scores the deletions' effect on that log-ratio.
    """
    check_study_contrast(contrast, ranked="each document's label rather than the model's next choice",
                         instead="explain chosen texts against a contrast label")
    methods = study_methods(methods, stability_seeds)
    dataset = as_dataset(dataset)
    model, ray_options = split_pool(as_model(model, options), engine)
    rows = pick_documents(dataset, n)
    ids, texts = tuple(dataset.ids[i] for i in rows), tuple(dataset.texts[i] for i in rows)
    study = run_study(
        model, dataset.name, ids, texts, methods, seed=seed, stability_seeds=stability_seeds,
        explain_with=explainer_on(explain, model, [texts], ids, ray_options, progress=progress,
                                  num_samples=num_samples, cache=cache, contrast=contrast),
        faithfulness_of=lambda records: score_faithfulness(model, records, texts, seed=seed),
    )
    return study if contrast is None else replace(study, contrast=contrast)


def explainer_on(explain_fn: Callable[..., list[Attribution]], model: Any, columns: Sequence[Sequence[str]], ids: Sequence[str],
                 engine: RayOptions | None, *, progress: bool | None = None, **common: Any) -> Callable[[str, int], list[Attribution]]:
    """``(method, seed) -> records``: ``explain_fn(model, *columns, ids=ids, method=, seed=, **common)`` here, or with ``engine``
    spread over a Ray actor pool a batch of documents per actor call (records in input order; each document's explanation
    depends on its text and the seed, not its batch, so they are the local engine's)."""
    if engine is None:
        return lambda method, seed: explain_fn(model, *columns, ids=ids, method=method, seed=seed, progress=progress, **common)
    pool = RayModel(model, engine)
    return lambda method, seed: pool.map_rows(_explain_rows, [*columns, ids], explain_fn=explain_fn, method=method, seed=seed, **common)


def _explain_rows(model: Any, *columns: list[str], explain_fn: Callable[..., list[Attribution]], **kwargs: Any) -> list[Attribution]:
    """``explain_fn`` on one Ray worker's batch of documents, ids last (a module-level function, so Ray can pickle it by name)."""
    *texts, ids = columns
    return explain_fn(model, *texts, ids=ids, progress=False, **kwargs)


def study_methods(methods: Sequence[str], stability_seeds: int) -> list[str]:
    """The methods of a study, each once and each known, checked with ``stability_seeds`` before anything loads."""
    for method in methods:
        check_method(method)
    if stability_seeds < 0:
        raise ParameterError(f"stability_seeds must be 0 or more, got {stability_seeds}")
    return list(dict.fromkeys(methods))


def run_study(
    model: Any,
    data: str,
    ids: tuple[str, ...],
    texts: tuple[str, ...],
    methods: Sequence[str],
    *,
    seed: int,
    stability_seeds: int,
    explain_with: Callable[[str, int], list[Attribution]],
    faithfulness_of: Callable[[list[Attribution]], Faithfulness],
) -> ExplanationStudy:
    """The study of any task's explanations: each method's records (``explain_with(method, seed)``), their faithfulness, agreement, stability and checks.

    ``texts`` are what the records explain (a question-answering study keeps the contexts);
    ``methods`` come checked by :func:`study_methods`.
    """
    attributions = {method: explain_with(method, seed) for method in methods}
    stability = {}
    for method in methods:
        if not check_method(method).stochastic:
            stability[method] = Stability(seeds="deterministic", n=len(ids), spearman=None, kendall=None, top_k_overlap=None, unstable=None)
        elif stability_seeds:
            seeds = [seed + s for s in range(stability_seeds + 1)]
            reruns = [explain_with(method, s) for s in seeds[1:]]
            stability[method] = seed_stability(attributions[method], reruns, seeds)
    first = attributions[methods[0]] if methods else []
    return ExplanationStudy(
        model=model.ref,
        data=data,
        seed=seed,
        ids=ids,
        texts=texts,
        methods=tuple(methods),
        attributions=attributions,
        params={method: dict(attributions[method][0].params) if ids else {} for method in methods},
        reading=ReadingSummary(
            mode=first[0].reading.get("mode") if first else None,
            max_tokens=first[0].reading.get("max_tokens") if first else None,
            documents_cut=sum(r.visible < len(r.words) for r in first),
            words_read=sum(r.visible for r in first),
            words=sum(len(r.words) for r in first),
        ),
        faithfulness={method: faithfulness_of(attributions[method]) for method in methods},
        agreement=tuple(agreement(attributions[a], attributions[b], names=(a, b)) for a, b in itertools.combinations(methods, 2)),
        stability=stability,
        diagnostics={method: summarize_diagnostics(attributions[method]) for method in methods if any(r.diagnostics for r in attributions[method])},
    )


def summarize_diagnostics(records: Sequence[Attribution]) -> DiagnosticsSummary:
    """A method's checks over a study's documents (integrated gradients: steps and completeness error)."""
    checked = [r.diagnostics for r in records if r.diagnostics]
    errors = [d["relative_error"] for d in checked if d.get("relative_error") is not None]
    return DiagnosticsSummary(
        documents=len(checked),
        converged=sum(bool(d.get("converged")) for d in checked),
        steps_max=max(d["steps"] for d in checked),
        steps_mean=float(np.mean([d["steps"] for d in checked])),
        relative_error_max=max(errors) if errors else None,
        relative_error_mean=float(np.mean(errors)) if errors else None,
        tolerance=checked[0].get("tolerance"),
    )


def write_study(out: str | os.PathLike[str], study: ExplanationStudy, *, figures: bool = True) -> dict[str, Path]:
    """Write attributions.jsonl, faithfulness.json and index.html into ``out``."""
    from ..render.pages import explanation_page

    out = Path(out)
    paths = {name: out / name for name in ("attributions.jsonl", "faithfulness.json", "index.html")}
    write_jsonl(paths["attributions.jsonl"], (records[position].to_dict() for position in range(len(study.ids)) for records in study.attributions.values()))
    write_json(paths["faithfulness.json"], study.to_dict())
    with atomic_open(paths["index.html"]) as handle:
        handle.write(explanation_page(study, figures=figures))
    return paths
