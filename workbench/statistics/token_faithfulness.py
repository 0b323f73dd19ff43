"""Faithfulness of token explanations: does deleting a generated token's top source words lower its probability more than random words?

For each explained token, its top ``fractions`` of the source words read (by the token's
scores; at least one word) are deleted (``words.mask_words``) and the token's teacher-forced
probability is re-read (``Generator.token_probabilities``); the drop is comprehensiveness
(DeYoung et al. 2020, ERASER), as the classifiers' faithfulness uses it. A contrastive record's drop is that of
what it explains, the token's log-ratio to its contrast token. The same number of
random words, seeded per document, token and fraction, gives the baseline. Documents are the
unit: the mean advantage over random words gets a paired-bootstrap interval over documents
(``metrics.bootstrap_ci``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError
from ..records.token_attribution import TokenAttribution, TokenFaithfulness
from ..words import mask_words, text_seed, word_spans
from .faithfulness import top_words
from .metrics import bootstrap_ci

FRACTIONS = (0.1, 0.2, 0.3)


def token_faithfulness(model, records: Sequence[TokenAttribution], *, seed: int = 0, fractions: Sequence[float] = FRACTIONS) -> TokenFaithfulness:
    """Comprehensiveness of ``records`` (one method's) against random words, per document and overall (documents with an
    empty output left out)."""
    if not records:
        raise ParameterError("no token explanations to score; explain at least one document")
    methods = {r.method for r in records}
    if len(methods) > 1:
        raise ParameterError(f"token_faithfulness scores one method at a time; got {sorted(methods)}")
    records = [record for record in records if record.generated_ids]  # an empty output has no token to delete words for
    if not records:
        raise ParameterError("the model generated no token for any explained document; explain other documents or allow more new tokens")
    rows = [_document(model, record, seed, fractions) for record in records]
    ours, chance = np.array([r["comprehensiveness"] for r in rows]), np.array([r["random"] for r in rows])
    interval = bootstrap_ci(lambda a, b, axis=-1: np.mean(a, axis=axis) - np.mean(b, axis=axis), [ours, chance], seed=seed)
    advantage = float(np.mean(ours - chance))
    return TokenFaithfulness(
        method=records[0].method, documents=len(records), tokens=sum(len(r.generated_ids) for r in records), fractions=tuple(fractions),
        comprehensiveness=float(ours.mean()), random=float(chance.mean()), advantage=advantage, advantage_ci=interval,
        beats_random=bool(interval.low > 0) if interval is not None else advantage > 0, per_document=tuple(rows), seed=seed,
    )


def _document(model, record: TokenAttribution, seed: int, fractions: Sequence[float]) -> dict[str, object]:
    """One document's mean drop over its tokens and fractions, for the top words and for random ones."""
    total, read = len(word_spans(record.source)), len(record.source_words)
    variants, cells = [], []  # cells[v] = (token, top or random)
    for t, scores in enumerate(record.scores):
        order = top_words(scores[:read], read).tolist()
        for f, fraction in enumerate(fractions):
            k = min(read, max(1, round(fraction * read)))
            rng = np.random.default_rng([seed, text_seed(record.source) % 2**32, t, f])
            for kind, chosen in (("top", set(order[:k])), ("random", set(rng.choice(read, size=k, replace=False).tolist()))):
                variants.append(mask_words(record.source, [j not in chosen for j in range(total)]))
                cells.append((t, kind))
    ids = list(record.generated_ids)
    values = model.token_probabilities(variants, ids, contrast=record.contrast_ids) if variants else np.zeros((0, 0))
    drops: dict[str, list[float]] = {"top": [], "random": []}
    for v, (t, kind) in enumerate(cells):
        drops[kind].append(record.explained[t] - float(values[v, t]))
    return {"id": record.id, "comprehensiveness": float(np.mean(drops["top"])) if drops["top"] else 0.0,
            "random": float(np.mean(drops["random"])) if drops["random"] else 0.0}
