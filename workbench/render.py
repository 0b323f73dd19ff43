"""Safe rendering: escaped HTML of attributions and tables, and matplotlib figures.

Every text that comes from data, a model or a parameter (words, label names, ids, model
references, method names) passes through ``html.escape(..., quote=True)`` before it enters a
page; numbers are formatted, never interpolated raw. Pages carry no script at all and a
Content-Security-Policy that forbids scripts, so even a missed escape could not run code;
figures are embedded as PNG data URIs. A page is built from *sections*: HTML strings and
matplotlib figures, so a notebook can show the same sections as its own outputs (see
``display``). Checked: lime's ``as_html`` and ``shap.plots.text``
put feature and class names unescaped into their pages and scripts (lime 0.2.0.1, shap
0.51), so their HTML is never embedded here.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .faithfulness import AGAINST_RANDOM, STABLE_TOP_K, TOP_K
from .records import Attribution, Metrics, Predictions

Section = Any  # an HTML string (already safe) or a matplotlib Figure whose label is its alt text

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wb-words { line-height: 1.9; }
.wb-words span { padding: 0.1rem 0.15rem; border-radius: 0.2rem; }
.wb-doc { border-top: 1px solid #ddd; padding-top: 0.5rem; margin-top: 1rem; }
.wb-meta { color: #555; font-size: 0.9rem; }
.wb-unseen { color: #999; }
.wb-stop { color: #b00; font-size: 0.85rem; }
.wb-flag { color: #b00; font-weight: 600; }
"""
UNSEEN_STYLE = "color:#999"  # inline too, for HTML shown without the page's style sheet (the explorer)
FLAG_STYLE = "color:#b00"


def escape(value: Any) -> str:
    """Any value as HTML text: ``html.escape`` with quotes, so it is safe in content and attributes."""
    return html.escape(str(value), quote=True)


def _colour(score: float, scale: float) -> str:
    """Red toward the target, blue against it; opacity by magnitude (numbers only)."""
    alpha = 0.0 if scale == 0 else min(1.0, abs(score) / scale)
    rgb = "220,60,40" if score > 0 else "40,110,220"
    return f"rgba({rgb},{alpha:.3f})"


def attribution_html(record: Attribution) -> str:
    """The words of ``record`` shaded by score, each with its score as a tooltip.

    Words the model did not read (beyond its token limit) follow a marker where it stopped
    reading, greyed and unscored.
    """
    scale = max((abs(s) for s in record.scores), default=0.0)
    spans = [
        f'<span style="background-color:{_colour(score, scale)}" title="{score:+.4f}">{escape(word)}</span>'
        for word, score in zip(record.words, record.scores)
    ]
    unseen = record.words[record.visible:]
    if unseen:
        limit = record.reading.get("max_tokens")
        spans.append(f'<span class="wb-stop" style="{FLAG_STYLE}" title="the model read no further">‖ the model stopped reading here'
                     f'{f" ({int(limit)}-token limit)" if limit else ""}; the {len(unseen)} grey words after it were not read and have no score ‖</span>')
        spans.append(f'<span class="wb-unseen" style="{UNSEEN_STYLE}">{escape(" ".join(unseen))}</span>')
    return f'<div class="wb-words">{" ".join(spans)}</div>'


def reading_note(record: Attribution) -> str:
    """How the model read the text, in a few words (plain text; escape before use)."""
    reading, words = record.reading, len(record.words)
    if reading.get("mode") == "window":
        windows = len(reading.get("windows", []))
        return f"read in {windows} window{'s' if windows != 1 else ''} of {reading.get('max_tokens')} tokens; scores are the mean of the windows'"
    if record.visible < words:
        return f"read {record.visible} of {words} words (the first {reading.get('max_tokens')} tokens)"
    return f"read all {words} words"


