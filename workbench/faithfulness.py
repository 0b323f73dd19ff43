"""How far an explanation can be trusted: faithfulness, agreement between methods, stability.

* **Comprehensiveness** (ERASER, DeYoung et al. 2020): the drop in the target's probability
  when the top-scored words are deleted, ``output - p(text without top words)``; higher is
  more faithful. **Sufficiency**: the drop when *only* the top words are kept,
  ``output - p(top words alone)``; lower is more faithful. Both at a rationale of the top
  ``RATIONALE_FRACTION`` of words, and their **AOPC** (area over the perturbation curve): the
  mean over the deletion fractions ``FRACTIONS`` (ERASER's bins 1, 5, 10, 20, 50 %).
* Each beside a **random-attribution baseline**: the same scores for random word orders
  (seeded), so "faithful" means "clearly better than chance".
* **Agreement** between two sets of attributions of the same texts: Spearman's and Kendall's
  rank correlation (scipy.stats) and the overlap of their top-k words; **stability** is the
  agreement of one method with itself under another seed.

Words are deleted with ``words.mask_words``, the rule every method and SHAP's masker use. All
texts of a call are scored in one batched ``predict_proba``. Checked: ferret's evaluators
compute the same ERASER scores one text at a time through a transformers model only, and
quantus works on tensors, not on texts; neither scores a scikit-learn model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import ParameterError
from .records import Attribution, Classifier
from .words import mask_words, split_words, text_seed, whole_text

FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.5)
RATIONALE_FRACTION = 0.2
RANDOM_REPEATS = 3
TOP_K = 5
SCORES = ("comprehensiveness", "sufficiency", "aopc_comprehensiveness", "aopc_sufficiency")
HIGHER_IS_BETTER = {"comprehensiveness": True, "sufficiency": False, "aopc_comprehensiveness": True, "aopc_sufficiency": False}


def top_words(scores: Sequence[float], k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores; ties go to the earlier word (deterministic)."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:k]


def rationale_size(n_words: int, fraction: float) -> int:
    """Words in a rationale of ``fraction`` of ``n_words``: at least one, rounded up."""
    return min(n_words, max(1, math.ceil(fraction * n_words)))


def _random_scores(text: str, seed: int, repeat: int, n: int) -> np.ndarray:
    """Random scores for ``text``: a function of the text, the seed and the repeat only."""
    return np.random.default_rng([seed, repeat, text_seed(text)]).random(n)


def _masked_pairs(text: str, scores: np.ndarray, fractions: Sequence[float]) -> list[tuple[str, str]]:
    """Per fraction: the text without its top words, and its top words alone."""
    n = len(scores)
    pairs = []
    for fraction in fractions:
        top = set(top_words(scores, rationale_size(n, fraction)).tolist())
        pairs.append((mask_words(text, [i not in top for i in range(n)]), mask_words(text, [i in top for i in range(n)])))
    return pairs


def _curves(pairs: list[tuple[str, str]], proba_of: dict[str, np.ndarray], target: int, output: float) -> dict[str, list[float]]:
    """Comprehensiveness and sufficiency at each fraction, from pre-computed probabilities."""
    return {
        "comprehensiveness": [output - float(proba_of[without][target]) for without, _ in pairs],
        "sufficiency": [output - float(proba_of[alone][target]) for _, alone in pairs],
    }


def _summary(curves: dict[str, list[float]], fractions: Sequence[float]) -> dict[str, float]:
    at = list(fractions).index(RATIONALE_FRACTION)
    return {
        "comprehensiveness": curves["comprehensiveness"][at],
        "sufficiency": curves["sufficiency"][at],
        "aopc_comprehensiveness": float(np.mean(curves["comprehensiveness"])),
        "aopc_sufficiency": float(np.mean(curves["sufficiency"])),
    }


def score_faithfulness(
    model: Classifier,
    attributions: Sequence[Attribution],
    texts: Sequence[str],
    *,
    seed: int = 0,
    fractions: Sequence[float] = FRACTIONS,
    random_repeats: int = RANDOM_REPEATS,
) -> dict[str, Any]:
    """Comprehensiveness, sufficiency and AOPC of ``attributions`` and of random attributions.

    ``texts[i]`` is the text ``attributions[i]`` explains. Returns a JSON-ready dict: the means
    (``SCORES``) for the method and under ``random``, the mean curves per fraction, and the
    per-document scores.
    """
    if len(attributions) != len(texts):
        raise ParameterError(f"{len(attributions)} attributions for {len(texts)} texts; give one text per attribution")
    if RATIONALE_FRACTION not in fractions:
        raise ParameterError(f"fractions must include the rationale fraction {RATIONALE_FRACTION}")
    texts = [whole_text(t) for t in texts]
    for record, text in zip(attributions, texts):
        if split_words(text) != record.words:
            raise ParameterError(f"attribution {record.id!r} does not explain the text given for it; pass the texts in the attributions' order")
    rankings = []  # (record index, scores, is_random)
    for i, (record, text) in enumerate(zip(attributions, texts)):
        if record.words:
            rankings.append((i, np.asarray(record.scores), False))
            rankings += [(i, _random_scores(text, seed, r, len(record.words)), True) for r in range(random_repeats)]
    pairs = [_masked_pairs(texts[i], scores, fractions) for i, scores, _ in rankings]
    needed = sorted({text for per_fraction in pairs for pair in per_fraction for text in pair})
    proba = model.predict_proba(needed, progress=False) if needed else np.zeros((0, len(model.label_names)))
    proba_of = dict(zip(needed, proba))
    per_document: dict[int, dict[str, Any]] = {}
    for (i, _, is_random), masked in zip(rankings, pairs):
        record = attributions[i]
        curves = _curves(masked, proba_of, model.label_names.index(record.target), record.output)
        row = per_document.setdefault(i, {"id": record.id, "target": record.target, "words": len(record.words), "random_runs": []})
        if is_random:
            row["random_runs"].append(curves)
        else:
            row.update(curves=curves, **_summary(curves, fractions))
    documents = []
    for row in per_document.values():
        runs = row.pop("random_runs")
        mean_curves = {name: np.mean([run[name] for run in runs], axis=0).tolist() for name in ("comprehensiveness", "sufficiency")}
        row["random"] = {"curves": mean_curves, **_summary(mean_curves, fractions)}
        documents.append(row)
    result: dict[str, Any] = {
        "n": len(documents),
        "fractions": list(fractions),
        "rationale_fraction": RATIONALE_FRACTION,
        "random_repeats": random_repeats,
        "seed": seed,
        "higher_is_better": HIGHER_IS_BETTER,
        "documents": documents,
    }
    for key, rows in (("method", documents), ("random", [d["random"] for d in documents])):
        result[key] = {
            **{name: mean_defined(r[name] for r in rows) for name in SCORES},
            "curves": {name: np.mean([r["curves"][name] for r in rows], axis=0).tolist() if rows else [] for name in ("comprehensiveness", "sufficiency")},
        }
    return result


def mean_defined(values) -> float | None:
    """The mean of the values that are defined (not None, not NaN); None if there are none."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(values)) if values else None


