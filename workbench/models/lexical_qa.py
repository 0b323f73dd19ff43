"""A lexical question-answering baseline: no network, the same ``answer`` interface as a model.

The sliding-window baseline of the SQuAD paper (Rajpurkar et al. 2016, after Richardson et al.
2013), kept simple: the context's sentence that shares the most words with the question (stop
words aside) is chosen; within it every run of capitalised words that is not in the question is
a candidate answer, scored by how many question words stand within ``WINDOW`` words of it; the
best candidate wins (ties to the later one, since an attribution follows its quotation). When
a sentence has no candidate, its first ``max_answer_len`` words are the answer. It reads the
whole context, so it has no windows and nothing lies outside them.

A folder holding ``workbench-model.json`` with ``"kind": "lexical-qa"`` loads as one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..io import write_json
from ..records import Answer

KIND = "lexical-qa"
MANIFEST = "workbench-model.json"  # the file that marks a workbench folder, with its kind
WINDOW = 5  # words either side of a candidate that count toward its score
STOP_WORDS = frozenset("a an the of to in on at for and or but is are was were be been it its this that these those by with as from who "
                       "what when where which why how did do does said says i we you he she they".split())
WORD = re.compile(r"[\w'’]+")
SENTENCE = re.compile(r"(?:[^.!?]|[.!?](?![\s\"”’]|$))+(?:[.!?]+[\"”’]?|$)")  # a full stop inside "4.75" ends nothing
CANDIDATE = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|de|van|von)\s+)?[A-Z][\w'’-]*)*")


def save_lexical_qa(folder: Path) -> None:
    """Write the manifest that makes ``folder`` a lexical question-answering model (it has no weights)."""
    write_json(folder / MANIFEST, {"kind": KIND, "window": WINDOW})


def content_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` that are not stop words."""
    return {w.lower() for w in WORD.findall(text)} - STOP_WORDS


class LexicalAnswerer:
    """The lexical baseline behind the question-answering interface (``task == "question-answering"``)."""

    task = "question-answering"
    backend = "python"  # a rule in plain Python

    def __init__(self, ref: str, folder: Path) -> None:
        self.ref = ref
        self.folder = folder

    def answer(self, questions: Sequence[str], contexts: Sequence[str], *, top_k: int = 1, max_answer_len: int = 30, doc_stride: int | None = None,
               max_seq_len: int | None = None, handle_impossible: bool = False, progress: bool | None = None) -> list[tuple[Answer, ...]]:
        """The ``top_k`` best spans of each context for its question, best first (the window options do not apply)."""
        if len(questions) != len(contexts):
            raise ParameterError(f"{len(questions)} questions for {len(contexts)} contexts; give one context per question")
        return [self._answer(q, c, top_k, max_answer_len) for q, c in zip(questions, contexts)]

    def answer_probability(self, questions: Sequence[str], contexts: Sequence[str], texts: Sequence[str], *, max_answer_len: int = 30,
                           doc_stride: int | None = None, max_seq_len: int | None = None, progress: bool | None = None) -> np.ndarray:
        """1 where the baseline's answer to the question is ``texts[i]`` (ignoring case), else 0: a rule has no probabilities.

        What the explanations of the baseline explain: the words whose deletion changes its answer.
        """
        if not len(questions) == len(contexts) == len(texts):
            raise ParameterError(f"{len(questions)} questions, {len(contexts)} contexts and {len(texts)} answers; give one of each per question")
        answers = self.answer(questions, contexts, max_answer_len=max_answer_len)
        return np.array([float(best.text.lower() == text.lower()) for (best, *_), text in zip(answers, texts)])

    def _answer(self, question: str, context: str, top_k: int, max_answer_len: int) -> tuple[Answer, ...]:
        asked = content_words(question)
        sentences = list(SENTENCE.finditer(context)) or [re.match(r"[\s\S]*", context)]
        best = max(sentences, key=lambda m: (len(content_words(m.group()) & asked), -m.start()))
        words = list(WORD.finditer(context))
        candidates = []
        for match in CANDIDATE.finditer(best.group()):
            start, end = best.start() + match.start(), best.start() + match.end()
            if not content_words(match.group()) or content_words(match.group()) & asked or len(WORD.findall(match.group())) > max_answer_len:
                continue  # a capitalised stop word ("The", "We"), a span the question already holds, or one too long
            position = next(i for i, w in enumerate(words) if w.end() > start)
            nearby = " ".join(w.group() for w in words[max(0, position - WINDOW): position + len(WORD.findall(match.group())) + WINDOW])
            candidates.append(Answer(text=context[start:end], start=start, end=end, score=len(content_words(nearby) & asked) / max(1, len(asked))))
        if not candidates:
            first = [w for w in words if best.start() <= w.start() < best.end()][:max_answer_len]
            start, end = (first[0].start(), first[-1].end()) if first else (0, 0)
            return (Answer(text=context[start:end], start=start, end=end, score=0.0),)
        ranked = sorted(enumerate(candidates), key=lambda pair: (pair[1].score, pair[0]), reverse=True)
        return tuple(answer for _, answer in ranked[:top_k])

    def decoding_lengths(self, max_seq_len: int | None, doc_stride: int | None) -> tuple[int, int]:
        """No windows: 0 and 0 (the baseline reads the whole context)."""
        return 0, 0

    def context_windows(self, question: str, context: str, *, max_seq_len: int | None = None, doc_stride: int | None = None) -> list[tuple[int, int]]:
        """One window, the whole context."""
        return [(0, len(context))]

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the folder's files (its manifest) and the algorithm's settings."""
        from ..io import folder_fingerprint

        return folder_fingerprint(self.folder, {"kind": KIND, "window": WINDOW})

    num_parameters = 0

    def __repr__(self) -> str:
        return f"LexicalAnswerer({self.ref!r})"
