"""Membership inference: how well an attack's scores tell a model's training examples from unseen ones.

An attack gives each example a score, higher meaning "more likely in the training data"; members and non-members are
then two samples, and the attack is as good as the scores separate them (``records.MembershipAttack`` says which
figures and why). Checked: scikit-learn's ``roc_curve`` gives the curve and ``auc`` its area (``roc_auc_score``
is the same two calls), and ``scipy.stats.bootstrap`` resamples two samples separately (``paired=False``) for the
intervals. Written here: the true-positive rate at a fixed false-positive rate, read off scikit-learn's curve (neither
library has it), and the scores of the two attacks from per-example losses.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, ParameterError
from ..records import ConfidenceInterval
from ..records.audit import MembershipAttack
from .metrics import CONFIDENCE_LEVEL, N_RESAMPLES

ATTACKS = ("loss", "reference")
LOW_FPRS = (0.01, 0.001)  # the false-positive rates whose true-positive rates are reported
ROC_POINTS = 201  # the curve is kept at this many false-positive rates, evenly spaced: a figure, not the raw steps


def attack_scores(losses: np.ndarray, reference_losses: np.ndarray | None = None) -> np.ndarray:
    """Membership scores from per-example losses: the negated loss (the ``loss`` attack: training examples are fitted
    better), or, given the losses of a reference model that never saw the examples, the reference's loss minus the
    model's (the ``reference`` attack, which discounts examples that are easy for any model)."""
    losses = np.asarray(losses, dtype=np.float64)
    if reference_losses is None:
        return -losses
    reference_losses = np.asarray(reference_losses, dtype=np.float64)
    if reference_losses.shape != losses.shape:
        raise ParameterError(f"{len(reference_losses)} reference losses for {len(losses)} examples; give one each")
    return reference_losses - losses


def roc(member_scores: np.ndarray, non_member_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ROC curve of the scores, members the positives: false- and true-positive rates, every step."""
    from sklearn.metrics import roc_curve

    labels = np.concatenate([np.ones(len(member_scores)), np.zeros(len(non_member_scores))])
    fprs, tprs, _ = roc_curve(labels, np.concatenate([member_scores, non_member_scores]), drop_intermediate=False)
    return fprs, tprs


def tpr_at_fpr(fprs: np.ndarray, tprs: np.ndarray, fpr: np.ndarray | float) -> np.ndarray:
    """On a ROC curve, the share of members caught at the best threshold that wrongly accuses at most ``fpr`` of the
    non-members, as an attacker who accepts that share would set it (the curve's highest point left of ``fpr``)."""
    return tprs[np.searchsorted(fprs, fpr, side="right") - 1]


def membership_attack(
    attack: str,
    member_scores: np.ndarray,
    non_member_scores: np.ndarray,
    *,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
) -> MembershipAttack:
    """The AUC and the true-positive rates at 1 % and 0.1 % false positives of one attack, with bootstrap intervals.

    ``member_scores`` and ``non_member_scores`` are the attack's scores of the training examples and of held-out
    ones (``attack_scores``); the two samples are resampled separately, ``n_resamples`` times with ``seed``.
    """
    from scipy.stats import bootstrap
    from sklearn.metrics import auc

    if attack not in ATTACKS:
        raise ParameterError(f"unknown membership attack {attack!r}; use one of: {', '.join(ATTACKS)}")
    members, non_members = (np.asarray(s, dtype=np.float64) for s in (member_scores, non_member_scores))
    for name, scores in (("members", members), ("non-members", non_members)):
        if len(scores) == 0:
            raise DataError(f"no {name} to audit; give at least one example of each")
        if not np.isfinite(scores).all():
            raise DataError(f"the {name}' attack scores are not all finite; check the losses (a probability of 0?)")

    def on_curve(fprs: np.ndarray, tprs: np.ndarray) -> np.ndarray:
        return np.array([auc(fprs, tprs), *tpr_at_fpr(fprs, tprs, np.array(LOW_FPRS))])

    def figures(m: np.ndarray, n: np.ndarray) -> np.ndarray:
        return on_curve(*roc(m, n))

    fprs, tprs = roc(members, non_members)
    point = on_curve(fprs, tprs)
    intervals: list[ConfidenceInterval | None] = [None] * 3
    if min(len(members), len(non_members)) >= 2:
        result = bootstrap((members, non_members), figures, paired=False, vectorized=False, n_resamples=n_resamples,
                           confidence_level=confidence_level, method="percentile", rng=np.random.default_rng(seed))
        low, high = result.confidence_interval
        intervals = [ConfidenceInterval(low=float(lo), high=float(hi), level=confidence_level,
                                        n_resamples=n_resamples, method="percentile") for lo, hi in zip(low, high)]
    grid = np.linspace(0.0, 1.0, ROC_POINTS)
    curve = tpr_at_fpr(fprs, tprs, grid)  # the step curve at evenly spaced rates
    return MembershipAttack(
        attack=attack, members=len(members), non_members=len(non_members),
        auc=float(point[0]), auc_interval=intervals[0],
        tpr_at_1pct_fpr=float(point[1]), tpr_at_1pct_fpr_interval=intervals[1],
        tpr_at_0_1pct_fpr=float(point[2]), tpr_at_0_1pct_fpr_interval=intervals[2],
        roc_fpr=tuple(float(x) for x in grid), roc_tpr=tuple(float(y) for y in curve), seed=seed,
    )
