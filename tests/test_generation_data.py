"""bbc-headlines: the BBC articles as a headline-generation set, split as bbc-news (the corpus files only, no model)."""

from __future__ import annotations

import pytest

from workbench.datasets import load_dataset
from workbench.datasets.bbc import bbc_articles
from workbench.datasets.bbc_headlines import headline_and_body
from workbench.errors import DataError


def test_bbc_headlines_is_bbc_news_split_with_the_first_line_as_reference():
    corpus = dict(zip(bbc_articles().ids, bbc_articles().texts))
    for split in ("train", "validation", "test"):
        headlines, news = load_dataset(f"bbc-headlines:{split}"), load_dataset(f"bbc-news:{split}")
        assert headlines.task == "generation" and sorted(headlines.ids) == sorted(news.ids) and len(headlines) == len(news)
        for article_id, source, (reference,) in zip(headlines.ids, headlines.texts, headlines.references):
            first, rest = corpus[article_id].split("\n", 1)
            assert reference == first.strip() and source == rest.strip() and not source.startswith(reference)
    assert load_dataset("bbc-headlines:test").references[0] == ("Court rejects $280bn tobacco case",)


def test_an_article_without_a_body_and_an_unknown_split_are_one_line_errors():
    with pytest.raises(DataError, match="no headline line followed by a body"):
        headline_and_body("tech/999", "Only a headline")
    with pytest.raises(DataError, match="unknown split 'dev' of bbc-headlines"):
        load_dataset("bbc-headlines:dev")
