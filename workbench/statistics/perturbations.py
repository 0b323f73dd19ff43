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

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..records import Classifier, FlipRate
from ..words import text_seed

TYPO_RATE = 0.1  # share of words of 4+ letters that get two inner letters swapped
WORD_LISTS = Path(__file__).resolve().parent.parent / "wordlists"
GENDER_WORDS = WORD_LISTS / "gender.tsv"  # the built-in word list of the gender swap
WORD = re.compile(r"\w+")


def read_word_pairs(path: str | os.PathLike[str] = GENDER_WORDS) -> dict[str, str]:
    """The swaps of a word-list file: one ``LEFT<TAB>RIGHT`` pair a line (``#`` starts a comment), each both ways,
    lower-cased; where a word stands in several pairs, the first line naming it decides what it becomes."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the word list {path}: {exc}; give a UTF-8 file of tab-separated pairs") from None
    swaps: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pair = [word.strip().lower() for word in line.split("\t")]
        if len(pair) != 2 or not all(WORD.fullmatch(word) for word in pair):
            raise DataError(f"{path}, line {number}: {line.strip()!r} is not two words separated by a tab; "
                            "write one pair a line, LEFT<TAB>RIGHT")
        for word, other in (pair, pair[::-1]):
            swaps.setdefault(word, other)
    if not swaps:
        raise DataError(f"the word list {path} holds no pair; write one pair a line, LEFT<TAB>RIGHT")
    return swaps


GENDER_SWAPS = read_word_pairs()


def _match_case(word: str, template: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    return word.capitalize() if template[:1].isupper() else word


def swap_gender(text: str, swaps: Mapping[str, str] = GENDER_SWAPS) -> str:
    """``text`` with the words of ``swaps`` swapped, matching case (he <-> she, John <-> Mary by default)."""

    def swap(match: re.Match) -> str:
        word = match.group()
        other = swaps.get(word.lower())
        return word if other is None else _match_case(other, word)

    return WORD.sub(swap, text)


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


def flip_rates(
    model: Classifier, ids: Sequence[str], texts: Sequence[str], predicted: Sequence[str], *, seed: int = 0,
    edits: Mapping[str, Callable[[str], str]] | None = None,
) -> dict[str, FlipRate]:
    """Per edit (``probe_edits`` unless ``edits`` are given): how many texts it changed, and the share of those whose
    predicted label flipped."""
    rows = {}
    for name, edit in (probe_edits(seed) if edits is None else edits).items():
        edited = [edit(t) for t in texts]
        changed = [i for i, (a, b) in enumerate(zip(texts, edited)) if a != b]
        proba = model.predict_proba([edited[i] for i in changed], progress=False) if changed else np.zeros((0, len(model.label_names)))
        flipped = [i for i, p in zip(changed, proba) if model.label_names[int(p.argmax())] != predicted[i]]
        rows[name] = FlipRate(edited=len(changed), flipped=len(flipped), flip_rate=len(flipped) / len(changed) if changed else None,
                              flipped_ids=tuple(ids[i] for i in flipped))
    return rows
