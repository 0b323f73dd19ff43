"""An explanation study: several methods on the same documents, with their scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .attribution import Attribution
from .base import Record, Result
from .faithfulness import Agreement, Faithfulness, Stability


@dataclass(frozen=True)
class ReadingSummary(Record):
    """How the model read a study's documents: the mode, its token limit, how many were cut and the words read."""

    mode: str | None
    max_tokens: int | None
    documents_cut: int
    words_read: int
    words: int


@dataclass(frozen=True)
class DiagnosticsSummary(Record):
    """A method's own checks over a study's documents (integrated gradients: steps and completeness error)."""

    documents: int
    converged: int
    steps_max: int
    steps_mean: float
    relative_error_max: float | None
    relative_error_mean: float | None
    tolerance: float | None

    @property
    def tolerance_text(self) -> str:
        """The tolerance as a sentence names it: "the 5 %", or "an unrecorded" when the method recorded none."""
        return "an unrecorded" if self.tolerance is None else f"the {100 * self.tolerance:.0f} %"


@dataclass(frozen=True)
class ExplanationStudy(Result):
    """Attributions of each method on the same documents, and how far each can be trusted.

    ``to_dict`` is the content of faithfulness.json: per method its faithfulness against random
    words, the agreement of every pair of methods, each method's stability under other seeds
    and its own checks (``diagnostics``). ``contrast`` is ``"runner-up"`` when each document's label was explained
    rather than the model's next choice (``explainers.contrast``), and None otherwise.
    """

    model: str
    data: str
    seed: int
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    methods: tuple[str, ...]
    attributions: Mapping[str, Sequence[Attribution]]
    params: Mapping[str, Mapping[str, Any]]
    reading: ReadingSummary
    faithfulness: Mapping[str, Faithfulness]
    agreement: tuple[Agreement, ...]
    stability: Mapping[str, Stability]
    diagnostics: Mapping[str, DiagnosticsSummary]
    contrast: str | None = None

    def warnings(self) -> list[str]:
        """One line per reason not to trust a method's explanations in this study."""
        out = [f"{m}: no better than random words" for m, f in self.faithfulness.items() if f.no_better_than_random]
        out += [f"{m}: unstable across seeds {s.seeds}" for m, s in self.stability.items() if s.unstable]
        out += [f"{m}: {d.documents - d.converged} of {d.documents} documents above {d.tolerance_text} "
                "completeness tolerance"
                for m, d in self.diagnostics.items() if d.converged < d.documents]
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (faithfulness.json)."""
        return {
            "model": self.model,
            "data": self.data,
            "seed": self.seed,
            "n": len(self.ids),
            "ids": list(self.ids),
            "methods": list(self.methods),
            "params": {m: dict(p) for m, p in self.params.items()},
            "reading": self.reading.to_dict(),
            "faithfulness": {m: f.to_dict() for m, f in self.faithfulness.items()},
            "agreement": [a.to_dict() for a in self.agreement],
            "stability": {m: s.to_dict() for m, s in self.stability.items()},
            "diagnostics": {m: d.to_dict() for m, d in self.diagnostics.items()},
            **({} if self.contrast is None else {"contrast": self.contrast}),  # plain studies' bytes stay as they were
        }

    @property
    def explained(self) -> str:
        """What the scores and the deletions move, in words: the target's probability or its log-ratio."""
        return "the target's probability" if self.contrast is None else \
            "log p(target) − log p(runner-up), the runner-up being the model's next most probable label"
