"""A causal LM asked a task through a prompt: classification by the labels' log-likelihoods, generation in its chat.

A prompted classifier scores each label by the log-likelihood of its verbalizer after the prompt, the quantity
lm-evaluation-harness's ``loglikelihood`` computes, and takes the softmax over the labels as its probabilities, so
it is a ``Classifier`` that every verb, explainer and report takes unchanged. The prompt runs once per document and
its key-value cache serves every label: a batch of prompts (right-padded) runs once with ``use_cache=True``, the
first token of every verbalizer is scored from the prompt's last logits, and the verbalizers' further tokens run in
one forward over the cache repeated once per label (``DynamicCache.batch_repeat_interleave``), with their position
ids continuing each prompt's own. This equals scoring every prompt + verbalizer sequence on its own
(``tests/test_llm.py``, within 1e-5) at the cost of one prompt forward instead of one per label.

Tokens: each continuation is tokenized on its own (no special tokens) and appended to the prompt's tokens, so a
probability can be recomputed from the recorded prompt alone; lm-eval encodes context + continuation whole and splits
it, which gives the same tokens wherever the continuation starts a new word (checked in the tests). Checked:
lm-eval and ``transformers`` have no classifier over verbalizers with a shared cache; lm-eval recomputes every
request's context (it groups requests by context only to reuse the logits of a one-token continuation).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelError, ParameterError
from ..reading import Reading
from ..records.prompt import Prompt, prompt_from_dict, read_prompt
from ..words import whole_text, word_spans

if TYPE_CHECKING:
    from ..records import Dataset
    from .generation import Generator

PROMPTS_FILE = "prompts.json"  # an LLM folder's own prompts, one per task (demo recipes write it)


def folder_prompts(folder: Path) -> dict[str, dict[str, Any]]:
    """The prompts a model folder ships, by task (``classification`` when it has verbalizers, else ``generation``)."""
    path = folder / PROMPTS_FILE
    if not path.is_file():
        return {}
    try:
        prompts = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelError(f"{path} is not valid JSON; rebuild the model or remove the file") from None
    return {("classification" if p.get("verbalizers") else "generation"): p for p in prompts}


def cut_text(tokenizer: Any, text: str, max_tokens: int | None) -> str:
    """The substring of ``text`` that ends where its ``max_tokens``-th token ends (no special tokens); all of it when
    None or when it is shorter."""
    if max_tokens is None:
        return text
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    return text if len(offsets) <= max_tokens else text[: offsets[max_tokens - 1][1]]


def draw_shots(train: Dataset, k: int, seed: int) -> tuple[str, ...]:
    """``k`` demonstration ids from ``train``, drawn by ``seed``: the labels in turn (each label's documents shuffled),
    so 5 shots over 5 labels give one of each; the order is shuffled too, so no label always comes last."""
    if train.labels is None:
        raise ParameterError(f"{train.name} has no labels; draw demonstrations from a labeled training split")
    if k > len(train):
        raise ParameterError(f"{k} shots exceed the {len(train)} documents of {train.name}; give fewer shots")
    rng = np.random.default_rng(seed)
    by_label = {
        label: list(rng.permutation([i for i, y in enumerate(train.labels) if y == label]))
        for label in sorted(set(train.labels))
    }
    picked: list[int] = []
    while len(picked) < k:
        for rows in by_label.values():
            if rows and len(picked) < k:
                picked.append(int(rows.pop(0)))
    return tuple(train.ids[i] for i in rng.permutation(picked))


def wanted_prompt(folder: Path, task: str | None, prompt_file: str | None) -> tuple[Prompt, int, int] | None:
    """The prompt a decoder-only LM reads for ``task`` (None: generation): ``prompt_file`` (a plain-text template takes
    the folder's prompt for the task as its other fields), else the folder's own; with the shots to draw and their
    seed."""
    own = folder_prompts(folder).get(task or "generation")
    if prompt_file is not None:
        return read_prompt(prompt_file, own)
    return None if own is None else prompt_from_dict(own, str(folder / PROMPTS_FILE))


def prompt_task(folder: Path, wanted: str | None, prompt_file: str | None) -> str:
    """The task a decoder-only LM's folder serves when ``wanted``: classification with a prompt that has verbalizers."""
    found = wanted_prompt(folder, wanted, prompt_file)
    return "classification" if found is not None and found[0].verbalizers else "generation"


def prompted(lm: Generator, task: str | None, prompt_file: str | None) -> Generator | PromptedClassifier:
    """``lm`` asked ``task`` through its prompt: a ``PromptedClassifier`` for a prompt with verbalizers, else the
    generator reading its sources through the prompt (or plainly, without one). An encoder-decoder takes no prompt."""
    if lm.encoder_decoder:
        return lm
    found = wanted_prompt(lm.folder, task, prompt_file)
    if found is None:
        if task == "classification":
            raise ModelError(
                f"{lm.ref} is a language model without a classification prompt; give --prompt FILE with a template "
                "and a verbalizer per label (see docs/llm.md)"
            )
        return lm
    prompt, k, seed = found
    if k:
        from dataclasses import replace

        from ..datasets.loading import load_dataset

        prompt = replace(prompt, shots=draw_shots(load_dataset(prompt.train or ""), k, seed))
    if prompt.verbalizers:
        return PromptedClassifier(lm, prompt)
    lm.use_prompt(prompt)
    return lm


class PromptRenderer:
    """A prompt's text and tokens for one document, as the model reads it: the template filled with the (cut) text and
    the demonstrations, wrapped in the chat template when ``prompt.chat``."""

    def __init__(self, tokenizer: Any, prompt: Prompt) -> None:
        if prompt.chat and not getattr(tokenizer, "chat_template", None):
            raise ModelError(
                "the prompt asks for the chat template (chat: true), but the model's tokenizer has none; "
                "give chat: false"
            )
        self.tokenizer = tokenizer
        self.prompt = prompt

    @cached_property
    def examples(self) -> str:
        """The demonstrations as the template's ``{examples}``: each shot written as ``prompt.example``."""
        if not self.prompt.shots:
            return ""
        from ..datasets.loading import load_dataset

        train = load_dataset(self.prompt.train or "")
        rows = {id_: i for i, id_ in enumerate(train.ids)}
        missing = [s for s in self.prompt.shots if s not in rows]
        if missing:
            raise ParameterError(f"shot {missing[0]!r} is not an id of {train.name}; give ids of the train split")
        labels = train.labels or ()
        return "".join(
            self.prompt.example.format(
                text=cut_text(self.tokenizer, whole_text(train.texts[rows[s]]), self.prompt.max_example_tokens),
                answer=self.prompt.verbalizers.get(labels[rows[s]], labels[rows[s]]),
            )
            for s in self.prompt.shots
        )

    def text(self, document: str) -> str:
        """The prompt as a string (chat-templated when asked) around the document as every method sees it (whitespace
        collapsed, ``words.whole_text``) and cut at ``max_text_tokens``."""
        return self._wrapped(self.prompt.template.format(text=self._cut(document), examples=self.examples))

    def document_span(self, document: str) -> tuple[str, int, int]:
        """``(prompt, start, end)``: :meth:`text` and where the (cut) document stands in it, for the gradient methods,
        which vary the document's tokens and keep the template's."""
        text, marker = self._cut(document), "\ue000"  # a private-use character, found in no template
        marked = self._wrapped(self.prompt.template.format(text=marker, examples=self.examples))
        start = marked.find(marker)
        prompt = marked[:start] + text + marked[start + 1 :]
        if start < 0 or prompt != self.text(document):
            raise ModelError("the chat template rewrites the document's text, so its words cannot be placed in the "
                             "prompt; use lime, shap or occlusion")
        return prompt, start, start + len(text)

    def _cut(self, document: str) -> str:
        return cut_text(self.tokenizer, whole_text(document), self.prompt.max_text_tokens)

    def _wrapped(self, filled: str) -> str:
        if not self.prompt.chat:
            return filled
        messages = [{"role": "system", "content": self.prompt.system}] if self.prompt.system is not None else []
        return self.tokenizer.apply_chat_template(
            [*messages, {"role": "user", "content": filled}], tokenize=False, add_generation_prompt=True
        )

    def ids(self, documents: Sequence[str]) -> list[list[int]]:
        """The prompts' token ids (the chat template brings its own special tokens; none are added)."""
        if not documents:
            return []
        return self.tokenizer([self.text(d) for d in documents], add_special_tokens=False)["input_ids"]

    def reading(self, text: str) -> Reading:
        """What the model reads of ``text``: the prefix that ends where its ``max_text_tokens``-th token ends."""
        text = whole_text(text)
        limit = self.prompt.max_text_tokens
        if limit is None:
            return Reading.whole(text)
        end, starts = len(cut_text(self.tokenizer, text, limit)), [s for s, _ in word_spans(text)]
        return Reading(text, "truncate", ((starts[0], end),) if starts and end > starts[0] else (), max_tokens=limit)


class PromptedClassifier:
    """A causal LM (a loaded ``Generator``) with a prompt and a verbalizer per label: a ``Classifier``.

    ``loglikelihoods(texts)`` gives each label's continuation log-likelihood (summed over its tokens), and
    ``predict_proba`` their softmax (divided by the number of tokens first when ``prompt.length_normalized``).
    """

    task = "classification"

    def __init__(self, lm: Generator, prompt: Prompt) -> None:
        if lm.encoder_decoder:
            raise ModelError(
                f"{lm.ref} is an encoder-decoder model; a prompted classifier needs a decoder-only (causal) LM"
            )
        if not prompt.verbalizers:
            raise ParameterError(
                "a prompted classifier needs verbalizers, a continuation per label; add them to the prompt"
            )
        self.lm = lm
        self.prompt = prompt
        self.ref, self.folder, self.device, self.precision = lm.ref, lm.folder, lm.device, lm.precision
        self.backend = lm.backend
        self.load_options = lm.load_options  # what a Ray actor loads the model with (the prompt file among them)
        self.label_names = prompt.labels
        self.renderer = PromptRenderer(lm.tokenizer, prompt)
        self.continuations = [
            lm.tokenizer(text, add_special_tokens=False)["input_ids"] for text in prompt.verbalizers.values()
        ]
        if any(not ids for ids in self.continuations):
            raise ParameterError("a verbalizer tokenizes to no tokens; give each label a continuation of visible text")

    @property
    def num_parameters(self) -> int:
        return self.lm.num_parameters

    @cached_property
    def fingerprint(self) -> str:
        """The LM's fingerprint with the prompt: a new template, verbalizer or shot changes the probabilities."""
        payload = json.dumps({"model": self.lm.fingerprint, "prompt": self.prompt.to_dict()}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def reading(self, text: str) -> Reading:
        return self.renderer.reading(text)

    def embed(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """The LM's own vectors of the documents (the mean of its last hidden states), for the corpus map."""
        return self.lm.embed(texts, progress=progress)

    def loglikelihoods(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, labels)``: each label's continuation log-likelihood after each text's prompt, in float64."""
        from .engine import run_batches

        prompts = self.renderer.ids(list(texts))
        width = max(len(c) for c in self.continuations)
        sizes = [(len(p) + width) for p in prompts]
        options = self.lm.options
        results, _ = run_batches(
            sizes,
            lambda batch: self._score([prompts[i] for i in batch]),
            device=self.lm.device,
            budget=options.token_budget,
            max_batch_size=options.max_batch_size,
        )
        return np.array(results, dtype=np.float64).reshape(len(texts), len(self.continuations))

    def predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """Class probabilities ``(n, labels)``: the softmax over the labels' (length-normalised) log-likelihoods."""
        chunks = list(self.iter_predict_proba(texts, progress=progress, total=len(texts)))
        return np.concatenate(chunks) if chunks else np.zeros((0, len(self.label_names)))

    def iter_predict_proba(
        self, texts: Iterable[str], *, progress: bool | None = None, total: int | None = None
    ) -> Iterator[np.ndarray]:
        """Stream the probabilities chunk by chunk over any iterable of texts."""
        import itertools

        from tqdm.auto import tqdm

        from .engine import PROGRESS_MIN_TEXTS

        disable = ((total or 0) < PROGRESS_MIN_TEXTS or None) if progress is None else not progress
        lengths = np.array([len(c) for c in self.continuations], dtype=np.float64)
        iterator = iter(texts)
        with tqdm(total=total, desc="predict", unit="text", disable=disable) as bar:
            while chunk := list(itertools.islice(iterator, self.lm.options.chunk_size)):
                scores = self.loglikelihoods(chunk)
                if self.prompt.length_normalized:
                    scores = scores / lengths
                scores = scores - scores.max(axis=1, keepdims=True)
                proba = np.exp(scores)
                yield proba / proba.sum(axis=1, keepdims=True)
                bar.update(len(chunk))

    def _score(self, prompts: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """One batch: the prompts once (right-padded, cached), then the labels' later tokens over the repeated cache."""
        import torch

        from .engine import autocast_context, pad_batch

        lm, labels = self.lm, len(self.continuations)
        batch = pad_batch([{"input_ids": list(p)} for p in prompts], lm.pad_id)
        lengths = torch.tensor([len(p) for p in prompts])
        rows = torch.arange(len(prompts))
        scores = torch.zeros((len(prompts), labels), dtype=torch.float64)
        with torch.inference_mode(), autocast_context(lm.device, lm.autocast):
            output = lm.model(**{k: v.to(lm.device) for k, v in batch.items()}, use_cache=True)
            first = torch.log_softmax(output.logits[rows, lengths - 1].double(), dim=-1).cpu()
            scores += first[:, [c[0] for c in self.continuations]]
            rest = max(len(c) for c in self.continuations) - 1
            if rest:  # the verbalizers' later tokens: one forward over the cache, repeated once per label
                cache = output.cache
                cache.batch_repeat_interleave(labels)
                fed = torch.full((len(prompts) * labels, rest), lm.pad_id, dtype=torch.long)
                mask = torch.zeros_like(fed)
                for j, ids in enumerate(self.continuations):
                    fed[j::labels, : len(ids) - 1] = torch.tensor(ids[:-1])
                    mask[j::labels, : len(ids) - 1] = 1
                attention = torch.cat([batch["attention_mask"].repeat_interleave(labels, dim=0), mask], dim=1)
                positions = lengths.repeat_interleave(labels)[:, None] + torch.arange(rest)[None, :]
                logits = lm.model(
                    input_ids=fed.to(lm.device),
                    attention_mask=attention.to(lm.device),
                    position_ids=positions.to(lm.device),
                    cache=cache,
                    use_cache=True,
                ).logits
                logp = torch.log_softmax(logits.double(), dim=-1).cpu().view(len(prompts), labels, rest, -1)
                for j, ids in enumerate(self.continuations):
                    for t, token in enumerate(ids[1:]):
                        scores[:, j] += logp[:, j, t, token]
        return list(scores.numpy())

    def __repr__(self) -> str:
        shots = f"{len(self.prompt.shots)}-shot" if self.prompt.shots else "zero-shot"
        return (f"PromptedClassifier({self.ref!r}, labels={list(self.label_names)}, {shots}, chat={self.prompt.chat}, "
                f"device={self.lm.device.type})")
