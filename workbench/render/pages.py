"""The report pages: evaluation, explanations, comparison and the index, as lists of sections.

Each ``*_sections`` function reads records (``Metrics``, ``ExplanationStudy``, ``Comparison``)
and returns sections (Markup from ``html`` or figures from ``figures``), so a notebook shows
exactly what the command line's pages show (``display.show``); ``*_page`` wraps them in a page.
Every text goes through a template with autoescape on (``html``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..records import Attribution, Comparison, ExplanationStudy, Faithfulness, Metrics, Predictions
from ..statistics.faithfulness import AGAINST_RANDOM, AGREEMENT_MEASURES, STABLE_TOP_K, TOP_K
from .qa import MODE, qa_attribution_html, qa_reading_note
from .figures import (accuracy_figure, confusion_matrix_figure, reliability_figure, speed_accuracy_figure,
                      top_words_figure)
from .examples import duplicate_note, examples_html, listing_html
from .html import Markup, Section, flag_html, page_html, part, prose_html, shaded_text_html, table_html


def attribution_html(record: Attribution) -> Markup:
    """The text of ``record`` as written, each word shaded by its score over its own characters (hover: the score).

    Words the model did not read (beyond its token limit) follow a marker where it stopped
    reading, greyed and unscored. An explanation of an answer shows its question, then its
    context with the answer framed (``qa.qa_attribution_html``).
    """
    if record.reading.get("mode") == MODE:
        return qa_attribution_html(record)
    unseen = len(record.words) - record.visible
    limit = record.reading.get("max_tokens")
    stop = (f"the model stopped reading here{f' ({int(limit)}-token limit)' if limit else ''}; "
            f"the {unseen} grey words after it were not read and have no score") if unseen else None
    return shaded_text_html(record.text, record.scores, stop=stop)


def reading_note(record: Attribution) -> str:
    """How the model read the text, in a few words."""
    reading, words = record.reading, len(record.words)
    if reading.get("mode") == MODE:
        return qa_reading_note(record)
    if reading.get("mode") == "window":
        windows = len(reading.get("windows", []))
        return f"read in {windows} window{'s' if windows != 1 else ''} of {reading.get('max_tokens')} tokens; scores are the mean of the windows'"
    if record.visible < words:
        return f"read {record.visible} of {words} words (the first {reading.get('max_tokens')} tokens)"
    return f"read all {words} words"


def checks_note(record: Attribution) -> str:
    """A method's own checks of one record, in a few words: integrated gradients' completeness error."""
    d = record.diagnostics
    if "relative_error" not in d:
        return ""
    error = "-" if d["relative_error"] is None else f"{100 * d['relative_error']:.2f} %"
    verdict = "" if d.get("converged") else f", above the {100 * d['tolerance']:.0f} % tolerance at the step cap"
    return f"{d['steps']} steps, completeness error {error} (delta {d['convergence_delta']:+.2e}){verdict}"


def attribution_meta(record: Attribution) -> Markup:
    """One line above a record's words: method, target, output, base, how the text was read, the method's checks."""
    toward, value = (
        (f"toward {record.target} rather than {record.contrast}", "log p(target) - log p(contrast)")
        if record.contrast else (f"toward {record.target}", "p")
    )
    parts = [record.method, toward, f"{value} = {record.output:.4f}", f"all words masked {record.base:.4f}",
             reading_note(record), checks_note(record)]
    return prose_html(" · ".join(p for p in parts if p), css="wb-meta")


def _ci(interval: Mapping[str, float] | None) -> str:
    return "-" if interval is None else f"{interval['low']:+.4f} to {interval['high']:+.4f}"


def faithfulness_rows(faithfulness: Mapping[str, Faithfulness]) -> list[dict[str, Any]]:
    """One table row per method: each score beside random words' and the method's advantage over them."""
    rows = []
    for method, result in faithfulness.items():
        row: dict[str, Any] = {"method": method}
        for name in AGAINST_RANDOM:
            test = result.against_random.get(name)
            row[name] = getattr(result.method, name)
            row[f"{name} (random)"] = getattr(result.random, name)
            row[f"{name} advantage 95% CI"] = ("-" if test is None else
                                               f"beats {test.beats} of {test.orders} random orders (p = {test.p:.2f})" if test.single_document else _ci(test.ci))
        for name in ("sufficiency", "aopc_sufficiency"):
            row[name], row[f"{name} (random)"] = getattr(result.method, name), getattr(result.random, name)
        verdict = result.no_better_than_random
        row["verdict"] = "-" if verdict is None else "NO BETTER THAN RANDOM" if verdict else "better than random"
        rows.append(row)
    return rows


def faithfulness_flags(faithfulness: Mapping[str, Faithfulness]) -> list[Markup]:
    """A warning per method whose comprehensiveness does not clear random words'."""
    return [
        flag_html(f"{method}: no better than random words on {result.n} document{'s' if result.n != 1 else ''}: deleting its top words "
                  "does not change the prediction clearly more than deleting random ones, so its scores are not evidence of what the model used.")
        for method, result in faithfulness.items() if result.no_better_than_random
    ]


