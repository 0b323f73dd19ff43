"""How far explanations can be trusted: faithfulness against random words, agreement, stability.

``statistics.faithfulness`` computes these; render, the CLI and the explorer read their fields,
and ``to_dict`` gives the JSON of faithfulness.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .base import Record

@dataclass(frozen=True)
class ScoreSummary(Record):
    """Mean comprehensiveness, sufficiency and their AOPC over documents, and the mean curves per deletion fraction."""

    comprehensiveness: float | None
    sufficiency: float | None
    aopc_comprehensiveness: float | None
    aopc_sufficiency: float | None
    curves: Mapping[str, Sequence[float]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "curves": {k: list(v) for k, v in self.curves.items()}}


@dataclass(frozen=True)
class RandomTest(Record):
    """Whether one score of a method beats random words.

    Two or more documents: the mean ``advantage`` over random words with its paired-bootstrap
    interval ``ci`` (and the intervals of the method's and random words' means). One document:
    how many of ``orders`` random word orders it ``beats`` and the permutation ``p``. ``clears``
    says whether it beats random words.
    """

    advantage: float
    clears: bool
    ci: Mapping[str, float] | None = None
    method_ci: Mapping[str, float] | None = None
    random_ci: Mapping[str, float] | None = None
    beats: int | None = None
    orders: int | None = None
    p: float | None = None

    @property
    def single_document(self) -> bool:
        """Whether this is the one-document permutation test (else the bootstrap over documents)."""
        return self.orders is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the fields of its kind of test."""
        keys = ("advantage", "beats", "orders", "p", "clears") if self.single_document else ("advantage", "ci", "method_ci", "random_ci", "clears")
        return {k: getattr(self, k) for k in keys}


@dataclass(frozen=True)
class Faithfulness(Record):
    """One method's faithfulness on a set of documents, beside random words' (see ``statistics.faithfulness``).

    ``kept_words``, when set, names the words no deletion touched (``"answer"``: an extractive answer's own words).
    """

    n: int
    fractions: tuple[float, ...]
    rationale_fraction: float
    random_repeats: int
    seed: int
    higher_is_better: Mapping[str, bool]
    documents: tuple[Mapping[str, Any], ...]
    method: ScoreSummary
    random: ScoreSummary
    against_random: Mapping[str, RandomTest]
    no_better_than_random: bool | None
    kept_words: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (one method's entry in faithfulness.json)."""
        return {
            **({"kept_words": self.kept_words} if self.kept_words else {}),
            "n": self.n,
            "fractions": list(self.fractions),
            "rationale_fraction": self.rationale_fraction,
            "random_repeats": self.random_repeats,
            "seed": self.seed,
            "higher_is_better": dict(self.higher_is_better),
            "documents": [dict(d) for d in self.documents],
            "method": self.method.to_dict(),
            "random": self.random.to_dict(),
            "against_random": {**{k: v.to_dict() for k, v in self.against_random.items()}, "no_better_than_random": self.no_better_than_random},
        }


@dataclass(frozen=True)
class Agreement(Record):
    """Mean rank agreement of two sets of attributions of the same texts (``a`` and ``b`` name them, if given).

    ``n`` texts compared; Spearman's rho and Kendall's tau of the word scores, and the share
    of the top ``k`` words they have in common; None where undefined.
    """

    n: int
    k: int
    spearman: float | None
    kendall: float | None
    top_k_overlap: float | None
    a: str | None = None
    b: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``a`` and ``b`` only when set)."""
        return {k: v for k, v in asdict(self).items() if k not in ("a", "b") or v is not None}


@dataclass(frozen=True)
class Stability(Record):
    """A method's agreement with itself under other ``seeds``, and whether that is too low to trust.

    Deterministic methods have ``seeds == "deterministic"`` and no measures.
    """

    seeds: str
    n: int
    spearman: float | None
    kendall: float | None
    top_k_overlap: float | None
    unstable: bool | None
