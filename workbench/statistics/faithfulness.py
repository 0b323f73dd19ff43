"""How far an explanation can be trusted: faithfulness, agreement between methods, stability.

* **Comprehensiveness** (ERASER, DeYoung et al. 2020): the drop in the target's probability
  when the top-scored words are deleted, ``p(read) - p(read without top words)``; higher is
  more faithful. **Sufficiency**: the drop when *only* the top words are kept,
  ``p(read) - p(top words alone)``; lower is more faithful. Both at a rationale of the top
  ``RATIONALE_FRACTION`` of words, and their **AOPC** (area over the perturbation curve): the
  mean over the deletion fractions ``FRACTIONS`` (ERASER's bins 1, 5, 10, 20, 50 %).
* All on what the model read (``reading``): the words within a truncating model's token limit,
  deleted from that prefix, so a deletion never pulls unread words into view; a windowed
  model reads all of the text. ``p(read)`` is computed here, beside the deletions.
* Each beside a **random-attribution baseline**: the same scores for random word orders
  (seeded), so "faithful" means "clearly better than chance". Over two or more documents a
  method is flagged ``no_better_than_random`` when the 95 % paired-bootstrap interval of its
  advantage over random words (``metrics.bootstrap_ci``, scipy) reaches zero, for
  comprehensiveness or its AOPC; on one document (the explorer) when its comprehensiveness
  does not beat every one of the random orders (a permutation test: with 19 orders, p = 0.05).
* **Agreement** between two sets of attributions of the same texts: Spearman's and Kendall's
  rank correlation (scipy.stats) and the overlap of their top-k words; **stability** is the
  agreement of one method with itself under another seed, and a method is marked
  ``unstable`` when its top-5 overlap falls below ``STABLE_TOP_K``.

Words are deleted with ``words.mask_words``, the rule every method uses. All texts of a call
are scored in one batched ``predict_proba``.

Checked: ferret 0.5 (``evaluators/faithfulness_measures.py``) computes AOPC comprehensiveness
and sufficiency one text at a time through a transformers model only, and with its defaults
(``utils_from_soft_to_discrete.parse_evaluator_args``) they are not these scores: it deletes
model *tokens* (sub-words) and decodes the remaining ids back to text, where these delete
words; its rationales are 10, 20, ..., 100 % of the tokens (rounded down) rather than 1, 5,
10, 20 and 50 % of the words (rounded up); it keeps only positively scored tokens in a
rationale (``only_pos=True``), so a rationale can be smaller than its fraction; a fraction
whose rationale equals the previous one is skipped rather than averaged; and it has no
single-fraction comprehensiveness and no random baseline. Its ``removal_args`` (``thresholds``)
and ``only_pos=False`` bring the fractions and rationales in line; the unit stays the token.
Under ferret's defaults gradient x input on 12 sixty-word BBC documents scored AOPC
comprehensiveness 0.076 against 0.110 for random words (measured in issue 11); here, on the
words the demo model read of 20 BBC test documents, it scores 0.080 against 0.011 for random
words and clears them (``make bench``, ``benchmarks/results/explanations.json``). quantus
works on tensors, not on texts; neither scores a scikit-learn model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..records import Agreement, Attribution, Classifier, Faithfulness, RandomTest, ScoreSummary, Stability
from ..words import mask_words, split_words, text_seed
from .metrics import bootstrap_ci

FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.5)
RATIONALE_FRACTION = 0.2
RANDOM_REPEATS = 3
SINGLE_RANDOM_REPEATS = 19  # one document: the fewest random orders that let a permutation test reach p = 0.05
TOP_K = 5
SCORES = ("comprehensiveness", "sufficiency", "aopc_comprehensiveness", "aopc_sufficiency")
HIGHER_IS_BETTER = {"comprehensiveness": True, "sufficiency": False, "aopc_comprehensiveness": True, "aopc_sufficiency": False}
AGAINST_RANDOM = ("comprehensiveness", "aopc_comprehensiveness")  # the scores a method must beat random words on
SIGNIFICANCE = 0.05
AGREEMENT_MEASURES = ("spearman", "kendall", "top_k_overlap")  # per text, then averaged over texts
STABLE_TOP_K = 0.6  # see ``unstable``: three of the top five words must survive a change of seed
RANK_DIGITS = 12  # the significant digits a ranking reads: far above float64's rounding, far below any real difference
FLOOR = 1e-300  # a probability of exactly 0 would make a log-ratio infinite; float64's smallest normal is 2.2e-308


def log_ratios(proba: Any, a: int | Sequence[int], b: int | Sequence[int]) -> np.ndarray:
    """log p(``a``) − log p(``b``) of each row of ``proba`` (columns ``a`` and ``b``: one each, or one per row), in
    float64 with probabilities floored at ``FLOOR``: what a contrastive explanation explains, "a rather than b"."""
    proba = np.maximum(np.asarray(proba, dtype=np.float64), FLOOR)
    rows = np.arange(len(proba))
    return np.log(proba[rows, a]) - np.log(proba[rows, b])


def rank_scores(scores: Sequence[float]) -> np.ndarray:
    """Scores as every ranking here reads them: rounded to ``RANK_DIGITS`` significant digits.

    Scores that are equal but for float rounding must tie on every machine. shap's Partition explainer gives the
    words of a group it never splits one equal Owen value, summed in an order that moves its last bits (gaps of
    1e-18 seen); unrounded, another CPU's rounding ordered such words otherwise, and one document's SHAP
    sufficiency moved from 0.49 to 0.0 across machines. Rounded, they tie, and a tie goes to the earlier word.
    """
    values = np.asarray(scores, dtype=np.float64).tolist()
    return np.array([float(f"{value:.{RANK_DIGITS}g}") for value in values], dtype=np.float64)


def top_words(scores: Sequence[float], k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores as :func:`rank_scores` reads them; a tie goes to the earlier word."""
    return np.argsort(-rank_scores(scores), kind="stable")[:k]


