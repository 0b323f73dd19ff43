"""The base every explanation method shares: what the model read, targets, ``output``/``base``, caching, records.

Modelled on Captum's ``attr`` (one class per method over a shared base, one verb): a method
subclasses :class:`Explainer` and implements ``attribute(text, target)``, returning one score
per word of ``text`` (``words.split_words``). The base does the rest once for every method:

* it asks the model what it reads of each text (``model.reading``, see ``reading``) and has
  the method explain exactly that: the prefix within the token limit (the words after it get
  no score, and no perturbation can pull them into view), or each window, combined as the
  prediction combines windows (their mean);
* it resolves the targets (the predicted label by default), computes every text's ``output``
  and ``base`` in two batched calls, consults the cache, and builds the Attribution records.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from tqdm.auto import tqdm

from ..errors import ParameterError
from ..reading import Reading, combine_units
from ..records import Attribution, Classifier
from ..words import split_words
from .cache import ExplanationCache, cache_key


class Explainer:
    """Explain a classifier's probability of one label, word by word, over what the model read.

    Parameters
    ----------
    model : Classifier
        Any workbench model (``load_model``).
    seed : int
        Seed of every random choice the method makes (stochastic methods only).
    num_samples : int, optional
        Model evaluations the method may spend per text (LIME samples, SHAP ``max_evals``,
        integrated-gradients steps); None for the method's default.
    """

    name: ClassVar[str]
    library: ClassVar[str | None] = None  # the distribution whose version goes into params
    stochastic: ClassVar[bool] = False  # whether the seed changes the result
    default_num_samples: ClassVar[int | None] = None
    settings: ClassVar[dict[str, Any]] = {}  # fixed choices of the method, recorded in params
    backend: ClassVar[str | None] = None  # what runs the method's evaluations; None: the model's (``model.backend``)

    def __init__(self, model: Classifier, *, seed: int = 0, num_samples: int | None = None) -> None:
        if num_samples is not None and self.default_num_samples is None:
            num_samples = None  # the method spends a fixed number of evaluations
        if num_samples is not None and num_samples < 2:
            raise ParameterError(f"num_samples must be at least 2, got {num_samples}")
        self.model = model
        self.seed = seed
        self.num_samples = num_samples or self.default_num_samples

    @cached_property
    def params(self) -> dict[str, Any]:
        """Everything besides the model and text that decides the result (recorded and cache-keyed), with the backend
        that computed it (torch, ONNX Runtime, scikit-learn ...), whose kernels move the scores' last digits."""
        params: dict[str, Any] = {"num_samples": self.num_samples, "seed": self.seed if self.stochastic else None,
                                  **self.settings, "backend": self.backend or self.model.backend}
        if self.library:
            params["library"] = f"{self.library} {importlib.metadata.version(self.library)}"
        return params

    def attribute(self, text: str, target: int) -> np.ndarray:
        """One score per word of ``text`` toward label index ``target``."""
        raise NotImplementedError

    def attribute_checked(self, text: str, target: int) -> tuple[np.ndarray, dict[str, Any]]:
        """:meth:`attribute` and the method's own checks of the result (none by default)."""
        return self.attribute(text, target), {}

    def combine_checks(self, checks: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The checks of a text's units as one record's ``diagnostics`` (none by default)."""
        return {}

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """The model's probabilities, quietly: the classifier function every method calls.

        Each distinct text runs once. Perturbation methods ask for the same text many times
        on short inputs (lime's 500 samples of a 9-word text hold about 190 distinct
        strings), and a model's output for a text does not depend on its neighbours.
        """
        index: dict[str, int] = {}
        rows = [index.setdefault(text, len(index)) for text in texts]
        return self.model.predict_proba(list(index), progress=False)[rows]

    def explain(
        self,
        texts: Sequence[str],
        *,
        ids: Sequence[str] | None = None,
        targets: Sequence[str] | None = None,
        cache: ExplanationCache | None = None,
        progress: bool | None = None,
    ) -> list[Attribution]:
        """One Attribution per text; ``targets`` are label names (default: the predicted ones)."""
        ids = [str(i) for i in range(len(texts))] if ids is None else list(ids)
        readings = [self.model.reading(t) for t in texts]
        units = [[unit for unit, _ in reading.units()] for reading in readings]
        unit_proba = self.proba([unit for per_text in units for unit in per_text] + [""])
        empty, bounds = unit_proba[-1], np.cumsum([0, *map(len, units)])
        full = np.stack([combine_units(unit_proba[a:b]) if b > a else empty for a, b in zip(bounds[:-1], bounds[1:])]) if texts else unit_proba[:0]
        indices = self._target_indices(full, targets)
        records = []
        disable = (len(texts) < 2) if progress is None else not progress
        for i in tqdm(range(len(texts)), desc=f"explain {self.name}", unit="text", disable=disable):
            reading, target = readings[i], self.model.label_names[indices[i]]
            key = cache_key(self.model.fingerprint, reading.text, self.name, target, self.params) if cache else None
            record = cache.get(key) if cache else None
            if record is None:
                scores, diagnostics = self._attribute_reading(reading, indices[i])
                record = Attribution(
                    id=ids[i],
                    model=self.model.ref,
                    method=self.name,
                    target=target,
                    text=reading.text,
                    words=split_words(reading.text),
                    scores=tuple(float(s) for s in scores),
                    output=float(full[i, indices[i]]),
                    base=float(empty[indices[i]]),
                    params=self.params,
                    reading=reading.describe(),
                    diagnostics=diagnostics,
                )
                if cache:
                    cache.put(key, record)
            records.append(replace(record, id=ids[i], model=self.model.ref))
        return records

    def _attribute_reading(self, reading: Reading, target: int) -> tuple[np.ndarray, dict[str, Any]]:
        """Scores of the words the model read: each unit explained alone, combined like the prediction."""
        units = reading.units()  # every unit holds a word (``reading.tokenizer_reading``)
        scores = np.zeros(reading.visible)
        checks = []
        for unit, index in units:
            unit_scores, check = self.attribute_checked(unit, target)
            np.add.at(scores, index, np.asarray(unit_scores, dtype=np.float64) / len(units))
            checks.append(check)
        return scores, self.combine_checks(checks) if checks else {}

    def _target_indices(self, full: np.ndarray, targets: Sequence[str] | None) -> list[int]:
        if targets is None:
            return [int(i) for i in full.argmax(axis=1)]
        if len(targets) != len(full):
            raise ParameterError(f"{len(targets)} targets for {len(full)} texts; give one target per text or none")
        unknown = sorted({t for t in targets if t not in self.model.label_names})
        if unknown:
            raise ParameterError(f"target labels {unknown} are not the model's; model labels: {list(self.model.label_names)}")
        return [self.model.label_names.index(t) for t in targets]
