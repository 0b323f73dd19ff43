"""Extractive question-answering data: SQuAD's nested JSON, and flat JSON-lines, CSV or Parquet files.

A ``.json`` file is read as SQuAD v1.1/v2.0 (``data`` → articles → ``paragraphs`` →
``context`` and ``qas`` with ``id``, ``question``, ``answers`` and, in v2.0, ``is_impossible``).
A flat file has one row per question with ``id``, ``question``, ``context`` and ``answers``, a
list of ``{"text", "answer_start"}`` (a JSON string in a CSV cell). Every row is checked before
anything runs, and a bad one is a one-line DataError naming the row and the fix: a missing
field, an empty question or context, an answer whose text is not at its ``answer_start`` in the
context, a repeated id.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..records.qa_dataset import GoldAnswer, QADataset

QA_COLUMNS = ("id", "question", "context", "answers")


def is_squad_file(path: Path) -> bool:
    """Whether ``path`` names SQuAD's nested JSON (by its ``.json`` ending)."""
    return path.suffix.lower() == ".json"


def load_squad_json(path: Path) -> QADataset:
    """A SQuAD v1.1/v2.0 file in the official nested format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise DataError(f"data file not found: {path}; check the path (a SQuAD .json file)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON ({type(exc).__name__}); give a SQuAD file or a .jsonl of questions") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        raise DataError(f"{path} has no top-level 'data' list, so it is not SQuAD's format; give a SQuAD v1.1/v2.0 file")
    rows = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(_field(article, "paragraphs", f"{path}: article {a}")):
            context = _field(paragraph, "context", f"{path}: article {a} paragraph {p}")
            for qa in _field(paragraph, "qas", f"{path}: article {a} paragraph {p}"):
                where = f"{path}: question {qa.get('id', '?')!r}" if isinstance(qa, Mapping) else f"{path}: article {a} paragraph {p}"
                impossible = bool(qa.get("is_impossible", False)) if isinstance(qa, Mapping) else False
                answers = [] if impossible else _field(qa, "answers", where)
                rows.append({"id": _field(qa, "id", where), "question": _field(qa, "question", where), "context": context, "answers": answers})
    return qa_dataset(str(path), rows, path)


def _field(record: Any, name: str, where: str) -> Any:
    if not isinstance(record, Mapping) or name not in record:
        raise DataError(f"{where} has no {name!r}; every SQuAD record needs it")
    return record[name]


def qa_dataset(name: str, rows: Iterable[Mapping[str, Any]], path: Path) -> QADataset:
    """The checked QADataset of ``rows`` (dicts with ``id``, ``question``, ``context``, ``answers``)."""
    ids, questions, contexts, answers = [], [], [], []
    for i, row in enumerate(rows):
        qid = str(row["id"])
        question, context = row["question"], row["context"]
        for what, value in (("question", question), ("context", context)):
            if not isinstance(value, str) or not value.strip():
                raise DataError(f"{path}: question {qid!r} (row {i}) has an empty {what}; fill or drop the row")
        gold = []
        for answer in _answers(row["answers"], qid, path):
            text, start = answer.get("text"), answer.get("answer_start")
            if not isinstance(text, str) or not isinstance(start, numbers.Integral) or isinstance(start, bool):
                raise DataError(f"{path}: question {qid!r} has an answer without a text and an integer answer_start; give both")
            if context[int(start):int(start) + len(text)] != text:
                raise DataError(f"{path}: question {qid!r}: the answer {text[:40]!r} is not at character {start} of its context; fix its answer_start")
            gold.append(GoldAnswer(text=text, answer_start=int(start)))
        ids.append(qid)
        questions.append(question)
        contexts.append(context)
        answers.append(tuple(gold))
    if not ids:
        raise DataError(f"{path} holds no questions; add at least one")
    if len(set(ids)) != len(ids):
        duplicate = next(q for q in ids if ids.count(q) > 1)
        raise DataError(f"{path}: question id {duplicate!r} occurs more than once; ids must be unique")
    return QADataset(name=name, ids=tuple(ids), questions=tuple(questions), contexts=tuple(contexts), answers=tuple(answers))


def _answers(value: Any, qid: str, path: Path) -> list[Mapping[str, Any]]:
    """A row's answers as a list of dicts (a CSV cell holds them as JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DataError(f"{path}: question {qid!r}: answers is not a JSON list of {{\"text\", \"answer_start\"}}; write it as one") from None
    if hasattr(value, "tolist"):  # a Parquet list column arrives as a numpy array
        value = value.tolist()
    if not isinstance(value, list) or not all(isinstance(a, Mapping) for a in value):
        raise DataError(f"{path}: question {qid!r}: answers must be a list of {{\"text\", \"answer_start\"}}; got {type(value).__name__}")
    return value


def qa_rows(frame, path: Path) -> QADataset:
    """A flat table (from ``data._read_table``) with the QA columns as a QADataset."""
    columns = [str(c) for c in frame.columns]
    missing = [c for c in QA_COLUMNS if c not in columns]
    if missing:
        raise DataError(f"{path}: no {missing[0]!r} column (columns: {', '.join(columns)}); a question-answering file needs {', '.join(QA_COLUMNS)}")
    return qa_dataset(str(path), frame[list(QA_COLUMNS)].to_dict("records"), path)
