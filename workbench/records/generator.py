"""The protocol of a text generator, beside ``Classifier`` and ``Answerer``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Generator(Protocol):
    """A text generator: one output per source, greedy, beam search or seeded sampling.

    Met by the transformer generators (``models.generation``: encoder-decoder and decoder-only) and the lead-sentence
    baseline (``models.lead_sentence``). Token attribution asks more of a transformer generator (its token
    probabilities), which ``explainers.generation.check_generator`` checks.
    """

    ref: str
    backend: str  # what computes its outputs: torch, onnxruntime, scikit-learn, python (a rule)
    fingerprint: str

    def generate(self, texts: Sequence[str], *, max_new_tokens: int = 64, num_beams: int = 1, do_sample: bool = False,
                 seed: int = 0, progress: bool | None = None) -> list[str]: ...
