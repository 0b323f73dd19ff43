"""Lists of examples with the rows that also occur in the training split marked.

Every table that lists examples (a model's predictions, the most confident mistakes, the worst misses, the best
and worst outputs, where two models disagree) goes through :func:`examples_html`, and every explained document's
heading through :func:`duplicate_note`, so a row the model may have learnt by heart says so wherever it is shown
(``datasets.duplicates``: exact duplicates against the built-in training split; a file has none known).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..datasets.duplicates import split_duplicates, training_split
from .html import Markup, flag_html, prose_html, table_html

IN_TRAIN = "also in train (id)"


def examples_html(rows: Sequence[Mapping[str, Any]], data: str, columns: Sequence[str] | None = None) -> Markup:
    """A table of examples (each row with its ``id``), with a column naming the training row each duplicate repeats
    and a warning above that counts them; the plain table when none of them is a duplicate."""
    duplicates = split_duplicates(data)
    repeated = sum(row["id"] in duplicates for row in rows)
    if not repeated:
        return table_html(rows, columns)
    columns = list(columns or (rows[0].keys() if rows else []))
    marked = [{**row, IN_TRAIN: duplicates.get(row["id"], "")} for row in rows]
    warning = flag_html(
        f"{repeated} of these {len(rows)} examples also occur in the training split {training_split(data)} "
        "(the same text); a model may have learnt them by heart"
    )
    return warning + table_html(marked, [columns[0], IN_TRAIN, *columns[1:]])


def duplicate_note(data: str, row_id: str) -> str:
    """ " · also in the training split as ID" for a row of ``data`` that repeats a training example; "" otherwise."""
    repeated = split_duplicates(data).get(row_id)
    return f" · also in the training split {training_split(data)} as {repeated}" if repeated else ""


def listing_html(model: str, data: str, rows: Sequence[Mapping[str, Any]], total: int) -> Markup:
    """The first ``rows`` of a model's ``total`` predictions on ``data``, under a line that says which and how many."""
    note = prose_html(f"model {model} · data {data} · the first {len(rows)} of {total} rows", css="wb-meta")
    return note + examples_html(rows, data)