def explanation_sections(study: ExplanationStudy, *, figures: bool = True) -> list[Section]:
    """The explanation report: faithfulness, agreement and stability tables, then every document."""
    sections: list[Section] = [prose_html(f"model {study.model} · data {study.data} · seed {study.seed}", css="wb-meta")]
    reading, n = study.reading, len(study.ids)
    if reading.mode == "truncate":
        sections.append(prose_html(f"The model reads at most {reading.max_tokens} tokens. {reading.documents_cut} of {n} documents are longer; "
                                   f"every method explains only the {reading.words_read} of {reading.words} words it read, and the words after "
                                   "the limit are shown grey, unscored."))
    elif reading.mode == "window":
        sections.append(prose_html(f"The model reads long documents in overlapping windows of {reading.max_tokens} tokens and averages their "
                                   "probabilities; every method explains each window, and a word's score is the mean of its windows' scores."))
    elif reading.mode == MODE:
        sections.append(prose_html("Each explanation is of the model's answer: the probability of its span (start x end softmax, in the "
                                   "window where it is highest), word by word over the question and the context. LIME, SHAP and occlusion perturb the "
                                   "question with the context whole, then the context with the question whole; deleting a word of the answer "
                                   "takes the answer away. The gradients run on the window where the answer's "
                                   "probability is highest. The answer is framed."))
    answer_kept = any(f.kept_words == "answer" for f in study.faithfulness.values())
    kept = (" The answer's own words (each of its occurrences in the context) are never deleted and the fractions "
            "are of the other words, since deleting them takes the answer away whatever else a method found: the "
            "scores say whether a method found the words the answer rests on.") if answer_kept else ""
    sections.append(prose_html(f"Comprehensiveness: drop in {study.explained} when the top 20 % of the words read "
                               "are deleted (higher is better). Sufficiency: drop when only they are kept (lower is "
                               "better). AOPC: the mean over 1, 5, 10, 20 and 50 %. Each beside the same score for "
                               "random word orders; the advantage interval is a paired bootstrap over documents, and a "
                               f"method whose interval reaches zero is no better than random words.{kept}",
                               "Faithfulness"))
    sections += faithfulness_flags(study.faithfulness)
    sections.append(table_html(faithfulness_rows(study.faithfulness)))
    if study.diagnostics:
        rows = [{"method": m, **d.to_dict()} for m, d in study.diagnostics.items()]
        sections.append(prose_html("The attributions of integrated gradients add up to the change in probability from the padding baseline; the "
                                   "relative error is how far the finite number of steps misses it. Steps are doubled until it is under the tolerance.",
                                   "Integrated gradients: completeness") + table_html(rows))
    if study.agreement:
        sections.append(prose_html(None, "Agreement between methods") + table_html([a.to_dict() for a in study.agreement],
                                                                                   ["a", "b", "n", *AGREEMENT_MEASURES]))
    if study.stability:
        stability = [{"method": m, **s.to_dict(), "unstable": "-" if s.unstable is None else "UNSTABLE" if s.unstable else "stable"}
                     for m, s in study.stability.items()]
        sections.append(prose_html("Rank agreement of a method with itself under another seed; deterministic methods (SHAP's Partition "
                                   "explainer, the gradients, occlusion) give the same result for any seed. Unstable: a top-"
                                   f"{TOP_K} overlap under {STABLE_TOP_K}, so fewer than three of the five top words survive another seed.",
                                   "Stability across seeds"))
        sections += [flag_html(f"{m}: unstable across seeds: another seed changes its ranking (Spearman {s.spearman:.2f}, top-{TOP_K} overlap "
                               f"{s.top_k_overlap:.2f}); read its top words as one sample, not as the model's reasons.")
                     for m, s in study.stability.items() if s.unstable]
        sections.append(table_html(stability, ["method", "seeds", "n", *AGREEMENT_MEASURES, "unstable"]))
    toward = "the answer" if reading.mode == MODE else "the target label"
    sections.append(prose_html(f"Red words push toward {toward}, blue ones against it; hover for the score.", "Documents"))
    by_document: dict[str, list[Attribution]] = {}
    for records in study.attributions.values():
        for record in records:
            by_document.setdefault(record.id, []).append(record)
    for doc_id, records in by_document.items():
        sections.append(prose_html(None, doc_id + duplicate_note(study.data, doc_id), level=3, css="wb-doc"))
        for record in records:
            sections.append(attribution_meta(record) + attribution_html(record))
            if figures:
                sections.append(top_words_figure(record))
    return sections


