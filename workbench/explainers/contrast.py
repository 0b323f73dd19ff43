"""Contrastive targets: why a classifier says label A rather than label B.

A contrastive explanation scores each word by how much it moves log p(A) − log p(B), the difference of the two
labels' log-probabilities (Jacovi et al. 2021, "Contrastive Explanations for Model Interpretability"; Yin & Neubig
2022, "Interpreting Language Models with Contrastive Explanations"): a word that raises both labels alike scores
nothing, unlike an explanation of p(A) alone. :class:`Contrast` is that function as a one-label classifier, so every
perturbation method (LIME, SHAP, occlusion) explains it unchanged, and the gradient methods differentiate it through
the model's network. ``RUNNER_UP`` names each prediction's own next choice as its contrast, for classifiers and
generators alike; it is the one contrast a study, which picks its documents, can take.

Checked: Captum's attribution methods take a scalar ``target`` index, and Inseq's ``contrast_prob_diff`` step
function serves generation only; neither gives a classifier's A-rather-than-B over words, so the view here does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..reading import Reading
from ..statistics.faithfulness import log_ratios

#: contrast: each prediction against the model's own next choice (a classifier's second most probable label other than
#: the target; a generator's second-ranked token at each step)
RUNNER_UP = "runner-up"


def check_study_contrast(contrast: str | None, *, ranked: str, instead: str) -> None:
    """A study picks its documents, so the only contrast it can take for all of them is ``RUNNER_UP``; anything else
    is a one-line error naming what the runner-up is (``ranked``) and where a chosen contrast goes (``instead``)."""
    if contrast not in (None, RUNNER_UP):
        raise ParameterError(
            f"a study's contrast is {RUNNER_UP!r} ({ranked}), not {contrast!r}; {instead} with workbench.explain"
        )


def runner_up(proba: Any, target: int) -> int:
    """The most probable column of ``proba`` (one row of probabilities) other than ``target``."""
    ranked = np.argsort(-np.asarray(proba, dtype=np.float64), kind="stable")
    return int(next(i for i in ranked if i != target))


def one_each(contrast: str | Sequence[str] | None, count: int, *, what: str, item: str) -> list[str | None]:
    """``contrast`` for each of ``count`` items: one value (or None) for every item, or a sequence of one each; a
    sequence of another length is a one-line error naming ``what`` it holds and the ``item`` it is given for."""
    each = [contrast] * count if contrast is None or isinstance(contrast, str) else list(contrast)
    if len(each) != count:
        raise ParameterError(f"{len(each)} {what} for {count} {item}s; give one for every {item} or one each")
    return each


class Contrast:
    """``model`` as one output: log p(``label``) − log p(``foil``), the function a contrastive explanation explains."""

    def __init__(self, model: Any, label: str, foil: str) -> None:
        names = list(model.label_names)
        for name, role in ((label, "target"), (foil, "contrast")):
            if name not in names:
                raise ParameterError(f"{role} label {name!r} is not the model's; model labels: {names}")
        if label == foil:
            raise ParameterError(f"the contrast label is the target {label!r}; give another label to contrast with")
        self.model, self.label, self.foil = model, label, foil
        self.columns = names.index(label), names.index(foil)
        self.ref, self.label_names, self.backend = model.ref, (label,), model.backend

    @property
    def fingerprint(self) -> str:
        """The model's fingerprint with the two labels: the cache keeps A-rather-than-B apart from A alone."""
        payload = json.dumps({"model": self.model.fingerprint, "label": self.label, "foil": self.foil})
        return hashlib.sha256(payload.encode()).hexdigest()

    def reading(self, text: str) -> Reading:
        return self.model.reading(text)

    def predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """``(n, 1)``: each text's log p(label) − log p(foil), from the model's probabilities (float64)."""
        return log_ratios(self.model.predict_proba(list(texts), progress=progress), *self.columns)[:, None]
