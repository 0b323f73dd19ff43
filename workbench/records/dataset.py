"""The dataset record: texts, optional gold labels, ids and a content hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Dataset:
    """Texts with optional gold labels.

    ``labels`` holds label *names* (not integer codes), so datasets and models are matched by
    name; ``label_names`` is the sorted set of names present. ``sha256`` fingerprints the content
    (ids, texts, labels) for manifests and caches.
    """

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    label_names: tuple[str, ...]
    sha256: str = field(default="")

    task = "classification"

    def __post_init__(self) -> None:
        if not self.sha256:
            digest = hashlib.sha256(
                json.dumps([self.ids, self.texts, self.labels], ensure_ascii=False).encode("utf-8")
            ).hexdigest()
            object.__setattr__(self, "sha256", digest)

    def __len__(self) -> int:
        return len(self.texts)