def explanation_page(study: ExplanationStudy, *, figures: bool = True) -> str:
    """index.html of ``workbench explain``: :func:`explanation_sections` as a page."""
    return page_html(f"Explanations of {study.model} on {study.data}", explanation_sections(study, figures=figures))


def _interval(ci: Sequence[float] | None, scale: float = 1.0) -> str:
    if ci is None:
        return "-"
    low, high = ci
    return f"{scale * low:+.2f} to {scale * high:+.2f}" if scale != 1.0 else f"{low:.4f} to {high:.4f}"


def _metric_ci(metrics: Metrics, name: str) -> str:
    ci = metrics.ci.get(name)
    return _interval((ci.low, ci.high)) if ci else "-"


def prompt_sections(model: str, prompt: Mapping[str, Any] | None) -> list[Section]:
    """How a decoder-only LM was asked (its ``Provenance.prompt``): the fields and each label's continuation, quoted as
    JSON strings so spaces and newlines show; nothing for other models."""
    if prompt is None:
        return []
    fields = [{"field": key, "value": json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)}
              for key, value in prompt.items() if key != "verbalizers"]
    verbalizers = [{"label": label, "continuation": json.dumps(text, ensure_ascii=False)}
                   for label, text in prompt.get("verbalizers", {}).items()]
    return [prose_html(f"{model} reads each document through this prompt; a label's probability is the softmax of its "
                       "continuation's log-likelihood (docs/llm.md).", f"Prompt of {model}")
            + table_html(fields) + (table_html(verbalizers) if verbalizers else "")]


