"""The task a model serves and a dataset holds: ``classification``, ``question-answering``, ``generation`` or
``language-modeling``.

Every model and dataset record names its task in ``.task``; :func:`check_task` is the one check
that they agree, run by every verb before a model runs.
"""

from __future__ import annotations

from typing import Any

from ..errors import DataError

#: What a dataset of each task holds, as the mismatch error says it.
TASK_DATA = {
    "classification": "texts with labels",
    "question-answering": "questions with contexts and answers",
    "generation": "sources with reference outputs",
    "language-modeling": "plain texts",
}


def check_task(model: Any, dataset: Any, task: str | None = None) -> None:
    """A one-line DataError when the model's task and the data's differ.

    ``task`` is the model's task when ``model`` is a reference, not a loaded model (read from its folder).
    """
    model_task, data_task = task or model.task, dataset.task
    if model_task != data_task:
        raise DataError(
            f"{getattr(model, 'ref', model)} is a {model_task} model but {dataset.name} holds {TASK_DATA[data_task]}; "
            "give data of the model's task"
        )
