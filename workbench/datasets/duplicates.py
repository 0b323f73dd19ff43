"""Split duplicates: rows of an evaluation split whose example also occurs in the training split.

The BBC News corpus holds the same article more than once, so 33 of bbc-news:test's 445 articles, 42 of
bbc-headlines:test's and 4 of bbc-qa:validation's questions also occur in the training split. A model may have
learnt those by heart, so a list of "best documents" can be a list of training examples; the pages mark them.
Two examples are the same when their texts are, with whitespace collapsed and case folded (an exact duplicate,
not a near one). Checked: Hugging Face ``datasets`` has no cross-split check and scikit-learn none for text;
near-duplicate detection (MinHash, e.g. ``datasketch``) is a different question this leaves open.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from ..records.rows import Rows, parse_cuts
from ..words import whole_text
from .loading import BUILTINS, load_dataset

TRAIN = "train"


def training_split(name: str) -> str | None:
    """The training split beside built-in split ``name`` (a cut one too); None for a training split and for a file."""
    base = parse_cuts(name)[0]
    source, _, split = base.partition(":")
    return f"{source}:{TRAIN}" if source in BUILTINS and split and split != TRAIN else None


def find_duplicates(dataset: Rows, train: Rows) -> dict[str, str]:
    """The ids of ``dataset``'s rows whose example occurs in ``train``, each with the first such training row's id."""
    seen: dict[str, str] = {}
    for row_id, text in zip(train.ids, train.examples):
        seen.setdefault(whole_text(text).casefold(), row_id)
    return {
        row_id: seen[key]
        for row_id, text in zip(dataset.ids, dataset.examples)
        if (key := whole_text(text).casefold()) in seen
    }


@cache
def split_duplicates(name: str) -> Mapping[str, str]:
    """:func:`find_duplicates` of the dataset named ``name`` against its :func:`training_split` (empty without one)."""
    train = training_split(name)
    return find_duplicates(load_dataset(name), load_dataset(train)) if train else {}