def agreement(a: Sequence[Attribution], b: Sequence[Attribution], *, k: int = TOP_K) -> dict[str, Any]:
    """Rank agreement of two attributions of the same texts, matched by id.

    Per text: Spearman's rho and Kendall's tau of the word scores (scipy.stats; undefined when
    either side is constant, and then left out of the means) and the share of the top ``k``
    words the two have in common. Returns the means and the number of texts compared.
    """
    from scipy.stats import kendalltau, spearmanr

    by_id = {record.id: record for record in b}
    rows = []
    for left in a:
        right = by_id.get(left.id)
        if right is None or len(left.words) < 2:
            continue
        if right.words != left.words:
            raise ParameterError(f"attributions of {left.id!r} split the text into different words; compare explanations of the same text")
        constant = len(set(left.scores)) < 2 or len(set(right.scores)) < 2
        top = min(k, len(left.words))
        rows.append({
            "spearman": None if constant else float(spearmanr(left.scores, right.scores).statistic),
            "kendall": None if constant else float(kendalltau(left.scores, right.scores).statistic),
            "top_k_overlap": len(set(top_words(left.scores, top).tolist()) & set(top_words(right.scores, top).tolist())) / top,
        })
    return {"n": len(rows), "k": k, **{name: mean_defined(r[name] for r in rows) for name in ("spearman", "kendall", "top_k_overlap")}}
