"""The corpus map's points: each item embedded by the model itself, then laid out on the plane.

A transformer embeds with its own last hidden states (``TransformerModel.embed``), a TF-IDF pipeline with its own
features (``SklearnClassifier.embed``); ``statistics.projection`` lays them out (UMAP, or PCA). A rule (the lead
sentence, the lexical answerer) has no embedding: a one-line error says to map with a model that has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ModelError
from ..statistics.projection import project


def corpus_points(
    model: Any, texts: Sequence[str], *, projection: str = "umap", seed: int = 0, progress: bool | None = None
) -> np.ndarray:
    """Each text as a point ``(x, y)`` (float32 ``(n, 2)``): the model's embedding of it, projected with ``seed``."""
    embed = getattr(model, "embed", None)
    if not callable(embed):
        raise ModelError(
            f"{model.ref} is a rule without embeddings, so it draws no corpus map; map with a neural or TF-IDF model"
        )
    return project(embed(list(texts), progress=progress), method=projection, seed=seed)
