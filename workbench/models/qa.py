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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..errors import ModelError, ParameterError
from ..records import Answer
from ..words import occurrences
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
        answers: list[tuple[Answer, ...]] = []
        for chunk, encoded, logits in self._windows(questions, contexts, max_seq_len, doc_stride, progress, "answer"):
            owners = list(encoded["overflow_to_sample_mapping"])
            for i, (_, context) in enumerate(chunk):
                windows = [w for w, owner in enumerate(owners) if owner == i]
                answers.append(self._decode(encoded, windows, logits, context, top_k, max_answer_len, handle_impossible))
        return answers

    def answer_probability(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        texts: Sequence[str],
        *,
        max_answer_len: int = 30,
        doc_stride: int | None = None,
        max_seq_len: int | None = None,
        progress: bool | None = None,
    ) -> np.ndarray:
        """The probability of each answer text in its context: what the explanations explain.

        In each window, the start x end softmax (normalised as the pipeline does,
        ``select_starts_ends``) summed over every token span that decodes to ``texts[i]``
        (ignoring case; :meth:`span_positions`): the window's probability that its answer is
        this text. The answer's probability is the highest over the windows (0 where the
        context no longer holds the text), so it stays a probability; the pipeline's score adds
        the windows up (and counts only the spans among its ``top_k * 2 + 10`` best per
        window), so on a context of one window the two agree up to those spans.
        """
        if not len(questions) == len(contexts) == len(texts):
            raise ParameterError(f"{len(questions)} questions, {len(contexts)} contexts and {len(texts)} answers; give one of each per question")
        max_seq_len, doc_stride = self.decoding_lengths(max_seq_len, doc_stride)
        probabilities = []
        spans = [occurrences(context, text) for context, text in zip(contexts, texts)]
        positions: dict[int, list[tuple[int, int]]] = {}

        def holds_answer(encoded, w: int, question: int) -> bool:  # only windows that hold the answer can add to its probability
            positions[w] = self.span_positions(encoded, w, spans[question], max_answer_len) if spans[question] else []
            return bool(positions[w])

        for chunk, encoded, logits in self._windows(questions, contexts, max_seq_len, doc_stride, progress, "answer probability", holds_answer):
            p = np.zeros(len(chunk))
            for w, owner in enumerate(encoded["overflow_to_sample_mapping"]):
                if positions[w]:
                    start, end = (normalised(x, self.answer_mask(encoded, w)) for x in logits[w])
                    p[owner] = max(p[owner], sum(start[a] * end[b] for a, b in positions[w]))
            probabilities.append(p)
        return np.concatenate(probabilities) if probabilities else np.zeros(0)

    def span_positions(self, encoded, w: int, spans: Sequence[tuple[int, int]], max_answer_len: int) -> list[tuple[int, int]]:
        """Every (start token, end token) of window ``w`` that the pipeline's word alignment maps to one of the character ``spans``.

        A start token is any token of the span's first word, an end token any of its last
        word's (``word_span`` widens a span to whole words, so all of them give the same text),
        with start <= end < start + ``max_answer_len`` as ``select_starts_ends`` allows.
        """
        side = self.context_side
        encoding = encoded.encodings[w]
        starts: dict[int, list[int]] = {}
        ends: dict[int, list[int]] = {}
        for token, sequence in enumerate(encoded.sequence_ids(w)):
            if sequence == side:
                first, last = word_span(encoding, token, token, side)
                starts.setdefault(first, []).append(token)
                ends.setdefault(last, []).append(token)
        return [(a, b) for first, last in spans for a in starts.get(first, ()) for b in ends.get(last, ()) if 0 <= b - a < max_answer_len]

    @property
    def context_side(self) -> int:
        """Which sequence of the pair is the context: 1 (question first) where the tokenizer pads on the right, as the pipeline."""
        return 1 if self.tokenizer.padding_side == "right" else 0

    def _windows(self, questions: Sequence[str], contexts: Sequence[str], max_seq_len: int, doc_stride: int, progress: bool | None, desc: str,
                 select: Callable[[Any, int, int], bool] | None = None):
        """Per chunk of questions: the chunk's pairs, their windows' encoding and each window's start and end logits (batched by token budget).

        ``select(encoded, window, question)`` (``question`` an index into ``questions``) picks
        the windows to run; the others get None for logits.
        """
        disable = (len(questions) < PROGRESS_MIN_TEXTS or None) if progress is None else not progress
        budget = self.options.token_budget
        pairs = iter(zip(questions, contexts))
        done = 0
        with tqdm(total=len(questions), desc=desc, unit="question", disable=disable) as bar:
            while chunk := list(itertools.islice(pairs, self.options.chunk_size)):
                encoded = self.encode_windows([q for q, _ in chunk], [c for _, c in chunk], max_seq_len, doc_stride)
                keys = [k for k in ("input_ids", "token_type_ids") if k in encoded]
                owners = encoded["overflow_to_sample_mapping"]
                self._check_windows_cover(encoded, [c for _, c in chunk])
                chosen = [w for w in range(len(owners)) if select is None or select(encoded, w, done + owners[w])]
                rows = [{k: encoded[k][w] for k in keys} for w in chosen]
                results, budget = run_rows(self.runner, rows, pad_id=self.tokenizer.pad_token_id or 0, device=self.device, autocast=self.autocast,
                                           budget=budget, max_batch_size=self.options.max_batch_size, outputs=span_logits)
                logits: list[np.ndarray | None] = [None] * len(owners)
                for w, result in zip(chosen, results):
                    logits[w] = result
                yield chunk, encoded, logits
                done += len(chunk)
                bar.update(len(chunk))

    def _check_windows_cover(self, encoded, contexts: Sequence[str]) -> None:
        """A one-line ModelError unless each context's windows reach its last token.

        Seen on a GPU machine: transformers 5.17 with tokenizers 0.23.2 cut a 12-window BBC
        article into 2 windows, and every answer beyond them was silently lost; 5.24 with
        0.23.3 cuts it whole. The check costs one tokenization of the contexts alone.
        """
        side = self.context_side
        reached = [0] * len(contexts)
        for w, owner in enumerate(encoded["overflow_to_sample_mapping"]):
            ends = [b for (_, b), sequence in zip(encoded["offset_mapping"][w], encoded.sequence_ids(w)) if sequence == side]
            reached[owner] = max(reached[owner], max(ends, default=0))
        alone = self.tokenizer(list(contexts), add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
        for i, offsets in enumerate(alone):
            if offsets and reached[i] < offsets[-1][1]:
                import tokenizers
                import transformers

                raise ModelError(f"the tokenizer's windows stop at character {reached[i]} of a context whose last token ends at {offsets[-1][1]} "
                                 f"(transformers {transformers.__version__}, tokenizers {tokenizers.__version__}); upgrade them: "
                                 "pip install -U transformers tokenizers")

    def answer_mask(self, encoded, w: int) -> list[bool]:
        """The pipeline's mask of window ``w``: True where an answer cannot be (the question, special tokens), the [CLS] position left open."""
        question_first = self.context_side == 1
        p_mask = [sequence != 1 if question_first else False for sequence in encoded.sequence_ids(w)]
        cls_id = self.tokenizer.cls_token_id
        for position, token in enumerate(encoded["input_ids"][w]):
            if token == cls_id:
                p_mask[position] = False  # the [CLS] position stays usable: it scores the null answer
        return p_mask

    def encode_windows(self, questions: Sequence[str], contexts: Sequence[str], max_seq_len: int, doc_stride: int, **extra: Any):
        """The questions and contexts tokenized as the pipeline does: each context cut into windows of ``max_seq_len`` tokens
        overlapping by ``doc_stride``, on the side the tokenizer does not pad, with offsets and token types (``extra``: more
        of the tokenizer's outputs)."""
        question_first = self.context_side == 1
        pair = (list(questions), list(contexts)) if question_first else (list(contexts), list(questions))
        return self.tokenizer(*pair, truncation="only_second" if question_first else "only_first", max_length=max_seq_len, stride=doc_stride,
                              return_overflowing_tokens=True, return_offsets_mapping=True, return_token_type_ids=True, **extra)

    def context_windows(self, question: str, context: str, *, max_seq_len: int | None = None, doc_stride: int | None = None) -> list[tuple[int, int]]:
        """The character spans of ``context`` that each window holds (the model reads only these)."""
        max_seq_len, doc_stride = self.decoding_lengths(max_seq_len, doc_stride)
        encoded = self.encode_windows([question], [context], max_seq_len, doc_stride)
        side = self.context_side
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

    def _decode(self, encoded, windows: Sequence[int], logits: Sequence[np.ndarray], context: str, top_k: int, max_answer_len: int,
                handle_impossible: bool) -> tuple[Answer, ...]:
        """The pipeline's postprocessing of one question's windows (see the module docstring)."""
        from transformers.pipelines.document_question_answering import select_starts_ends

        min_null_score = 1000000.0  # the pipeline's starting value: large and positive
        found: dict[str, list] = {}  # lower-cased text -> [text, start, end, score]
        for w in windows:
            start, end = logits[w]
            p_mask = self.answer_mask(encoded, w)
            starts, ends, scores, min_null_score = select_starts_ends(
                start[None], end[None], np.array(p_mask, dtype=int), np.ones((1, len(p_mask)), dtype=int), min_null_score,
                top_k * 2 + 10, handle_impossible, max_answer_len,
            )
            encoding = encoded.encodings[w]
            for s, e, score in zip(starts, ends, scores):
                first, last = word_span(encoding, int(s), int(e), self.context_side)
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


def normalised(logits: np.ndarray, p_mask: Sequence[bool]) -> np.ndarray:
    """A window's start (or end) probabilities as ``select_starts_ends`` computes them: masked positions at -10000, then softmax."""
    logits = np.where(np.asarray(p_mask), -10000.0, logits)
    p = np.exp(logits - logits.max())
    return p / p.sum()


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
