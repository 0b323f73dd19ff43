"""The dataset record: texts, optional gold labels, ids and a content hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .rows import Rows


@dataclass(frozen=True)
class Dataset(Rows):
    """Texts with optional gold labels.

    ``labels`` holds label *names* (not integer codes), so datasets and models are matched by
    name; ``label_names`` is the sorted set of names present. ``sha256`` fingerprints the content
    (ids, texts, labels) for manifests and caches. ``len``, slicing and ``select`` cut it (``Rows``).
    """

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    label_names: tuple[str, ...]
    sha256: str = field(default="")

    task = "classification"
    ROWS = ("ids", "texts", "labels")

    def __post_init__(self) -> None:
        if not self.sha256:
            digest = hashlib.sha256(
                json.dumps([self.ids, self.texts, self.labels], ensure_ascii=False).encode("utf-8")
            ).hexdigest()
            object.__setattr__(self, "sha256", digest)

    def derived(self, kept: dict[str, Any]) -> dict[str, Any]:
        """The label names present in the rows kept, as the loaders give them."""
        return {} if kept["labels"] is None else {"label_names": tuple(sorted(set(kept["labels"])))}
