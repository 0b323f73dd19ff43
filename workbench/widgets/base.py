"""What every Explorer shares: the list of items, the filters, the method switch and the background explanation.

``Explorer(model, dataset)`` predicts every item once, then lets the user narrow the list (a text
search, the items the model got wrong only), pick one and an explanation method, and press
Explain. The explanation runs on a background thread, so the notebook stays responsive, with a
progress bar through its stages; results appear in ``HTML`` widgets built by ``render``, which
escapes every text. Each task's view (``classification``, ``qa``, ``generation``) subclasses
this base and names its task; ``Explorer(...)`` itself opens the view of the model's task, as
``pathlib.Path(...)`` opens the path class of its system. Items that also occur in the training
split are marked "in train" (``datasets.duplicates``).

Checked: ipywidgets' ``interact`` re-runs on every change and has no background execution; an
``Output`` widget captures nothing without a kernel (ipywidgets 8.1), so results go into
``HTML`` widgets, whose values tests can read.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ParameterError, WorkbenchError
from ..personal_data import redacting, shown

EXCERPT_CHARS = 1500
LISTED = 1000  # items the list holds at once: a 50,000-item dropdown is megabytes of labels; the search narrows it
VIEWS: dict[str, type["Explorer"]] = {}  # task name -> its Explorer view, filled as each view module is imported


def redacted(method: Callable[..., Any]) -> Callable[..., Any]:
    """An Explorer method that fills views, run under the Explorer's redaction: a widget's callback (or the worker
    thread) runs outside the block that built the Explorer, so each one sets it again."""

    @functools.wraps(method)
    def run(self: "Explorer", *args: Any, **kwargs: Any) -> Any:
        with redacting(self.redact):
            return method(self, *args, **kwargs)

    return run


class Explorer:
    """Browse a dataset's items with a model's predictions and explain any one of them.

    Parameters
    ----------
    model : Classifier, Answerer or Generator
        A model from ``load_model``; its task picks the view.
    dataset : a dataset record of the model's task
        The items; with gold labels, answers or references, the "wrong only" filter and the
        calibration panel are offered.
    methods : sequence of str, optional
        Explanation methods offered (default: every method this model supports).
    seed : int
        Seed of the sampling methods and of the random faithfulness baseline.
    num_samples : int, optional
        Model evaluations per explanation (default: each method's own).

    Examples
    --------
    >>> explorer = Explorer(load_model("demo:minilm-bbc"), load_dataset("bbc-news:test"))
    >>> explorer          # in a notebook: the app
    >>> explorer.search.value = "oil"; explorer.method.value = "shap"; explorer.explain_button.click()
    """

    task = ""  # the task this view explores (``tasks.Task.name``)
    wrong_label = "wrong only"  # the filter's label: what "wrong" means for this task
    item = "document"  # what one row is called in the app's lines

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "task" in cls.__dict__:  # a view of its own task, not a shared part (``words.WordsExplorer``)
            VIEWS[cls.task] = cls

    def __new__(cls, model: Any, dataset: Any, **kwargs: Any) -> "Explorer":
        if cls is Explorer:
            from ..tasks import task_of

            task = task_of(model)
            if task.name not in VIEWS:
                raise ParameterError(
                    f"the Explorer shows predictions to browse and explain; a {task.model_kind} has none (its "
                    "perplexity is per text: see workbench evaluate's predictions.jsonl); open it on another task's "
                    "data"
                )
            cls = VIEWS[task.name]
        return super().__new__(cls)

    def __init__(
        self,
        model: Any,
        dataset: Any,
        *,
        methods: Sequence[str] | None = None,
        seed: int = 0,
        num_samples: int | None = None,
        redact: bool | None = None,
    ) -> None:
        import ipywidgets as w

        from ..datasets.duplicates import split_duplicates
        from ..verbs import predict

        if len(dataset) == 0:
            raise WorkbenchError(f"{dataset.name} has no {self.item}s to explore; give a dataset with at least one row")
        self.model, self.dataset, self.seed, self.num_samples = model, dataset, seed, num_samples
        self.redact = redact  # True: personal data in every view becomes a placeholder (None: as WORKBENCH_REDACT)
        self.predictions = predict(model, dataset, seed=seed, progress=False, **self.task_options())
        self.duplicates = split_duplicates(dataset.name)
        self.worker: threading.Thread | None = None
        self.result: Any = None  # what the last explanation gave (the view's ``explain_selected``)
        offered = list(methods) if methods is not None else self.methods()
        self.check_methods(offered)
        known = self.wrong(0) is not None

        self.search = w.Text(description="Search", placeholder="words in the text or id", continuous_update=False)
        self.wrong_only = w.Checkbox(description=self.wrong_label, value=False, disabled=not known)
        self.document = w.Dropdown(description=self.item.capitalize(), layout=w.Layout(width="95%"))
        self.method = w.Dropdown(description="Method", options=offered, value=offered[0] if offered else None)
        self.explain_button = w.Button(
            description="Explain", button_style="primary", icon="search", disabled=not offered
        )
        self.progress = w.IntProgress(value=0, min=0, max=3, description="", bar_style="info")
        self.status = w.Label(value="")
        self.prediction = w.HTML()
        self.words = w.HTML()
        self.faithfulness = w.HTML()
        with redacting(redact):
            calibration = self.calibration() if known else None
        self.calibration_panel = w.HTML(calibration or "")
        self.search.observe(self._refilter, names="value")
        self.wrong_only.observe(self._refilter, names="value")
        self.document.observe(self._show_document, names="value")
        self.explain_button.on_click(self._start)
        self.widget = w.VBox(
            [
                w.HBox([self.search, self.wrong_only]),
                self.document,
                w.HBox([self.method, self.explain_button, self.progress, self.status]),
                self.prediction,
                *self.result_widgets(),
                *(
                    [
                        w.Accordion(
                            [self.calibration_panel],
                            titles=(f"Calibration: how often the model is right at each {self.confidence}",),
                        )
                    ]
                    if calibration
                    else []
                ),
            ]
        )
        self._refilter()

    # --- what each view says about its task ---------------------------------------------------------------------

    confidence = "confidence"  # what the calibration panel bins by

    def task_options(self) -> dict[str, Any]:
        """The task's own keywords for the verbs (a generator's settings)."""
        return {}

    def methods(self) -> list[str]:
        """The explanation methods this model can run."""
        raise NotImplementedError

    def check_methods(self, methods: Sequence[str]) -> None:
        """A one-line error for a method the view cannot offer."""

    def text(self, i: int) -> str:
        """The text of item ``i`` that the search reads and the list shows the start of."""
        raise NotImplementedError

    def wrong(self, i: int) -> bool | None:
        """Whether the model got item ``i`` wrong; None where the dataset holds no gold to tell."""
        raise NotImplementedError

    def describe(self, i: int) -> str:
        """The model's prediction on item ``i`` in a few words, for the list."""
        raise NotImplementedError

    def document_html(self, i: int) -> str:
        """The chosen item: the prediction in full, the gold, the text."""
        raise NotImplementedError

    def label(self, i: int) -> str:
        """Item ``i``'s category on the corpus map: a document's gold label, a question's first word, a source's
        length."""
        raise NotImplementedError

    def confidence_of(self, i: int) -> float | None:
        """How sure the model was of item ``i`` (a probability or an answer's score); None where it says nothing."""
        return None

    def embedded(self) -> list[str]:
        """The texts the corpus map embeds, one per item (documents, questions, sources)."""
        return [self.text(i) for i in range(len(self.dataset))]

    def calibration(self) -> str | None:
        """The reliability diagram over the dataset, as HTML; None where the task has none."""
        return None

    def result_widgets(self) -> list[Any]:
        """The widgets that show an explanation, below the chosen item."""
        return [self.words, self.faithfulness]

    def explain_selected(self) -> Any:
        """Explain the chosen item with the chosen method and score the explanation; runs on the worker thread."""
        raise NotImplementedError

    def show(self, result: Any) -> None:
        """Put ``result`` (from :meth:`explain_selected`) into the result widgets."""
        raise NotImplementedError

    def clear(self) -> None:
        """Empty the result widgets (another item was chosen, or an explanation starts)."""
        self.words.value = self.faithfulness.value = ""

    # --- the list, the chosen item and the background run --------------------------------------------------------

    def matching(self) -> list[int]:
        """Row indices that pass the search text and the "wrong only" filter."""
        query = self.search.value.strip().lower()
        return [
            i
            for i in range(len(self.dataset))
            if (not query or query in self.text(i).lower() or query in self.dataset.ids[i].lower())
            and (not self.wrong_only.value or bool(self.wrong(i)))
        ]

    def selected(self) -> int:
        """The chosen row; a one-line error when the filters leave none."""
        if self.document.value is None:
            raise WorkbenchError(f"no {self.item} is selected; change the search or the filter")
        return self.document.value

    def step(self, value: int, status: str) -> None:
        """Move the progress bar to ``value`` and say what runs now."""
        self.progress.value, self.status.value = value, status

    def open(self, i: int) -> None:
        """Show item ``i`` whatever the search and the filter (a point chosen on the corpus map)."""
        with redacting(self.redact):
            if i not in [row for _, row in self.document.options]:
                self.document.options = [self._option(i), *self.document.options]
            self.document.value = i

    def _option(self, i: int) -> tuple[str, int]:
        repeated = "in train · " if self.dataset.ids[i] in self.duplicates else ""
        return shown(f"{self.dataset.ids[i]} · {repeated}{self.describe(i)} · {shown(self.text(i))[:60]}"), i

    @redacted
    def _refilter(self, change: Any = None) -> None:
        rows = self.matching()
        self.document.options = [self._option(i) for i in rows[:LISTED]]
        self.document.value = rows[0] if rows else None
        listed = f"; the first {LISTED:,} listed, search to narrow" if len(rows) > LISTED else ""
        self.status.value = f"{len(rows)} of {len(self.dataset)} {self.item}s{listed}"
        if not rows:
            self._show_document()

    @redacted
    def _show_document(self, change: Any = None) -> None:
        from ..render.examples import duplicate_note
        from ..render.html import prose_html

        self.clear()
        self.progress.value = 0
        i = self.document.value
        if i is None:
            self.prediction.value = str(prose_html(f"No {self.item} matches; change the search or the filter."))
            return
        note = duplicate_note(self.dataset.name, self.dataset.ids[i])
        self.prediction.value = str(
            prose_html(f"{self.dataset.ids[i]} · {self.describe(i)}{note}", css="wb-meta")
        ) + self.document_html(i)

    @redacted
    def _run(self) -> None:
        try:
            result = self.explain_selected()
        except Exception as exc:  # shown in the app; a bug also goes on to the thread's traceback
            self.progress.bar_style, self.status.value = "danger", f"error: {exc}"
            if not isinstance(exc, WorkbenchError):
                raise
            return
        finally:
            self.explain_button.disabled = False
        self.result = result
        self.show(result)
        self.progress.bar_style, self.status.value = "success", "done"

    def _start(self, button: Any = None) -> None:
        if self.worker is not None and self.worker.is_alive():
            return
        self.explain_button.disabled = True
        self.progress.bar_style = "info"
        self.clear()
        self.worker = threading.Thread(target=self._run, name="workbench-explorer", daemon=True)
        self.worker.start()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running explanation (if any) finishes."""
        if self.worker is not None:
            self.worker.join(timeout)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def excerpt(text: str) -> str:
    """The first ``EXCERPT_CHARS`` characters of ``text``, an ellipsis where it was cut."""
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
