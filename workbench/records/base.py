"""The base of every record: a frozen dataclass whose ``to_dict`` is its JSON form."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any


class Record:
    """Mixed into the record dataclasses: ``to_dict`` gives the fields as JSON-ready values (nested records too).

    A record whose JSON differs from its fields (renamed keys, optional keys left out)
    overrides it; the JSON keys are the field names otherwise.
    """

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return asdict(self)  # type: ignore[call-overload]
