"""SHAP through the workbench: shap's Partition explainer with a word-level Text masker."""

from __future__ import annotations

import numpy as np

from ..words import WordTokenizer, mask_words, segment_offsets
from .base import Explainer

TIE_BREAK_SEED = 0


class ShapExplainer(Explainer):
    """Owen values from shap's ``PartitionExplainer`` over the words of a text.

    The masker is shap's ``Text`` masker with :class:`words.WordTokenizer` and a blank mask
    token, so shap masks whole words and evaluates exactly the strings the rest of the
    workbench builds: the scores sum to ``output - base``. ``num_samples`` is shap's
    ``max_evals``.

    Deterministic: the Partition explainer samples nothing. It draws from the global NumPy
    generator only to break exact ties between equally promising groups in its queue (shap
    0.51 ``explainers/_partition.py``), which happen where words change nothing at all (a
    TF-IDF model's out-of-vocabulary words). That draw is seeded with a fixed constant for
    the call and the caller's random state restored after, so the result is a function of the
    model and the text, the seed is not a parameter, and no stability across seeds is
    reported: it would compare a result with itself.
    """

    name = "shap"
    library = "shap"
    default_num_samples = 500

    def attribute(self, text: str, target: int) -> np.ndarray:
        import shap

        def target_proba(texts) -> np.ndarray:
            return self.proba(list(texts))[:, target]

        if len(segment_offsets(text)) == 1:  # one player: its Shapley value is the whole difference
            p = target_proba([text, mask_words(text, [False])])
            return np.array([p[0] - p[1]])
        masker = shap.maskers.Text(WordTokenizer(), mask_token=" ", collapse_mask_token=True)
        explainer = shap.explainers.PartitionExplainer(target_proba, masker)
        state = np.random.get_state()
        np.random.seed(TIE_BREAK_SEED)
        try:
            explanation = explainer([text], max_evals=self.num_samples, batch_size=self.num_samples, silent=True)
        finally:
            np.random.set_state(state)
        return np.asarray(explanation.values[0], dtype=np.float64)
