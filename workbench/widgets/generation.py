"""The generator's Explorer: sources with their outputs; choosing a generated token shades the source by it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from ..records.generation import GenerationMetrics, GenerationPredictions, GenerationSettings
from ..records.token_attribution import TokenAttribution, TokenFaithfulness
from .base import Explorer, excerpt

LENGTHS = (
    ("under 200 words", 200),
    ("200-400 words", 400),
    ("400-800 words", 800),
    ("800 words or more", float("inf")),
)


class GenerationExplorer(Explorer):
    """Sources, each output with its ROUGE-L; explaining one attributes every generated token, and choosing a token
    shades the source words (and a decoder-only model's earlier tokens) by how much each raised its probability."""

    task = "generation"
    wrong_label = "below the median ROUGE-L only"
    item = "source"
    predictions: GenerationPredictions

    def __init__(self, model: Any, dataset: Any, *, settings: GenerationSettings | None = None, **options: Any) -> None:
        """``settings`` are how the outputs are generated; ``options`` are the base's (methods, seed, num_samples)."""
        import ipywidgets as w

        self.settings = settings
        self.tokens = w.ToggleButtons(
            options=[],
            description="Token",
            style={"button_width": "auto"},
            tooltips=[],
            layout=w.Layout(flex_flow="row wrap"),
        )
        self.heatmap = w.HTML()
        self.tokens.observe(self._show_token, names="value")
        super().__init__(model, dataset, **options)

    @property
    def attribution(self) -> TokenAttribution | None:
        """The record of the last explanation."""
        return self.result[0] if self.result else None

    @cached_property
    def metrics(self) -> GenerationMetrics | None:
        """ROUGE, BLEU and chrF of the outputs (None when the dataset holds no references)."""
        from ..verbs import compute_metrics

        return compute_metrics(self.predictions, seed=self.seed) if all(self.predictions.references) else None

    def task_options(self) -> dict[str, Any]:
        return {"settings": self.settings} if self.settings else {}

    def methods(self) -> list[str]:
        from ..errors import WorkbenchError
        from ..explainers.generation import TOKEN_METHODS, token_explainer

        offered = []
        for method in TOKEN_METHODS:
            try:
                token_explainer(method, self.model)
            except WorkbenchError:
                continue
            offered.append(method)
        return offered

    def check_methods(self, methods: Sequence[str]) -> None:
        from ..explainers.generation import token_explainer

        for method in methods:
            token_explainer(method, self.model)

    def text(self, i: int) -> str:
        return self.dataset.texts[i]

    @cached_property
    def median_rouge(self) -> float | None:
        """The ROUGE-L at the middle of the sorted outputs (the upper middle for an even count); None without
        references. Computed once: the filter and the corpus map ask for every source."""
        if self.metrics is None:
            return None
        scores = sorted(d["rougeL"] for d in self.metrics.per_document)
        return scores[len(scores) // 2]

    def wrong(self, i: int) -> bool | None:
        if self.median_rouge is None:
            return None
        return self.metrics.per_document[i]["rougeL"] < self.median_rouge

    def describe(self, i: int) -> str:
        output = self.predictions.predictions[i]
        shown = output if len(output) <= 50 else output[:49] + "…"
        rouge = f" · ROUGE-L {self.metrics.per_document[i]['rougeL']:.2f}" if self.metrics else ""
        return f"output {shown!r}{rouge}"

    def label(self, i: int) -> str:
        words = len(self.dataset.texts[i].split())
        return next(name for name, limit in LENGTHS if words < limit)

    def document_html(self, i: int) -> str:
        from ..render.html import prose_html, table_html

        p = self.predictions
        row: dict[str, Any] = {"output": p.predictions[i], "reference": " | ".join(p.references[i])}
        if self.metrics:
            row |= {"ROUGE-L": self.metrics.per_document[i]["rougeL"], "chrF": self.metrics.per_document[i]["chrf"]}
        return str(table_html([row]) + prose_html(excerpt(self.dataset.texts[i]), "Source", level=4))

    def result_widgets(self) -> list[Any]:
        import ipywidgets as w

        return [
            self.tokens,
            self.words,
            self.faithfulness,
            w.Accordion([self.heatmap], titles=("Every token at once (heatmap)",)),
        ]

    def clear(self) -> None:
        super().clear()
        self.heatmap.value = ""
        self.tokens.options = []

    def explain_selected(self) -> tuple[TokenAttribution, TokenFaithfulness]:
        """The chosen source's output explained token by token with the chosen method, and its faithfulness."""
        from ..verbs import explain, score_faithfulness

        row, method = self.dataset.select([self.selected()]), self.method.value
        self.step(0, f"explaining every generated token with {method}…")
        [record] = explain(
            self.model,
            row,
            method=method,
            seed=self.seed,
            num_samples=self.num_samples,
            progress=False,
            **self.task_options(),
        )
        self.step(2, "scoring faithfulness…")
        scores = score_faithfulness(self.model, row, [record], seed=self.seed)
        self.progress.value = 3
        return record, scores

    def show(self, result: tuple[TokenAttribution, TokenFaithfulness]) -> None:
        from ..render.generation import token_heatmap_html
        from ..render.html import flag_html, prose_html

        record, scores = result
        self.tokens.options = [(f"{t + 1}: {token}", t) for t, token in enumerate(record.generated)]
        self.tokens.tooltips = [f"p = {p:.4f}" for p in record.probabilities]
        self.tokens.value = 0 if record.generated else None  # shows the first token's sources (``_show_token``)
        self.heatmap.value = str(token_heatmap_html(record))
        line = (
            "deleting each token's top source words lowers its probability by "
            f"{scores.comprehensiveness:.4f} on average, "
            f"deleting as many random words by {scores.random:.4f}"
        )
        flag = (
            ""
            if scores.beats_random
            else str(
                flag_html(
                    f"{record.method}: no better than random words on this output; its "
                    "shading is not evidence of what the model used"
                )
            )
        )
        self.faithfulness.value = flag + str(prose_html(f"Faithfulness: {line}", css="wb-meta"))

    def _show_token(self, change: Any = None) -> None:
        from ..render.generation import token_sources_html
        from ..render.html import prose_html

        record, t = self.attribution, self.tokens.value
        if record is None or t is None:
            return
        self.words.value = str(
            token_sources_html(record, t)
            + prose_html("red words raised the chosen token's probability, blue ones lowered it", css="wb-meta")
        )
