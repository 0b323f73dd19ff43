"""The protocol every model follows, transformer or not."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from ..reading import Reading


@runtime_checkable
class Classifier(Protocol):
    """What every model exposes, transformer or not: label names and class probabilities.

    ``predict_proba(texts)`` returns an ``(n, k)`` float64 array whose columns follow
    ``label_names`` and whose rows follow ``texts``; ``iter_predict_proba(texts)`` streams the
    same rows chunk by chunk over any iterable. ``fingerprint`` is a SHA-256 of the weights and
    of the options that change outputs. ``reading(text)`` says what the model reads of a text
    (``reading.Reading``): the prefix within its token limit, its windows, or all of it.
    """

    ref: str
    backend: str  # what computes its outputs: torch, onnxruntime, scikit-learn, python (a rule)
    label_names: tuple[str, ...]
    fingerprint: str

    def predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray: ...

    def iter_predict_proba(self, texts: Iterable[str], *, progress: bool | None = None, total: int | None = None) -> Iterator[np.ndarray]: ...

    def reading(self, text: str) -> Reading: ...
