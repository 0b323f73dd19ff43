"""The ipywidgets views: the Explorer of every task and the corpus map.

``Explorer(model, dataset)`` opens the view of the model's task (``base.Explorer`` picks it): a
classifier's documents (``classification``), a question-answering model's questions (``qa``) or a
generator's sources (``generation``). Every view predicts once, narrows the list by a search and a
"wrong only" filter, explains the chosen item on a background thread through the verbs
(``explain``, ``score_faithfulness``) and shows the result through ``render``, which escapes every
text. ``CorpusMap(explorer)`` draws the Explorer's items as points laid out by the model's own embeddings; clicking one
opens it in the Explorer. Tests drive them without a browser (set a widget's ``value``, ``click()``, ``wait()``) and
in JupyterLab through Chromium.
"""

from __future__ import annotations

from . import classification, generation, qa  # noqa: F401  (each view registers itself with its task)
from .base import Explorer
from .corpus_map import CorpusMap

__all__ = ["CorpusMap", "Explorer"]
