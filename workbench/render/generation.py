"""The generation pages: an evaluation with its best and worst documents, a comparison, token-attribution heatmaps.

Sections as in ``pages`` (Markup from ``html``'s autoescaped templates), so a notebook shows
what the command line writes. ROUGE is 0-1 (rouge-score's F-measure), BLEU and chrF 0-100
(sacrebleu's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..records.generation import GenerationComparison, GenerationMetrics, GenerationPredictions
from ..records.token_attribution import TokenAttribution, TokenStudy
from .examples import duplicate_note, examples_html, listing_html
from ..personal_data import HIDDEN, shown_spans
from ..words import word_spans
from .html import (Markup, Section, page_html, part, prose_html, shade, shaded_text_html, shaded_tokens_html,
                   shown_tokens, table_html)

SCORES = ("rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "chrf", "length_ratio")


def _ci(metrics: GenerationMetrics, name: str) -> str:
    ci = metrics.ci.get(name)
    return "-" if ci is None else f"{ci.low:.4f} to {ci.high:.4f}"


def token_heatmap_html(record: TokenAttribution) -> Markup:
    """Source words (rows) x generated tokens (columns), each cell coloured by the word's score for the token (red
    raises it, blue lowers it, full colour at the largest magnitude) with the number on hover, as Inseq draws it; a
    decoder-only model's earlier tokens follow the source words. Every text is escaped by the template."""
    labels, matrix = record.matrix()
    scale = max((abs(v) for row in matrix for v in row), default=0.0)
    read = len(record.source_words)  # the source's words, then a decoder-only model's earlier tokens
    labels = [w or HIDDEN for w in [*shown_spans(record.source, word_spans(record.source)[:read]),
                                    *shown_tokens(labels[read:])]]
    generated = [token or HIDDEN for token in shown_tokens(record.generated)]
    tokens = [(token, step_note(record, t)) for t, token in enumerate(generated)]
    rows = [(label, [(shade(matrix[t][j], scale), f"{label} → {generated[t]}: {matrix[t][j]:+.5f}")
                     for t in range(len(generated))]) for j, label in enumerate(labels)]
    corner, caption = "source word ↓ / generated token →", f"full colour: |score| = {scale:.4f}"
    return part("token_heatmap")(corner, tokens, rows, caption)


def token_sources_html(record: TokenAttribution, t: int) -> Markup:
    """What raised or lowered generated token ``t``: the source as written, each word shaded by its score for the
    token (the words past what the model read greyed), then a decoder-only model's earlier tokens; one colour scale for
    both."""
    _, matrix = record.matrix()
    scale = max((abs(v) for v in matrix[t]), default=0.0)
    read = len(record.source_words)
    stop = f"the model read the first {read} words; the rest has no score"
    shown = shaded_text_html(record.source, record.scores[t], scale=scale, stop=stop, label="source:")
    if record.prefix_scores is not None and t:
        shown += shaded_tokens_html(record.generated[:t], record.prefix_scores[t][:t], scale=scale,
                                    label="earlier tokens:")
    token = f"token {t + 1} of {len(record.generated)}: {shown_tokens(record.generated)[t] or HIDDEN!r}, " \
            f"{step_note(record, t)}"
    return prose_html(token, css="wb-meta") + shown


def step_note(record: TokenAttribution, t: int) -> str:
    """Generated token ``t``'s probability, and for a contrastive record the token it is explained against with the
    log-ratio explained (plain text; the templates escape it)."""
    note = f"p = {record.probabilities[t]:.4f}"
    if record.contrast is None or record.log_ratios is None:
        return note
    return f"{note}, rather than {record.contrast[t]!r}: log p ratio = {record.log_ratios[t]:+.4f}"


def token_study_sections(study: TokenStudy, *, numbers: str | None = None) -> list[Section]:
    """Each method's faithfulness against random words, then every document's output with one heatmap per method.

    ``numbers`` is the relative address of token_attributions.csv, which the page links for download (the command line's
    page and a report; a notebook's output has no file beside it).
    """
    faithfulness = [{"method": m, "documents": f.documents, "tokens": f.tokens, "comprehensiveness": f.comprehensiveness, "random words": f.random,
                     "advantage": f.advantage, "95% CI": "-" if f.advantage_ci is None else f"{f.advantage_ci.low:+.4f} to {f.advantage_ci.high:+.4f}",
                     "beats random": "yes" if f.beats_random else "no", "seconds": study.seconds[m]} for m, f in study.faithfulness.items()]
    explained = "a generated token's probability" if study.contrast is None else \
        "a generated token's log p(token) − log p(runner-up), the runner-up being the model's next choice at its step"
    sections: list[Section] = [
        prose_html(f"model {study.model} · data {study.data} · {len(study.ids)} documents · {study.generation.describe()} · seed {study.seed}",
                   css="wb-meta"),
        prose_html(f"The drop in {explained} when its top 10, 20 and 30 % of source words are deleted, against as many "
                   "random words (seeded); the advantage's interval is a paired bootstrap over documents.", "Faithfulness") + table_html(faithfulness),
        prose_html("Each heatmap colours a source word (row) by how much it raised (red) or lowered (blue) "
                   f"{explained} (column); hover a cell for its score.", "Documents")
        + (part("download")(numbers, "every score as a table (CSV)") if numbers else Markup()),
    ]
    for i, doc_id in enumerate(study.ids):
        first = study.records[study.methods[0]][i]
        sections.append(prose_html(f"generated: {first.prediction} · reference: {' | '.join(study.references[i])}",
                                   f"Document {doc_id}{duplicate_note(study.data, doc_id)}", level=3))
        for method in study.methods:
            record = study.records[method][i]
            read = f"{len(record.source_words)} source words read"
            sections.append(prose_html(f"{method} · {read}", css="wb-meta") + token_heatmap_html(record))
    return sections