def rationale_size(n_words: int, fraction: float) -> int:
    """Words in a rationale of ``fraction`` of ``n_words``: at least one, rounded up."""
    return min(n_words, max(1, math.ceil(fraction * n_words)))


def _random_scores(text: str, seed: int, repeat: int, n: int) -> np.ndarray:
    """Random scores for ``text``: a function of the text, the seed and the repeat only."""
    return np.random.default_rng([seed, repeat, text_seed(text)]).random(n)


def _rationale_masks(scores: np.ndarray, fractions: Sequence[float],
                     kept: frozenset[int] = frozenset()) -> list[tuple[tuple[bool, ...], tuple[bool, ...]]]:
    """Per fraction, which words stay: the text without its top words, and its top words alone (each with the
    ``kept`` words, which are never ranked or deleted; a rationale is that fraction of the other words)."""
    n = len(scores)
    ranked = np.array([i for i in range(n) if i not in kept], dtype=np.int64)
    masks = []
    for fraction in fractions:
        size = rationale_size(len(ranked), fraction)
        top = set(ranked[top_words(scores[ranked], size)].tolist()) if len(ranked) else set()
        masks.append((tuple(i not in top for i in range(n)), tuple(i in top or i in kept for i in range(n))))
    return masks


def _curves(masks: list[tuple[tuple[bool, ...], tuple[bool, ...]]], p: Callable[[tuple[bool, ...] | None], float]) -> dict[str, list[float]]:
    """Comprehensiveness and sufficiency at each fraction, from the target's probability ``p(keep)`` (``p(None)``: nothing deleted)."""
    output = p(None)
    return {
        "comprehensiveness": [output - p(without) for without, _ in masks],
        "sufficiency": [output - p(alone) for _, alone in masks],
    }


def _summary(curves: dict[str, list[float]], fractions: Sequence[float]) -> dict[str, float]:
    at = list(fractions).index(RATIONALE_FRACTION)
    return {
        "comprehensiveness": curves["comprehensiveness"][at],
        "sufficiency": curves["sufficiency"][at],
        "aopc_comprehensiveness": float(np.mean(curves["comprehensiveness"])),
        "aopc_sufficiency": float(np.mean(curves["sufficiency"])),
    }


