"""The records of the audits: what a model gives away of its training data, and whom it treats differently."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Record, Result
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


@dataclass(frozen=True)
class MemorizedSpan(Record):
    """The longest run of an output's words that a training text holds and the output's own source does not.

    ``id`` names the example whose output it is, ``training_id`` a training example that holds the run, ``words`` its
    length; ``whole_reference`` marks an output that is a training reference word for word (a headline learnt whole,
    which may be shorter than the n-gram length).
    """

    id: str
    training_id: str
    span: str
    words: int
    whole_reference: bool


@dataclass(frozen=True)
class Memorization(Record):
    """How often a generator writes training text word for word, on training sources and, as its baseline, on held-out
    ones whose text the training split does not hold (``statistics.memorization``).

    ``memorization_rate`` is the share of the ``members`` outputs that hold ``ngram`` words in a row of a training
    source or reference, not read in their own source, or that are a training reference whole (``whole_reference``:
    at least ``min_words`` words); ``held_out_memorization_rate`` the same share of the ``non_members`` outputs.
    A model that learnt its training set by heart has the first well above the second; both are Wilson intervals
    (``scipy.stats.binomtest``), since a rate near 0 is where a percentile bootstrap says nothing. ``member_spans`` and
    ``held_out_spans`` show each memorized output's longest span.
    """

    ngram: int
    min_words: int
    members: int
    non_members: int
    memorization_rate: float
    memorization_rate_interval: ConfidenceInterval | None
    held_out_memorization_rate: float
    held_out_memorization_rate_interval: ConfidenceInterval | None
    whole_reference_rate: float
    held_out_whole_reference_rate: float
    member_spans: tuple[MemorizedSpan, ...]
    held_out_spans: tuple[MemorizedSpan, ...]


@dataclass(frozen=True)
class CounterfactualBias(Record):
    """How often a model's prediction changes when the words of one group are swapped for another's
    (``statistics.perturbations``): he for she, John for Mary, and back.

    ``word_list`` names the file of swapped pairs. Of the ``edited`` examples the swap changed, ``changed`` got a
    different prediction: a classifier another label; a question-answering model an answer other than its first
    answer with the same words swapped; a generator an output other than its first output swapped. ``change_rate``
    has a Wilson interval. A generator also has ``chrf``, the mean chrF between its swapped first output and its
    output on the swapped source (100: the same), and ``carried``, the outputs holding a swappable word whose
    counterpart output holds the swapped words, of ``carriable``.
    """

    edit: str
    word_list: str
    edited: int
    changed: int
    change_rate: float | None
    change_rate_interval: ConfidenceInterval | None
    changed_ids: tuple[str, ...]
    chrf: float | None = None
    carried: int | None = None
    carriable: int | None = None


@dataclass(frozen=True)
class PersonalData(Record):
    """Where personal data occurs in one dataset (``personal_data``: e-mail addresses, phone numbers, card numbers that
    pass the Luhn check, IBANs, IP addresses), so a reviewer knows what its pages would show.

    ``found`` counts the values by kind over the ``examples`` (each example's text, its question and context, or its
    source and references); ``where`` lists each as (example id, field, kind), never the value itself, so the audit
    does not repeat what it reports.
    """

    dataset: str
    examples: int
    found: dict[str, int]
    where: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Audit(Result):
    """What ``workbench audit`` found of one model: what it gives away of its training data, and whom it treats
    differently.

    ``members`` and ``non_members`` name the training examples and the held-out ones; ``sample`` of each were drawn
    with ``seed`` (equal numbers, so an AUC of 0.5 is a coin toss), after ``dropped`` held-out examples that copy a
    training text (``duplicates``) were left out, since they are not unseen. ``membership`` holds the loss attack and,
    with a ``reference`` model, the reference-calibrated one; ``memorization`` a generator's verbatim copying; ``bias``
    the counterfactual swaps. ``personal_data`` says where personal data occurs in each side, and for a generator
    ``emitted`` lists the outputs holding personal data their source does not: (example id, kind) of the samples'
    outputs. ``not_applicable`` says in one line each which audit does not apply to this task, and why.
    """

    model: str
    task: str
    members: str
    non_members: str
    reference: str | None
    sample: int
    dropped: int
    seed: int
    membership: tuple[MembershipAttack, ...]
    duplicates: SplitDuplicates
    memorization: Memorization | None
    bias: tuple[CounterfactualBias, ...]
    personal_data: tuple[PersonalData, ...]
    emitted: tuple[tuple[str, str], ...] | None
    not_applicable: tuple[str, ...]
