"""``bbc-qa``: extractive questions built from the BBC News articles, offline and checkable.

No question-answering data ships offline here, so the questions come from the articles' own
attributions of quotations. Where an article reports a quotation and names who said it in the
same sentence — ``"…," said Mr Smith``, ``"…," Mr Smith said`` or ``Mr Smith said: "…"`` — the
question is ``Who said "<the quotation's first words>…"?`` and the gold answer is the speaker's
name as the article writes it, with its character offset in the article, which is the context.

What this measures, honestly: finding the quoted passage in a long article (most are longer
than the demo model's window, so the passage must be found across windows) and reading the
name attributed to it, not free-form comprehension. The question repeats the article's words,
so lexical overlap locates the sentence; the answer is a name beside it, which the lexical
baseline (``demos.lexical_qa``) picks by position and the fine-tuned model must learn. Speakers
named only by a pronoun (``he said``) are skipped, and so are a few sentences whose "name" is a
place or an organisation (``said Moscow``): the answer is then that place, as the article says.
The split is ``bbc-news``'s split of the articles, so no article is in two splits.
"""

from __future__ import annotations

import re

from .bbc import bbc_articles, bbc_news_folder, bbc_split_rows, check_split
from ..records.qa_dataset import QADataset
from .squad import qa_dataset

QUESTION_WORDS = 10  # the quotation's first words that the question repeats
_NAME = r"((?:(?:Mr|Mrs|Ms|Dr|Sir|Lord|Lady|Prof)\.? )?[A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|[A-Z]'[A-Z][a-z]+|Mc[A-Z][a-z]+)){0,3})"
_QUOTE = r'"([^"]{20,400}?)[,.]?"'
# (pattern, group of the quotation, group of the name)
PATTERNS = (
    (re.compile(_QUOTE + r",?\s+said\s+" + _NAME + r"\b"), 1, 2),
    (re.compile(_QUOTE + r",?\s+" + _NAME + r"\s+said\b"), 1, 2),
    (re.compile(r"\b" + _NAME + r"\s+said:?\s+" + _QUOTE), 2, 1),
)
NOT_NAMES = {"He", "She", "It", "They", "We", "The", "This", "That", "There", "But", "And", "A", "An", "In", "On", "I", "You", "Its", "His", "Her"}


def quotation_questions(article_id: str, text: str) -> list[dict]:
    """The ``Who said "…"?`` questions of one article, in order of the quotation, each once."""
    found: dict[tuple[str, int], dict] = {}
    for pattern, quote_group, name_group in PATTERNS:
        for match in pattern.finditer(text):
            name, quote = match.group(name_group), match.group(quote_group)
            if name.split()[0] in NOT_NAMES:
                continue
            words = quote.split()
            shown = " ".join(words[:QUESTION_WORDS]) + ("…" if len(words) > QUESTION_WORDS else "")
            key = (quote, match.start(quote_group))
            found.setdefault(key, {"question": f'Who said "{shown}"?', "context": text,
                                   "answers": [{"text": name, "answer_start": match.start(name_group)}]})
    rows = [found[key] for key in sorted(found, key=lambda k: k[1])]
    return [{"id": f"{article_id}/q{i}", **row} for i, row in enumerate(rows)]


def load_bbc_qa(split: str | None) -> QADataset:
    """``bbc-qa:SPLIT``: the quotation questions of the articles in ``bbc-news``'s SPLIT (all articles without one)."""
    check_split("bbc-qa", split)
    corpus = bbc_articles()
    articles = sorted(bbc_split_rows(corpus)[split]) if split else range(len(corpus.ids))
    rows = [row for i in articles for row in quotation_questions(corpus.ids[i], corpus.texts[i])]
    return qa_dataset(f"bbc-qa:{split}" if split else "bbc-qa", rows, bbc_news_folder())