def _interval(values: np.ndarray, seed: int) -> dict[str, float] | None:
    """The 95 % percentile-bootstrap interval of the mean of ``values`` (None under two values)."""
    ci = bootstrap_ci(lambda v, axis=-1: np.mean(v, axis=axis), [values], seed=seed)
    return None if ci is None else {"low": ci.low, "high": ci.high}


def against_random(documents: Sequence[dict[str, Any]], *, seed: int) -> tuple[dict[str, RandomTest], bool | None]:
    """Whether a method beats random words on these documents, per score in ``AGAINST_RANDOM``.

    Two or more documents: the mean advantage over the random baseline with its paired
    bootstrap interval (resampling documents); the method clears random words when the
    interval's low end is above zero. One document: the share of random word orders it
    beats and the permutation p-value ``(1 + orders not beaten) / (1 + orders)``; it clears
    when p <= ``SIGNIFICANCE``. Returns the tests and ``no_better_than_random``: True when
    any score fails to clear, None when nothing was scored.
    """
    tests: dict[str, RandomTest] = {}
    for name in AGAINST_RANDOM:
        method = np.array([d[name] for d in documents], dtype=np.float64)
        random = np.array([d["random"][name] for d in documents], dtype=np.float64)
        if len(documents) >= 2:
            interval = _interval(method - random, seed)
            tests[name] = RandomTest(advantage=float(np.mean(method - random)), clears=interval["low"] > 0, ci=interval,
                                     method_ci=_interval(method, seed), random_ci=_interval(random, seed))
        elif documents:
            # Python numbers, not numpy's: the record is written as JSON
            runs, score = [float(r) for r in documents[0]["random_runs"][name]], float(method[0])
            p = (1 + sum(r >= score for r in runs)) / (1 + len(runs))
            tests[name] = RandomTest(advantage=score - float(random[0]), clears=p <= SIGNIFICANCE,
                                     beats=sum(r < score for r in runs), orders=len(runs), p=p)
    return tests, (not all(tests[name].clears for name in AGAINST_RANDOM)) if documents else None


def score_faithfulness(
    model: Classifier,
    attributions: Sequence[Attribution],
    texts: Sequence[str],
    *,
    seed: int = 0,
    fractions: Sequence[float] = FRACTIONS,
    random_repeats: int | None = None,
) -> Faithfulness:
    """Comprehensiveness, sufficiency and AOPC of ``attributions`` and of random attributions.

    ``texts[i]`` is the text ``attributions[i]`` explains; the scores perturb what ``model``
    reads of it (the record's visible words). Returns the means (``SCORES``) for the method
    and under ``random``, the mean curves per fraction, the per-document scores, and the tests
    against random words (see :func:`against_random`).
    ``random_repeats`` random word orders per document: by default ``RANDOM_REPEATS``, or
    ``SINGLE_RANDOM_REPEATS`` for a single text, which is judged by a permutation test.
    """
    if len(attributions) != len(texts):
        raise ParameterError(f"{len(attributions)} attributions for {len(texts)} texts; give one text per attribution")
    readings = [model.reading(t) for t in texts]
    for record, reading in zip(attributions, readings):
        if split_words(reading.text) != record.words:
            raise ParameterError(f"attribution {record.id!r} does not explain the text given for it; pass the texts in the attributions' order")
        if reading.visible != record.visible:
            raise ParameterError(f"attribution {record.id!r} scores {record.visible} words but {model.ref} reads {reading.visible}; score it with the model that made it")
    read = [reading.read_text for reading in readings]
    names = list(model.label_names)
    targets = [names.index(record.target) for record in attributions]
    # what a contrastive record explains, log p(target) - log p(contrast), is what its deletions move
    foils = [None if record.contrast is None else names.index(record.contrast) for record in attributions]

    def evaluate(requests: Sequence[tuple[int, tuple[bool, ...] | None]]) -> list[float]:
        masked = [read[i] if keep is None else mask_words(read[i], keep) for i, keep in requests]
        needed = sorted(set(masked))
        proba_of = dict(zip(needed, model.predict_proba(needed, progress=False))) if needed else {}
        owners = [i for i, _ in requests]  # the record each request deletes from
        rows = np.array([proba_of[text] for text in masked], dtype=np.float64).reshape(len(masked), len(names))
        values = rows[np.arange(len(rows)), [targets[i] for i in owners]]
        contrastive = [k for k, i in enumerate(owners) if foils[i] is not None]
        if contrastive:  # one log-ratio over every contrastive request
            values[contrastive] = log_ratios(rows[contrastive], [targets[owners[k]] for k in contrastive],
                                             [foils[owners[k]] for k in contrastive])
        return [float(v) for v in values]

    return perturbation_faithfulness(attributions, read, evaluate, seed=seed, fractions=fractions, random_repeats=random_repeats)