def token_study_page(study: TokenStudy, *, numbers: str | None = None) -> str:
    """index.html of ``workbench explain`` on a generator, linking ``numbers`` (token_attributions.csv) when given."""
    return page_html("Generated tokens explained", token_study_sections(study, numbers=numbers))


def generation_evaluation_sections(metrics: GenerationMetrics, predictions: GenerationPredictions | None = None, *, documents: int = 5,
                                   excerpt: int = 300) -> list[Section]:
    """Scores with intervals, sacrebleu's signatures, the settings and, given the outputs, the best and worst documents by ROUGE-L."""
    summary = [{"metric": name, "value": getattr(metrics, name), "95% CI": _ci(metrics, name)} for name in SCORES]
    sections: list[Section] = [
        prose_html(f"model {metrics.model} · data {metrics.data} · n = {metrics.n} · {metrics.generation.describe()} · "
                   f"bootstrap seed {metrics.seed}", css="wb-meta"),
        prose_html("ROUGE F-measures (rouge-score, stemmed, 0-1, the mean over documents), corpus BLEU and chrF (sacrebleu, 0-100) and the "
                   "length ratio (output / reference tokens), with 95 % bootstrap intervals over documents.", "Scores") + table_html(summary),
        prose_html(f"BLEU {metrics.signatures['bleu']} · chrF {metrics.signatures['chrf']}", css="wb-meta"),
    ]
    if predictions is not None:
        order = sorted(range(metrics.n), key=lambda i: (metrics.per_document[i]["rougeL"], i))

        def rows(indices: Sequence[int]) -> list[dict[str, Any]]:
            return [{"id": predictions.ids[i], "source": predictions.sources[i][:excerpt], "reference": " | ".join(predictions.references[i]),
                     "generated": predictions.predictions[i], "ROUGE-L": metrics.per_document[i]["rougeL"], "chrF": metrics.per_document[i]["chrf"]}
                    for i in indices]

        sections.append(prose_html("Highest ROUGE-L first.", f"Best {min(documents, metrics.n)} documents")
                        + examples_html(rows(order[::-1][:documents]), metrics.data))
        sections.append(prose_html("Lowest ROUGE-L first.", f"Worst {min(documents, metrics.n)} documents")
                        + examples_html(rows(order[:documents]), metrics.data))
    return sections


def generation_predictions_sections(predictions: GenerationPredictions, *, rows: int = 20) -> list[Section]:
    """The first ``rows`` outputs: id, the generated text and the references."""
    table = [{"id": doc_id, "generated": output, "reference": " | ".join(refs)}
             for doc_id, output, refs in zip(predictions.ids[:rows], predictions.predictions, predictions.references)]
    return [listing_html(predictions.model, predictions.dataset, table, len(predictions.ids))]


def generation_comparison_sections(comparison: GenerationComparison) -> list[Section]:
    """The verdicts, each model's scores and speed, every pair's paired tests, and slices by source length."""
    summary = [{"model": ref, "n": m.n, **{name: getattr(m, name) for name in ("rouge1", "rougeL", "bleu", "chrf")}, "ROUGE-L 95% CI": _ci(m, "rougeL"),
                "chrF 95% CI": _ci(m, "chrf"), "documents/s": comparison.documents_per_s[ref]} for ref, m in comparison.metrics.items()]
    pairs = [{"a": p.a, "b": p.b, "ROUGE-L diff": p.rougeL_diff, "ROUGE-L 95% CI": _pair(p.rougeL_diff_ci), "chrF diff": p.chrf_diff,
              "chrF 95% CI": _pair(p.chrf_diff_ci), "a better (ROUGE-L)": p.wins_a, "b better": p.wins_b, "ties": p.ties} for p in comparison.pairwise]
    slice_rows: dict[str, dict[str, Any]] = {}
    for ref in comparison.models:
        for row in comparison.slices[ref]:
            merged = slice_rows.setdefault(row.slice, {"source length (words)": row.slice, "n": row.n, "small (< 30)": "yes" if row.small else ""})
            merged[f"ROUGE-L {ref}"], merged[f"chrF {ref}"] = row.rougeL, row.chrf
    return [
        prose_html(f"data {comparison.data} · seed {comparison.seed} · {comparison.generation.describe()} · {len(comparison.models)} models",
                   css="wb-meta"),
        part("items")([p.verdict() for p in comparison.pairwise], "Verdicts"),
        prose_html("ROUGE F-measures 0-1 (mean over documents), corpus BLEU and chrF 0-100, with 95 % bootstrap intervals; documents/s from "
                   "one timed pass after a warm-up.", "Models") + table_html(summary),
        prose_html("Differences are the first model minus the second in per-document ROUGE-L (0-1) and sentence chrF (0-100), with paired "
                   "bootstrap intervals over documents; wins count the documents where each has the higher ROUGE-L.", "Pairs") + table_html(pairs),
        prose_html("Per-document ROUGE-L and chrF by source length; slices under 30 documents are flagged.", "Slices")
        + table_html(list(slice_rows.values())),
    ]


def _pair(ci: Sequence[float] | None) -> str:
    return "-" if ci is None else f"{ci[0]:+.4f} to {ci[1]:+.4f}"


def generation_comparison_page(comparison: GenerationComparison) -> str:
    """compare.html of ``workbench compare`` on generators."""
    return page_html("Generation model comparison", generation_comparison_sections(comparison))
