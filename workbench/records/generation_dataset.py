"""The generation dataset record: source texts and their reference outputs (summaries, translations, headlines)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .rows import Rows


@dataclass(frozen=True)
class GenerationDataset(Rows):
    """Sources with one or more references each, for summarisation, translation and other text generation.

    ``texts[i]`` is source i (what a generator reads) and ``references[i]`` its reference
    outputs (one or more, for BLEU and chrF's multi-reference form). ``sha256`` fingerprints
    the content.
    """

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]
    sha256: str = field(default="")

    task = "generation"
    ROWS = ("ids", "texts", "references")

    def __post_init__(self) -> None:
        if not self.sha256:
            content = [self.ids, self.texts, [list(r) for r in self.references]]
            object.__setattr__(self, "sha256", hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest())
