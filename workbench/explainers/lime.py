"""LIME through the workbench: lime's own ``LimeTextExplainer`` over batched inference."""

from __future__ import annotations

import numpy as np

from ..words import split_words
from .base import Explainer


class LimeExplainer(Explainer):
    """LIME (Ribeiro et al. 2016) with lime's ``LimeTextExplainer``, seeded.

    lime does the sampling and the weighted ridge fit; the workbench gives it the batched
    ``predict_proba`` as its classifier function, so its ``num_samples`` perturbed texts run in
    token-budget batches instead of one pipeline call each. Features are the words
    (``bow=True``, lime's default split), so a word's score applies to each of its occurrences.
    """

    name = "lime"
    library = "lime"
    stochastic = True
    default_num_samples = 500

    def attribute(self, text: str, target: int) -> np.ndarray:
        from lime.lime_text import LimeTextExplainer

        explainer = LimeTextExplainer(class_names=list(self.model.label_names), bow=True, random_state=self.seed)
        words = split_words(text)
        explanation = explainer.explain_instance(text, self.proba, labels=(target,), num_features=len(set(words)), num_samples=self.num_samples)
        vocabulary = explanation.domain_mapper.indexed_string
        weights = {vocabulary.word(feature): weight for feature, weight in explanation.as_map()[target]}
        return np.array([weights.get(word, 0.0) for word in words])
