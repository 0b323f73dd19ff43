"""The question-answering Explorer: questions with the model's answer and score, explained over question and context."""

from __future__ import annotations

from functools import cached_property

from ..records.qa import QAMetrics, QAPredictions
from .base import excerpt
from .words import WordsExplorer


class QAExplorer(WordsExplorer):
    """Questions, each answer with its score and exact match; explaining one shades the question's and the context's
    words by how much each raised the answer's probability, the answer outlined."""

    task = "question-answering"
    wrong_label = "not exactly right only"
    item = "question"
    toward = "the answer"
    confidence = "answer score"
    predictions: QAPredictions

    @cached_property
    def metrics(self) -> QAMetrics:
        """Exact match and F1 of every answer (SQuAD's), and the reliability of their scores."""
        from ..verbs import compute_metrics

        return compute_metrics(self.predictions, seed=self.seed)

    def text(self, i: int) -> str:
        return self.dataset.questions[i]

    def wrong(self, i: int) -> bool | None:
        return self.metrics.per_question[i]["exact_match"] == 0

    def describe(self, i: int) -> str:
        answer = self.predictions.answers[i]
        shown = answer.text if len(answer.text) <= 40 else answer.text[:39] + "…"
        exact = self.metrics.per_question[i]["exact_match"]
        return f"answer {shown or '(none)'!r} (score {answer.score:.2f}) · exact match {exact:.0f}"

    def label(self, i: int) -> str:
        words = self.dataset.questions[i].split()
        return words[0].lower() if words else ""

    def confidence_of(self, i: int) -> float | None:
        return float(self.predictions.answers[i].score)

    def document_html(self, i: int) -> str:
        from ..render.html import prose_html, table_html

        answer, scores = self.predictions.answers[i], self.metrics.per_question[i]
        gold = " | ".join(g.text for g in self.predictions.gold[i]) or "(no answer)"
        rows = [
            {
                "answer": answer.text,
                "score": answer.score,
                "start": answer.start,
                "end": answer.end,
                "gold": gold,
                "exact match": scores["exact_match"],
                "F1": scores["f1"],
            }
        ]
        return str(
            table_html(rows)
            + prose_html(self.dataset.questions[i], "Question", level=4)
            + prose_html(excerpt(self.dataset.contexts[i]), "Context", level=4)
        )

    def calibration(self) -> str | None:
        from ..render.html import figure_html
        from ..render.qa import qa_reliability_figure

        return str(figure_html(qa_reliability_figure(self.metrics)))
