"""Language modelling: plain texts, a causal LM's log-likelihood of each, and its perplexity and bits per byte.

The task ``language-modeling`` asks how well a causal LM predicts a corpus it reads as written: the figure a user
compares across models and precisions. ``TextCorpus`` is its data (texts, no labels), ``Window`` how a long text is
read (transformers' sliding-window perplexity), ``Likelihoods`` each text's summed negative log-likelihood with its
token and byte counts, ``PerplexityMetrics`` the corpus figures with bootstrap intervals, and
``PerplexityComparison`` two or more LMs on one corpus with paired intervals of their bits-per-byte differences.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParameterError
from .base import ItemMetrics, Record, Result
from .metrics import ConfidenceInterval
from .predictions import Provenance
from .rows import Rows


@dataclass(frozen=True)
class TextCorpus(Rows):
    """Plain texts to be predicted token by token (``texts``), with ids; ``sha256`` fingerprints the content."""

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    sha256: str = field(default="")

    task = "language-modeling"
    ROWS = ("ids", "texts")

    def __post_init__(self) -> None:
        if not self.sha256:
            content = json.dumps([self.ids, self.texts], ensure_ascii=False).encode("utf-8")
            object.__setattr__(self, "sha256", hashlib.sha256(content).hexdigest())


@dataclass(frozen=True)
class Window(Record):
    """How a text longer than one forward pass is read: windows of ``max_tokens`` tokens, ``stride`` apart.

    The first window scores its ``max_tokens`` tokens; each later one scores the next ``stride`` tokens after the
    ``max_tokens - stride`` (or more) before them, so every token is scored once, and all but the first window's
    with at least that much context (the sliding window of transformers' perplexity guide). ``stride == max_tokens``
    reads disjoint windows, as lm-evaluation-harness's rolling log-likelihood does. A text's first token is scored
    after the model's beginning-of-text token, as there, so every byte counts.
    """

    max_tokens: int = 1024
    stride: int = 512

    def __post_init__(self) -> None:
        for name in ("max_tokens", "stride"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ParameterError(f"{name} must be a whole number of at least 1 token, got {value!r}")
        if self.stride > self.max_tokens:
            raise ParameterError(
                f"stride {self.stride} is longer than the window of {self.max_tokens} tokens, so tokens would go "
                "unscored; give a stride of at most the window"
            )
        if self.max_tokens < 2:
            raise ParameterError("a window of 1 token has no context; give max_tokens of at least 2")

    def describe(self) -> str:
        """The window in a few words, for pages: "windows of 1024 tokens, stride 512"."""
        return f"windows of {self.max_tokens} tokens, stride {self.stride}"


@dataclass(frozen=True, eq=False)
class Likelihoods(Result):
    """A causal LM's reading of every text of a corpus, in corpus order.

    ``nll[i]`` is text i's summed negative log-likelihood in nats (float64 sums of the model's log-softmax),
    ``tokens[i]`` the tokens scored (all of the text's, by the model's tokenizer without special tokens) and
    ``bytes[i]`` its UTF-8 length: anyone can recompute perplexity and bits per byte from these three columns.
    """

    model: str
    dataset: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    nll: tuple[float, ...]
    tokens: tuple[int, ...]
    bytes: tuple[int, ...]
    window: Window
    seconds: float
    provenance: Provenance | None = None


@dataclass(frozen=True)
class PerplexityMetrics(ItemMetrics):
    """Corpus perplexity, bits per byte and mean negative log-likelihood per token, with bootstrap intervals.

    ``perplexity`` is exp(total nll / total tokens), tokenizer-dependent; ``bits_per_byte`` is total nll /
    (ln 2 × total bytes), comparable across tokenizers. ``ci`` holds seeded percentile bootstrap intervals over
    texts (texts resampled, the ratios recomputed), ``per_document`` each text's own figures (predictions.jsonl).
    """

    PER_ITEM = "per_document"

    model: str
    data: str
    n: int
    tokens: int
    bytes: int
    perplexity: float
    bits_per_byte: float
    nll_per_token: float
    ci: Mapping[str, ConfidenceInterval | None]
    per_document: tuple[Mapping[str, float], ...]
    window: Window
    seed: int
    provenance: Provenance | None = None


@dataclass(frozen=True)
class PerplexityPairwise(Record):
    """LM A against B on the same texts: A minus B in bits per byte (lower is better), with a paired bootstrap
    interval over texts; ``wins_a`` / ``wins_b`` count the texts each reads in fewer bits per byte."""

    a: str
    b: str
    n: int
    bits_per_byte_a: float
    bits_per_byte_b: float
    bits_per_byte_diff: float
    bits_per_byte_diff_ci: tuple[float, float] | None
    confidence_level: float
    wins_a: int
    wins_b: int

    def verdict(self) -> str:
        """One sentence: the difference with its interval, and which model predicts the texts better."""
        low, high = self.bits_per_byte_diff_ci or (float("nan"), float("nan"))
        significant = self.bits_per_byte_diff_ci is not None and (low > 0 or high < 0)
        better = self.a if self.bits_per_byte_diff < 0 else self.b
        judgement = (
            f"{better} predicts the texts better" if significant else "not significant (the interval includes 0)"
        )
        return (
            f"{self.a} vs {self.b}: bits per byte difference {self.bits_per_byte_diff:+.4f} "
            f"({round(100 * self.confidence_level)}% CI {low:+.4f} to {high:+.4f}): {judgement}."
        )


@dataclass(frozen=True, eq=False)
class PerplexityComparison(Result):
    """Causal LMs on one corpus: each one's figures and per-text log-likelihoods, every pair's paired test, speed."""

    models: tuple[str, ...]
    data: str
    seed: int
    window: Window
    metrics: Mapping[str, PerplexityMetrics]
    predictions: Mapping[str, Likelihoods]
    pairwise: tuple[PerplexityPairwise, ...]
    tokens_per_s: Mapping[str, float]

    def to_dict(self, prediction_paths: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The content of compare.json (``prediction_paths``: where each model's per-text figures were written)."""
        return {
            "task": "language-modeling",
            "models": list(self.models),
            "data": self.data,
            "seed": self.seed,
            "window": self.window.to_dict(),
            "metrics": {ref: m.to_dict() for ref, m in self.metrics.items()},
            "tokens_per_s": dict(self.tokens_per_s),
            "predictions": dict(prediction_paths or {}),
            "pairwise": [p.to_dict() for p in self.pairwise],
        }
