"""The Explorer of a model whose explanations score the words of a text: a classifier's document, an answer's
question and context. Both explain through the verbs and are scored the same way, so they share this view.

The app says when an explanation cannot be trusted: "unstable" when another seed gives a different ranking
(``statistics.faithfulness.unstable``), "no better than random" when deleting its top words moves the prediction
no more than deleting random ones (a permutation test against 19 random orders), and integrated gradients'
completeness error. Words beyond the model's token limit are greyed and unscored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..records import Attribution, Faithfulness, Stability
from .base import Explorer


class WordsExplorer(Explorer):
    """The shared part of the classification and question-answering Explorers: explain, re-explain, score, show."""

    toward = "the label"  # what red words push toward, in the legend

    @property
    def attribution(self) -> Attribution | None:
        """The record of the last explanation."""
        return self.result[0] if self.result else None

    @property
    def scores(self) -> Faithfulness | None:
        """The faithfulness of the last explanation."""
        return self.result[1] if self.result else None

    @property
    def stability(self) -> Stability | None:
        """The last explanation's agreement with itself under the next seed (methods that sample; else None)."""
        return self.result[2] if self.result else None

    def methods(self) -> list[str]:
        from ..explainers import supported_methods

        return supported_methods(self.model)

    def check_methods(self, methods: Sequence[str]) -> None:
        from ..explainers import check_method

        for method in methods:
            check_method(method)

    def explain_selected(self) -> tuple[Attribution, Faithfulness, Stability | None]:
        """Explain the chosen item with the chosen method (toward the model's own prediction) and score it.

        Returns the record, its faithfulness scores and, for a method that samples (LIME), its agreement with the same
        explanation under the next seed (None for deterministic methods).
        """
        from ..explainers import check_method
        from ..statistics.faithfulness import seed_stability
        from ..verbs import explain, score_faithfulness

        row, method = self.dataset.select([self.selected()]), self.method.value
        options = {"method": method, "num_samples": self.num_samples, "progress": False}
        self.step(0, f"explaining with {method}…")
        [record] = explain(self.model, row, seed=self.seed, **options)
        stability = None
        if check_method(method).stochastic:
            self.step(1, f"explaining again with seed {self.seed + 1}…")
            [again] = explain(self.model, row, seed=self.seed + 1, **options)
            stability = seed_stability([record], [[again]], [self.seed, self.seed + 1])
        self.step(2, "scoring faithfulness…")
        scores = score_faithfulness(self.model, row, [record], seed=self.seed)
        self.progress.value = 3
        return record, scores, stability

    def show(self, result: tuple[Attribution, Faithfulness, Stability | None]) -> None:
        from ..render.html import Markup, flag_html, prose_html, table_html
        from ..render.pages import attribution_html, attribution_meta, faithfulness_flags
        from ..statistics.faithfulness import SCORES, TOP_K

        record, scores, stability = result
        warnings = faithfulness_flags({record.method: scores})
        if stability and stability.unstable:
            warnings.append(
                flag_html(
                    f"unstable: seed {self.seed + 1} ranks the words differently (Spearman {stability.spearman:.2f}, "
                    f"top-{TOP_K} overlap {stability.top_k_overlap:.2f}); read the top words as one sample"
                )
            )
        if record.diagnostics and not record.diagnostics.get("converged", True):
            warnings.append(flag_html("integrated gradients did not reach its completeness tolerance at the step cap"))
        self.words.value = str(
            Markup().join(warnings)
            + attribution_meta(record)
            + attribution_html(record)
            + prose_html(f"red words push toward {self.toward}, blue against it", css="wb-meta")
        )
        test = scores.against_random["comprehensiveness"]
        rows = [
            {
                "score": name,
                "this explanation": getattr(scores.method, name),
                "random words": getattr(scores.random, name),
            }
            for name in SCORES
        ]
        summary = f"beats {test.beats} of {test.orders} random word orders on comprehensiveness (p = {test.p:.2f})"
        if stability is not None:
            spearman = stability.spearman if stability.spearman is not None else float("nan")
            overlap = stability.top_k_overlap
            summary += f"; against seed {self.seed + 1}: Spearman {spearman:.2f}, top-{TOP_K} overlap {overlap:.2f}"
        self.faithfulness.value = str(
            prose_html(f"Faithfulness (comprehensiveness: higher is better; sufficiency: lower is better); {summary}")
            + table_html(rows)
        )


def reliability_html(
    correct: Sequence[bool], confidence: Any, *, model: str, data: str, seed: int, **labels: str
) -> str:
    """A reliability diagram as an ``<img>``, drawn as ``workbench evaluate`` draws it."""
    from ..render.figures import reliability_figure
    from ..render.html import figure_html
    from ..statistics.metrics import reliability

    diagram = reliability(list(correct), confidence, seed=seed)
    return str(figure_html(reliability_figure(diagram, model=model, data=data, **labels)))
