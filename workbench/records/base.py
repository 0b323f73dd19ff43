"""The base of every record: a frozen dataclass whose ``to_dict`` is its JSON form, and of every verb's result."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar, Protocol


class Record:
    """Mixed into the record dataclasses: ``to_dict`` gives the fields as JSON-ready values (nested records too).

    A record whose JSON differs from its fields (renamed keys, optional keys left out)
    overrides it; the JSON keys are the field names otherwise.
    """

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return asdict(self)  # type: ignore[call-overload]


class Presenter(Protocol):
    """How one kind of result writes itself (the command line's files) and shows itself (the report's sections)."""

    def write(self, result: Any, out: Path) -> dict[str, Path]: ...

    def html(self, result: Any) -> str: ...


#: Finds a result's Presenter. The writers and the templates sit above the records, so the package root hands this
#: in (``workbench.tasks.presenter_of``, imported when first needed): the records never import upward.
presenter_of: Callable[[Any], Presenter] | None = None


class Result(Record):
    """A verb's result (predictions, metrics, a study, a comparison): it saves and shows itself.

    ``write(out)`` writes into the folder ``out`` the files the command line writes for it, byte for byte;
    ``_repr_html_`` is the report's sections for it, escaped through the same templates, so a notebook cell that ends
    with a result shows a readable table.
    """

    def write(self, out: str | os.PathLike[str], *, redact: bool | None = None) -> dict[str, Path]:
        """Write this result's files into the folder ``out`` (made if missing); return their paths by name.

        ``redact=True`` replaces personal data in what its pages and figures display with typed placeholders
        (``personal_data``; the data files keep every value); None leaves the redaction in force as it is.
        """
        from ..personal_data import redacting

        assert presenter_of is not None, "workbench/__init__.py sets records.base.presenter_of on import"
        with redacting(redact):
            return presenter_of(self).write(self, Path(out))

    def _repr_html_(self) -> str:
        assert presenter_of is not None, "workbench/__init__.py sets records.base.presenter_of on import"
        return presenter_of(self).html(self)


class ItemMetrics(Result):
    """A task's metrics whose per-item scores (``PER_ITEM``, one mapping per document or question) are written to
    predictions.jsonl beside each item, so metrics.json (``to_dict``) leaves them out; its provenance is nested."""

    PER_ITEM: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """metrics.json: every field but the per-item scores."""
        data = asdict(self)  # type: ignore[call-overload]
        data.pop(self.PER_ITEM)
        provenance = getattr(self, "provenance", None)
        data["provenance"] = provenance.to_dict() if provenance else None
        return data
