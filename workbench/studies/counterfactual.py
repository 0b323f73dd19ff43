"""Counterfactual bias of every task: the same examples with one group's words swapped for another's, predicted again.

An example the swap leaves as it is (no word of the list) is not counted. What counts as a changed prediction:

* a classifier: another label (``statistics.perturbations.flip_rates``, as ``compare``'s probes);
* a question-answering model: an answer that differs from its first answer with the same words swapped, by SQuAD's
  exact match (``statistics.qa_metrics.squad_scores``: case, punctuation and articles aside), so an answer that only
  follows the swap ("he" for "she") is no change;
* a generator: an output whose words differ from its first output with the same words swapped; how much it changed
  is the chrF between the two (sacrebleu's ``sentence_chrf``), and whether the swap carried through is whether an
  output that names a swappable word has the swapped words in its counterpart.

The rates have Wilson intervals (``statistics.metrics.proportion_interval``). Checked: CheckList's invariance tests
and HELM's fairness perturbations do the same for classifiers and generation, but CheckList needs spaCy models from a
hub and HELM a hosted model; the swap is ``statistics.perturbations.swap_gender`` over a replaceable word list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from ..records.audit import CounterfactualBias
from ..records.dataset import Dataset
from ..records.generation import GenerationSettings
from ..records.generation_dataset import GenerationDataset
from ..records.qa_dataset import QADataset
from ..statistics.memorization import folded_words
from ..statistics.metrics import proportion_interval
from ..statistics.perturbations import flip_rates, swap_gender
from ..statistics.qa_metrics import squad_scores
from .prediction import predict

EDIT = "gender_swap"


def bias(edited: list[int], changed: list[int], ids: tuple[str, ...], word_list: str, **generation: Any
         ) -> CounterfactualBias:
    """The record of a swap that changed the examples at ``edited``, of which those at ``changed`` were predicted
    otherwise."""
    return CounterfactualBias(
        edit=EDIT, word_list=word_list, edited=len(edited), changed=len(changed),
        change_rate=len(changed) / len(edited) if edited else None,
        change_rate_interval=proportion_interval(len(changed), len(edited)),
        changed_ids=tuple(ids[i] for i in changed), **generation,
    )


def classification_bias(model: Any, dataset: Dataset, swaps: Mapping[str, str], *, word_list: str, seed: int = 0,
                        progress: bool | None = None, **options: Any) -> CounterfactualBias:
    """How often the swap flips the classifier's label; ``options`` decide nothing here."""
    predicted = predict(model, dataset, progress=progress).predicted
    rate = flip_rates(model, dataset.ids, dataset.texts, predicted, edits={EDIT: partial(swap_gender, swaps=swaps)},
                      seed=seed)[EDIT]
    return CounterfactualBias(
        edit=EDIT, word_list=word_list, edited=rate.edited, changed=rate.flipped, change_rate=rate.flip_rate,
        change_rate_interval=proportion_interval(rate.flipped, rate.edited), changed_ids=rate.flipped_ids,
    )


def qa_bias(model: Any, dataset: QADataset, swaps: Mapping[str, str], *, word_list: str, seed: int = 0,
            progress: bool | None = None, max_answer_len: int = 30, doc_stride: int | None = None,
            max_seq_len: int | None = None, handle_impossible: bool = False, **options: Any) -> CounterfactualBias:
    """How often the swap changes an answer beyond the swapped words, read with the decoding options."""
    decoding = {"max_answer_len": max_answer_len, "doc_stride": doc_stride, "max_seq_len": max_seq_len,
                "handle_impossible": handle_impossible}
    questions = [swap_gender(q, swaps) for q in dataset.questions]
    contexts = [swap_gender(c, swaps) for c in dataset.contexts]
    edited = [i for i, pair in enumerate(zip(questions, contexts))
              if pair != (dataset.questions[i], dataset.contexts[i])]
    first = model.answer([dataset.questions[i] for i in edited], [dataset.contexts[i] for i in edited],
                         progress=progress, **decoding)
    second = model.answer([questions[i] for i in edited], [contexts[i] for i in edited], progress=progress, **decoding)
    changed = [i for i, a, b in zip(edited, first, second)
               if squad_scores(b[0].text, [swap_gender(a[0].text, swaps)])[0] == 0]
    return bias(edited, changed, dataset.ids, word_list)


def generation_bias(model: Any, dataset: GenerationDataset, swaps: Mapping[str, str], *, word_list: str, seed: int = 0,
                    progress: bool | None = None, settings: GenerationSettings | None = None, **options: Any
                    ) -> CounterfactualBias:
    """How often, and how much, the swap changes an output beyond the swapped words, and whether it carries through."""
    from sacrebleu.metrics import CHRF

    settings = replace(settings or GenerationSettings(), seed=seed)
    sources = [swap_gender(t, swaps) for t in dataset.texts]
    edited = [i for i, (a, b) in enumerate(zip(dataset.texts, sources)) if a != b]

    def outputs(texts: list[str]) -> list[str]:
        return model.generate(texts, max_new_tokens=settings.max_new_tokens, num_beams=settings.num_beams,
                              do_sample=settings.do_sample, seed=settings.seed, progress=progress)

    first = [swap_gender(o, swaps) for o in outputs([dataset.texts[i] for i in edited])]
    second = outputs([sources[i] for i in edited])
    changed = [i for i, a, b in zip(edited, first, second) if folded_words(a) != folded_words(b)]
    chrf = CHRF()
    scores = [chrf.sentence_score(b, [a]).score for a, b in zip(first, second)]
    carriable, carried = 0, 0
    for a, b in zip(first, second):  # a: the first output swapped, so its swappable words are what b should hold
        wanted = {w for w in folded_words(a) if w in swaps}
        if wanted:
            carriable += 1
            carried += wanted <= set(folded_words(b))
    return bias(edited, changed, dataset.ids, word_list, chrf=float(np.mean(scores)) if scores else None,
                carried=carried, carriable=carriable)