def checks_note(record: Attribution) -> str:
    """A method's own checks of one record, in a few words (plain text): integrated gradients' completeness error."""
    d = record.diagnostics
    if "relative_error" not in d:
        return ""
    error = "-" if d["relative_error"] is None else f"{100 * d['relative_error']:.2f} %"
    verdict = "" if d.get("converged") else f", above the {100 * d['tolerance']:.0f} % tolerance at the step cap"
    return f"{d['steps']} steps, completeness error {error} (delta {d['convergence_delta']:+.2e}){verdict}"


def attribution_meta(record: Attribution) -> str:
    """One line above a record's words: method, target, output, base, how the text was read, the method's checks."""
    parts = [escape(record.method), f"toward {escape(record.target)}", f"p = {record.output:.4f}", f"all words masked {record.base:.4f}",
             escape(reading_note(record))]
    checks = checks_note(record)
    if checks:
        parts.append(escape(checks))
    return f'<p class="wb-meta">{" · ".join(parts)}</p>'


def flag_html(text: str) -> str:
    """A warning paragraph (``text`` is escaped), styled inline too so it shows in the explorer."""
    return f'<p class="wb-flag" style="{FLAG_STYLE}">⚠ {escape(text)}</p>'


def _ci(interval: Mapping[str, float] | None) -> str:
    return "-" if interval is None else f"{interval['low']:+.4f} to {interval['high']:+.4f}"