def perturbation_faithfulness(
    attributions: Sequence[Attribution],
    seed_texts: Sequence[str],
    evaluate: Callable[[Sequence[tuple[int, tuple[bool, ...] | None]]], list[float]],
    *,
    seed: int = 0,
    fractions: Sequence[float] = FRACTIONS,
    random_repeats: int | None = None,
    kept: Sequence[frozenset[int]] | None = None,
    kept_words: str | None = None,
) -> Faithfulness:
    """The scores of :func:`score_faithfulness` for any model: deletions as word masks, probabilities from ``evaluate``.

    ``evaluate(requests)`` gets every ``(record index, keep)`` at once (``keep`` one flag per
    scored word of the record, or None for nothing deleted) and returns the probability of
    the record's target for each, so a model batches them as it likes: a classifier masks
    the words of one text, a question-answering model those of a question and its context.
    ``seed_texts[i]`` seeds record i's random word orders. ``kept[i]``, when given, are words of record i that
    neither its ranking nor the random ones delete (``kept_words`` names them in the record): an answer's own words,
    whose deletion takes the answer away whatever else a method found.
    """
    if random_repeats is None:
        random_repeats = SINGLE_RANDOM_REPEATS if len(attributions) == 1 else RANDOM_REPEATS
    if RATIONALE_FRACTION not in fractions:
        raise ParameterError(f"fractions must include the rationale fraction {RATIONALE_FRACTION}")
    rankings = []  # (record index, scores, is_random)
    for i, record in enumerate(attributions):
        if record.visible:
            rankings.append((i, np.asarray(record.scores), False))
            rankings += [(i, _random_scores(seed_texts[i], seed, r, record.visible), True) for r in range(random_repeats)]
    masks = [_rationale_masks(scores, fractions, kept[i] if kept else frozenset()) for i, scores, _ in rankings]
    requests = list(dict.fromkeys([(i, None) for i, _, _ in rankings] + [(i, keep) for (i, _, _), pairs in zip(rankings, masks) for pair in pairs for keep in pair]))
    p_of = dict(zip(requests, evaluate(requests))) if requests else {}
    per_document: dict[int, dict[str, Any]] = {}
    for (i, _, is_random), masked in zip(rankings, masks):
        record = attributions[i]
        curves = _curves(masked, lambda keep, i=i: p_of[(i, keep)])
        row = per_document.setdefault(i, {"id": record.id, "target": record.target, "words": record.visible, "random_runs": []})
        if is_random:
            row["random_runs"].append(curves)
        else:
            row.update(curves=curves, **_summary(curves, fractions))
    documents = []
    for row in per_document.values():
        runs = row.pop("random_runs")
        mean_curves = {name: np.mean([run[name] for run in runs], axis=0).tolist() for name in ("comprehensiveness", "sufficiency")}
        row["random"] = {"curves": mean_curves, **_summary(mean_curves, fractions)}
        row["random_runs"] = {name: [_summary(run, fractions)[name] for run in runs] for name in AGAINST_RANDOM}
        documents.append(row)
    summaries = {}
    for key, rows in (("method", documents), ("random", [d["random"] for d in documents])):
        summaries[key] = ScoreSummary(
            **{name: mean_defined(r[name] for r in rows) for name in SCORES},
            curves={name: np.mean([r["curves"][name] for r in rows], axis=0).tolist() if rows else [] for name in ("comprehensiveness", "sufficiency")},
        )
    tests, no_better = against_random(documents, seed=seed)
    return Faithfulness(
        n=len(documents), fractions=tuple(fractions), rationale_fraction=RATIONALE_FRACTION, random_repeats=random_repeats, seed=seed,
        higher_is_better=HIGHER_IS_BETTER, documents=tuple(documents), method=summaries["method"], random=summaries["random"],
        against_random=tests, no_better_than_random=no_better, kept_words=kept_words,
    )


