"""Occlusion: the drop in the target's probability when one word is left out."""

from __future__ import annotations

import numpy as np

from ..words import mask_words, segment_offsets
from .base import Explainer


class OcclusionExplainer(Explainer):
    """Leave-one-word-out: ``score[i] = p(text) - p(text without word i)``, all in one batch.

    Checked: ``captum.attr.Occlusion`` slides a fixed-shape baseline window over tensor inputs;
    leaving a word out of the string (and so moving the later words up) is not expressible
    there, so this method masks words with ``words.mask_words`` like every other method here.
    """

    name = "occlusion"

    def attribute(self, text: str, target: int) -> np.ndarray:
        n = len(segment_offsets(text))
        texts = [text] + [mask_words(text, [j != i for j in range(n)]) for i in range(n)]
        p = self.proba(texts)[:, target]
        return p[0] - p[1:]
