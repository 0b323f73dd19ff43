"""Explanation benchmark: LIME and SHAP through the workbench against their README usage.

Measured in one run, on the same documents and at equal sample budgets (each method's default unless told): seconds
per document of ``explain(method="lime" | "shap")`` against what the lime and shap READMEs show with a
transformers pipeline: ``LimeTextExplainer().explain_instance(text, predict_fn)`` with a
``predict_fn`` that calls ``pipeline(texts, top_k=None)``, and ``shap.Explainer(pipeline)``
called with ``max_evals`` equal to the budget. LIME through the workbench must give the
README's scores (same seed, same samples), which the benchmark reports beside the speed.
Explanations are timed without the cache. Regimes: full documents (cut at the model's limit,
as the pipeline is told to), their first 60 words, and their first 15 (tweet or SMS length).
On CPU two further modes are timed: the ONNX Runtime backend (the same fp32 outputs, so the
same explanations within float rounding; the largest score difference is reported) and the
int8 mode, with the rank agreement of its scores with fp32's: faster, but it explains a
slightly different model, so it is an option, not the default.

Beside the speed, the *quality* of every method on ``quality_documents`` documents (the same
ones ``workbench explain --n`` picks): seconds per document, comprehensiveness and sufficiency
(with AOPC) against random words and the ``no_better_than_random`` verdict, LIME's agreement
with itself under the next seed, and integrated gradients' steps and completeness error. And the efficiency of every
method on every task (``bench.efficiency``): its model evaluations, their padded tokens, its seconds, and the share of
them its evaluations take when run as plain inference.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..explainers import check_method, explain, supported_methods
from ..io import write_json
from ..records import Classifier
from ..statistics.faithfulness import SCORES, agreement, score_faithfulness, seed_stability
from ..words import split_words
from ..studies.explanation import pick_documents, summarize_diagnostics
from .efficiency import Subject, format_efficiency_table, run_efficiency
from .inference import SHORT_WORDS, environment, first_words, pipeline_proba


REGIMES = {"full": None, f"first{SHORT_WORDS}words": SHORT_WORDS, "first15words": 15}


def _seconds(fn) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def lime_readme(pipe, model, text: str, target: int, *, seed: int, num_samples: int) -> list[float]:
    """LIME as its README shows it, with a transformers pipeline as the classifier function (one score per word)."""
    from ..explainers.lime import LimeExplainer

    def predict_fn(texts):
        return pipeline_proba(pipe(list(texts), top_k=None, truncation=True), model.label_names)

    explainer = LimeExplainer(model, seed=seed).lime_explainer()
    n = len(split_words(text))
    weights = dict(explainer.explain_instance(text, predict_fn, labels=(target,), num_features=n, num_samples=num_samples).as_map()[target])
    return [weights.get(i, 0.0) for i in range(n)]


def shap_readme(pipe, text: str, *, num_samples: int):
    """SHAP as its README shows it: ``shap.Explainer(pipeline)(texts)``, at ``max_evals=num_samples``."""
    import shap

    return shap.Explainer(pipe)([text], max_evals=num_samples, silent=True)


def explanation_quality(model: Classifier, texts: Sequence[str], *, seed: int = 0) -> dict[str, Any]:
    """Per method the model supports, on ``texts``: cost, faithfulness against random words, stability, IG's checks."""
    out: dict[str, Any] = {}
    for method in supported_methods(model):
        seconds, records = _seconds(lambda: explain(model, texts, method=method, seed=seed, cache=False, progress=False))
        scores = score_faithfulness(model, records, texts, seed=seed)
        row: dict[str, Any] = {"s_per_doc": seconds / len(texts), "words_read": float(np.mean([r.visible for r in records]))}
        for name in SCORES:
            row[name], row[f"{name}_random"] = getattr(scores.method, name), getattr(scores.random, name)
        row["no_better_than_random"] = scores.no_better_than_random
        if check_method(method).stochastic:
            again = explain(model, texts, method=method, seed=seed + 1, cache=False, progress=False)
            stability = seed_stability(records, [again], [seed, seed + 1])
            row["stability"], row["unstable"] = stability.to_dict(), stability.unstable
        if any(r.diagnostics for r in records):
            row["diagnostics"] = summarize_diagnostics(records).to_dict()
        out[method] = row
    return out


