"""The task registry: one :class:`Task` per task, which the verbs and the command line look up.

* ``classification``      texts with labels; class probabilities (``classification``)
* ``question-answering``  questions with contexts and answers; extractive answers (``question_answering``)
* ``generation``          sources with references; generated outputs (``generation``)
* ``language-modeling``   plain texts; a causal LM's perplexity and bits per byte (``language_modeling``)

A model's ``task`` and a dataset's ``task`` name their entry. :func:`task_of` finds it (:func:`task_of_record`
from a result, :func:`presenter_of` how the result writes and shows itself),
:func:`check_options` refuses a keyword that belongs to another task in one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ParameterError
from .base import Shown, Task
from .classification import CLASSIFICATION
from .generation import GENERATION
from .language_modeling import LANGUAGE_MODELING
from .qa import QUESTION_ANSWERING

TASKS = {task.name: task for task in (CLASSIFICATION, QUESTION_ANSWERING, GENERATION, LANGUAGE_MODELING)}


def task_of(holder: Any) -> Task:
    """The entry of a model's or a dataset's task (anything with a ``task`` name)."""
    return TASKS[holder.task]


def task_of_record(record: Any) -> Task:
    """The entry whose verbs return ``record``'s type (an ExplanationStudy: a classifier's or an answerer's, alike)."""
    for task in TASKS.values():
        if type(record) in task.results:
            return task
    raise TypeError(
        f"{type(record).__name__} is not a result of a workbench verb; give what predict, evaluate, "
        "explain_dataset or compare returned"
    )


def presenter_of(result: Any) -> Shown:
    """How ``result`` writes and shows itself (``records.base.Result``): its task's entry for its type."""
    return task_of_record(result).results[type(result)]


def check_options(task: Task, names: Iterable[str]) -> None:
    """A one-line ParameterError when a keyword belongs to another task than ``task``."""
    for name in names:
        owners = [t.model_kind for t in TASKS.values() if name in t.options]
        if owners and name not in task.options:
            raise ParameterError(
                f"{name} applies to {' and '.join(f'{o}s' for o in owners)}, not to a {task.model_kind}; "
                f"leave {name} out"
            )


__all__ = ["TASKS", "Shown", "Task", "check_options", "presenter_of", "task_of", "task_of_record"]
