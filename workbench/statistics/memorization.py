"""Memorization: a generator's outputs that repeat training text word for word.

An output memorizes when it holds a run of words that a training text holds (a training source or reference) and its
own source does not: copying the article it summarises is the task, writing a headline it was trained on is not.
Two ways count, as ``records.Memorization`` reports them:

* ``ngram`` words in a row (default 8) of a training text, not among its own source's;
* the whole of a training reference of at least ``min_words`` words, not in its own source: a headline learnt whole
  is memorized though it is shorter than the n-gram.

Words are ``words.split_words``, case-folded, since an uncased model writes lower case. The same figure on held-out
sources, whose text no training example holds, is the baseline: outputs can share an n-gram with training text by
chance (a name and a title), and the gap between the two rates is what the model learnt by heart. Checked: Carlini et
al. (2021, 2023) measure extraction with exact suffix arrays over the training corpus (Google's
deduplicate-text-datasets, in Rust, for billions of tokens); for a fine-tuning set of thousands of texts a hash set of
its n-grams answers the same question in memory, so no library is needed. An n-gram is kept as Python's hash of its
words (64 bits: a false match among a million n-grams has odds of about 1 in 10^7); the span shown is the output's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DataError, ParameterError
from ..records.audit import MemorizedSpan, Memorization
from ..words import split_words
from .metrics import proportion_interval

NGRAM = 8  # words in a row that count as copied (lm-evaluation-harness's decontamination uses 13)
MIN_WORDS = 4  # the shortest training reference whose whole counts as memorized


def folded_words(text: str) -> tuple[str, ...]:
    """The case-folded words of ``text``: what two texts must share, word for word."""
    return tuple(word.casefold() for word in split_words(text))


def ngram_hashes(words: Sequence[str], ngram: int) -> list[int]:
    """The hash of every ``ngram`` words in a row of ``words``, in order (none for a shorter text)."""
    return [hash(tuple(words[i : i + ngram])) for i in range(len(words) - ngram + 1)]


class TrainingText:
    """The n-grams of a training split's texts, and its references whole, each with the first example holding it."""

    def __init__(self, ids: Sequence[str], texts: Sequence[Sequence[str]], references: Sequence[Sequence[str]], *,
                 ngram: int = NGRAM, min_words: int = MIN_WORDS) -> None:
        if ngram < 1 or min_words < 1:
            raise ParameterError(f"ngram {ngram} and min_words {min_words} must be at least 1; the defaults are "
                                 f"{NGRAM} and {MIN_WORDS}")
        if not len(ids) == len(texts) == len(references):
            raise DataError(f"{len(ids)} training ids for {len(texts)} sources and {len(references)} reference lists; "
                            "give one of each per example")
        self.ngram, self.min_words = ngram, min_words
        self.spans: dict[int, str] = {}
        self.references: dict[tuple[str, ...], str] = {}
        for example, source, refs in zip(ids, texts, references):
            for text in (source, *refs):
                for key in ngram_hashes(folded_words(text), ngram):
                    self.spans.setdefault(key, example)
            for ref in refs:
                words = folded_words(ref)
                if len(words) >= min_words:
                    self.references.setdefault(words, example)

    def memorized(self, example: str, output: str, source: str) -> MemorizedSpan | None:
        """The longest span of ``output`` that training text holds and ``source`` does not; None if none."""
        words, shown = folded_words(output), split_words(output)
        read = folded_words(source)
        if words in self.references and not contains(read, words):
            return MemorizedSpan(id=example, training_id=self.references[words], span=" ".join(shown),
                                 words=len(words), whole_reference=True)
        own = set(ngram_hashes(read, self.ngram))
        found = [key in self.spans and key not in own for key in ngram_hashes(words, self.ngram)]
        best: tuple[int, int] | None = None  # (start, end) of the longest run of found n-grams, in words
        start = None
        for i, hit in enumerate([*found, False]):
            if hit and start is None:
                start = i
            elif not hit and start is not None:
                if best is None or i - start > best[1] - best[0] - self.ngram + 1:
                    best = (start, i - 1 + self.ngram)
                start = None
        if best is None:
            return None
        key = ngram_hashes(words[best[0] : best[0] + self.ngram], self.ngram)[0]
        return MemorizedSpan(id=example, training_id=self.spans[key], span=" ".join(shown[best[0] : best[1]]),
                             words=best[1] - best[0], whole_reference=False)


def contains(words: Sequence[str], run: Sequence[str]) -> bool:
    """Whether ``run`` stands in ``words``, word for word and in order."""
    n = len(run)
    return any(tuple(words[i : i + n]) == tuple(run) for i in range(len(words) - n + 1))


def memorization(
    training: TrainingText,
    members: tuple[Sequence[str], Sequence[str], Sequence[str]],
    non_members: tuple[Sequence[str], Sequence[str], Sequence[str]],
) -> Memorization:
    """The memorization rates of the outputs of training sources (``members``) and of held-out ones (``non_members``),
    each given as ``(ids, outputs, sources)``."""
    found = []
    for ids, outputs, sources in (members, non_members):
        if not len(ids) == len(outputs) == len(sources):
            raise DataError(f"{len(ids)} ids, {len(outputs)} outputs and {len(sources)} sources; give one of each")
        found.append([span for example, output, source in zip(ids, outputs, sources)
                      if (span := training.memorized(example, output, source)) is not None])
    (member_spans, held_out_spans), sizes = found, (len(members[0]), len(non_members[0]))

    def rate(count: int, total: int) -> float:
        return count / total if total else 0.0

    return Memorization(
        ngram=training.ngram, min_words=training.min_words, members=sizes[0], non_members=sizes[1],
        memorization_rate=rate(len(member_spans), sizes[0]),
        memorization_rate_interval=proportion_interval(len(member_spans), sizes[0]),
        held_out_memorization_rate=rate(len(held_out_spans), sizes[1]),
        held_out_memorization_rate_interval=proportion_interval(len(held_out_spans), sizes[1]),
        whole_reference_rate=rate(sum(s.whole_reference for s in member_spans), sizes[0]),
        held_out_whole_reference_rate=rate(sum(s.whole_reference for s in held_out_spans), sizes[1]),
        member_spans=tuple(member_spans), held_out_spans=tuple(held_out_spans),
    )
