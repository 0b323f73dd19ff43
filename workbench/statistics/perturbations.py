"""Counterfactual perturbations of texts, and how often a model's prediction flips under each.

An edit that should not change the label (swapping gendered words and names, a few typos, a
change of case) is applied to every text; a model's *flip rate* is the share of edited texts
whose predicted label changes. Texts an edit leaves as they are (no gendered word, say) are
not counted. Typos are seeded: the same text and seed give the same typos.

Checked: nlpaug and checklist generate such perturbations but pull in large dependency trees
(checklist needs spaCy models from a hub, which this workbench cannot download), and
TextAttack targets attacks rather than fixed counterfactuals; the edits here are a few lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from ..records import Classifier, FlipRate
from ..words import text_seed

TYPO_RATE = 0.1  # share of words of 4+ letters that get two inner letters swapped
_PAIRS = [
    ("he", "she"), ("him", "her"), ("his", "her"), ("himself", "herself"), ("man", "woman"), ("men", "women"),
    ("boy", "girl"), ("boys", "girls"), ("father", "mother"), ("son", "daughter"), ("sons", "daughters"),
    ("brother", "sister"), ("brothers", "sisters"), ("husband", "wife"), ("king", "queen"), ("mr", "ms"),
    ("sir", "madam"), ("gentleman", "lady"), ("gentlemen", "ladies"), ("uncle", "aunt"), ("nephew", "niece"),
    ("john", "mary"), ("david", "sarah"), ("michael", "emma"), ("james", "anna"), ("robert", "linda"),
    ("peter", "susan"), ("tony", "helen"), ("gordon", "margaret"), ("paul", "jane"),
]
# "her" maps back to "his" (the commoner reading); every other pair maps both ways
GENDER_SWAPS = {**{b: a for a, b in reversed(_PAIRS)}, **{a: b for a, b in _PAIRS}}
GENDER_SWAPS["her"] = "his"
WORD = re.compile(r"\w+")


def _match_case(word: str, template: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    return word.capitalize() if template[:1].isupper() else word


def swap_gender(text: str) -> str:
    """``text`` with gendered words and common first names swapped (he <-> she, John <-> Mary)."""
    return WORD.sub(lambda m: _match_case(GENDER_SWAPS[m.group().lower()], m.group()) if m.group().lower() in GENDER_SWAPS else m.group(), text)


def add_typos(text: str, *, seed: int = 0, rate: float = TYPO_RATE) -> str:
    """``text`` with two inner letters swapped in about ``rate`` of its words of 4+ letters (seeded)."""
    rng = np.random.default_rng([seed, text_seed(text)])

    def typo(match: re.Match) -> str:
        word = match.group()
        if len(word) < 4 or not word.isalpha() or rng.random() >= rate:
            return word
        i = int(rng.integers(1, len(word) - 2))
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    return WORD.sub(typo, text)


def probe_edits(seed: int = 0) -> dict[str, Callable[[str], str]]:
    """The edits every comparison applies: name -> function of a text."""
    return {
        "gender_swap": swap_gender,
        "typos": lambda text: add_typos(text, seed=seed),
        "lowercase": str.lower,
        "uppercase": str.upper,
    }


def flip_rates(model: Classifier, ids: Sequence[str], texts: Sequence[str], predicted: Sequence[str], *, seed: int = 0) -> dict[str, FlipRate]:
    """Per edit: how many texts it changed, and the share of those whose predicted label flipped."""
    rows = {}
    for name, edit in probe_edits(seed).items():
        edited = [edit(t) for t in texts]
        changed = [i for i, (a, b) in enumerate(zip(texts, edited)) if a != b]
        proba = model.predict_proba([edited[i] for i in changed], progress=False) if changed else np.zeros((0, len(model.label_names)))
        flipped = [i for i, p in zip(changed, proba) if model.label_names[int(p.argmax())] != predicted[i]]
        rows[name] = FlipRate(edited=len(changed), flipped=len(flipped), flip_rate=len(flipped) / len(changed) if changed else None,
                              flipped_ids=tuple(ids[i] for i in flipped))
    return rows
