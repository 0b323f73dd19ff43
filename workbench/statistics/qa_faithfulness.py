"""Faithfulness of explanations of extractive answers: the classifiers' scores, with words deleted from a question and its context.

The same comprehensiveness, sufficiency, AOPC and random-word baseline as
``statistics.faithfulness`` (``perturbation_faithfulness``), ranked over all the words of a
record (the question's, then the context's) and deleted with ``words.mask_words`` from each
part; the probability is the model's ``answer_probability`` of the record's answer, 0 once a
deletion removes the answer's text. All deletions of a call run in one batched call.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ParameterError
from ..records import Attribution, Faithfulness
from ..words import mask_words, split_words, whole_text
from .faithfulness import FRACTIONS, perturbation_faithfulness


def score_qa_faithfulness(
    model,
    attributions: Sequence[Attribution],
    questions: Sequence[str],
    contexts: Sequence[str],
    *,
    seed: int = 0,
    fractions: Sequence[float] = FRACTIONS,
    random_repeats: int | None = None,
) -> Faithfulness:
    """Comprehensiveness, sufficiency and AOPC of explanations of answers (``explainers.explain_qa``), beside random words'."""
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
    return perturbation_faithfulness(attributions, seed_texts, evaluate, seed=seed, fractions=fractions, random_repeats=random_repeats)
