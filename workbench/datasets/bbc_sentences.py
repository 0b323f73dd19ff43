"""``bbc-sentences``: every sentence of the BBC News articles, labelled with its article's topic.

43,978 short texts from 2,225 articles: a real corpus of the size a corpus map must stay responsive at, and a
harder classification task than whole articles (one sentence carries little of its topic). Each line of an article
(the headline, then each paragraph) is split after ".", "!" or "?" (a closing quote allowed) where a capital, a
digit, a currency sign, a bracket or an opening quote follows; a sentence's id is its article's and its number
(``business/001/0`` is the headline). Checked: nltk's Punkt splitter needs a model download, and spaCy's sentencizer a
pipeline; this rule splits the BBC's edited prose as they would for this purpose. The split is ``bbc-news``'s, so a
sentence is in its article's split.
"""

from __future__ import annotations

import re

from ..records.dataset import Dataset
from .bbc import bbc_articles, bbc_split_rows, check_split

SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’']))\s+(?=[A-Z\"'“‘(0-9£$])")


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, line by line, in order (blank lines skipped)."""
    return [s for line in text.splitlines() if line.strip() for s in SENTENCE_END.split(line.strip())]


def load_bbc_sentences(split: str | None) -> Dataset:
    """``bbc-sentences:SPLIT``: the sentences of ``bbc-news``'s SPLIT (all without one), each with its article's
    topic."""
    check_split("bbc-sentences", split)
    corpus = bbc_articles()
    rows = sorted(bbc_split_rows(corpus)[split]) if split else range(len(corpus.ids))
    found = [
        (f"{corpus.ids[i]}/{k}", sentence, corpus.topics[i])
        for i in rows
        for k, sentence in enumerate(sentences(corpus.texts[i]))
    ]
    return Dataset(
        name=f"bbc-sentences:{split}" if split else "bbc-sentences",
        ids=tuple(row[0] for row in found),
        texts=tuple(row[1] for row in found),
        labels=tuple(row[2] for row in found),
        label_names=tuple(sorted(set(corpus.topics))),
    )