def mean_defined(values) -> float | None:
    """The mean of the values that are defined (not None, not NaN); None if there are none."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(values)) if values else None


def agreement(a: Sequence[Attribution], b: Sequence[Attribution], *, k: int = TOP_K, names: tuple[str, str] | None = None) -> Agreement:
    """Rank agreement of two attributions of the same texts, matched by id.

    Per text, over the words both read: Spearman's rho and Kendall's tau of the word scores as
    :func:`rank_scores` reads them (scipy.stats, which gives ties their mean rank; undefined when
    either side is constant, and then left out of the means) and the share of the top ``k``
    words the two have in common. Returns the means and the number
    of texts compared; ``a`` and ``b`` name the two sides in the record.
    """
    from scipy.stats import kendalltau, spearmanr

    by_id = {record.id: record for record in b}
    rows = []
    for left in a:
        right = by_id.get(left.id)
        if right is None:
            continue
        if right.words != left.words:
            raise ParameterError(f"attributions of {left.id!r} split the text into different words; compare explanations of the same text")
        n = min(left.visible, right.visible)  # models with other limits read different prefixes: compare what both read
        if n < 2:
            continue
        x, y = rank_scores(left.scores[:n]), rank_scores(right.scores[:n])
        constant = len(set(x.tolist())) < 2 or len(set(y.tolist())) < 2
        top = min(k, n)
        rows.append({
            "spearman": None if constant else float(spearmanr(x, y).statistic),
            "kendall": None if constant else float(kendalltau(x, y).statistic),
            "top_k_overlap": len(set(top_words(x, top).tolist()) & set(top_words(y, top).tolist())) / top,
        })
    a_name, b_name = names or (None, None)
    return Agreement(n=len(rows), k=k, **{name: mean_defined(r[name] for r in rows) for name in AGREEMENT_MEASURES}, a=a_name, b=b_name)


def seed_stability(first: Sequence[Attribution], reruns: Sequence[Sequence[Attribution]], seeds: Sequence[int]) -> Stability:
    """The agreement of a method with itself under other seeds (``reruns``, one per further seed), and its :func:`unstable` verdict.

    ``seeds`` are the seeds of ``first`` and of each rerun; with several reruns the measures are their means.
    """
    rows = [agreement(first, rerun) for rerun in reruns]
    means = {k: mean_defined(getattr(row, k) for row in rows) for k in AGREEMENT_MEASURES}
    return Stability(seeds=", ".join(str(s) for s in seeds), n=rows[0].n, **means, unstable=unstable(means["top_k_overlap"]))


def unstable(top_k_overlap: float | None) -> bool | None:
    """Whether agreement under another seed is too low to trust a single run (None: not measured).

    Unstable when the mean top-``TOP_K`` overlap is under ``STABLE_TOP_K``: fewer than three of
    the five words a reader looks at survive a change of seed. Spearman's rho over all words is
    reported beside it but does not decide: most words of a document move the prediction by
    almost nothing, so their order is noise for any sampling method, however good its top words.
    """
    if top_k_overlap is None:
        return None
    return top_k_overlap < STABLE_TOP_K
