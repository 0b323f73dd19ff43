"""scikit-learn text pipelines behind the Classifier protocol, persisted with skops (no pickle).

Any fitted pipeline with ``predict_proba`` over raw texts (the TF-IDF + logistic-regression
demo is one) is saved by :func:`save_sklearn`; a folder holding ``workbench-model.json`` with ``"kind": "sklearn-skops"`` and ``model.skops``
loads as a :class:`SklearnClassifier`. skops loads only the types it trusts by default
(scikit-learn estimators, numpy and scipy containers); any other type in the file is refused.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..io import atomic_open, write_json
from ..reading import Reading

MANIFEST = "workbench-model.json"
KIND = "sklearn-skops"
WEIGHTS = "model.skops"
CHUNK_SIZE = 2048


def workbench_kind(folder: Path) -> str | None:
    """The kind a workbench model folder's manifest names (``sklearn-skops``, ``lexical-qa``), or None for a transformers folder."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["kind"])
    except (ValueError, KeyError, TypeError):
        raise ModelError(f"{path} is not a workbench model manifest (JSON with a 'kind'); rebuild the model") from None


def save_sklearn(pipeline, folder: Path, *, extra: dict | None = None) -> None:
    """Write ``pipeline`` with skops and the manifest that marks the folder's kind."""
    import skops.io as sio

    folder.mkdir(parents=True, exist_ok=True)
    with atomic_open(folder / WEIGHTS, "wb") as handle:
        handle.write(sio.dumps(pipeline))
    write_json(folder / MANIFEST, {"kind": KIND, "label_names": [str(c) for c in pipeline.classes_], **(extra or {})})


class SklearnClassifier:
    """A scikit-learn pipeline with ``predict_proba`` behind the Classifier protocol."""

    task = "classification"
    backend = "scikit-learn"

    def __init__(self, ref: str, folder: Path) -> None:
        import skops.io as sio

        path = folder / WEIGHTS
        if not path.is_file():
            raise ModelError(f"{folder} has {MANIFEST} but no {WEIGHTS}; rebuild the model")
        untrusted = sio.get_untrusted_types(file=path)
        if untrusted:
            raise ModelError(f"{path} contains types skops does not trust ({', '.join(untrusted)}); the workbench loads only scikit-learn, numpy and scipy types")
        self.ref = ref
        self.folder = folder
        self.pipeline = sio.load(path)
        self.label_names = tuple(str(c) for c in self.pipeline.classes_)

    def predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """Class probabilities ``(n, k)`` in ``label_names`` order, float64."""
        if len(texts) == 0:
            return np.zeros((0, len(self.label_names)), dtype=np.float64)
        return np.asarray(self.pipeline.predict_proba(list(texts)), dtype=np.float64)

    def iter_predict_proba(self, texts: Iterable[str], *, progress: bool | None = None, total: int | None = None) -> Iterator[np.ndarray]:
        """Stream probabilities over any iterable of texts, ``CHUNK_SIZE`` texts at a time."""
        iterator = iter(texts)
        while chunk := list(itertools.islice(iterator, CHUNK_SIZE)):
            yield self.predict_proba(chunk)

    def embed(self, texts: Sequence[str], *, progress: bool | None = None) -> Any:
        """Each text as the features the pipeline's last step reads (TF-IDF: a sparse ``(n, vocabulary)`` matrix)."""
        return self.pipeline[:-1].transform(list(texts))

    def reading(self, text: str) -> Reading:
        """TF-IDF reads a text of any length whole."""
        return Reading.whole(text)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the folder's files (for caches and manifests)."""
        from ..io import folder_fingerprint

        return folder_fingerprint(self.folder)

    @property
    def num_parameters(self) -> int:
        """Number of learned coefficients and intercepts."""
        clf = self.pipeline[-1]
        return int(clf.coef_.size + clf.intercept_.size)

    def __repr__(self) -> str:
        return f"SklearnClassifier({self.ref!r}, labels={list(self.label_names)})"
