"""The records of the audits: what a model gives away of its training data."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Record
from .metrics import ConfidenceInterval


@dataclass(frozen=True)
class MembershipAttack(Record):
    """How well one attack tells a model's training examples (members) from unseen ones (non-members).

    Each example gets an attack score, higher meaning "more likely a member": for the ``loss`` attack the negated
    loss, for the ``reference`` attack the reference model's loss minus the audited model's (its difficulty
    calibration: an example is suspicious where the audited model finds it easier than a model that never saw it).
    ``auc`` is the ROC AUC (0.5: the attacker guesses), and ``tpr_at_1pct_fpr`` and ``tpr_at_0_1pct_fpr`` the share
    of members caught where at most 1 % and 0.1 % of non-members are wrongly accused, the figures Carlini et al. (2022,
    "Membership Inference Attacks From First Principles") ask for, as an AUC averages over accusations no one would
    make. With ``non_members`` examples the smallest false-positive rate that can be told apart from zero is
    ``1 / non_members``: below it, the figure is the share of members caught with no false accusation at all.
    Intervals: the percentile bootstrap, members and non-members resampled separately. ``roc_fpr`` and ``roc_tpr``
    are scikit-learn's ROC curve, the points of the page's figure.
    """

    attack: str
    members: int
    non_members: int
    auc: float
    auc_interval: ConfidenceInterval | None
    tpr_at_1pct_fpr: float
    tpr_at_1pct_fpr_interval: ConfidenceInterval | None
    tpr_at_0_1pct_fpr: float
    tpr_at_0_1pct_fpr_interval: ConfidenceInterval | None
    roc_fpr: tuple[float, ...]
    roc_tpr: tuple[float, ...]
    seed: int


@dataclass(frozen=True)
class SplitDuplicates(Record):
    """The ``probe`` split's texts that duplicate texts of the ``reference`` split (``statistics.duplicates``).

    ``exact`` pairs (probe id, reference id) are word-for-word copies, whitespace aside; ``near`` triples (probe id,
    reference id, Jaccard similarity) are the other probe texts whose ``shingle``-word shingles reach ``threshold``
    with a reference text's, found by MinHash LSH (``num_perm`` permutations chosen by ``seed``) and checked exactly.
    ``exact_rate`` and ``near_rate`` are their shares of the ``probes`` texts. A probe text counts once.
    """

    reference: str
    probe: str
    references: int
    probes: int
    exact: tuple[tuple[str, str], ...]
    near: tuple[tuple[str, str, float], ...]
    exact_rate: float
    near_rate: float
    threshold: float
    shingle: int
    num_perm: int
    seed: int
