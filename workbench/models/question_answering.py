"""An extractive question-answering folder (``*ForQuestionAnswering``) behind one method, ``answer``.

Decoding follows the transformers question-answering pipeline (transformers 4.x
``QuestionAnsweringPipeline``; transformers 5 removed it and kept its span decoder,
``select_starts_ends``, for document QA, which is what runs here), so answers equal the
pipeline's, text and character offsets, on every input:

* the question and the context are tokenized together, the context cut into windows of
  ``max_seq_len`` tokens that overlap by ``doc_stride`` (``truncation="only_second"``,
  overflowing tokens), with character offsets;
* in each window, start and end logits outside the context (question, special tokens,
  padding) are masked, each is softmaxed over the window, and the best spans with
  start <= end < start + ``max_answer_len`` are taken (``select_starts_ends``); the [CLS]
  position gives the null answer's score when ``handle_impossible`` is set;
* a span's tokens are widened to whole words and mapped back to characters of the context;
  spans of the same text (ignoring case) found in several windows add their scores, and the
  best ``top_k`` are kept.

Checked: the quick-start code that takes ``argmax`` of the start logits and adds a token id to
find the end never reads the end logits, can answer inside the question or past the input, and
silently cuts long contexts; ``tests/test_question_answering.py`` shows each. Unlike the
pipeline, which runs one window at a time by default, the windows of many questions run
batched through the token-budget engine (``engine.run_rows``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import ModelError, ParameterError
from ..records import Answer
from .engine import PROGRESS_MIN_TEXTS, run_rows
from .options import LoadOptions
from .transformer import TransformerModel

PIPELINE_MAX_SEQ_LEN = 384  # the pipeline's window when the model allows it
PIPELINE_DOC_STRIDE = 128


class QuestionAnswerer(TransformerModel):
    """A transformers extractive question-answering model (``task == "question-answering"``)."""

    task = "question-answering"
    auto_class = "AutoModelForQuestionAnswering"

    def __init__(self, ref: str, folder: Path, options: LoadOptions | None = None) -> None:
        super().__init__(ref, folder, options)
        if not self.tokenizer.is_fast:
            raise ModelError(f"{folder} has no fast tokenizer (tokenizer.json), which answers need for character offsets; save the model with its fast tokenizer")

    def answer(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        *,
        top_k: int = 1,
        max_answer_len: int = 30,
        doc_stride: int | None = None,
        max_seq_len: int | None = None,
        handle_impossible: bool = False,
        progress: bool | None = None,
    ) -> list[tuple[Answer, ...]]:
        """The ``top_k`` best answers to each question in its context, best first.

        ``max_seq_len`` tokens per window (default: the model's limit, at most 384) and
        ``doc_stride`` tokens of overlap between windows (default: 128, or half a window if
        that is less), as the pipeline; ``handle_impossible`` lets the null answer compete
        (SQuAD 2.0 data).
        """
        if len(questions) != len(contexts):
            raise ParameterError(f"{len(questions)} questions for {len(contexts)} contexts; give one context per question")
        for name, value in (("top_k", top_k), ("max_answer_len", max_answer_len)):
            if value < 1:
                raise ParameterError(f"{name} must be at least 1, got {value}")
        max_seq_len, doc_stride = self.decoding_lengths(max_seq_len, doc_stride)
        question_first = self.tokenizer.padding_side == "right"  # as the pipeline: the context goes where the padding does not
        disable = (len(questions) < PROGRESS_MIN_TEXTS or None) if progress is None else not progress
        answers: list[tuple[Answer, ...]] = []
        budget = self.options.token_budget
        pairs = iter(zip(questions, contexts))
        with tqdm(total=len(questions), desc="answer", unit="question", disable=disable) as bar:
            while chunk := list(itertools.islice(pairs, self.options.chunk_size)):
                pair = ([q for q, _ in chunk], [c for _, c in chunk])
                encoded = self.tokenizer(
                    *(pair if question_first else pair[::-1]), truncation="only_second" if question_first else "only_first", max_length=max_seq_len,
                    stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True, return_token_type_ids=True,
                )
                keys = [k for k in ("input_ids", "token_type_ids") if k in encoded]
                rows = [{k: encoded[k][i] for k in keys} for i in range(len(encoded["input_ids"]))]
                logits, budget = run_rows(self.runner, rows, pad_id=self.tokenizer.pad_token_id or 0, device=self.device, autocast=self.autocast,
                                          budget=budget, max_batch_size=self.options.max_batch_size, outputs=span_logits)
                owners = list(encoded["overflow_to_sample_mapping"])
                for i, (_, context) in enumerate(chunk):
                    windows = [w for w, owner in enumerate(owners) if owner == i]
                    answers.append(self._decode(encoded, windows, logits, context, question_first, top_k, max_answer_len, handle_impossible))
                bar.update(len(chunk))
        return answers

    def context_windows(self, question: str, context: str, *, max_seq_len: int | None = None, doc_stride: int | None = None) -> list[tuple[int, int]]:
        """The character spans of ``context`` that each window holds (the model reads only these)."""
        max_seq_len, doc_stride = self.decoding_lengths(max_seq_len, doc_stride)
        question_first = self.tokenizer.padding_side == "right"
        pair = (question, context) if question_first else (context, question)
        encoded = self.tokenizer(*pair, truncation="only_second" if question_first else "only_first", max_length=max_seq_len, stride=doc_stride,
                                 return_overflowing_tokens=True, return_offsets_mapping=True)
        side = 1 if question_first else 0
        spans = []
        for w in range(len(encoded["input_ids"])):
            offsets = [o for o, sequence in zip(encoded["offset_mapping"][w], encoded.sequence_ids(w)) if sequence == side]
            spans.append((offsets[0][0], offsets[-1][1]) if offsets else (0, 0))
        return spans

    def decoding_lengths(self, max_seq_len: int | None, doc_stride: int | None) -> tuple[int, int]:
        """The window and overlap in tokens, the pipeline's defaults filled in and checked."""
        max_seq_len = min(self.max_length, PIPELINE_MAX_SEQ_LEN) if max_seq_len is None else max_seq_len
        doc_stride = min(max_seq_len // 2, PIPELINE_DOC_STRIDE) if doc_stride is None else doc_stride
        if not 0 < max_seq_len <= self.max_length:
            raise ParameterError(f"max_seq_len {max_seq_len} must be between 1 and the model's limit of {self.max_length} tokens")
        if not 0 <= doc_stride < max_seq_len:
            raise ParameterError(f"doc_stride {doc_stride} must be 0 or more and less than max_seq_len {max_seq_len}")
        return max_seq_len, doc_stride

    def _decode(self, encoded, windows: Sequence[int], logits: Sequence[np.ndarray], context: str, question_first: bool, top_k: int,
                max_answer_len: int, handle_impossible: bool) -> tuple[Answer, ...]:
        """The pipeline's postprocessing of one question's windows (see the module docstring)."""
        from transformers.pipelines.document_question_answering import select_starts_ends

        cls_id = self.tokenizer.cls_token_id
        min_null_score = 1000000.0  # the pipeline's starting value: large and positive
        found: dict[str, list] = {}  # lower-cased text -> [text, start, end, score]
        for w in windows:
            start, end = logits[w]
            ids = encoded["input_ids"][w]
            p_mask = [sequence != 1 if question_first else False for sequence in encoded.sequence_ids(w)]
            for position, token in enumerate(ids):
                if token == cls_id:
                    p_mask[position] = False  # the [CLS] position stays usable: it scores the null answer
            starts, ends, scores, min_null_score = select_starts_ends(
                start[None], end[None], np.array(p_mask, dtype=int), np.ones((1, len(ids)), dtype=int), min_null_score,
                top_k * 2 + 10, handle_impossible, max_answer_len,
            )
            encoding = encoded.encodings[w]
            for s, e, score in zip(starts, ends, scores):
                first, last = word_span(encoding, int(s), int(e), 1 if question_first else 0)
                text = context[first:last]
                if text.lower() in found:
                    found[text.lower()][3] += score.item()
                else:
                    found[text.lower()] = [text, first, last, score.item()]
        candidates = [Answer(text=t, start=a, end=b, score=score) for t, a, b, score in found.values()]
        if handle_impossible:
            candidates.append(Answer(text="", start=0, end=0, score=min_null_score))
        return tuple(sorted(candidates, key=lambda answer: answer.score, reverse=True)[:top_k])

    def __repr__(self) -> str:
        return f"QuestionAnswerer({self.ref!r}, device={self.device.type}, precision={self.precision}, max_length={self.max_length})"


def span_logits(output, lengths: Sequence[int]) -> list[np.ndarray]:
    """Start and end logits of a batch's rows as float32 ``(2, length)`` arrays, padding cut off (bf16 widened, as the pipeline does)."""
    start, end = output.start_logits.float().cpu().numpy(), output.end_logits.float().cpu().numpy()
    return [np.stack([start[i, :n], end[i, :n]]) for i, n in enumerate(lengths)]


def word_span(encoding, first_token: int, last_token: int, sequence: int) -> tuple[int, int]:
    """Character offsets in the context of the whole words the tokens ``first_token..last_token`` fall in.

    The pipeline's ``align_to_words``: a span that starts or ends inside a word is widened to
    the word; tokenizers without words keep the tokens' own offsets.
    """
    try:
        first_word, last_word = encoding.token_to_word(first_token), encoding.token_to_word(last_token)
        return encoding.word_to_chars(first_word, sequence_index=sequence)[0], encoding.word_to_chars(last_word, sequence_index=sequence)[1]
    except Exception:  # noqa: BLE001 - the pipeline's own fallback, for tokenizers that do not handle words
        return encoding.offsets[first_token][0], encoding.offsets[last_token][1]
