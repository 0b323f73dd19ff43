"""Duplicates between two splits: the probe split's texts that are, or nearly are, texts of the reference split.

A test example that is also a training example inflates the test scores and the memorization figures alike, so an
audit lists them before reading either. Two kinds:

* **exact**: the same text once its whitespace is collapsed (a word-for-word copy, however it was wrapped);
* **near**: word shingles (``shingle`` lower-cased words in a row) whose Jaccard similarity with a reference text's
  reaches ``threshold``: a copy with a sentence added, cut or retyped.

Near duplicates are found with datasketch's ``MinHash`` sketches of each text's shingles and its ``MinHashLSH`` index
(Broder 1997; banding as in Leskovec et al., "Mining of Massive Datasets", ch. 3), so the cost grows with the texts,
not with their pairs; every candidate the index returns is then checked by its exact Jaccard similarity, so a pair is
reported only if it truly reaches the threshold (the index may still miss a pair near the threshold: LSH's false
negatives, about 1 % at the default 128 permutations). Checked first: scikit-learn has no MinHash, and the
deduplication tools of the LLM-data projects (text-dedup, datatrove) wrap the same sketches for whole corpora on disk.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DataError, ParameterError
from ..records.audit import SplitDuplicates

SHINGLE = 5  # words per shingle: long enough that two unrelated news texts share few
THRESHOLD = 0.8  # Jaccard similarity of the shingle sets from which a pair is a near duplicate
NUM_PERM = 128  # MinHash permutations: datasketch's default


def collapsed(text: str) -> str:
    """``text`` with every run of whitespace one space, and none at the ends: what an exact duplicate must equal."""
    return " ".join(text.split())


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """The set of ``size`` lower-cased words in a row of ``text`` (a shorter text: its words, as one shingle)."""
    words = text.lower().split()
    return {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def split_duplicates(
    reference_ids: Sequence[str], reference_texts: Sequence[str], probe_ids: Sequence[str], probe_texts: Sequence[str],
    *, reference: str = "reference", probe: str = "probe", threshold: float = THRESHOLD, shingle: int = SHINGLE,
    num_perm: int = NUM_PERM, seed: int = 0,
) -> SplitDuplicates:
    """The probe texts that duplicate a reference text: exactly, else nearly (module docstring).

    Each probe text is reported once: with the first reference text it equals, else with the reference text of the
    highest shingle Jaccard similarity at or over ``threshold`` (the first such, at a tie). ``reference`` and ``probe``
    name the splits in the record; ``seed`` chooses the MinHash permutations.
    """
    from datasketch import MinHash, MinHashLSH

    if not 0 < threshold <= 1:
        raise ParameterError(f"threshold {threshold} is not a Jaccard similarity in (0, 1]; the default is {THRESHOLD}")
    if shingle < 1 or num_perm < 2:
        raise ParameterError(f"shingle {shingle} and num_perm {num_perm} must be at least 1 and 2")
    for name, ids, texts in ((reference, reference_ids, reference_texts), (probe, probe_ids, probe_texts)):
        if len(ids) != len(texts):
            raise DataError(f"{name}: {len(ids)} ids for {len(texts)} texts; give one id per text")
    first: dict[str, int] = {}
    for j, text in enumerate(reference_texts):
        first.setdefault(collapsed(text), j)
    exact = [(i, first[key]) for i, text in enumerate(probe_texts) if (key := collapsed(text)) in first]
    found = {i for i, _ in exact}
    rest = [i for i in range(len(probe_texts)) if i not in found]

    def sketches(texts: list[set[str]]) -> list[MinHash]:
        return MinHash.bulk([[s.encode("utf-8") for s in sorted(shingled)] for shingled in texts], num_perm=num_perm,
                            seed=seed)

    reference_shingles = [shingles(t, shingle) for t in reference_texts]
    probe_shingles = {i: shingles(probe_texts[i], shingle) for i in rest}
    index = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for j, sketch in enumerate(sketches(reference_shingles)):
        index.insert(j, sketch)
    near = []
    for i, sketch in zip(rest, sketches([probe_shingles[i] for i in rest])):
        scored = sorted((-jaccard(probe_shingles[i], reference_shingles[j]), j) for j in index.query(sketch))
        if scored and -scored[0][0] >= threshold:
            near.append((probe_ids[i], reference_ids[scored[0][1]], -scored[0][0]))
    return SplitDuplicates(
        reference=reference, probe=probe, references=len(reference_texts), probes=len(probe_texts),
        exact=tuple((probe_ids[i], reference_ids[j]) for i, j in exact), near=tuple(near),
        exact_rate=len(exact) / len(probe_texts) if probe_texts else 0.0,
        near_rate=len(near) / len(probe_texts) if probe_texts else 0.0,
        threshold=threshold, shingle=shingle, num_perm=num_perm, seed=seed,
    )
