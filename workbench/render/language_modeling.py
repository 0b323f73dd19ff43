"""The sections of a language model's pages: perplexity and bits per byte with intervals, the texts it finds most and
least surprising, and comparisons of LMs on the same texts. Every text goes through the escaping templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..records.language_modeling import Likelihoods, PerplexityComparison, PerplexityMetrics
from .examples import examples_html, listing_html
from .html import Section, page_html, part, prose_html, table_html

FIGURES = {"perplexity": "perplexity (per token)", "bits_per_byte": "bits per byte", "nll_per_token": "nats per token"}


def _ci(metrics: PerplexityMetrics, name: str) -> str:
    ci = metrics.ci.get(name)
    return "-" if ci is None else f"{ci.low:.4f} to {ci.high:.4f}"


def _meta(metrics: PerplexityMetrics) -> str:
    return (
        f"model {metrics.model} · data {metrics.data} · n = {metrics.n} texts, {metrics.tokens:,} tokens, "
        f"{metrics.bytes:,} bytes · {metrics.window.describe()} · bootstrap seed {metrics.seed}"
    )


def perplexity_evaluation_sections(
    metrics: PerplexityMetrics, likelihoods: Likelihoods | None = None, *, documents: int = 5, excerpt: int = 300
) -> list[Section]:
    """The figures with intervals and, given the per-text reading, the texts with the fewest and most bits per byte."""
    summary = [
        {"figure": label, "value": getattr(metrics, name), "95% CI": _ci(metrics, name)}
        for name, label in FIGURES.items()
    ]
    sections: list[Section] = [
        prose_html(_meta(metrics), css="wb-meta"),
        prose_html(
            "Perplexity is exp(total negative log-likelihood / total tokens): it depends on the tokenizer, so "
            "compare it between models that share one. Bits per byte divides the same total by the texts' UTF-8 "
            "bytes (and ln 2), so it compares any two models. Every token of every text is scored once; 95 % "
            "bootstrap intervals over texts.",
            "Figures",
        )
        + table_html(summary),
    ]
    if likelihoods is not None:
        order = sorted(range(metrics.n), key=lambda i: (metrics.per_document[i]["bits_per_byte"], i))

        def rows(indices: Sequence[int]) -> list[dict[str, Any]]:
            return [
                {
                    "id": likelihoods.ids[i],
                    "text": likelihoods.texts[i][:excerpt],
                    "bits per byte": metrics.per_document[i]["bits_per_byte"],
                    "perplexity": metrics.per_document[i]["perplexity"],
                    "tokens": likelihoods.tokens[i],
                }
                for i in indices
            ]

        count = min(documents, metrics.n)
        sections.append(
            prose_html(
                "Fewest bits per byte first: texts the model predicts best, where a text it was trained on would show.",
                f"Least surprising {count} texts",
            )
            + examples_html(rows(order[:documents]), metrics.data)
        )
        sections.append(
            prose_html("Most bits per byte first.", f"Most surprising {count} texts")
            + examples_html(rows(order[::-1][:documents]), metrics.data)
        )
    return sections


def likelihood_sections(likelihoods: Likelihoods, *, rows: int = 20) -> list[Section]:
    """The first ``rows`` texts: id, negative log-likelihood, tokens and bytes."""
    table = [
        {"id": i, "nll (nats)": n, "tokens": t, "bytes": b}
        for i, n, t, b in zip(likelihoods.ids[:rows], likelihoods.nll, likelihoods.tokens, likelihoods.bytes)
    ]
    return [listing_html(likelihoods.model, likelihoods.dataset, table, len(likelihoods.ids))]


def perplexity_comparison_sections(comparison: PerplexityComparison) -> list[Section]:
    """The verdicts, each model's figures and speed, and every pair's paired test on bits per byte."""
    summary = [
        {
            "model": ref,
            "n": m.n,
            "tokens": m.tokens,
            "perplexity": m.perplexity,
            "perplexity 95% CI": _ci(m, "perplexity"),
            "bits per byte": m.bits_per_byte,
            "bits per byte 95% CI": _ci(m, "bits_per_byte"),
            "tokens/s": comparison.tokens_per_s[ref],
        }
        for ref, m in comparison.metrics.items()
    ]
    pairs = [
        {
            "a": p.a,
            "b": p.b,
            "bits per byte diff": p.bits_per_byte_diff,
            "95% CI": "-"
            if p.bits_per_byte_diff_ci is None
            else f"{p.bits_per_byte_diff_ci[0]:+.4f} to {p.bits_per_byte_diff_ci[1]:+.4f}",
            "texts a reads better": p.wins_a,
            "texts b reads better": p.wins_b,
        }
        for p in comparison.pairwise
    ]
    return [
        prose_html(
            f"data {comparison.data} · seed {comparison.seed} · {comparison.window.describe()} · "
            f"{len(comparison.models)} models",
            css="wb-meta",
        ),
        part("items")([p.verdict() for p in comparison.pairwise], "Verdicts"),
        prose_html(
            "Perplexity per token (comparable only between models with one tokenizer) and bits per byte (any "
            "two models), with 95 % bootstrap intervals over texts; tokens/s from one timed pass after a "
            "warm-up.",
            "Models",
        )
        + table_html(summary),
        prose_html(
            "Differences are the first model minus the second in corpus bits per byte (lower reads the texts "
            "better), with paired bootstrap intervals over texts.",
            "Pairs",
        )
        + table_html(pairs),
    ]


def perplexity_comparison_page(comparison: PerplexityComparison) -> str:
    """compare.html of ``workbench compare`` on plain texts."""
    return page_html("Language model comparison", perplexity_comparison_sections(comparison))


def perplexity_precision_sections(metrics: dict[str, PerplexityMetrics]) -> list[Section]:
    """One model's figures read at each precision (``{"fp32": ..., "int8": ...}``) side by side: what a precision
    costs in prediction, on the same texts and windows."""
    rows = [
        {
            "precision": name,
            "perplexity": m.perplexity,
            "perplexity 95% CI": _ci(m, "perplexity"),
            "bits per byte": m.bits_per_byte,
            "bits per byte 95% CI": _ci(m, "bits_per_byte"),
        }
        for name, m in metrics.items()
    ]
    return [
        prose_html(
            "The same model and texts read at each precision; the intervals are each reading's own, so a "
            "difference inside them is not one to trust.",
            "Precisions",
        )
        + table_html(rows)
    ]
