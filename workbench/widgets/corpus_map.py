"""The corpus map: every item of an Explorer as a point, laid out by the model's own embeddings; click one to open it.

Drawn by jupyter-scatter (``jscatter``: WebGL through regl-scatterplot, pan, zoom, lasso and tooltips in the
notebook, made for millions of points), which LIT's projector (its own server, trouble past 10k-100k points) and
Phoenix (projector removed in 2026) do not offer inside JupyterLab. Points are coloured by whether the model got the
item wrong, by its label (a question's first word, a source's length), by the model's confidence, by the text's
length, or by whether it also occurs in the training split. Choosing one point (a click) opens that item in the
Explorer below, with its prediction and the Explain button. Checked: jupyter-scatter 1.0.1 writes tooltip texts and
legend values with ``textContent``, so a text from the data is never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..personal_data import redacting, shown
from .base import Explorer

PREVIEW_CHARS = 300  # of each text, in the tooltip
ERROR_COLOURS = {"right": "#9db4c8", "wrong": "#d6392b"}
COLOURS = ("error", "label", "confidence", "length", "in train")


class CorpusMap:
    """A map of ``explorer``'s items: one point each, coloured by ``colour``; clicking a point opens it in the Explorer.

    Parameters
    ----------
    explorer : Explorer
        The Explorer of a model on a dataset (any task); the map embeds with its model.
    colour : str
        What the points are coloured by first: ``error``, ``label``, ``confidence``, ``length`` or ``in train``.
    projection : str
        ``umap`` (umap-learn; neighbours kept together) or ``pca`` (linear, instant).
    seed : int
        Seed of the projection: the same items, model and seed give the same map.

    Examples
    --------
    >>> explorer = Explorer(load_model("demo:tfidf-logreg"), load_dataset("bbc-sentences:test"))
    >>> CorpusMap(explorer)       # in a notebook: the map over the Explorer
    """

    def __init__(self, explorer: Explorer, *, colour: str = "error", projection: str = "umap", seed: int = 0) -> None:
        import ipywidgets as w
        from jscatter import Scatter

        from ..errors import ParameterError
        from ..studies.corpus_map import corpus_points

        self.explorer = explorer
        texts = explorer.embedded()
        self.points = corpus_points(explorer.model, texts, projection=projection, seed=seed, progress=False)
        with redacting(explorer.redact):  # the tooltips show the texts and the labels
            self.table = self.frame(texts)
        offered = [c for c in COLOURS if c in self.table]
        if colour not in offered:
            raise ParameterError(
                f"the map of {explorer.dataset.name} cannot be coloured by {colour!r}; use one of: {', '.join(offered)}"
            )
        self.scatter = Scatter(
            data=self.table,
            x="x",
            y="y",
            height=520,
            axes=False,
            legend=True,
            tooltip=True,
            tooltip_properties=["color"],
            tooltip_preview="text",
            tooltip_preview_text_lines=6,
        )
        self.colour = w.Dropdown(description="Colour by", options=offered, value=colour)
        self.colour.observe(lambda change: self.paint(change.new), names="value")
        self.paint(colour)
        self.status = w.Label(
            f"{len(self.table):,} {explorer.item}s · {projection.upper()} of {explorer.model.ref}'s embeddings · "
            "click a point to open it below"
        )
        self.scatter.widget.observe(self._choose, names="selection")
        self.widget = w.VBox([w.HBox([self.colour, self.status]), self.scatter.show(), explorer.widget])

    def frame(self, texts: Sequence[str]) -> Any:
        """One row per item: x, y, id, the tooltip's text (``texts``: what was embedded) and every colour the task
        offers."""
        import pandas as pd

        e, n = self.explorer, len(self.explorer.dataset)
        table: dict[str, Any] = {
            "x": self.points[:, 0],
            "y": self.points[:, 1],
            "id": list(e.dataset.ids),
            "text": [shown(t)[:PREVIEW_CHARS] for t in texts],
        }
        wrong = [e.wrong(i) for i in range(n)]
        if all(w is not None for w in wrong):
            table["error"] = pd.Categorical(["wrong" if w else "right" for w in wrong], categories=list(ERROR_COLOURS))
        labels = [shown(e.label(i)) for i in range(n)]
        table["label"] = pd.Categorical(labels, categories=sorted(set(labels)))
        confidence = [e.confidence_of(i) for i in range(n)]
        if all(c is not None for c in confidence):
            table["confidence"] = np.asarray(confidence, dtype=np.float32)
        table["length"] = np.asarray([len(t.split()) for t in texts], dtype=np.float32)
        if any(doc in e.duplicates for doc in e.dataset.ids):
            table["in train"] = pd.Categorical(
                ["yes" if doc in e.duplicates else "no" for doc in e.dataset.ids], categories=["no", "yes"]
            )
        return pd.DataFrame(table)

    def paint(self, colour: str) -> None:
        """Colour the points by ``colour`` (a column of :meth:`frame`)."""
        palette = {"error": ERROR_COLOURS, "in train": {"no": "#c8c8c8", "yes": "#d6392b"}}.get(colour, "auto")
        self.scatter.color(by=colour, map=palette)

    def _choose(self, change: Any) -> None:
        chosen = change.new
        if chosen is not None and len(chosen) == 1:  # one point clicked (a lasso of many leaves the Explorer as it is)
            self.explorer.open(int(chosen[0]))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
