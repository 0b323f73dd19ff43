"""Explanations: one verb, five methods, one record.

``explain(model, texts, method=...)`` returns one :class:`records.Attribution` per text. The
methods (``METHODS``) are classes over :class:`base.Explainer`: ``lime``, ``shap``,
``integrated-gradients``, ``gradient-x-input`` and ``occlusion``. LIME, SHAP and occlusion
work on every model; the gradient methods need a transformer. ``contrast=`` explains a label against another
(``contrast``: log p(A) − log p(B)) with any of them. ``explain_qa(model,
questions, contexts, method=...)`` explains a question-answering model's answers with the
same methods and records (``answers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..models import as_model
from ..records import Attribution, Classifier, Dataset
from .qa import explain_qa
from .base import Explainer
from .cache import ExplanationCache, default_cache
from .contrast import RUNNER_UP, Contrast, one_each, runner_up
from .methods import METHODS, check_method, supported_methods

def explain(
    model: str | Classifier,
    texts: Sequence[str] | Dataset,
    *,
    method: str = "lime",
    target: str | Sequence[str] | None = None,
    contrast: str | Sequence[str] | None = None,
    seed: int = 0,
    num_samples: int | None = None,
    ids: Sequence[str] | None = None,
    cache: ExplanationCache | bool = True,
    progress: bool | None = None,
) -> list[Attribution]:
    """Explain ``model``'s prediction on each text with ``method``; one Attribution per text.

    Parameters
    ----------
    model : str or Classifier
        A model from ``load_model``, or a reference to load.
    texts : sequence of str or Dataset
        The texts (a Dataset also gives the ids).
    method : str
        One of ``METHODS``.
    target : str or sequence of str, optional
        The label explained: one name for every text, one per text, or None for the predicted one.
    contrast : str or sequence of str, optional
        The label the target is explained against (one for every text, or one per text): each word's score is then
        how much it moves log p(target) − log p(contrast), "why the target rather than the contrast"
        (``explainers.contrast``). ``"runner-up"`` contrasts each text's target with the most probable other label.
        A text whose target is its contrast is a one-line error.
    seed : int
        Seed of the stochastic methods (lime, shap); the same seed gives the same scores.
    num_samples : int, optional
        Model evaluations per text (LIME samples, SHAP max_evals, integrated-gradients steps).
    cache : ExplanationCache or bool
        Reuse explanations computed before (``$WORKBENCH_HOME/explanations`` when True).

    Examples
    --------
    >>> [a] = explain(load_model("demo:minilm-bbc"), ["Shares rose as profits beat forecasts"], method="shap")
    >>> a.target, a.words[:2]
    ('business', ('Shares', 'rose'))
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of texts or a Dataset, not one str; wrap a single text in a list")
    explainer = check_method(method)(as_model(model), seed=seed, num_samples=num_samples)
    if isinstance(texts, Dataset):
        ids, texts = ids or texts.ids, texts.texts
    targets = [target] * len(texts) if isinstance(target, str) else target
    store = default_cache() if cache is True else (cache or None)
    if contrast is None:
        return explainer.explain(list(texts), ids=ids, targets=targets, cache=store, progress=progress)
    return explain_contrasts(explainer, list(texts), contrast, ids=ids, targets=targets, cache=store, progress=progress)


def explain_contrasts(
    explainer: Explainer, texts: list[str], contrast: str | Sequence[str], *, ids: Sequence[str] | None,
    targets: Sequence[str] | None, cache: ExplanationCache | None, progress: bool | None,
) -> list[Attribution]:
    """Each text's target (default: its predicted label) explained against its contrast label (``RUNNER_UP``: the most
    probable label other than the target) with ``explainer``'s method and settings: the texts of each (target,
    contrast) pair run through one ``Contrast`` view."""
    model = explainer.model
    foils = one_each(contrast, len(texts), what="contrast labels", item="text")
    if targets is None or RUNNER_UP in foils:
        proba = model.predict_proba([model.reading(t).text for t in texts], progress=False)
        names = list(model.label_names)
        targets = [names[int(i)] for i in proba.argmax(axis=1)] if targets is None else list(targets)
        foils = [names[runner_up(row, names.index(target))] if foil == RUNNER_UP and target in names else foil
                 for row, target, foil in zip(proba, targets, foils)]
    ids = [str(i) for i in range(len(texts))] if ids is None else list(ids)
    records: list[Attribution | None] = [None] * len(texts)
    for pair in sorted(set(zip(targets, foils))):
        rows = [i for i, key in enumerate(zip(targets, foils)) if key == pair]
        method = type(explainer)(Contrast(model, *pair), seed=explainer.seed, num_samples=explainer.num_samples)
        explained = method.explain([texts[i] for i in rows], ids=[ids[i] for i in rows], cache=cache, progress=progress)
        for i, record in zip(rows, explained):
            records[i] = replace(record, contrast=pair[1])
    return [record for record in records if record is not None]


__all__ = ["METHODS", "Explainer", "check_method", "explain", "explain_qa", "supported_methods"]