def faithfulness_rows(faithfulness: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One table row per method: each score beside random words' and the method's advantage over them."""
    rows = []
    for method, result in faithfulness.items():
        against = result.get("against_random", {})
        row: dict[str, Any] = {"method": method}
        for name in AGAINST_RANDOM:
            test = against.get(name, {})
            row[name] = result["method"][name]
            row[f"{name} (random)"] = result["random"][name]
            row[f"{name} advantage 95% CI"] = _ci(test.get("ci")) if "ci" in test else (
                f"beats {test['beats']} of {test['orders']} random orders (p = {test['p']:.2f})" if "p" in test else "-")
        for name in ("sufficiency", "aopc_sufficiency"):
            row[name], row[f"{name} (random)"] = result["method"][name], result["random"][name]
        verdict = against.get("no_better_than_random")
        row["verdict"] = "-" if verdict is None else "NO BETTER THAN RANDOM" if verdict else "better than random"
        rows.append(row)
    return rows


def faithfulness_flags(faithfulness: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A warning per method whose comprehensiveness does not clear random words'."""
    return [
        flag_html(f"{method}: no better than random words on {result['n']} document{'s' if result['n'] != 1 else ''}: deleting its top words "
                  "does not change the prediction clearly more than deleting random ones, so its scores are not evidence of what the model used.")
        for method, result in faithfulness.items() if result.get("against_random", {}).get("no_better_than_random")
    ]


def table_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """An HTML table of ``rows`` (dicts); floats to 4 decimals, None as a dash, all escaped."""
    columns = list(columns or (rows[0].keys() if rows else []))

    def cell(value: Any) -> str:
        if value is None:
            return '<td class="num">-</td>'
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f'<td class="num">{value:.4f}</td>' if isinstance(value, float) else f'<td class="num">{value}</td>'
        return f"<td>{escape(value)}</td>"

    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(cell(row.get(c)) for c in columns) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tight(fig) -> None:
    """``tight_layout``, quietly: long label names (data, not our choice) may not fit, which is no error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fig.tight_layout()


def _short(label: str, limit: int = 24) -> str:
    """A tick label cut to ``limit`` characters, so a long label name cannot crowd out the plot."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def top_words_figure(record: Attribution, k: int = 10):  # -> matplotlib.figure.Figure
    """A horizontal bar chart of the ``k`` words with the largest absolute scores (no pyplot)."""
    import numpy as np
    from matplotlib.figure import Figure

    order = np.argsort(-np.abs(np.asarray(record.scores)), kind="stable")[:k][::-1]
    fig = Figure(figsize=(5, 0.3 * max(len(order), 3) + 1), dpi=72)
    ax = fig.subplots()
    scores = [record.scores[i] for i in order]
    ax.barh(range(len(order)), scores, color=["#dc3c28" if s > 0 else "#286edc" for s in scores])
    ax.set_yticks(range(len(order)), [f"{record.words[i]} ({i})" for i in order], fontsize=8)
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.locator_params(axis="x", nbins=4)
    ax.set_title(f"{record.method}: toward {record.target}", fontsize=9)
    _tight(fig)
    fig.set_label(f"top words, {record.method}")
    return fig


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (stable: no timestamp or software tag)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def figure_data_uri(fig) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(figure_png(fig)).decode("ascii")


def section_html(section: Section) -> str:
    """A section as HTML: a figure becomes an ``<img>`` whose alt text is the figure's label."""
    if isinstance(section, str):
        return section
    return f'<img alt="{escape(section.get_label())}" src="{figure_data_uri(section)}">'


def page_html(title: str, sections: Iterable[Section]) -> str:
    """A complete, script-free HTML page: escaped ``title``, then ``sections`` (already-safe HTML or figures)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n<h1>{escape(title)}</h1>\n"
        + "\n".join(map(section_html, sections))
        + "\n</body></html>\n"
    )


def explanation_sections(records_by_method: Mapping[str, Sequence[Attribution]], summary: Mapping[str, Any], *, figures: bool = True) -> list[Section]:
    """The explanation report: faithfulness, agreement and stability tables, then every document.

    ``summary`` is the content of faithfulness.json (``explainers.study``).
    """
    sections: list[Section] = [f'<p class="wb-meta">model {escape(summary["model"])} · data {escape(summary["data"])} · seed {int(summary["seed"])}</p>']
    reading = summary.get("reading") or {}
    if reading.get("mode") == "truncate":
        sections.append(f"<p>The model reads at most {int(reading['max_tokens'])} tokens. {int(reading['documents_cut'])} of {int(summary['n'])} "
                        f"documents are longer; every method explains only the {int(reading['words_read'])} of {int(reading['words'])} words it read, "
                        "and the words after the limit are shown grey, unscored.</p>")
    elif reading.get("mode") == "window":
        sections.append(f"<p>The model reads long documents in overlapping windows of {int(reading['max_tokens'])} tokens and averages their "
                        "probabilities; every method explains each window, and a word's score is the mean of its windows' scores.</p>")
    sections.append("<h2>Faithfulness</h2><p>Comprehensiveness: drop in the target's probability when the top 20 % of the words read are "
                    "deleted (higher is better). Sufficiency: drop when only they are kept (lower is better). AOPC: the mean over "
                    "1, 5, 10, 20 and 50 %. Each beside the same score for random word orders; the advantage interval is a paired bootstrap "
                    "over documents, and a method whose interval reaches zero is no better than random words.</p>")
    sections += faithfulness_flags(summary["faithfulness"])
    sections.append(table_html(faithfulness_rows(summary["faithfulness"])))
    if summary.get("diagnostics"):
        rows = [{"method": m, **d} for m, d in summary["diagnostics"].items()]
        sections.append("<h2>Integrated gradients: completeness</h2><p>The attributions of integrated gradients add up to the change "
                        "in probability from the padding baseline; the relative error is how far the finite number of steps misses it. "
                        "Steps are doubled until it is under the tolerance.</p>" + table_html(rows))
    if summary.get("agreement"):
        sections.append("<h2>Agreement between methods</h2>" + table_html(summary["agreement"], ["a", "b", "n", "spearman", "kendall", "top_k_overlap"]))
    if summary.get("stability"):
        stability = [{"method": m, **s, "unstable": "-" if s.get("unstable") is None else "UNSTABLE" if s["unstable"] else "stable"}
                     for m, s in summary["stability"].items()]
        sections.append("<h2>Stability across seeds</h2><p>Rank agreement of a method with itself under another seed; deterministic "
                        f"methods (SHAP's Partition explainer, the gradients, occlusion) give the same result for any seed. Unstable: a top-{TOP_K} "
                        f"overlap under {STABLE_TOP_K}, so fewer than three of the five top words survive another seed.</p>")
        sections += [flag_html(f"{m}: unstable across seeds: another seed changes its ranking (Spearman {s['spearman']:.2f}, top-{TOP_K} overlap "
                               f"{s['top_k_overlap']:.2f}); read its top words as one sample, not as the model's reasons.")
                     for m, s in summary["stability"].items() if s.get("unstable")]
        sections.append(table_html(stability, ["method", "seeds", "n", "spearman", "kendall", "top_k_overlap", "unstable"]))
    sections.append("<h2>Documents</h2><p>Red words push toward the target label, blue ones against it; hover for the score.</p>")
    by_document: dict[str, list[Attribution]] = {}
    for records in records_by_method.values():
        for record in records:
            by_document.setdefault(record.id, []).append(record)
    for doc_id, records in by_document.items():
        sections.append(f'<h3 class="wb-doc">{escape(doc_id)}</h3>')
        for record in records:
            sections.append(attribution_meta(record) + attribution_html(record))
            if figures:
                sections.append(top_words_figure(record))
    return sections


def explanation_page(title: str, records_by_method: Mapping[str, Sequence[Attribution]], summary: Mapping[str, Any], *, figures: bool = True) -> str:
    """index.html of ``workbench explain``: :func:`explanation_sections` as a page."""
    return page_html(title, explanation_sections(records_by_method, summary, figures=figures))


def accuracy_figure(content: Mapping[str, Any]):  # -> matplotlib.figure.Figure
    """Accuracy of each model with its bootstrap interval (compare.json content)."""
    from matplotlib.figure import Figure

    models = content["models"]
    fig = Figure(figsize=(6, 0.5 * len(models) + 1.2), dpi=100)
    ax = fig.subplots()
    for i, ref in enumerate(models):
        m = content["metrics"][ref]
        ci = m["ci"]["accuracy"] or {"low": m["accuracy"], "high": m["accuracy"]}
        ax.errorbar(m["accuracy"], i, xerr=[[m["accuracy"] - ci["low"]], [ci["high"] - m["accuracy"]]], fmt="o", capsize=4, color="#286edc")
    ax.set_yticks(range(len(models)), [_short(ref, 32) for ref in models], fontsize=8)
    ax.set_xlabel("accuracy (95 % bootstrap interval)")
    ax.invert_yaxis()
    _tight(fig)
    fig.set_label("accuracy per model")
    return fig


def speed_accuracy_figure(content: Mapping[str, Any]):  # -> matplotlib.figure.Figure
    """Documents per second (log scale) against accuracy, one point per model."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5), dpi=100)
    ax = fig.subplots()
    for ref in content["models"]:
        x, y = content["cost"][ref]["docs_per_s"], content["metrics"][ref]["accuracy"]
        ax.scatter([x], [y], color="#dc3c28")
        ax.annotate(ref, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("documents per second (log scale)")
    ax.set_ylabel("accuracy")
    _tight(fig)
    fig.set_label("speed against accuracy")
    return fig


def _interval(ci: Sequence[float] | Mapping[str, float] | None, scale: float = 1.0) -> str:
    if ci is None:
        return "-"
    low, high = (ci["low"], ci["high"]) if isinstance(ci, Mapping) else ci
    return f"{scale * low:+.2f} to {scale * high:+.2f}" if scale != 1.0 else f"{low:.4f} to {high:.4f}"


def comparison_sections(content: Mapping[str, Any]) -> list[Section]:
    """The verdicts, per-model metrics and cost, pairs, slices, probes and explanation agreement (compare.json content)."""
    models = content["models"]
    summary = []
    for ref in models:
        m, c = content["metrics"][ref], content["cost"][ref]
        summary.append({
            "model": ref, "n": m["n"], "accuracy": m["accuracy"], "accuracy 95% CI": _interval(m["ci"]["accuracy"]),
            "macro F1": m["f1_macro"], "macro F1 95% CI": _interval(m["ci"]["f1_macro"]), "ECE": m["ece"],
            "docs/s": c["docs_per_s"], "latency p50 ms": c["latency"]["p50_ms"], "latency p95 ms": c["latency"]["p95_ms"],
            "peak memory MiB": c.get("peak_memory_mb"), "parameters": c["parameters"], "size MB": c["size_on_disk_bytes"] / 1e6,
        })
    pairs = [{
        "a": p["a"], "b": p["b"], "accuracy diff (points)": 100 * p["accuracy_diff"], "95% CI (points)": _interval(p["accuracy_diff_ci"], 100.0),
        "macro F1 diff (points)": 100 * p["f1_macro_diff"], "F1 95% CI (points)": _interval(p["f1_macro_diff_ci"], 100.0),
        "McNemar p": p["mcnemar_p"], "significant": "yes" if p["significant"] else "no", "agreement": p["agreement"],
        "disagreements": len(p["disagreements"]),
    } for p in content["pairwise"]]
    per_class = [{"a": p["a"], "b": p["b"], **{f"F1 diff {k}": v for k, v in p["per_class_f1_diff"].items()}} for p in content["pairwise"]]
    slice_rows = {}
    for ref in models:
        for row in content["slices"][ref]:
            merged = slice_rows.setdefault((row["by"], row["slice"]), {"by": row["by"], "slice": row["slice"], "n": row["n"], "small (< 30)": "yes" if row["small"] else ""})
            merged[f"accuracy {ref}"] = row["accuracy"]
    probes = [{"model": ref, **{f"{edit} flip rate": v["flip_rate"] for edit, v in content["probes"][ref].items()},
               **{f"{edit} edited": v["edited"] for edit, v in content["probes"][ref].items()}} for ref in models]
    sections = [
        f'<p class="wb-meta">data {escape(content["data"])} · seed {int(content["seed"])} · {len(models)} models</p>',
        "<h2>Verdicts</h2><ul>" + "".join(f"<li>{escape(p['verdict'])}</li>" for p in content["pairwise"]) + "</ul>",
        "<h2>Models</h2>" + table_html(summary),
        accuracy_figure(content),
        speed_accuracy_figure(content),
        "<h2>Pairs</h2><p>Differences are the first model minus the second; McNemar's exact test on which documents each gets right.</p>" + table_html(pairs),
        "<h2>Per-class F1 differences</h2>" + table_html(per_class),
        "<h2>Slices</h2><p>Accuracy per gold class, per length in words, and per extra column; slices under 30 documents are flagged.</p>"
        + table_html(list(slice_rows.values())),
        "<h2>Robustness and bias probes</h2><p>Share of edited documents whose prediction flips under each counterfactual edit.</p>" + table_html(probes),
    ]
    if content["explanations"]:
        e = content["explanations"]
        sections.append(f"<h2>Explanation agreement</h2><p>{escape(e['method'])} on {len(e['ids'])} documents, explaining the gold label.</p>"
                        + table_html(e["pairs"], ["a", "b", "n", "spearman", "kendall", "top_k_overlap"]))
    for p in content["pairwise"]:
        if p["disagreements"]:
            rows = [{"id": d["id"], "gold": d["label"], p["a"]: d["a"], p["b"]: d["b"]} for d in p["disagreements"][:50]]
            sections.append(f"<h3>Where {escape(p['a'])} and {escape(p['b'])} disagree ({len(p['disagreements'])}, first 50)</h3>" + table_html(rows))
    return sections


def comparison_page(content: Mapping[str, Any]) -> str:
    """compare.html: :func:`comparison_sections` as a page."""
    return page_html("Model comparison", comparison_sections(content))


def confusion_matrix_figure(metrics: Metrics):  # -> matplotlib.figure.Figure
    """The confusion matrix (scikit-learn's ConfusionMatrixDisplay), rows gold, columns predicted."""
    import numpy as np
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = metrics.confusion_matrix["labels"]
    size = max(4.0, 0.9 * len(labels) + 2)
    fig = Figure(figsize=(size, size), dpi=100)  # no pyplot: leaves a notebook's backend alone
    ax = fig.subplots()
    ConfusionMatrixDisplay(np.array(metrics.confusion_matrix["matrix"]), display_labels=[_short(str(label)) for label in labels]).plot(
        ax=ax, cmap="Blues", colorbar=False, xticks_rotation=45
    )
    ax.set_title(f"{_short(metrics.model, 48)} on {_short(metrics.data, 48)}\naccuracy {metrics.accuracy:.3f}, n = {metrics.n}", fontsize=9)
    _tight(fig)
    fig.set_label("confusion matrix")
    return fig


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
    def interval(name: str) -> str:
        ci = metrics.ci.get(name)
        return _interval((ci.low, ci.high)) if ci else "-" if name in metrics.ci else ""

    summary = [{"metric": label, "value": getattr(metrics, name), "95% CI": interval(name)} for name, label in SUMMARY_METRICS.items()]
    per_class = [{"label": label, **{k: scores[k] for k in ("precision", "recall", "f1", "support")}} for label, scores in metrics.per_class.items()]
    sections: list[Section] = [
        f'<p class="wb-meta">model {escape(metrics.model)} · data {escape(metrics.data)} · n = {metrics.n} · bootstrap seed {int(metrics.seed)}</p>',
        "<h2>Metrics</h2>" + table_html(summary),
        "<h2>Per class</h2>" + table_html(per_class),
        confusion_matrix_figure(metrics),
    ]
    if predictions is not None and predictions.labels is not None:
        predicted = predictions.predicted
        wrong = [i for i, (gold, guess) in enumerate(zip(predictions.labels, predicted)) if gold != guess]
        confidence = predictions.proba.max(axis=1)
        order = sorted(wrong, key=lambda i: (-float(confidence[i]), i))[:mistakes]
        rows = [{"id": predictions.ids[i], "gold": predictions.labels[i], "predicted": predicted[i], "p(predicted)": float(confidence[i]),
                 "p(gold)": float(predictions.proba[i, list(predictions.label_names).index(predictions.labels[i])]),
                 **({"text": texts[i][:excerpt] + ("…" if len(texts[i]) > excerpt else "")} if texts is not None else {})} for i in order]
        sections.append(f"<h2>Most confident mistakes ({len(rows)} of {len(wrong)})</h2>" + (table_html(rows) if rows else "<p>None.</p>"))
    return sections


def index_page(title: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """A page that links reports under a headline table.

    Each entry has ``name``, ``href`` (relative link), ``notebook``, ``status``, ``parameters``
    (mapping), ``headline`` (mapping of figure name to number or text) and ``finished``.
    """
    def headline(values: Mapping[str, Any]) -> str:
        return " · ".join(f"{escape(k)} {v:.4f}" if isinstance(v, float) else f"{escape(k)} {escape(v)}" for k, v in values.items())

    rows = "".join(
        f'<tr><td><a href="{escape(e["href"])}">{escape(e["name"])}</a></td><td>{escape(e["notebook"])}</td><td>{escape(e["status"])}</td>'
        f'<td>{escape(", ".join(f"{k}={v}" for k, v in e["parameters"].items()))}</td><td>{headline(e["headline"])}</td><td>{escape(e["finished"])}</td></tr>'
        for e in entries
    )
    head = "".join(f"<th>{c}</th>" for c in ("report", "notebook", "status", "parameters", "headline", "finished (UTC)"))
    return page_html(title, [f"<p>{len(entries)} reports.</p><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"])
