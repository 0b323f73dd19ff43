"""An ipywidgets explorer: pick a document, explain the model's prediction, see how faithful it is.

``Explorer(model, dataset)`` predicts every document once, then lets the user narrow the list
(a text search, misclassified documents only), pick one and an explanation method, and press
Explain. The explanation runs on a background thread, so the notebook stays responsive, with a
progress bar through its stages (explaining, re-explaining under another seed for a method
that samples, scoring faithfulness); results appear in HTML widgets built by ``render``, which
escapes every text. What is explained is what the model read: words beyond its token limit
are greyed and unscored. The app says when an explanation cannot be trusted: "unstable" when
another seed gives a different ranking (``statistics.faithfulness.unstable``), "no better than random"
when deleting its top words moves the prediction no more than deleting random ones (a
permutation test against 19 random orders), and integrated gradients' completeness error.
The widgets only wire user actions to the package's functions (``predict``, ``explain``,
``score_faithfulness``), so everything is testable without a browser: set a widget's
``value``, ``click()`` the button, ``wait()``.

Checked: ipywidgets' ``interact`` re-runs on every change and has no background execution; an
``Output`` widget captures nothing without a kernel (ipywidgets 8.1), so results go into
``HTML`` widgets, whose values tests can read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from .errors import WorkbenchError
from .records import Attribution, Classifier, Dataset, Faithfulness, Stability

EXCERPT_CHARS = 1500


class Explorer:
    """Browse a dataset's documents with a model's predictions and explain any one of them.

    Parameters
    ----------
    model : Classifier
        A model from ``load_model``.
    dataset : Dataset
        The documents; with labels, the misclassified filter and the gold label are shown.
    methods : sequence of str, optional
        Explanation methods offered (default: every method this model supports).
    seed : int
        Seed of LIME, SHAP and the random faithfulness baseline.
    num_samples : int, optional
        Model evaluations per explanation (default: each method's own).

    Examples
    --------
    >>> explorer = Explorer(load_model("demo:minilm-bbc"), load_dataset("bbc-news:test"))
    >>> explorer          # in a notebook: the app
    >>> explorer.search.value = "oil"; explorer.method.value = "shap"; explorer.explain_button.click()
    """

    def __init__(self, model: Classifier, dataset: Dataset, *, methods: Sequence[str] | None = None, seed: int = 0, num_samples: int | None = None) -> None:
        import ipywidgets as w

        from .explainers import check_method, supported_methods
        from .studies.prediction import predict

        if len(dataset) == 0:
            raise WorkbenchError(f"{dataset.name} has no documents to explore; give a dataset with at least one row")
        self.model, self.dataset, self.seed, self.num_samples = model, dataset, seed, num_samples
        self.predictions = predict(model, dataset, progress=False)
        self.predicted = self.predictions.predicted
        self.worker: threading.Thread | None = None
        self.attribution: Attribution | None = None
        self.scores: Faithfulness | None = None  # faithfulness of the shown explanation
        self.stability: Stability | None = None  # its agreement under the next seed (methods that sample)
        offered = [check_method(m).name for m in methods] if methods is not None else supported_methods(model)
        labeled = self.predictions.labels is not None

        self.search = w.Text(description="Search", placeholder="words in the text or id", continuous_update=False)
        self.misclassified = w.Checkbox(description="misclassified only", value=False, disabled=not labeled)
        self.document = w.Dropdown(description="Document", layout=w.Layout(width="95%"))
        self.method = w.Dropdown(description="Method", options=offered, value=offered[0] if offered else None)
        self.explain_button = w.Button(description="Explain", button_style="primary", icon="search", disabled=not offered)
        self.progress = w.IntProgress(value=0, min=0, max=3, description="", bar_style="info")
        self.status = w.Label(value="")
        self.prediction = w.HTML()
        self.words = w.HTML()
        self.faithfulness = w.HTML()
        self.search.observe(self._refilter, names="value")
        self.misclassified.observe(self._refilter, names="value")
        self.document.observe(self._show_document, names="value")
        self.explain_button.on_click(self._start)
        self.widget = w.VBox([
            w.HBox([self.search, self.misclassified]),
            self.document,
            w.HBox([self.method, self.explain_button, self.progress, self.status]),
            self.prediction,
            self.words,
            self.faithfulness,
        ])
        self._refilter()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def matching(self) -> list[int]:
        """Row indices that pass the search text and the misclassified filter."""
        query = self.search.value.strip().lower()
        labels = self.predictions.labels
        return [
            i for i in range(len(self.dataset))
            if (not query or query in self.dataset.texts[i].lower() or query in self.dataset.ids[i].lower())
            and (not self.misclassified.value or (labels is not None and labels[i] != self.predicted[i]))
        ]

    def _option(self, i: int) -> tuple[str, int]:
        gold = f"gold {self.predictions.labels[i]} · " if self.predictions.labels is not None else ""
        confidence = float(self.predictions.proba[i].max())
        return f"{self.dataset.ids[i]} · {gold}predicted {self.predicted[i]} ({confidence:.2f}) · {self.dataset.texts[i][:60]}", i

    def _refilter(self, change: Any = None) -> None:
        rows = self.matching()
        self.document.options = [self._option(i) for i in rows]
        self.document.value = rows[0] if rows else None
        self.status.value = f"{len(rows)} of {len(self.dataset)} documents"
        if not rows:
            self._show_document()

    def _show_document(self, change: Any = None) -> None:
        from .render.html import prose_html, table_html

        self.words.value = self.faithfulness.value = ""
        self.progress.value = 0
        i = self.document.value
        if i is None:
            self.prediction.value = str(prose_html("No document matches; change the search or the filter."))
            return
        order = sorted(range(len(self.predictions.label_names)), key=lambda k: -float(self.predictions.proba[i, k]))
        rows = [{"label": self.predictions.label_names[k], "probability": float(self.predictions.proba[i, k])} for k in order]
        gold = f" · gold {self.predictions.labels[i]}" if self.predictions.labels is not None else ""
        text = self.dataset.texts[i]
        excerpt = text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
        self.prediction.value = str(prose_html(f"{self.dataset.ids[i]}{gold} · predicted {self.predicted[i]}", css="wb-meta") + table_html(rows) + prose_html(excerpt))

    def explain_selected(self) -> tuple[Attribution, Faithfulness, Stability | None]:
        """Explain the selected document with the selected method (for its predicted label) and score it.

        Returns the record, its faithfulness scores and, for a method that samples (LIME), its
        agreement with the same explanation under the next seed (None for deterministic methods).
        """
        from .explainers import check_method, explain
        from .statistics.faithfulness import score_faithfulness, seed_stability

        i = self.document.value
        if i is None:
            raise WorkbenchError("no document is selected; change the search or the filter")
        text, method = self.dataset.texts[i], self.method.value
        options = {"method": method, "num_samples": self.num_samples, "ids": [self.dataset.ids[i]], "progress": False}
        self.progress.value, self.status.value = 0, f"explaining with {method}…"
        [record] = explain(self.model, [text], seed=self.seed, **options)
        stability = None
        if check_method(method).stochastic:
            self.progress.value, self.status.value = 1, f"explaining again with seed {self.seed + 1}…"
            [again] = explain(self.model, [text], seed=self.seed + 1, target=record.target, **options)
            stability = seed_stability([record], [[again]], [self.seed, self.seed + 1])
        self.progress.value, self.status.value = 2, "scoring faithfulness…"
        scores = score_faithfulness(self.model, [record], [text], seed=self.seed)
        self.progress.value = 3
        return record, scores, stability

    def _run(self) -> None:
        from .render.html import Markup, flag_html, prose_html, table_html
        from .render.pages import attribution_html, attribution_meta, faithfulness_flags
        from .statistics.faithfulness import SCORES, TOP_K

        try:
            record, scores, stability = self.explain_selected()
        except Exception as exc:  # shown in the app; a bug also goes on to the thread's traceback
            self.progress.bar_style, self.status.value = "danger", f"error: {exc}"
            if not isinstance(exc, WorkbenchError):
                raise
            return
        finally:
            self.explain_button.disabled = False
        self.attribution, self.scores, self.stability = record, scores, stability
        warnings = faithfulness_flags({record.method: scores})
        if stability and stability.unstable:
            warnings.append(flag_html(f"unstable: seed {self.seed + 1} ranks the words differently (Spearman {stability.spearman:.2f}, "
                                      f"top-{TOP_K} overlap {stability.top_k_overlap:.2f}); read the top words as one sample"))
        if record.diagnostics and not record.diagnostics.get("converged", True):
            warnings.append(flag_html("integrated gradients did not reach its completeness tolerance at the step cap"))
        self.words.value = str(Markup().join(warnings) + attribution_meta(record) + attribution_html(record)
                               + prose_html("red words push toward the label, blue against it", css="wb-meta"))
        test = scores.against_random["comprehensiveness"]
        rows = [{"score": name, "this explanation": getattr(scores.method, name), "random words": getattr(scores.random, name)} for name in SCORES]
        summary = f"beats {test.beats} of {test.orders} random word orders on comprehensiveness (p = {test.p:.2f})"
        if stability is not None:
            spearman = stability.spearman if stability.spearman is not None else float("nan")
            summary += f"; against seed {self.seed + 1}: Spearman {spearman:.2f}, top-{TOP_K} overlap {stability.top_k_overlap:.2f}"
        self.faithfulness.value = str(prose_html(f"Faithfulness (comprehensiveness: higher is better; sufficiency: lower is better); {summary}")
                                      + table_html(rows))
        self.progress.bar_style, self.status.value = "success", "done"

    def _start(self, button: Any = None) -> None:
        if self.worker is not None and self.worker.is_alive():
            return
        self.explain_button.disabled = True
        self.progress.bar_style = "info"
        self.words.value = self.faithfulness.value = ""
        self.worker = threading.Thread(target=self._run, name="workbench-explorer", daemon=True)
        self.worker.start()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running explanation (if any) finishes."""
        if self.worker is not None:
            self.worker.join(timeout)
