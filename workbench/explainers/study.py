"""An explanation study of a dataset: several methods on the same documents, scored and written.

``explain_dataset`` is what ``workbench explain`` and the explain notebook run: it picks the
documents, explains them with every method, scores each method's faithfulness against a
random baseline, the agreement of every pair of methods and the stability of each stochastic
method under a second seed. ``write_study`` writes ``attributions.jsonl`` (one line per
document and method, no timings, so a re-run gives the same bytes), ``faithfulness.json`` and
``index.html``, each atomically.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..faithfulness import agreement, mean_defined, score_faithfulness, unstable
from ..io import atomic_open, write_json
from ..records import Attribution, Classifier, Dataset
from . import check_method, explain


@dataclass(frozen=True)
class ExplanationStudy:
    """Attributions of each method on the same documents, and their scores (faithfulness.json)."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    attributions: dict[str, list[Attribution]]
    summary: dict[str, Any]


def pick_documents(dataset: Dataset, n: int) -> list[int]:
    """``n`` row indices spread evenly over the dataset (so every part of a sorted set is seen)."""
    if n < 1:
        raise ParameterError(f"n must be at least 1, got {n}")
    if n >= len(dataset):
        return list(range(len(dataset)))
    return sorted({int(i) for i in np.linspace(0, len(dataset) - 1, n).round()})


def explain_dataset(
    model: Classifier,
    dataset: Dataset,
    *,
    methods: Sequence[str] = ("lime", "shap", "integrated-gradients"),
    n: int = 20,
    seed: int = 0,
    num_samples: int | None = None,
    stability_seeds: int = 1,
    cache: bool = True,
    progress: bool | None = None,
) -> ExplanationStudy:
    """Explain ``n`` documents of ``dataset`` with each of ``methods`` and score the explanations.

    ``stability_seeds`` further seeds (``seed + 1``, ...) re-run each stochastic method to
    measure its stability; 0 skips that.
    """
    methods = list(dict.fromkeys(methods))
    for method in methods:
        check_method(method)
    if stability_seeds < 0:
        raise ParameterError(f"stability_seeds must be 0 or more, got {stability_seeds}")
    rows = pick_documents(dataset, n)
    ids, texts = tuple(dataset.ids[i] for i in rows), tuple(dataset.texts[i] for i in rows)
    options = {"seed": seed, "num_samples": num_samples, "ids": ids, "cache": cache, "progress": progress}
    attributions = {method: explain(model, texts, method=method, **options) for method in methods}
    stability = {}
    for method in methods:
        if not check_method(method).stochastic:
            stability[method] = {"seeds": "deterministic", "n": len(rows), "spearman": None, "kendall": None, "top_k_overlap": None, "unstable": None}
            continue
        reruns = [explain(model, texts, method=method, **{**options, "seed": seed + s}) for s in range(1, stability_seeds + 1)]
        if reruns:
            scores = [agreement(attributions[method], rerun) for rerun in reruns]
            row = {
                "seeds": ", ".join(str(seed + s) for s in range(stability_seeds + 1)),
                "n": scores[0]["n"],
                **{k: mean_defined(s[k] for s in scores) for k in ("spearman", "kendall", "top_k_overlap")},
            }
            stability[method] = {**row, "unstable": unstable(row)}
    first = attributions[methods[0]] if methods else []
    summary = {
        "model": model.ref,
        "data": dataset.name,
        "seed": seed,
        "n": len(rows),
        "ids": list(ids),
        "methods": methods,
        "params": {method: dict(attributions[method][0].params) if rows else {} for method in methods},
        "reading": {
            "mode": first[0].reading.get("mode") if first else None,
            "max_tokens": first[0].reading.get("max_tokens") if first else None,
            "documents_cut": sum(r.visible < len(r.words) for r in first),
            "words_read": sum(r.visible for r in first),
            "words": sum(len(r.words) for r in first),
        },
        "faithfulness": {method: score_faithfulness(model, attributions[method], texts, seed=seed) for method in methods},
        "agreement": [{"a": a, "b": b, **agreement(attributions[a], attributions[b])} for a, b in itertools.combinations(methods, 2)],
        "stability": stability,
        "diagnostics": {method: summarize_diagnostics(attributions[method]) for method in methods if any(r.diagnostics for r in attributions[method])},
    }
    return ExplanationStudy(ids=ids, texts=texts, attributions=attributions, summary=summary)


def study_warnings(summary: dict[str, Any]) -> list[str]:
    """One line per reason not to trust a method's explanations in this study (faithfulness.json content)."""
    out = [f"{m}: no better than random words" for m, f in summary["faithfulness"].items() if f["against_random"]["no_better_than_random"]]
    out += [f"{m}: unstable across seeds {s['seeds']}" for m, s in summary["stability"].items() if s.get("unstable")]
    out += [f"{m}: {d['documents'] - d['converged']} of {d['documents']} documents above the {100 * d['tolerance']:.0f} % completeness tolerance"
            for m, d in summary["diagnostics"].items() if d["converged"] < d["documents"]]
    return out


def summarize_diagnostics(records: Sequence[Attribution]) -> dict[str, Any]:
    """A method's checks over a study's documents (integrated gradients: steps and completeness error)."""
    checked = [r.diagnostics for r in records if r.diagnostics]
    errors = [d["relative_error"] for d in checked if d.get("relative_error") is not None]
    return {
        "documents": len(checked),
        "converged": sum(bool(d.get("converged")) for d in checked),
        "steps_max": max(d["steps"] for d in checked),
        "steps_mean": float(np.mean([d["steps"] for d in checked])),
        "relative_error_max": max(errors) if errors else None,
        "relative_error_mean": float(np.mean(errors)) if errors else None,
        "tolerance": checked[0].get("tolerance"),
    }


def write_study(out: str | os.PathLike[str], study: ExplanationStudy, *, figures: bool = True) -> dict[str, Path]:
    """Write attributions.jsonl, faithfulness.json and index.html into ``out``."""
    from ..render import explanation_page

    out = Path(out)
    paths = {name: out / name for name in ("attributions.jsonl", "faithfulness.json", "index.html")}
    with atomic_open(paths["attributions.jsonl"]) as handle:
        for position in range(len(study.ids)):
            for records in study.attributions.values():
                handle.write(json.dumps(records[position].to_dict(), sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n")
    write_json(paths["faithfulness.json"], study.summary)
    title = f"Explanations of {study.summary['model']} on {study.summary['data']}"
    with atomic_open(paths["index.html"]) as handle:
        handle.write(explanation_page(title, study.attributions, study.summary, figures=figures))
    return paths
