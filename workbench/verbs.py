"""The verbs a user learns once: each takes a model of any task with data of that task.

``predict``, ``evaluate``, ``explain``, ``explain_dataset``, ``compare``, ``score_faithfulness``,
``audit`` and ``run_report`` share one shape, ``(model, data, *, seed, ...)``. Each loads what it is given
as a reference, checks that the data is of the model's task (one DataError line, before any model
runs), refuses a keyword of another task in one line, and hands over to the task's entry in
``workbench.tasks``, which returns the task's record. Modelled on inseq's one ``attribute``
over model kinds; checked: no library offers one dispatch over these three tasks' studies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .datasets.loading import BUILTINS, as_dataset
from .errors import ParameterError
from .models import LoadOptions, as_model
from .models.loader import model_task
from .records.task import check_task
from .records.audit import Audit
from .report.runner import Report
from .report.runner import run_report as run_notebook
from .statistics.memorization import NGRAM
from .studies.audits import run_audit
from .tasks import TASKS, Task, check_options, task_of, task_of_record

#: The report notebooks of a source checkout, one per task (``Task.notebook``).
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def prepare(
    model: Any, data: Any, options: LoadOptions | None, keywords: Mapping[str, Any], *, load: bool = True
) -> tuple[Task, Any, Any]:
    """The task, the loaded model and the data: the data first (its errors before any model loads), then the checks.

    ``load=False`` leaves a str as it is (``explain`` takes texts, and a single text is its own one-line error).
    """
    dataset = as_dataset(data) if load and isinstance(data, (str, os.PathLike)) else data
    model = as_model(model, options, getattr(dataset, "task", None))
    if hasattr(dataset, "task"):
        check_task(model, dataset)
    task = task_of(model)
    check_options(task, keywords)
    return task, model, dataset


def predict(
    model: Any, data: Any, *, seed: int = 0, options: LoadOptions | None = None, progress: bool | None = None,
    **task_options: Any,
) -> Any:
    """The model's predictions on ``data``: class probabilities (``Predictions``), answers (``QAPredictions``) or
    outputs (``GenerationPredictions``).

    ``model`` and ``data`` may be references or loaded; a classifier also takes a list of texts or a Ray dataset.
    ``task_options`` are the task's own keywords: ``engine``, ``text_column`` (classification); ``max_answer_len``,
    ``doc_stride``, ``max_seq_len``, ``handle_impossible`` (question answering); ``settings`` (generation).

    Examples
    --------
    >>> answers = predict("demo:minilm-qa", "bbc-qa:test")
    >>> answers.answers[0].text
    """
    task, model, dataset = prepare(model, data, options, task_options)
    return task.predict(model, dataset, seed=seed, progress=progress, **task_options)


def evaluate(
    model: Any, data: Any, *, seed: int = 0, options: LoadOptions | None = None, progress: bool | None = None,
    **task_options: Any,
) -> Any:
    """Predict ``data`` and score it with intervals seeded by ``seed``: ``Metrics`` (accuracy, F1), ``QAMetrics`` (exact
    match, F1) or ``GenerationMetrics`` (ROUGE, BLEU, chrF).

    Examples
    --------
    >>> evaluate("demo:headline-bbc", "bbc-headlines:test").rouge1
    """
    task, model, dataset = prepare(model, data, options, task_options)
    return task.score(task.predict(model, dataset, seed=seed, progress=progress, **task_options), seed=seed)


def explain(
    model: Any, data: Any, *, method: str | None = None, seed: int = 0, options: LoadOptions | None = None,
    progress: bool | None = None, **task_options: Any,
) -> list[Any]:
    """Explain each item of ``data`` with ``method``: a text's prediction, a question's answer (given its context), or a
    generated output token by token. One ``Attribution`` (``TokenAttribution``) per item.

    ``method`` defaults to the task's (``lime`` for texts, ``occlusion`` for answers and outputs).
    """
    task, model, dataset = prepare(model, data, options, task_options, load=False)
    return task.explain(
        model, dataset, method=method or task.default_method, seed=seed, progress=progress, **task_options
    )


def explain_dataset(
    model: Any, data: Any, *, seed: int = 0, options: LoadOptions | None = None, progress: bool | None = None,
    **task_options: Any,
) -> Any:
    """Explain ``n`` items of ``data`` with several methods and score each method's faithfulness against random words:
    an ``ExplanationStudy`` (texts, answers) or a ``TokenStudy`` (outputs). ``methods`` and ``n`` default per task."""
    task, model, dataset = prepare(model, data, options, task_options)
    return task.explain_dataset(model, dataset, seed=seed, progress=progress, **task_options)


def score_faithfulness(
    model: Any, data: Any, attributions: Sequence[Any], *, seed: int = 0, options: LoadOptions | None = None,
    **task_options: Any,
) -> Any:
    """Faithfulness of ``attributions`` (from :func:`explain`) against random words; ``data`` holds what they explain
    (a dataset, matched by id, or the texts in order)."""
    task, model, dataset = prepare(model, data, options, task_options)
    return task.score_faithfulness(model, dataset, attributions, seed=seed, **task_options)


def compare(
    models: Sequence[Any], data: Any, *, seed: int = 0, options: LoadOptions | None = None,
    progress: bool | None = None, **task_options: Any,
) -> Any:
    """Compare two or more models of the data's task on the same items: metrics with intervals and paired tests
    (``Comparison``, ``QAComparison`` or ``GenerationComparison``).

    Examples
    --------
    >>> compare(["demo:minilm-qa", "demo:lexical-qa"], "bbc-qa:test").pairwise[0].verdict()
    """
    dataset = as_dataset(data)
    task = task_of(dataset)
    check_options(task, task_options)
    return task.compare(models, dataset, seed=seed, options=options, progress=progress, **task_options)


def audit_sides(data: Any, members: Any, non_members: Any) -> tuple[Any, Any]:
    """The training examples and the held-out ones an audit reads: a built-in dataset's train and test splits, or the
    two given; a one-line ParameterError for any other combination, before anything loads."""
    if (data is None) == (members is None and non_members is None) or (data is None and None in (members, non_members)):
        raise ParameterError("give data (a built-in dataset without a split, such as 'bbc-news'), or members and "
                             "non_members (the training examples and held-out ones), not both")
    if data is None:
        return members, non_members
    if not isinstance(data, str) or data not in BUILTINS:
        raise ParameterError(f"data={data!r} is not a built-in dataset without a split; give one of "
                             f"{', '.join(BUILTINS)} (its train split is audited against its test split), or "
                             "members and non_members")
    return f"{data}:train", f"{data}:test"


def audit(
    model: Any, data: Any = None, *, members: Any = None, non_members: Any = None, reference: Any = None,
    n: int | None = None, ngram: int = NGRAM, word_list: str | os.PathLike[str] | None = None, seed: int = 0,
    options: LoadOptions | None = None, progress: bool | None = None, **task_options: Any,
) -> Audit:
    """Audit a model: membership inference on its loss, a generator's memorization, the duplicates between the
    training and held-out examples, and counterfactual bias (an ``Audit``; ``studies.audits`` says how).

    ``data`` is a built-in dataset without a split (``"bbc-news"``): its train split against its test split. For a
    model of your own, give ``members`` (its training examples) and ``non_members`` (held-out ones) instead.
    ``reference`` is a model of the same task trained without either, for the reference-calibrated attack; ``n``
    caps each side's sample, ``ngram`` sets the words in a row that count as memorized, ``word_list`` the file of
    swapped word pairs of the bias probe.

    Examples
    --------
    >>> audit("demo:headline-bbc", "bbc-headlines").memorization.memorization_rate
    """
    members, non_members = (as_dataset(side) for side in audit_sides(data, members, non_members))
    if members.task != non_members.task:
        raise ParameterError(f"members are {members.task} data and non-members {non_members.task} data; give two "
                             "splits of one task")
    task, model, members = prepare(model, members, options, task_options)
    check_task(model, non_members)
    if reference is not None:
        reference = as_model(reference, options, members.task)
        check_task(reference, members)
    return run_audit(task, model, members, non_members, reference=reference, n=n, ngram=ngram, word_list=word_list,
                     seed=seed, progress=progress, **task_options)


def run_report(
    model: Any, data: Any, out: str | os.PathLike[str], *, seed: int = 0,
    notebook: str | os.PathLike[str] | None = None, parameters: Mapping[str, Any] | None = None, **runner: Any,
) -> Report:
    """Run the task's report notebook (``notebooks/evaluate.ipynb``, ``qa.ipynb`` or ``generate.ipynb``) on ``model``
    and ``data`` into ``out``; ``parameters`` sets the notebook's other parameters, ``runner`` the kernel and timeouts.

    The model's task is read from its folder, so data of another task fails here in one line, before the kernel starts.
    """
    dataset = as_dataset(data)
    name = model_task(model, dataset.task)
    check_task(model, dataset, name)
    task = TASKS[name]
    if notebook is None:
        notebook = NOTEBOOKS / task.notebook
        if not notebook.is_file():
            raise ParameterError(f"the default notebook {notebook} ships with the source checkout; give notebook=PATH")
    return run_notebook(notebook, out, {**(parameters or {}), "model": model, "data": data, "seed": seed}, **runner)


def write_evaluation(out: str | os.PathLike[str], predictions: Any, metrics: Any) -> dict[str, Path]:
    """Write what ``workbench evaluate`` writes for ``predictions`` and their ``metrics``, of any task, into ``out``."""
    return task_of_record(metrics).write_evaluation(out, predictions, metrics)


def compute_metrics(predictions: Any, *, seed: int = 0) -> Any:
    """Score ``predictions`` from :func:`predict`, of any task, with intervals seeded by ``seed``."""
    return task_of_record(predictions).score(predictions, seed=seed)