def comparison_sections(comparison: Comparison) -> list[Section]:
    """The verdicts, per-model metrics and cost, pairs, slices, probes and explanation agreement."""
    models = comparison.models
    summary = []
    for ref in models:
        m, c = comparison.metrics[ref], comparison.cost[ref]
        summary.append({
            "model": ref, "n": m.n, "accuracy": m.accuracy, "accuracy 95% CI": _metric_ci(m, "accuracy"),
            "macro F1": m.f1_macro, "macro F1 95% CI": _metric_ci(m, "f1_macro"), "ECE": m.ece,
            "ECE 95% CI": _metric_ci(m, "ece"),
            "docs/s": c.docs_per_s, "latency p50 ms": c.latency.p50_ms, "latency p95 ms": c.latency.p95_ms,
            "peak memory MiB": c.peak_memory_mb, "parameters": c.parameters, "size MB": c.size_on_disk_bytes / 1e6,
        })
    pairs = [{
        "a": p.a, "b": p.b, "accuracy diff (points)": 100 * p.accuracy_diff, "95% CI (points)": _interval(p.accuracy_diff_ci, 100.0),
        "macro F1 diff (points)": 100 * p.f1_macro_diff, "F1 95% CI (points)": _interval(p.f1_macro_diff_ci, 100.0),
        "McNemar p": p.mcnemar_p, "significant": "yes" if p.significant else "no", "agreement": p.agreement,
        "disagreements": len(p.disagreements),
    } for p in comparison.pairwise]
    per_class = [{"a": p.a, "b": p.b, **{f"F1 diff {k}": v for k, v in p.per_class_f1_diff.items()}} for p in comparison.pairwise]
    slice_rows: dict[tuple[str, str], dict[str, Any]] = {}
    for ref in models:
        for row in comparison.slices[ref]:
            merged = slice_rows.setdefault((row.by, row.slice), {"by": row.by, "slice": row.slice, "n": row.n, "small (< 30)": "yes" if row.small else ""})
            merged[f"accuracy {ref}"] = row.accuracy
    probes = [{"model": ref, **{f"{edit} flip rate": v.flip_rate for edit, v in comparison.probes[ref].items()},
               **{f"{edit} edited": v.edited for edit, v in comparison.probes[ref].items()}} for ref in models]
    sections: list[Section] = [
        prose_html(f"data {comparison.data} · seed {comparison.seed} · {len(models)} models", css="wb-meta"),
        part("items")([p.verdict() for p in comparison.pairwise], "Verdicts"),
        prose_html(None, "Models") + table_html(summary),
        accuracy_figure(comparison),
        speed_accuracy_figure(comparison),
        prose_html("Differences are the first model minus the second; McNemar's exact test on which documents each gets right.", "Pairs")
        + table_html(pairs),
        prose_html(None, "Per-class F1 differences") + table_html(per_class),
        prose_html("Accuracy per gold class, per length in words, and per extra column; slices under 30 documents are flagged.", "Slices")
        + table_html(list(slice_rows.values())),
        prose_html("Share of edited documents whose prediction flips under each counterfactual edit.", "Robustness and bias probes")
        + table_html(probes),
    ]
    for ref in models:
        provenance = comparison.predictions[ref].provenance
        sections += prompt_sections(ref, provenance.prompt if provenance else None)
    if comparison.explanations:
        e = comparison.explanations
        sections.append(prose_html(f"{e.method} on {len(e.ids)} documents, explaining the gold label.", "Explanation agreement")
                        + table_html([p.to_dict() for p in e.pairs], ["a", "b", "n", *AGREEMENT_MEASURES]))
    for p in comparison.pairwise:
        if p.disagreements:
            rows = [{"id": d["id"], "gold": d["label"], p.a: d["a"], p.b: d["b"]} for d in p.disagreements[:50]]
            heading = f"Where {p.a} and {p.b} disagree ({len(p.disagreements)}, first 50)"
            sections.append(prose_html(None, heading, level=3) + examples_html(rows, comparison.data))
    return sections


def comparison_page(comparison: Comparison) -> str:
    """compare.html: :func:`comparison_sections` as a page."""
    return page_html("Model comparison", comparison_sections(comparison))


