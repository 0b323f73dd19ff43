"""The base every explanation method shares: targets, ``output``/``base``, caching, records.

Modelled on Captum's ``attr`` (one class per method over a shared base, one verb): a method
subclasses :class:`Explainer` and implements ``attribute(text, target)``, returning one score
per word of ``text`` (``words.split_words``). The base does the rest once for every method:
it resolves the targets (the predicted label by default), computes every text's ``output``
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

from ..cache import ExplanationCache, cache_key
from ..errors import ParameterError
from ..records import Attribution, Classifier
from ..words import mask_words, segment_offsets, split_words, whole_text


class Explainer:
    """Explain a classifier's probability of one label, word by word.

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
    stochastic: ClassVar[bool] = False
    default_num_samples: ClassVar[int | None] = None
    settings: ClassVar[dict[str, Any]] = {}  # fixed choices of the method, recorded in params

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
        """Everything besides the model and text that decides the result (recorded and cache-keyed)."""
        params: dict[str, Any] = {"num_samples": self.num_samples, "seed": self.seed if self.stochastic else None, **self.settings}
        if self.library:
            params["library"] = f"{self.library} {importlib.metadata.version(self.library)}"
        return params

    def attribute(self, text: str, target: int) -> np.ndarray:
        """One score per word of ``text`` toward label index ``target``."""
        raise NotImplementedError

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
        whole = [whole_text(t) for t in texts]
        full = self.proba(whole)
        empty = self.proba([mask_words(t, [False] * len(segment_offsets(t))) for t in whole])
        indices = self._target_indices(full, targets)
        records = []
        disable = (len(texts) < 2) if progress is None else not progress
        for i in tqdm(range(len(texts)), desc=f"explain {self.name}", unit="text", disable=disable):
            target = self.model.label_names[indices[i]]
            key = cache_key(self.model.fingerprint, whole[i], self.name, target, self.params) if cache else None
            record = cache.get(key) if cache else None
            if record is None:
                scores = self.attribute(whole[i], indices[i]) if split_words(whole[i]) else np.zeros(0)
                record = Attribution(
                    id=ids[i],
                    model=self.model.ref,
                    method=self.name,
                    target=target,
                    words=split_words(whole[i]),
                    scores=tuple(float(s) for s in scores),
                    output=float(full[i, indices[i]]),
                    base=float(empty[i, indices[i]]),
                    params=self.params,
                )
                if cache:
                    cache.put(key, record)
            records.append(replace(record, id=ids[i], model=self.model.ref))
        return records

    def _target_indices(self, full: np.ndarray, targets: Sequence[str] | None) -> list[int]:
        if targets is None:
            return [int(i) for i in full.argmax(axis=1)]
        if len(targets) != len(full):
            raise ParameterError(f"{len(targets)} targets for {len(full)} texts; give one target per text or none")
        unknown = sorted({t for t in targets if t not in self.model.label_names})
        if unknown:
            raise ParameterError(f"target labels {unknown} are not the model's; model labels: {list(self.model.label_names)}")
        return [self.model.label_names.index(t) for t in targets]
