"""Explanations of extractive answers: which words of the question and of the context drive the predicted span.

The same five methods and the same :class:`records.Attribution` as for classifiers. What is
explained is the probability of the model's best answer, the start x end softmax of its span
(``answer_probability``: the pipeline's normalisation, the highest over the windows that hold
the answer's text):

* **Perturbation methods** (lime, shap, occlusion) see a classifier-shaped view of one
  question, its context and its answer, :class:`AnswerTarget`, whose ``predict_proba`` of a
  perturbed text is ``[p(answer), 1 - p(answer)]``. The question's words are explained with
  the context whole, and the context's with the question whole (two calls of the method, so
  each part gets the method's full sample budget: a context of 400 words would otherwise
  crowd out a question of ten). Deleting a word of the answer removes the answer's text, and
  its probability is then 0: the answer's own words are part of the evidence.
* **Gradient methods** (integrated gradients, gradient x input) attribute the same
  probability on the word embeddings of the window where it is highest (the
  answer's probability is the maximum over the windows that hold it); the context's words
  outside that window score 0, as nothing there changes the probability at this input.

The record's ``words`` are the question's words then the context's, ``scores`` one per word,
``target`` the answer's text, ``output`` its probability, ``base`` 0 (with every word masked
there is no answer to find); ``reading`` says where the question ends, where the answer lies
(characters of the context, whitespace collapsed, and its word indices) and the decoding.
Checked: Captum's BERT SQuAD tutorial attributes the start and the end logits separately;
transformers-interpret's ``QuestionAnsweringExplainer`` does the same with integrated
gradients only; neither explains the span's probability nor perturbs words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..errors import ParameterError
from ..records import Answer, Attribution
from ..records.attribution import ANSWER_READING
from ..words import occurrences, split_words, whole_text, word_spans
from .cache import ExplanationCache, cache_key, default_cache
from .gradients import GradientExplainer, pool_words, row_inputs
from .methods import check_method

# Samples per part (question, context) where a method's own default does not fit an answer. Each sample re-reads every
# window that holds the answer, so LIME's 2000 took minutes a question. On the demo's three BBC questions (373, 200 and
# 365 words, seeds 0 and 1), LIME's top-5 overlap across seeds was 0.40 at 100 samples, 0.53 at 300 and 0.67 at 600:
# 600 is the cheapest of them that a study does not flag unstable (docs/question-answering.md). SHAP keeps its 500.
QA_NUM_SAMPLES = {"lime": 600}


class AnswerTarget:
    """One answer as a two-label classifier of one part's texts: ``[p(answer), 1 - p(answer)]``.

    ``part`` is ``"question"`` or ``"context"``: the texts given to ``predict_proba`` replace
    that part, the other stays whole. This is the function a perturbation method explains.
    """

    label_names = ("answer", "not the answer")

    def __init__(self, model, question: str, context: str, answer: str, part: str, decoding: dict[str, Any]) -> None:
        self.model, self.question, self.context, self.answer, self.part, self.decoding = model, question, context, answer, part, decoding
        self.ref, self.backend = model.ref, model.backend

    def predict_proba(self, texts: Sequence[str], progress: bool | None = False) -> np.ndarray:
        n = len(texts)
        questions = list(texts) if self.part == "question" else [self.question] * n
        contexts = list(texts) if self.part == "context" else [self.context] * n
        p = self.model.answer_probability(questions, contexts, [self.answer] * n, progress=progress, **self.decoding)
        return np.stack([p, 1.0 - p], axis=1)


def explain_qa(
    model,
    questions: Sequence[str],
    contexts: Sequence[str],
    *,
    method: str = "lime",
    seed: int = 0,
    num_samples: int | None = None,
    ids: Sequence[str] | None = None,
    max_answer_len: int = 30,
    doc_stride: int | None = None,
    max_seq_len: int | None = None,
    cache: ExplanationCache | bool = True,
    progress: bool | None = None,
) -> list[Attribution]:
    """Explain a question-answering model's best answer to each question with ``method``; one Attribution per question.

    ``num_samples`` defaults to the method's own budget, except LIME's: ``QA_NUM_SAMPLES``.
    The answer explained is the best one that is not the null answer, decoded with
    ``max_answer_len``, ``doc_stride`` and ``max_seq_len`` as ``model.answer`` does; the
    texts are explained with their whitespace collapsed, as every method sees them.

    Examples
    --------
    >>> [a] = explain_qa(load_model("demo:minilm-qa"), ['Who said "It works"?'], ['"It works," said Ann Lee.'], method="occlusion")
    >>> a.target, round(a.output, 3)
    ('Ann Lee', 0.689)
    """
    if len(questions) != len(contexts):
        raise ParameterError(f"{len(questions)} questions for {len(contexts)} contexts; give one context per question")
    ids = [str(i) for i in range(len(questions))] if ids is None else [str(i) for i in ids]
    cls = check_method(method)
    num_samples = QA_NUM_SAMPLES.get(cls.name) if num_samples is None else num_samples
    max_seq_len, doc_stride = model.decoding_lengths(max_seq_len, doc_stride)
    decoding = {"max_answer_len": max_answer_len, "doc_stride": doc_stride, "max_seq_len": max_seq_len}
    questions, contexts = [whole_text(q) for q in questions], [whole_text(c) for c in contexts]
    explainer = cls(model, seed=seed, num_samples=num_samples)  # checks the model can run the method (gradients need a network)
    params = {**explainer.params, **decoding}
    answers = [best[0] for best in model.answer(questions, contexts, **decoding, progress=progress)]
    outputs = model.answer_probability(questions, contexts, [a.text for a in answers], **decoding, progress=False)
    store = default_cache() if cache is True else (cache or None)
    records = []
    disable = (len(questions) < 2) if progress is None else not progress
    for i in tqdm(range(len(questions)), desc=f"explain {method}", unit="question", disable=disable):
        question, context, answer = questions[i], contexts[i], answers[i]
        both = f"{question}\n{context}"  # the record's text: the question's words, then the context's
        key = cache_key(model.fingerprint, both, method, answer.text, params) if store else None
        record = store.get(key) if store else None
        if record is None:
            if isinstance(explainer, GradientExplainer):
                q_scores, c_scores, diagnostics = qa_gradients(explainer, question, context, answer.text, decoding)
            else:
                q_scores, c_scores = (cls(AnswerTarget(model, question, context, answer.text, part, decoding), seed=seed, num_samples=num_samples)
                                      .attribute(text, 0) for part, text in (("question", question), ("context", context)))
                diagnostics = {}
            words = split_words(question) + split_words(context)
            record = Attribution(
                id=ids[i], model=model.ref, method=method, target=answer.text, text=both, words=words,
                scores=tuple(float(s) for s in np.concatenate([q_scores, c_scores])), output=float(outputs[i]), base=0.0, params=params,
                reading=qa_reading(question, context, answer, decoding), diagnostics=diagnostics,
            )
            if store:
                store.put(key, record)
        records.append(replace(record, id=ids[i], model=model.ref))
    return records


def qa_reading(question: str, context: str, answer: Answer, decoding: dict[str, Any]) -> dict[str, Any]:
    """The record's ``reading``: where the question's words end, the answer's characters and words in the context, the decoding."""
    question_words, context_words = len(word_spans(question)), word_spans(context)
    inside = [j for j, (a, b) in enumerate(context_words) if a < answer.end and b > answer.start]
    return {
        "mode": ANSWER_READING, "question_words": question_words, "visible": question_words + len(context_words), "words": question_words + len(context_words),
        "answer": {"text": answer.text, "start": answer.start, "end": answer.end,
                   "words": [question_words + inside[0], question_words + inside[-1] + 1] if inside else None},
        "max_tokens": decoding["max_seq_len"], "stride": decoding["doc_stride"], "max_answer_len": decoding["max_answer_len"],
    }