SUMMARY_METRICS = {
    "accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "f1_macro": "macro F1", "precision_macro": "macro precision",
    "recall_macro": "macro recall", "f1_micro": "micro F1", "f1_weighted": "weighted F1", "matthews_corrcoef": "Matthews correlation",
    "cohen_kappa": "Cohen's kappa", "log_loss": "log loss", "brier_score": "Brier score", "ece": "expected calibration error",
}


def evaluation_sections(metrics: Metrics, predictions: Predictions | None = None, texts: Sequence[str] | None = None, *,
                        mistakes: int = 20, excerpt: int = 160) -> list[Section]:
    """An evaluation: every metric with its interval, per-class scores, the confusion matrix and,
    given the predictions, the ``mistakes`` most confident wrong predictions (with the start of
    each text, given the texts in the predictions' order)."""
    summary = [{"metric": label, "value": getattr(metrics, name), "95% CI": _metric_ci(metrics, name) if name in metrics.ci else ""}
               for name, label in SUMMARY_METRICS.items()]
    per_class = [{"label": label, **{k: scores[k] for k in ("precision", "recall", "f1", "support")}} for label, scores in metrics.per_class.items()]
    sections: list[Section] = [
        prose_html(f"model {metrics.model} · data {metrics.data} · n = {metrics.n} · bootstrap seed {metrics.seed}", css="wb-meta"),
        prose_html(None, "Metrics") + table_html(summary),
        prose_html(None, "Per class") + table_html(per_class),
        confusion_matrix_figure(metrics),
        prose_html("Each point is one bin of predictions by the predicted label's probability: how often they are "
                   "right against how sure the model was, with a bootstrap band; on the diagonal, a model is as often "
                   "right as it is sure. The bars count each bin's documents.", "Calibration"),
        reliability_figure(metrics.reliability, model=metrics.model, data=metrics.data),
        *prompt_sections(metrics.model, metrics.provenance.prompt if metrics.provenance else None),
    ]
    if predictions is not None and predictions.labels is not None:
        predicted = predictions.predicted
        wrong = [i for i, (gold, guess) in enumerate(zip(predictions.labels, predicted)) if gold != guess]
        confidence = predictions.proba.max(axis=1)
        order = sorted(wrong, key=lambda i: (-float(confidence[i]), i))[:mistakes]
        rows = [{"id": predictions.ids[i], "gold": predictions.labels[i], "predicted": predicted[i], "p(predicted)": float(confidence[i]),
                 "p(gold)": float(predictions.proba[i, list(predictions.label_names).index(predictions.labels[i])]),
                 **({"text": texts[i][:excerpt] + ("…" if len(texts[i]) > excerpt else "")} if texts is not None else {})} for i in order]
        heading = f"Most confident mistakes ({len(rows)} of {len(wrong)})"
        sections.append(prose_html(None, heading) + examples_html(rows, metrics.data) if rows
                        else prose_html("None.", heading))
    return sections


def predictions_sections(predictions: Predictions, *, rows: int = 20) -> list[Section]:
    """The first ``rows`` predictions: id, gold label (when known), the predicted label and its probability."""
    predicted, confidence = predictions.predicted, predictions.proba.max(axis=1)
    gold = predictions.labels
    table = [{"id": predictions.ids[i], **({"gold": gold[i]} if gold is not None else {}), "predicted": predicted[i],
              "p(predicted)": float(confidence[i])} for i in range(min(rows, len(predictions.ids)))]
    return [listing_html(predictions.model, predictions.dataset, table, len(predictions.ids))]


def index_page(title: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """A page that links reports under a headline table.

    Each entry has ``name``, ``href`` (relative link), ``notebook``, ``status``, ``parameters``
    (mapping), ``headline`` (mapping of figure name to number or text) and ``finished``.
    """
    def headline(values: Mapping[str, Any]) -> str:
        return " · ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())

    rows = [{**e, "parameters": ", ".join(f"{k}={v}" for k, v in e["parameters"].items()), "headline": headline(e["headline"])} for e in entries]
    return page_html(title, [part("links")(rows)])
