"""Vectors to points on a plane: the corpus map's layout.

UMAP (umap-learn; McInnes et al. 2018) keeps each item's neighbours near it, which is what a map of a corpus is for;
PCA (scikit-learn) is the linear, instant alternative. Vectors wider than ``REDUCED`` dimensions go through PCA (or,
sparse, truncated SVD) to ``REDUCED`` first, as scanpy and UMAP's own documentation advise: the neighbour search costs
less and loses little. Every step takes ``seed``; UMAP with a seed runs on one thread, so the same vectors and seed give
the same points. Checked: umap-learn has no sparse-input PCA, and scikit-learn's PCA takes no sparse matrix, so the
reduction is picked here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError

PROJECTIONS = ("umap", "pca")
REDUCED = 50  # dimensions kept before UMAP
NEIGHBOURS = 15  # UMAP's n_neighbors: its default, the balance of local against global structure


def reduce(vectors: Any, *, seed: int = 0, dimensions: int = REDUCED) -> np.ndarray:
    """``vectors`` (dense or a scipy sparse matrix) in at most ``dimensions`` dimensions, float32."""
    from scipy import sparse
    from sklearn.decomposition import PCA, TruncatedSVD

    rows, width = vectors.shape
    keep = min(dimensions, width, max(rows - 1, 1))
    if sparse.issparse(vectors):
        return TruncatedSVD(n_components=keep, random_state=seed).fit_transform(vectors).astype(np.float32)
    vectors = np.asarray(vectors, dtype=np.float32)
    return (
        vectors
        if width <= dimensions
        else PCA(n_components=keep, random_state=seed).fit_transform(vectors).astype(np.float32)
    )


def project(vectors: Any, *, method: str = "umap", seed: int = 0, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """Each row of ``vectors`` as a point ``(x, y)``, float32 ``(n, 2)``: UMAP on the reduced vectors, or PCA."""
    if method not in PROJECTIONS:
        raise ParameterError(f"unknown projection {method!r}; use one of: {', '.join(PROJECTIONS)}")
    rows = vectors.shape[0]
    if rows < 3:  # no neighbourhood to keep: the points on a line
        return np.column_stack([np.arange(rows, dtype=np.float32), np.zeros(rows, dtype=np.float32)])
    reduced = reduce(vectors, seed=seed, dimensions=REDUCED if method == "umap" else 2)
    if method == "pca":
        return np.pad(reduced, ((0, 0), (0, 2 - reduced.shape[1]))).astype(np.float32)
    import warnings

    import umap

    with warnings.catch_warnings():
        # "n_jobs value 1 overridden to 1 by setting random_state": one thread is the price of a seeded layout
        warnings.simplefilter("ignore", UserWarning)
        layout = umap.UMAP(n_components=2, n_neighbors=min(neighbours, rows - 1), random_state=seed)
        return layout.fit_transform(reduced).astype(np.float32)
