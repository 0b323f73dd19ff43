"""The lead-sentence baseline of summarisation: no network, the same ``generate`` interface as a generator.

The first sentence of the source is its summary (the "lead" baseline that news summarisation
papers report beside their models, e.g. See et al. 2017's lead-3 cut to one sentence, since a
headline is one line). Sentences are split as the lexical question-answering baseline splits
them (``lexical_qa.SENTENCE``: a full stop inside "4.75" ends nothing). The generation settings
do not apply, except that the sentence is cut at ``max_new_tokens`` words.

A folder holding ``workbench-model.json`` with ``"kind": "lead-sentence"`` loads as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..io import write_json
from ..records.generation import GenerationSettings
from .lexical_qa import MANIFEST, SENTENCE

KIND = "lead-sentence"


def save_lead_sentence(folder: Path) -> None:
    """Write the manifest that makes ``folder`` a lead-sentence model (it has no weights)."""
    write_json(folder / MANIFEST, {"kind": KIND})


def lead_sentence(text: str, max_words: int) -> str:
    """The first sentence of ``text`` (stripped), cut at ``max_words`` words."""
    match = SENTENCE.search(text.strip())
    words = (match.group() if match else text).split()
    return " ".join(words[:max_words])


class LeadSentence:
    """The lead-sentence baseline behind the generator interface (``task == "generation"``)."""

    task = "generation"
    backend = "python"  # a rule in plain Python
    num_parameters = 0

    def __init__(self, ref: str, folder: Path) -> None:
        self.ref = ref
        self.folder = folder

    def generate(self, texts: Sequence[str], *, max_new_tokens: int = GenerationSettings.max_new_tokens, num_beams: int = 1,
                 do_sample: bool = False, seed: int = 0, progress: bool | None = None) -> list[str]:
        """The first sentence of each text, cut at ``max_new_tokens`` words (the other settings are checked, then do not apply)."""
        GenerationSettings(max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=do_sample, seed=seed)
        return [lead_sentence(text, max_new_tokens) for text in texts]

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the folder's files (its manifest) and the rule's name."""
        from ..io import folder_fingerprint

        return folder_fingerprint(self.folder, {"kind": KIND})

    def __repr__(self) -> str:
        return f"LeadSentence({self.ref!r})"
