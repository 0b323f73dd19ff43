"""The question-answering pages: an answer's explanation, an evaluation with the worst misses, a comparison.

Sections as in ``pages`` (Markup from ``html``'s autoescaped templates), so a notebook shows
what the command line writes. Scores are SQuAD's, 0-100.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..records import Attribution
from ..records.attribution import ANSWER_READING as MODE
from ..records.qa import QAComparison, QAMetrics, QAPredictions
from .figures import reliability_figure
from .examples import examples_html, listing_html
from .html import Markup, Section, page_html, part, prose_html, shaded_text_html, table_html


def qa_attribution_html(record: Attribution) -> Markup:
    """The question, then the context, as written, each word shaded by its score (hover: the score), the answer
    framed."""
    question, _, context = record.text.partition("\n")  # the record's text: the question, a newline, the context
    split = record.reading["question_words"]
    scale = max((abs(s) for s in record.scores), default=0.0)
    answer = record.reading.get("answer") or {}
    first, last = (w - split for w in answer["words"]) if answer.get("words") else (-1, -1)
    return (shaded_text_html(question, record.scores[:split], scale=scale, label="Q:")
            + shaded_text_html(context, record.scores[split:], scale=scale, answer=(first, last)))


def qa_reading_note(record: Attribution) -> str:
    """How the model read the question and its context, in a few words."""
    reading = record.reading
    return (f"question and context read in windows of {reading.get('max_tokens')} tokens overlapping by {reading.get('stride')}; "
            f"the answer's probability is the highest over the windows that hold it")


def qa_reliability_figure(metrics: QAMetrics):  # -> matplotlib.figure.Figure
    """The answers' reliability diagram: exact match against the answer's score."""
    return reliability_figure(metrics.reliability, model=metrics.model, data=metrics.data,
                              confidence="answer score (the pipeline's)", right="exact match")


def _ci(metrics: QAMetrics, name: str) -> str:
    ci = metrics.ci.get(name)
    return "-" if ci is None else f"{ci.low:.2f} to {ci.high:.2f}"


def qa_evaluation_sections(metrics: QAMetrics, predictions: QAPredictions | None = None, questions: Sequence[str] | None = None,
                               *, misses: int = 20, excerpt: int = 120) -> list[Section]:
    """A question-answering evaluation: exact match and F1 with intervals, the HasAns/NoAns split, the decoding and,
    given the answers, the ``misses`` worst misses (lowest F1, the most confident first)."""
    summary = [{"metric": "exact match", "value": metrics.exact_match, "95% CI": _ci(metrics, "exact_match")},
               {"metric": "F1", "value": metrics.f1, "95% CI": _ci(metrics, "f1")}]
    splits = [{"questions": name, **{k: v for k, v in split.items() if k in ("n", "exact_match", "f1")}}
              for name, split in (("with an answer", metrics.has_answer), ("without an answer", metrics.no_answer)) if split and split.get("n")]
    decoding = metrics.decoding
    sections: list[Section] = [
        prose_html(f"model {metrics.model} · data {metrics.data} · n = {metrics.n} · bootstrap seed {metrics.seed}", css="wb-meta"),
        prose_html(f"answers of at most {decoding.max_answer_len} tokens, windows of {decoding.max_seq_len} tokens overlapping by "
                   f"{decoding.doc_stride}{', the null answer competing' if decoding.handle_impossible else ''}", css="wb-meta"),
        prose_html("SQuAD's exact match and F1 (0-100, the official answer normalisation), with 95 % bootstrap intervals.", "Scores")
        + table_html(summary),
    ]
    if splits:
        sections.append(prose_html(None, "Questions with and without an answer") + table_html(splits))
    sections += [prose_html("Each point is one bin of answers by their score (the pipeline's probability of the "
                            "span): how often they are exactly right against the score, with a bootstrap band; is a "
                            "0.9 answer right 90 % of the time? The bars count each bin's questions.", "Calibration"),
                 qa_reliability_figure(metrics)]
    if metrics.outside_windows:
        sections.append(prose_html(f"{100 * metrics.outside_windows:.1f} % of the answerable questions have every gold answer outside the "
                                   "windows the model read: it cannot answer those."))
    if predictions is not None:
        rows = [(r["f1"], -a.score, i) for i, (r, a) in enumerate(zip(metrics.per_question, predictions.answers)) if r["exact_match"] == 0]
        worst = [i for _, _, i in sorted(rows)[:misses]]
        table = [{"id": predictions.ids[i], **({"question": questions[i][:excerpt]} if questions is not None else {}),
                  "gold": " | ".join(g.text for g in predictions.gold[i]), "answer": predictions.answers[i].text,
                  "score (pipeline's)": predictions.answers[i].score, "F1": metrics.per_question[i]["f1"]} for i in worst]
        heading = f"Worst misses ({len(table)} of {len(rows)} questions not answered exactly)"
        sections.append(prose_html("Lowest F1 first; among equals, the answers the model was surest of.", heading)
                        + examples_html(table, metrics.data)
                        if table else prose_html("None.", heading))
    return sections


def qa_predictions_sections(predictions: QAPredictions, *, rows: int = 20) -> list[Section]:
    """The first ``rows`` answers: id, the answer, its score and character span, and the gold answers."""
    table = [{"id": qid, "answer": a.text, "score": a.score, "start": a.start, "end": a.end,
              "gold": " | ".join(g.text for g in gold)}
             for qid, a, gold in zip(predictions.ids[:rows], predictions.answers, predictions.gold)]
    return [listing_html(predictions.model, predictions.dataset, table, len(predictions.ids))]


def qa_comparison_sections(comparison: QAComparison) -> list[Section]:
    """The verdicts, each model's scores and speed, every pair's tests, slices, and where the models disagree."""
    models = comparison.models
    summary = [{"model": ref, "n": m.n, "exact match": m.exact_match, "EM 95% CI": _ci(m, "exact_match"), "F1": m.f1, "F1 95% CI": _ci(m, "f1"),
                "questions/s": comparison.questions_per_s[ref]} for ref, m in comparison.metrics.items()]
    pairs = [{"a": p.a, "b": p.b, "EM diff": p.exact_match_diff, "EM 95% CI": _points(p.exact_match_diff_ci), "F1 diff": p.f1_diff,
              "F1 95% CI": _points(p.f1_diff_ci), "McNemar p": p.mcnemar_p, "significant": "yes" if p.significant else "no",
              "same answer": p.agreement, **p.contingency} for p in comparison.pairwise]
    slice_rows: dict[tuple[str, str], dict[str, Any]] = {}
    for ref in models:
        for row in comparison.slices[ref]:
            merged = slice_rows.setdefault((row.by, row.slice), {"by": row.by, "slice": row.slice, "n": row.n, "small (< 30)": "yes" if row.small else ""})
            merged[f"EM {ref}"], merged[f"F1 {ref}"] = row.exact_match, row.f1
    sections: list[Section] = [
        prose_html(f"data {comparison.data} · seed {comparison.seed} · {len(models)} models", css="wb-meta"),
        part("items")([p.verdict() for p in comparison.pairwise], "Verdicts"),
        prose_html("SQuAD exact match and F1 (0-100) with 95 % bootstrap intervals; questions/s from one timed pass after a warm-up.", "Models")
        + table_html(summary),
        prose_html("Differences are the first model minus the second, in points; McNemar's exact test on which questions each answers exactly "
                   "(both_correct, only_a_correct, only_b_correct, both_wrong); paired bootstrap intervals of the differences.", "Pairs")
        + table_html(pairs),
        prose_html("Scores per context length (words) and per question word; slices under 30 questions are flagged.", "Slices")
        + table_html(list(slice_rows.values())),
    ]
    for p in comparison.pairwise:
        if p.disagreements:
            rows = [{"id": d["id"], "gold": " | ".join(d["gold"]), p.a: d["a"], p.b: d["b"]} for d in p.disagreements[:50]]
            heading = f"Where only one of {p.a} and {p.b} is exact ({len(p.disagreements)}, first 50)"
            sections.append(prose_html(None, heading, level=3) + examples_html(rows, comparison.data))
    return sections


def _points(ci: Sequence[float] | None) -> str:
    return "-" if ci is None else f"{ci[0]:+.2f} to {ci[1]:+.2f}"


def qa_comparison_page(comparison: QAComparison) -> str:
    """compare.html of ``workbench compare`` on question-answering models."""
    return page_html("Question-answering model comparison", qa_comparison_sections(comparison))