def qa_gradients(explainer: GradientExplainer, question: str, context: str, answer: str, decoding: dict[str, Any]
                 ) -> tuple[np.ndarray, np.ndarray, dict]:
    """A gradient method's scores of the question's and the context's words for the answer's probability, in the window where it is highest."""
    import torch

    model = explainer.model
    side = model.context_side
    encoded = model.encode_windows([question], [context], decoding["max_seq_len"], decoding["doc_stride"], return_special_tokens_mask=True)
    spans = occurrences(context, answer)
    windows = {w: positions for w in range(len(encoded["input_ids"])) if (positions := model.span_positions(encoded, w, spans, decoding["max_answer_len"]))}
    if not windows:  # no window decodes to the answer (an answer longer than max_answer_len tokens): nothing moves its probability
        return np.zeros(len(word_spans(question))), np.zeros(len(word_spans(context))), {}
    rows = []
    for w, positions in windows.items():
        masked = torch.tensor([model.answer_mask(encoded, w)], device=model.device)
        firsts, lasts = (torch.tensor(index, device=model.device) for index in zip(*positions))

        def span_probability(embeds, attention_mask, token_type_ids, masked=masked, firsts=firsts, lasts=lasts):
            output = model.model(inputs_embeds=embeds, **row_inputs(len(embeds), attention_mask, token_type_ids))
            start, end = (x.float().masked_fill(masked, -10000.0).softmax(-1) for x in (output.start_logits, output.end_logits))
            return (start[:, firsts] * end[:, lasts]).sum(-1)

        input_ids = torch.tensor([encoded["input_ids"][w]], device=model.device)
        token_types = torch.tensor([encoded["token_type_ids"][w]], device=model.device) if "token_type_ids" in encoded else None
        extra = (torch.ones_like(input_ids), token_types)
        with torch.no_grad():
            probability = float(span_probability(explainer.embeddings(input_ids), *extra)[0])
            rows.append((probability, w, span_probability, input_ids, extra))
    _, w, span_probability, input_ids, extra = max(rows, key=lambda row: (row[0], -row[1]))  # the first window where it is highest
    special = torch.tensor([encoded["special_tokens_mask"][w]], device=model.device).bool()
    token_scores, check = explainer.token_attributions(span_probability, input_ids, special, extra, input_ids.shape[1])
    sequences, offsets = encoded.sequence_ids(w), encoded["offset_mapping"][w]
    q_scores = pool_words(question, token_scores, offsets, [s == 1 - side for s in sequences])
    c_scores = pool_words(context, token_scores, offsets, [s == side for s in sequences])
    return q_scores, c_scores, explainer.combine_checks([check]) if check else {}
