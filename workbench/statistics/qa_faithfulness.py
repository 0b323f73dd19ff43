"""Faithfulness of explanations of extractive answers: the classifiers' scores, with words deleted from a question and its context.

The same comprehensiveness, sufficiency, AOPC and random-word baseline as
``statistics.faithfulness`` (``perturbation_faithfulness``), ranked over all the words of a
record (the question's, then the context's) and deleted with ``words.mask_words`` from each
part; the probability is the model's ``answer_probability`` of the record's answer, 0 once a
deletion removes the answer's text. All deletions of a call run in one batched call.

Deleting the answer's own words takes the answer away, so with them in play every method that ranks them first
scores the same: on the demo's BBC questions LIME and occlusion both scored AOPC comprehensiveness 0.843, and SHAP
0.787, while their word rankings agreed at Spearman 0.01 to 0.04. So by default (``keep_answer=True``) no deletion
touches the context's words that hold the answer (every occurrence, ignoring case, as ``answer_probability`` counts
them), for the method's ranking and the random ones alike: the scores say whether a method found the words the
answer rests on. ``keep_answer=False`` ranks and deletes every word. On those three questions, with the answer kept,
random words' AOPC comprehensiveness fell from 0.433 to 0.319, LIME, SHAP and occlusion kept theirs (0.843, 0.787,
0.843: each ranks the "said" beside the answer first, and deleting it takes nearly all the probability), SHAP's
advantage became significant, and gradient x input (0.319) was no better than random words; AOPC sufficiency (lower
is better) then told the others apart: occlusion 0.21, SHAP 0.21, LIME 0.33, random words 0.79.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ParameterError
from ..records import Attribution, Faithfulness
from ..words import mask_words, occurrences, split_words, whole_text, word_spans
from .faithfulness import FRACTIONS, perturbation_faithfulness


def answer_words(record: Attribution, context: str) -> frozenset[int]:
    """Indices in ``record``'s words (the question's, then the context's) of the context's words that overlap an
    occurrence of its answer (``record.target``), ignoring case."""
    spans = occurrences(context, record.target)
    first = record.reading["question_words"]
    return frozenset(first + k for k, (a, b) in enumerate(word_spans(context))
                     if any(a < end and start < b for start, end in spans))


def score_qa_faithfulness(
    model,
    attributions: Sequence[Attribution],
    questions: Sequence[str],
    contexts: Sequence[str],
    *,
    seed: int = 0,
    fractions: Sequence[float] = FRACTIONS,
    random_repeats: int | None = None,
    keep_answer: bool = True,
) -> Faithfulness:
    """Comprehensiveness, sufficiency and AOPC of explanations of answers (``explainers.explain_qa``), beside random
    words'; with ``keep_answer``, of the words besides the answer's own (the module's docstring says why)."""
    if not len(attributions) == len(questions) == len(contexts):
        raise ParameterError(f"{len(attributions)} attributions for {len(questions)} questions and {len(contexts)} contexts; give one of each per attribution")
    questions, contexts = [whole_text(q) for q in questions], [whole_text(c) for c in contexts]
    for record, question, context in zip(attributions, questions, contexts):
        if split_words(question) + split_words(context) != record.words or record.reading.get("question_words") != len(split_words(question)):
            raise ParameterError(f"attribution {record.id!r} does not explain the question and context given for it; pass them in the attributions' order")
    decoding = {key: attributions[0].params[key] for key in ("max_answer_len", "doc_stride", "max_seq_len")} if attributions else {}

    def evaluate(requests: Sequence[tuple[int, tuple[bool, ...] | None]]) -> list[float]:
        pairs = []
        for i, keep in requests:
            split = attributions[i].reading["question_words"]
            pairs.append((questions[i], contexts[i]) if keep is None else (mask_words(questions[i], keep[:split]), mask_words(contexts[i], keep[split:])))
        answers = [attributions[i].target for i, _ in requests]
        return [float(p) for p in model.answer_probability([q for q, _ in pairs], [c for _, c in pairs], answers, progress=False, **decoding)]

    seed_texts = [f"{q}\n{c}" for q, c in zip(questions, contexts)]
    kept = [answer_words(record, context) for record, context in zip(attributions, contexts)] if keep_answer else None
    return perturbation_faithfulness(attributions, seed_texts, evaluate, seed=seed, fractions=fractions,
                                     random_repeats=random_repeats, kept=kept,
                                     kept_words="answer" if keep_answer else None)
