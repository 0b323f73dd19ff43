"""How a causal language model is asked a task: a prompt template, its verbalizers, the chat wrapping and the shots.

A decoder-only LLM serves classification through a prompt with one verbalizer (a continuation) per label, and
generation through a prompt around each source. The record holds everything needed to recompute a probability by
hand, and is written into ``metrics.json`` (``provenance.prompt``) and the report's manifest.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from .base import Record

#: The fields ``{...}`` a template may use: the document, and the demonstrations drawn for k-shot prompts.
TEMPLATE_FIELDS = frozenset({"text", "examples"})
#: The fields of one demonstration's template.
EXAMPLE_FIELDS = frozenset({"text", "answer"})


def template_fields(template: str, what: str, allowed: frozenset[str]) -> set[str]:
    """The ``{names}`` ``template`` uses; a one-line ParameterError for a malformed or unknown field."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ParameterError(
            f"the {what} {template!r} is not a valid template ({exc}); write a literal brace as {{{{ or }}}}"
        ) from None
    unknown = sorted(names - allowed)
    if unknown:
        raise ParameterError(
            f"the {what} uses {{{unknown[0]}}}; use only {', '.join(f'{{{n}}}' for n in sorted(allowed))}"
        )
    return names


@dataclass(frozen=True)
class Prompt(Record):
    """A prompt for a causal LM (``template`` with ``{text}``, and ``{examples}`` for k-shot prompts).

    * ``verbalizers``: label -> continuation (e.g. ``" business"``), for a classifier; empty for generation.
      A label's log-likelihood is the sum of its continuation's token log-probabilities after the prompt, each
      continuation tokenized on its own and appended to the prompt's tokens (``length_normalized``: divided by
      its number of tokens); the probabilities are the softmax over the labels.
    * ``chat``: the filled template is the user turn of the model's chat template (with ``system``, when given)
      and the continuation follows the assistant's header; otherwise the filled template is the whole prompt.
    * ``shots``: the ids of the demonstrations, drawn from ``train``, each written as ``example`` (``{text}``,
      cut at ``max_example_tokens``; ``{answer}``: its label's verbalizer) and joined into ``{examples}``.
    * ``max_text_tokens``: a document is cut to the substring that ends where its N-th token ends (the model's
      tokenizer, no special tokens); None reads it whole.
    """

    template: str
    verbalizers: Mapping[str, str] = field(default_factory=dict)
    chat: bool = False
    system: str | None = None
    shots: tuple[str, ...] = ()
    train: str | None = None
    example: str = "{text}{answer}\n\n"
    max_text_tokens: int | None = None
    max_example_tokens: int | None = None
    length_normalized: bool = False

    def __post_init__(self) -> None:
        names = template_fields(self.template, "prompt template", TEMPLATE_FIELDS)
        if "text" not in names:
            raise ParameterError(
                f"the prompt template {self.template!r} has no {{text}}; write {{text}} where the document goes"
            )
        template_fields(self.example, "example template", EXAMPLE_FIELDS)
        if self.shots and ("examples" not in names or not self.train or not self.verbalizers):
            raise ParameterError(
                "a prompt with shots needs {examples} in its template, verbalizers and the train split they come "
                "from; add them or give shots: 0"
            )
        for name in ("max_text_tokens", "max_example_tokens"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ParameterError(f"{name} must be a whole number of at least 1 or null, got {value!r}")
        empty = [label for label, text in self.verbalizers.items() if not text]
        if empty:
            raise ParameterError(
                f"the verbalizer of label {empty[0]!r} is empty; give each label a continuation such as ' {empty[0]}'"
            )

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.verbalizers)

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: (
                dict(v) if isinstance(v := getattr(self, f.name), Mapping) else list(v) if isinstance(v, tuple) else v
            )
            for f in fields(self)
        }


def prompt_from_dict(data: Mapping[str, Any], where: str) -> tuple[Prompt, int, int]:
    """A ``Prompt`` from a JSON object, and the number of shots to draw and their seed (``shots`` may be a count, or the
    ids themselves); unknown keys and wrong types are one-line ParameterErrors naming ``where``."""
    known = {f.name for f in fields(Prompt)} | {"seed"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ParameterError(f"{where}: unknown prompt field {unknown[0]!r}; fields: {', '.join(sorted(known))}")
    values = dict(data)
    seed, shots = values.pop("seed", 0), values.get("shots", [])
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ParameterError(f"{where}: seed must be a whole number, got {seed!r}")
    count = 0
    if isinstance(shots, int) and not isinstance(shots, bool):
        if shots < 0:
            raise ParameterError(f"{where}: shots must be 0 or more, got {shots}")
        count, values["shots"] = shots, ()
    elif isinstance(shots, (list, tuple)) and all(isinstance(s, str) for s in shots):
        values["shots"] = tuple(shots)
    else:
        raise ParameterError(f"{where}: shots must be a number of demonstrations or a list of ids, got {shots!r}")
    verbalizers = values.get("verbalizers", {})
    if not isinstance(verbalizers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in verbalizers.items()
    ):
        raise ParameterError(
            f'{where}: verbalizers must map each label to its continuation text, e.g. {{"sports": " sports"}}'
        )
    if not isinstance(values.get("template"), str):
        raise ParameterError(f"{where}: the prompt needs a template, a text with {{text}} where the document goes")
    try:
        prompt = Prompt(**values)
    except TypeError as exc:
        raise ParameterError(f"{where}: {exc}") from None
    if count and not (prompt.train and "{examples}" in prompt.template):
        raise ParameterError(
            f"{where}: {count} shots need {{examples}} in the template and the train split to draw them from"
        )
    return prompt, count, seed


def read_prompt(path: str | os.PathLike[str], defaults: Mapping[str, Any] | None = None) -> tuple[Prompt, int, int]:
    """A prompt file: JSON with the ``Prompt`` fields, or plain text holding the template alone, whose other fields come
    from ``defaults`` (the model's own prompt for the task); see :func:`prompt_from_dict`."""
    file = Path(path).expanduser()
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(
            f"prompt file {path} cannot be read ({exc.__class__.__name__}); give a UTF-8 text or JSON file"
        ) from None
    if file.suffix == ".json":
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ParameterError(
                f"prompt file {path} is not valid JSON ({exc.msg} at line {exc.lineno}); fix it or give a .txt template"
            )
        if not isinstance(data, dict):
            raise ParameterError(f"prompt file {path} must hold a JSON object with a template; see docs/llm.md")
        return prompt_from_dict(data, str(path))
    return prompt_from_dict({**(defaults or {}), "template": content}, str(path))
