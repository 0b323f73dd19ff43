"""Token attributions of a generated text: for each generated token, a score per source word (and per earlier token)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import Record, Result
from .generation import GenerationSettings
from .metrics import ConfidenceInterval


@dataclass(frozen=True)
class TokenAttribution(Record):
    """One generated text explained token by token.

    ``scores[t][j]`` is how much source word ``j`` (``source_words``, the unit every explanation
    scores, see ``words``) raised the probability of generated token ``t`` (``generated``;
    ``probabilities[t]`` is that probability, teacher-forced, the quantity explained). For a
    decoder-only model ``prefix_scores[t][k]`` is the same for an earlier generated token
    ``k < t`` (0 for ``k >= t``); None for an encoder-decoder, whose output tokens are not its
    input. ``parameters`` hold the method's settings and ``diagnostics`` its checks (integrated
    gradients' completeness error per token).

    A contrastive record ("why this token rather than that one", ``explainers.generation``) names at each step the
    token the generated one is explained against (``contrast``, ids in ``contrast_ids``); its scores are then of
    log p(token) − log p(contrast token) at that step, whose values are ``log_ratios``. All three are None otherwise,
    and left out of ``to_dict``.
    """

    id: str
    model: str
    method: str
    parameters: Mapping[str, Any]
    source: str
    source_words: tuple[str, ...]
    prediction: str
    generated: tuple[str, ...]
    generated_ids: tuple[int, ...]
    probabilities: tuple[float, ...]
    scores: tuple[tuple[float, ...], ...]
    prefix_scores: tuple[tuple[float, ...], ...] | None
    diagnostics: Mapping[str, Any]
    contrast: tuple[str, ...] | None = None
    contrast_ids: tuple[int, ...] | None = None
    log_ratios: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """One line of token_attributions.jsonl; a plain record's line has no contrast fields."""
        data = super().to_dict()
        for name in ("contrast", "contrast_ids", "log_ratios"):
            if data[name] is None:
                del data[name]
        return data

    @property
    def explained(self) -> tuple[float, ...]:
        """The quantity the scores explain at each step: the token's probability, or its log-ratio to the contrast."""
        return self.probabilities if self.log_ratios is None else self.log_ratios

    def matrix(self) -> tuple[list[str], list[list[float]]]:
        """The heatmap's rows and cells: the source words, then a decoder-only model's earlier tokens (marked "↳ ");
        ``cells[t][j]`` is row ``j``'s score for generated token ``t``."""
        labels, cells = list(self.source_words), [list(row) for row in self.scores]
        if self.prefix_scores is not None:
            labels += [f"↳ {token}" for token in self.generated]
            for t, row in enumerate(self.prefix_scores):
                cells[t] += list(row)
        return labels, cells

    def table(self) -> list[dict[str, Any]]:
        """The numbers behind the heatmap in its reading order (row by row, then token by token), one line per source
        word (or earlier token) and generated token: token_attributions.csv (a contrastive record adds each step's
        contrast token and log-ratio)."""
        labels, cells = self.matrix()
        against = [{} if self.contrast is None or self.log_ratios is None else
                   {"contrast": self.contrast[t], "log_ratio": self.log_ratios[t]} for t in range(len(self.generated))]
        return [{"id": self.id, "method": self.method, "token_index": t, "token": token,
                 "probability": self.probabilities[t], "row": j, "source": label, "score": cells[t][j], **against[t]}
                for j, label in enumerate(labels) for t, token in enumerate(self.generated)]


@dataclass(frozen=True)
class TokenFaithfulness(Record):
    """Whether deleting a token's top source words lowers its probability more than deleting as many random words.

    Per document, the drop in each generated token's probability when its ``fractions`` of
    top-scored source words are deleted (comprehensiveness, DeYoung et al. 2020), averaged over
    the tokens and fractions; ``random`` the same for seeded random words. ``advantage`` is the
    mean difference over documents with its paired-bootstrap interval; ``beats_random`` when
    the interval lies above 0 (one document: when its advantage is above 0).
    """

    method: str
    documents: int
    tokens: int
    fractions: tuple[float, ...]
    comprehensiveness: float
    random: float
    advantage: float
    advantage_ci: ConfidenceInterval | None
    beats_random: bool
    per_document: tuple[Mapping[str, Any], ...]
    seed: int


@dataclass(frozen=True, eq=False)
class TokenStudy(Result):
    """A generator's outputs on some documents explained token by token by one or more methods, each method's faithfulness scored.

    ``records[method][i]`` explains document ``ids[i]``; ``seconds[method]`` is the time the
    method took over all of them (faithfulness not included). ``contrast`` is ``"runner-up"`` when each token was
    explained rather than the model's next choice at its step.
    """

    model: str
    data: str
    ids: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]
    methods: tuple[str, ...]
    records: Mapping[str, tuple[TokenAttribution, ...]]
    faithfulness: Mapping[str, TokenFaithfulness]
    seconds: Mapping[str, float]
    generation: GenerationSettings
    seed: int
    contrast: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """faithfulness.json: everything but the records (those go to token_attributions.jsonl) and the timings, so the same
        inputs and seed give the same bytes (``contrast`` only when the tokens were explained against one)."""
        against = {} if self.contrast is None else {"contrast": self.contrast}
        return {"task": "generation", "model": self.model, "data": self.data, "ids": list(self.ids), "methods": list(self.methods),
                "generation": self.generation.to_dict(), "seed": self.seed, **against,
                "faithfulness": {m: f.to_dict() for m, f in self.faithfulness.items()}}
