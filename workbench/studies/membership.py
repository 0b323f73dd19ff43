"""Membership audits: each example's loss under the audited model (and a reference), and the attacks on them.

The loss of an example is what its task trains on, so that training examples stand out if the model fitted them:

* a classifier: the cross-entropy of the gold label, ``-log p(gold)``;
* a question-answering model: the negative log-probability of the gold answer's text (``answer_probability``: the
  start x end softmax of its spans, the highest over the windows that hold it);
* a generator: the mean negative log-probability of the reference's tokens, teacher-forced, its end token included.

A probability of 0 (an answer the windows no longer hold) is floored at the smallest positive float, so its loss is
large but finite. Checked: ML Privacy Meter and TensorFlow Privacy's membership-inference attacks take per-example
losses from the user and compute the ROC figures; neither loads a text model, so the losses are computed here and the
figures are ``statistics.membership``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ..records import Predictions
from ..records.audit import MembershipAttack
from ..records.generation_dataset import GenerationDataset
from ..records.qa_dataset import QADataset
from ..statistics.membership import attack_scores, membership_attack

TINY = np.finfo(np.float64).tiny  # the floor of a probability whose log is taken


def classification_losses(predictions: Predictions) -> np.ndarray:
    """``-log p(gold label)`` of each row of labeled predictions."""
    if predictions.labels is None:
        raise DataError(f"{predictions.dataset} has no labels, so no loss can be computed; give a labeled dataset")
    names = list(predictions.label_names)
    unknown = sorted(set(predictions.labels) - set(names))
    if unknown:
        raise DataError(f"labels {unknown} are not among the model's {names}; audit a model trained on these labels")
    gold = np.array([names.index(label) for label in predictions.labels])
    return -np.log(np.maximum(predictions.proba[np.arange(len(gold)), gold], TINY))


def qa_losses(model: Any, dataset: QADataset, *, progress: bool | None = None, **decoding: Any) -> np.ndarray:
    """``-log p(gold answer)`` of each question, the first gold answer's text in its context."""
    unanswered = [i for i, answers in zip(dataset.ids, dataset.answers) if not answers]
    if unanswered:
        raise DataError(f"{len(unanswered)} of the questions of {dataset.name} have no gold answer (first: "
                        f"{unanswered[0]}); a membership audit needs each question's answer")
    p = model.answer_probability(list(dataset.questions), list(dataset.contexts),
                                 [answers[0].text for answers in dataset.answers], progress=progress, **decoding)
    return -np.log(np.maximum(p, TINY))


def generation_losses(model: Any, dataset: GenerationDataset) -> np.ndarray:
    """The mean ``-log p(token)`` of each source's first reference, teacher-forced, followed by the model's end token.

    One teacher-forced pass per example (``Generator.token_probabilities`` scores one output for many sources), so a
    split costs about as many forward passes as it has examples.
    """
    losses = []
    for source, references in zip(dataset.texts, dataset.references):
        ids = reference_ids(model, references[0])
        p = model.token_probabilities([source], ids)[0]
        losses.append(float(-np.mean(np.log(np.maximum(p, TINY)))))
    return np.array(losses)


def reference_ids(model: Any, text: str) -> list[int]:
    """The token ids a generator would write for ``text``: its tokens without special ones, then its end token (the
    first its generation config names)."""
    eos = model.model.generation_config.eos_token_id
    ends = list(eos) if isinstance(eos, (list, tuple)) else [] if eos is None else [eos]
    return [*model.tokenizer(text, add_special_tokens=False)["input_ids"], *ends[:1]]


def membership_attacks(
    member_losses: np.ndarray,
    non_member_losses: np.ndarray,
    *,
    reference: Sequence[np.ndarray] | None = None,
    seed: int = 0,
) -> list[MembershipAttack]:
    """The loss attack on the losses of the members and the non-members, and with ``reference`` (the same examples'
    losses under a model that saw neither: members' then non-members'), the reference-calibrated attack."""
    attacks = [membership_attack("loss", attack_scores(member_losses), attack_scores(non_member_losses), seed=seed)]
    if reference is not None:
        members_ref, non_members_ref = reference
        attacks.append(membership_attack("reference", attack_scores(member_losses, members_ref),
                                         attack_scores(non_member_losses, non_members_ref), seed=seed))
    return attacks
