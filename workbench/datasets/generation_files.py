"""Generation data from flat files: one row per source with its reference output(s), from JSON-lines, CSV or Parquet.

A row has an ``id`` (optional: row numbers otherwise), a ``source`` and either a ``reference``
(one text) or ``references`` (a list of texts; a JSON list in a CSV cell), under column names
the user may change (``--source-column``, ``--reference-column``, ``--id-column``). Every row is
checked before anything runs; a bad one is a one-line DataError naming the row and the fix: a
missing column, an empty source or reference, a repeated id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..records.generation_dataset import GenerationDataset

REFERENCE_COLUMNS = ("reference", "references")


def is_generation_table(columns: list[str], *, source_column: str, reference_column: str | None, text_column: str) -> bool:
    """Whether a table's columns make it generation data: a source column beside a reference column, or one without a text column
    (a labelled text file may hold a column named ``source`` too)."""
    references = (reference_column,) if reference_column else REFERENCE_COLUMNS
    return source_column in columns and (any(c in columns for c in references) or text_column not in columns)


def generation_rows(frame, path: Path, *, source_column: str = "source", reference_column: str | None = None,
                    id_column: str = "id") -> GenerationDataset:
    """A flat table (from ``data._read_table``) with a source column and references as a GenerationDataset."""
    columns = [str(c) for c in frame.columns]
    candidates = (reference_column,) if reference_column else REFERENCE_COLUMNS
    reference = next((c for c in candidates if c in columns), None)
    if reference is None:
        wanted = f"a {reference_column!r} column" if reference_column else "a 'reference' or 'references' column"
        raise DataError(f"{path}: generation data needs {wanted} beside {source_column!r} (columns: {', '.join(columns)}); "
                        "rename one or pass --reference-column")
    ids = [str(v) for v in frame[id_column]] if id_column in columns else [str(i) for i in range(len(frame))]
    sources, references = [], []
    for i, (row_id, source, value) in enumerate(zip(ids, frame[source_column], frame[reference])):
        if not isinstance(source, str) or not source.strip():
            raise DataError(f"{path}: row {i} (id {row_id!r}) has an empty {source_column!r}; fill or drop the row")
        refs = _references(value, row_id, i, path, reference)
        sources.append(source)
        references.append(refs)
    if len(set(ids)) != len(ids):
        duplicate = next(r for r in ids if ids.count(r) > 1)
        raise DataError(f"{path}: id {duplicate!r} occurs more than once; ids must be unique")
    return GenerationDataset(name=str(path), ids=tuple(ids), texts=tuple(sources), references=tuple(references))


def _references(value: Any, row_id: str, row: int, path: Path, column: str) -> tuple[str, ...]:
    """One row's references: a text, or a list of texts (a JSON list in a CSV cell, a numpy array from Parquet)."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DataError(f"{path}: row {row} (id {row_id!r}): {column!r} starts like a JSON list but is not one; write a list of texts or one text") from None
    if hasattr(value, "tolist"):
        value = value.tolist()
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
        raise DataError(f"{path}: row {row} (id {row_id!r}) has no usable {column!r}: give a non-empty text or a list of non-empty texts")
    return tuple(texts)
