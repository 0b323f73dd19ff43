"""The audit study: what a model gives away of its training data, and whom it treats differently, for every task.

``run_audit`` takes a model, its training examples (members) and held-out ones (non-members), and the task's entry
(``tasks.Task``: its ``losses``, ``outputs`` and ``counterfactual``, None where an audit does not apply; ``losses``
also gives None for a model without probabilities):

1. the duplicates between the two (``statistics.duplicates``), exact and near; held-out examples that copy a training
   text are left out of what follows, since they are not unseen;
2. equal samples of each, drawn with the seed, so that an attack that guesses scores an AUC of 0.5;
3. membership inference on the task's per-example loss (``studies.membership``), and with a reference model its
   calibrated attack;
4. a generator's memorization: its outputs on both samples against every training text (``statistics.memorization``);
5. counterfactual bias on the held-out sample (``studies.counterfactual``);
6. where personal data occurs in each side (``personal_data``), and for a generator, the outputs that hold personal
   data their source does not.

Checked: no peer (LIT, ferret, Captum, Inseq, lm-evaluation-harness, HF evaluate) audits membership or memorization;
ML Privacy Meter and TensorFlow Privacy take losses from the user (``studies.membership`` says what is theirs).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, ParameterError
from ..io import atomic_open, write_json
from ..personal_data import find_personal_data
from ..records.audit import Audit, PersonalData
from ..statistics.duplicates import split_duplicates
from ..statistics.memorization import NGRAM, TrainingText, memorization
from ..statistics.perturbations import GENDER_WORDS, read_word_pairs
from .membership import membership_attacks


def sample_rows(rows: Any, n: int, seed: int) -> Any:
    """``n`` rows drawn without replacement with ``seed``, in the dataset's order (all of them when it has ``n``)."""
    if n >= len(rows):
        return rows
    return rows.select(sorted(np.random.default_rng(seed).choice(len(rows), size=n, replace=False).tolist()))


def run_audit(
    task: Any, model: Any, members: Any, non_members: Any, *, reference: Any = None, n: int | None = None,
    ngram: int = NGRAM, word_list: str | os.PathLike[str] | None = None, seed: int = 0, progress: bool | None = None,
    **options: Any,
) -> Audit:
    """Audit ``model`` on its training examples ``members`` against held-out ``non_members`` (module docstring).

    ``n`` caps each sample (default: as many as the smaller side has); ``reference`` is a model of the same task that
    saw neither (for the calibrated attack); ``ngram`` the words in a row that count as memorized; ``word_list`` the
    swapped pairs of the bias probe (default: the built-in ``wordlists/gender.tsv``); ``options`` the task's own.
    """
    if n is not None and n < 2:
        raise ParameterError(f"n={n} leaves too few examples to audit; give n of at least 2, or leave it out")
    swaps = read_word_pairs(word_list or GENDER_WORDS)  # a bad word list fails before any model runs
    duplicates = split_duplicates(members.ids, members.examples, non_members.ids, non_members.examples,
                                  reference=members.name, probe=non_members.name, seed=seed)
    copied = {i for i, *_ in (*duplicates.exact, *duplicates.near)}
    unseen = non_members.select([i for i, doc in enumerate(non_members.ids) if doc not in copied])
    size = min(len(members), len(unseen), n or len(members))
    if size < 2:
        raise DataError(f"{members.name} and {non_members.name} leave {size} example(s) a side once the held-out "
                        "copies of training texts are set aside; give at least 2 of each")
    member_sample, held_out = sample_rows(members, size, seed), sample_rows(unseen, size, seed)
    not_applicable = []
    attacks: list[Any] = []
    losses = None if task.losses is None else [
        task.losses(model, rows, progress=progress, **options) for rows in (member_sample, held_out)]
    if losses is None:
        not_applicable.append(f"membership inference: a {task.model_kind} has no per-example loss here")
    elif losses[0] is None:
        not_applicable.append(f"membership inference: {model.ref} gives no probabilities (a rule), so no loss")
    else:
        calibration = None if reference is None else [
            task.losses(reference, rows, progress=progress, **options) for rows in (member_sample, held_out)]
        attacks = membership_attacks(*losses, reference=calibration, seed=seed)
    memorized, emitted = None, None
    if task.outputs is None:
        not_applicable.append(f"memorization: a {task.model_kind} gives {task.gives}, no text of its own, so it "
                              "cannot repeat its training text (nor emit personal data)")
    else:
        training = TrainingText(members.ids, members.texts, members.references, ngram=ngram)
        written = [(rows.ids, task.outputs(model, rows, seed=seed, progress=progress, **options), rows.texts)
                   for rows in (member_sample, held_out)]
        memorized = memorization(training, *written)
        emitted = tuple((doc, value.kind) for ids, outputs, sources in written
                        for doc, output, source in zip(ids, outputs, sources)
                        for value in find_personal_data(output) if output[value.start:value.end] not in source)
    bias = () if task.counterfactual is None else (task.counterfactual(
        model, held_out, swaps, word_list=str(word_list or GENDER_WORDS.name), seed=seed, progress=progress,
        **options),)
    if task.counterfactual is None:
        not_applicable.append(f"counterfactual bias: not defined for a {task.model_kind}")
    return Audit(
        model=model.ref, task=task.name, members=members.name, non_members=non_members.name,
        reference=None if reference is None else reference.ref, sample=size, dropped=len(copied), seed=seed,
        membership=tuple(attacks), duplicates=duplicates, memorization=memorized, bias=bias,
        personal_data=(personal_data_in(members), personal_data_in(non_members)), emitted=emitted,
        not_applicable=tuple(not_applicable),
    )


def personal_data_in(rows: Any) -> PersonalData:
    """Where personal data occurs in ``rows``: each example's text (a question with its context), its references and
    its gold label, as a dataset of the task holds them."""
    where, found = [], Counter[str]()
    examples, references, labels = rows.examples, getattr(rows, "references", None), getattr(rows, "labels", None)
    for i, doc in enumerate(rows.ids):
        fields = [("example", examples[i])]
        fields += [("reference", text) for text in references[i]] if references is not None else []
        fields += [("label", labels[i])] if labels is not None else []
        for field, text in fields:
            for value in find_personal_data(text):
                where.append((doc, field, value.kind))
                found[value.kind] += 1
    return PersonalData(dataset=rows.name, examples=len(rows), found=dict(sorted(found.items())), where=tuple(where))


def write_audit(out: str | os.PathLike[str], audit: Audit) -> dict[str, Path]:
    """Write audit.json (every figure, named plainly) and audit.html (the page) into ``out``."""
    from ..render.audits import audit_page

    out = Path(out)
    write_json(out / "audit.json", audit.to_dict())
    with atomic_open(out / "audit.html") as handle:
        handle.write(audit_page(audit))
    return {"audit.json": out / "audit.json", "audit.html": out / "audit.html"}
