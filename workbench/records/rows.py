"""Cutting a dataset record: ``len``, slicing and ``select``, each giving the same record type with its own hash.

A cut is written into the dataset's name (``bbc-news:test[0:20]``, ``questions.jsonl[3,7]``), and
``datasets.loading.load_dataset`` reads such a name back, so a cut dataset stays a reference that
a report notebook, a manifest or ``load_columns`` can load again. Modelled on Hugging Face
``datasets.Dataset.select`` and slicing; checked: that library's records are not these frozen
records, so the few lines here cut them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

from ..errors import DataError

Cut = slice | list[int]
CUT = re.compile(r"\[(?:(\d*):(\d*)|(\d+(?:,\d+)*))\]$")
Self = TypeVar("Self", bound="Rows")


def format_cut(cut: Cut) -> str:
    """The name suffix of a cut: ``[start:stop]`` or ``[i,j,...]``."""
    if isinstance(cut, slice):  # an open end stays open, as written: bbc-news:test[:20]
        return f"[{'' if cut.start is None else cut.start}:{'' if cut.stop is None else cut.stop}]"
    return f"[{','.join(map(str, cut))}]"


def parse_cuts(ref: str) -> tuple[str, list[Cut]]:
    """A reference split into what it names and the cuts written after it, first cut first."""
    cuts: list[Cut] = []
    while (match := CUT.search(ref)) is not None:
        start, stop, rows = match.groups()
        cuts.insert(0, [int(i) for i in rows.split(",")] if rows is not None else
                    slice(int(start) if start else None, int(stop) if stop else None))
        ref = ref[:match.start()]
    return ref, cuts


def cut_rows(rows: Sequence[int], cut: Cut, name: str) -> list[int]:
    """The rows left after ``cut``; an index past the end is a one-line DataError."""
    if isinstance(cut, slice):
        return list(rows[cut])
    outside = [i for i in cut if not -len(rows) <= i < len(rows)]
    if outside:
        raise DataError(f"{name} has {len(rows)} rows, so row {outside[0]} is not one; "
                        f"select rows from 0 to {len(rows) - 1}")
    return [rows[i] for i in cut]


class Rows:
    """Mixed into the dataset records: ``len(ds)``, ``ds[a:b]`` and ``ds.select(indices)``.

    ``ROWS`` names the fields that hold one value per row; every other field is kept, and the
    content hash is computed again for the rows kept.
    """

    ROWS: ClassVar[tuple[str, ...]]
    name: str
    ids: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self: Self, key: slice) -> Self:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"cut a dataset with a slice such as ds[:20] or with ds.select(indices); got {key!r}")
        start, stop, _ = key.indices(len(self))
        return self.cut(slice(start, max(start, stop)))

    def select(self: Self, indices: Iterable[int]) -> Self:
        """The rows at ``indices``, in that order (a row may come twice)."""
        return self.cut([int(i) for i in indices])

    def cut(self: Self, cut: Cut) -> Self:
        """The rows that ``cut`` (a slice or a list of row numbers) keeps, named with the cut."""
        rows = cut_rows(range(len(self)), cut, self.name)
        kept: dict[str, Any] = {f: None if getattr(self, f) is None else tuple(getattr(self, f)[i] for i in rows)
                                for f in self.ROWS}
        named = {"name": self.name + format_cut(cut), "sha256": ""}
        return replace(self, **named, **kept, **self.derived(kept))  # type: ignore[type-var]

    def derived(self, kept: dict[str, Any]) -> dict[str, Any]:
        """Fields computed from the rows kept (a classification dataset's label names)."""
        return {}

    @property
    def examples(self) -> tuple[str, ...]:
        """What one row gives the model, as one text: a document or a source (a question and its context override it),
        which ``datasets.duplicates`` compares across splits."""
        return tuple(getattr(self, "texts"))