def run_explanation_benchmark(
    model_ref: str = "demo:minilm-bbc",
    data_ref: str = "bbc-news:test",
    *,
    documents: int = 3,
    num_samples: int | None = None,
    quality_documents: int = 20,
    seed: int = 0,
    device: str = "auto",
    efficiency: Sequence[Subject] = (),
    out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Time LIME and SHAP both ways on ``documents`` documents per regime, at ``num_samples`` each (default: each
    method's own budget, what a user gets), measure every method's
    quality on ``quality_documents`` (0: skip) and every method's efficiency on each task of ``efficiency``
    (``bench.efficiency``); write ``out/explanations.json``."""
    from transformers import pipeline

    from ..datasets.loading import load_dataset
    from ..models import load_model

    dataset = load_dataset(data_ref)
    model = load_model(model_ref, device=device)
    on_cpu = model.device.type == "cpu"
    int8 = load_model(model_ref, device="cpu", precision="int8") if on_cpu else None
    ort = load_model(model_ref, device="cpu", backend="onnxruntime") if on_cpu and importlib.util.find_spec("onnxruntime") else None
    pipe = pipeline("text-classification", model=model.model, tokenizer=model.tokenizer, device=model.device, truncation=True)
    rows = pick_documents(dataset, documents)
    regimes = {name: [first_words(dataset.texts[i], words) if words else dataset.texts[i] for i in rows] for name, words in REGIMES.items()}
    budgets = {method: num_samples or check_method(method).default_num_samples for method in ("lime", "shap")}
    result: dict[str, Any] = {"model": model_ref, "data": data_ref, "environment": environment(model),
                              "documents": len(rows), "num_samples": budgets,
                              "seed": seed, "regimes": {}}
    for method in ("lime", "shap"):  # warm-up: kernels, and each library's first-call costs, outside the timings
        explain(model, regimes["full"][:1], method=method, num_samples=16, cache=False, progress=False)
    for name, texts in regimes.items():
        row: dict[str, Any] = {"mean_words": float(np.mean([len(split_words(t)) for t in texts]))}
        ours = {}
        for method in ("lime", "shap"):
            seconds, ours[method] = _seconds(lambda: explain(model, texts, method=method, seed=seed,
                                                             num_samples=budgets[method], cache=False, progress=False))
            row[f"{method}_workbench_s_per_doc"] = seconds / len(texts)
        targets = [model.label_names.index(r.target) for r in ours["lime"]]
        read = [model.reading(t).read_text for t in texts]
        seconds, readme = _seconds(lambda: [lime_readme(pipe, model, t, k, seed=seed, num_samples=budgets["lime"])
                                            for t, k in zip(read, targets)])
        row["lime_readme_s_per_doc"] = seconds / len(texts)
        row["lime_max_abs_diff_vs_readme"] = max(abs(a - b) for record, scores in zip(ours["lime"], readme) for a, b in zip(record.scores, scores))
        seconds, _ = _seconds(lambda: [shap_readme(pipe, t, num_samples=budgets["shap"]) for t in read])
        row["shap_readme_s_per_doc"] = seconds / len(texts)
        for method in ("lime", "shap"):
            row[f"{method}_speedup"] = row[f"{method}_readme_s_per_doc"] / row[f"{method}_workbench_s_per_doc"]
            targets = [r.target for r in ours[method]]
            if ort is not None:  # the same fp32 outputs from ONNX Runtime's kernels
                seconds, same = _seconds(lambda: explain(ort, texts, method=method, seed=seed,
                                                         num_samples=budgets[method], target=targets, cache=False,
                                                         progress=False))
                row[f"{method}_onnxruntime_speedup"] = row[f"{method}_readme_s_per_doc"] / (seconds / len(texts))
                row[f"{method}_onnxruntime_max_abs_diff"] = max(abs(a - b) for x, y in zip(ours[method], same) for a, b in zip(x.scores, y.scores))
            if int8 is not None:  # a slightly different model: faster, not the same explanations
                seconds, quantized = _seconds(lambda: explain(int8, texts, method=method, seed=seed,
                                                              num_samples=budgets[method], target=targets, cache=False,
                                                              progress=False))
                row[f"{method}_int8_speedup"] = row[f"{method}_readme_s_per_doc"] / (seconds / len(texts))
                row[f"{method}_int8_spearman_vs_fp32"] = agreement(ours[method], quantized).spearman
        result["regimes"][name] = row
    if quality_documents:
        chosen = pick_documents(dataset, quality_documents)
        result["quality"] = {"documents": len(chosen), "ids": [dataset.ids[i] for i in chosen],
                             "methods": explanation_quality(model, [dataset.texts[i] for i in chosen], seed=seed)}
    if efficiency:
        result["efficiency"] = run_efficiency(efficiency, seed=seed, device=device)
    if out is not None:
        write_json(Path(out) / "explanations.json", result)
    return result


def format_explanation_table(result: dict[str, Any]) -> str:
    """A short terminal table: seconds per document each way and the speed-ups over the README usage."""
    budgets = result["num_samples"]  # one budget for both (results before the per-method defaults), or one each
    samples = ", ".join(f"{m} {n}" for m, n in budgets.items()) if isinstance(budgets, dict) else budgets
    lines = [f"{result['model']} on {result['data']}: {result['documents']} documents, {samples} samples, "
             f"seed {result['seed']}",
             f"{'regime':<16}{'method':<8}{'workbench s/doc':>17}{'README s/doc':>14}{'speed-up':>10}{'onnxruntime':>13}{'max|ds|':>10}"
             f"{'int8':>8}{'int8 rho':>10}"]
    for name, row in result["regimes"].items():
        for method in ("lime", "shap"):
            ort = f"{row[f'{method}_onnxruntime_speedup']:>12.2f}x{row[f'{method}_onnxruntime_max_abs_diff']:>10.1e}" if f"{method}_onnxruntime_speedup" in row else ""
            int8 = f"{row[f'{method}_int8_speedup']:>7.2f}x{row[f'{method}_int8_spearman_vs_fp32']:>10.3f}" if f"{method}_int8_speedup" in row else ""
            lines.append(f"{name:<16}{method:<8}{row[f'{method}_workbench_s_per_doc']:>17.2f}{row[f'{method}_readme_s_per_doc']:>14.2f}{row[f'{method}_speedup']:>9.2f}x{ort}{int8}")
        lines.append(f"{'':<16}LIME scores vs README: largest difference {row['lime_max_abs_diff_vs_readme']:.2e}")
    if "quality" in result:
        lines.append(f"quality on {result['quality']['documents']} documents (comprehensiveness and sufficiency: method / random words)")
        lines.append(f"{'method':<22}{'s/doc':>8}{'compr.':>16}{'suff.':>16}{'seed rho':>10}{'top-5':>7}  warnings")
        for method, row in result["quality"]["methods"].items():
            stability = row.get("stability") or {}
            rho, top = stability.get("spearman"), stability.get("top_k_overlap")
            warnings = [w for w, on in (("no better than random", row["no_better_than_random"]), ("unstable", row.get("unstable"))) if on]
            lines.append(f"{method:<22}{row['s_per_doc']:>8.2f}{row['comprehensiveness']:>8.3f} /{row['comprehensiveness_random']:>6.3f}"
                         f"{row['sufficiency']:>8.3f} /{row['sufficiency_random']:>6.3f}{'-' if rho is None else f'{rho:.3f}':>10}"
                         f"{'-' if top is None else f'{top:.2f}':>7}  {', '.join(warnings)}")
    if "efficiency" in result:
        lines.append(format_efficiency_table(result["efficiency"]))
    return "\n".join(lines)
