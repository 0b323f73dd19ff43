"""A text-generation folder (encoder-decoder ``AutoModelForSeq2SeqLM`` or decoder-only ``AutoModelForCausalLM``) behind ``generate``.

Generation is transformers' own ``model.generate`` (greedy, beam search or sampling, its
stopping rules and its caches); what this module adds is the batching a corpus needs:

* sources are tokenized once per chunk (cut at the model's limit), sorted by length and cut
  into batches of at most ``token_budget`` tokens, counting each row as (source + new
  tokens) x beams (default ``GENERATION_TOKEN_BUDGET``, larger than classification's), so
  short sources travel in large batches; the engine's out-of-memory fallback
  (``engine.run_batches``) halves the budget and retries;
* decoder-only models are padded on the left (their next token follows the prompt's last
  real token; transformers derives the position ids from the attention mask), encoder-decoder
  models on the right;
* the new tokens are cut at the first end-of-sequence token, and results come back in input
  order. Batched greedy and beam search equal ``model.generate`` run one text at a time,
  token for token (``tests/test_generation.py``);
* sampling draws each text alone after ``torch.manual_seed(seed)`` (inside
  ``torch.random.fork_rng``, so the caller's random state is untouched), so a text's sample
  depends only on the text and the seed, never on its batch neighbours.

Checked: the ``text2text-generation``/``summarization`` pipelines are gone from transformers 5,
and ``pipeline("text-generation")`` pads fixed-size batches in input order; neither sorts by
length. An encoder-decoder folder whose generation config has no ``decoder_start_token_id``
(BERT2BERT folders saved from ``EncoderDecoderModel``) cannot start generating in transformers
5; it is refused with the one-line command that adds it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import ModelError, ParameterError
from ..reading import Reading, tokenizer_reading
from ..records.generation import GenerationSettings
from ..records.prompt import Prompt
from .engine import PROGRESS_MIN_TEXTS, autocast_context, pad_batch, run_batches
from .options import LoadOptions
from .transformer import TransformerModel

DEFAULT_MAX_NEW_TOKENS = GenerationSettings.max_new_tokens
# Tokens per generate call, counting each row as (source + new tokens) x beams. Larger than classification's: each decoding step
# is a small matrix product, so batches amortise it. Measured on demo:headline-bbc, 64 test articles, 2 CPU threads: greedy 16.2
# documents/s at 1024, 24.4 at 4096, 28.6 at 8192, 31.3 at 16384, 30.0 at 65536; 4 beams 3.9, 10.9, 12.1, 12.5, 8.8.
GENERATION_TOKEN_BUDGET = {"cpu": 16384, "cuda": 262144, "mps": 32768}


class Generator(TransformerModel):
    """A transformers generation model (``task == "generation"``): an encoder-decoder or a decoder-only language model."""

    task = "generation"
    prompt: Prompt | None = None  # a decoder-only LM's prompt around every source (use_prompt)

    @property
    def auto_class(self) -> str:  # read by TransformerModel.__init__ once the config is loaded
        return "AutoModelForSeq2SeqLM" if self.config.is_encoder_decoder else "AutoModelForCausalLM"

    def __init__(self, ref: str, folder: Path, options: LoadOptions | None = None) -> None:
        super().__init__(ref, folder, options)
        if self.options.long_text != "truncate":
            raise ParameterError(f"long_text {self.options.long_text!r} averages a classifier's windows; a generator reads its sources cut at "
                                 f"{self.max_length} tokens, so leave --long-text truncate")
        if self.load_options.token_budget is None:
            self.options = replace(self.options, token_budget=GENERATION_TOKEN_BUDGET.get(self.device.type, GENERATION_TOKEN_BUDGET["cpu"]))
        self.encoder_decoder = bool(self.config.is_encoder_decoder)
        settings = self.model.generation_config
        if self.encoder_decoder and settings.decoder_start_token_id is None:
            start = next((t for t in (self.tokenizer.cls_token_id, self.tokenizer.bos_token_id, self.tokenizer.pad_token_id) if t is not None), 0)
            raise ModelError(
                f"{folder} is an encoder-decoder model without decoder_start_token_id in its generation config, which transformers 5 "
                f"needs to start generating; add it once with: python -c \"from transformers import AutoConfig, GenerationConfig; "
                f"g = GenerationConfig.from_model_config(AutoConfig.from_pretrained('{folder}')); g.decoder_start_token_id = {start}; "
                f"g.save_pretrained('{folder}')\" (here {start} is the tokenizer's first start token; use the one the model was trained with)"
            )
        eos = settings.eos_token_id
        self.eos_ids = frozenset(eos if isinstance(eos, (list, tuple)) else ([] if eos is None else [eos]))
        self.pad_id = next((t for t in (settings.pad_token_id, self.tokenizer.pad_token_id, *sorted(self.eos_ids)) if t is not None), None)
        if self.pad_id is None:
            raise ModelError(f"{folder} names no padding or end-of-sequence token, so its texts cannot be batched; set pad_token_id in its generation config")

    def generate(self, texts: Sequence[str], *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, num_beams: int = 1, do_sample: bool = False,
                 seed: int = 0, progress: bool | None = None) -> list[str]:
        """The text generated from each of ``texts``, in input order (special tokens removed).

        Greedy by default; ``num_beams`` > 1 is beam search and ``do_sample`` samples from the
        model's generation config (temperature, top-k/top-p), seeded by ``seed``.
        """
        settings = GenerationSettings(max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=do_sample, seed=seed)
        return [self.decode(ids) for chunk in self.iter_generate_ids(texts, settings, progress=progress, total=len(texts)) for ids in chunk]

    def generate_ids(self, texts: Sequence[str], settings: GenerationSettings = GenerationSettings(), *, progress: bool | None = None) -> list[list[int]]:
        """The new token ids generated from each text (up to, not including, the end-of-sequence token), in input order."""
        return [ids for chunk in self.iter_generate_ids(texts, settings, progress=progress, total=len(texts)) for ids in chunk]

    def iter_generate_ids(self, texts: Iterable[str], settings: GenerationSettings, *, progress: bool | None = None,
                          total: int | None = None) -> Iterator[list[list[int]]]:
        """Stream the new token ids chunk by chunk over any iterable of sources: memory depends on the chunk, not the corpus."""
        disable = ((total or 0) < PROGRESS_MIN_TEXTS or None) if progress is None else not progress
        budget = self.options.token_budget
        iterator = iter(texts)
        with tqdm(total=total, desc="generate", unit="text", disable=disable) as bar:
            while chunk := list(itertools.islice(iterator, self.options.chunk_size)):
                rows = self.encode_sources(chunk)
                sizes = [(len(r) + settings.max_new_tokens) * settings.num_beams for r in rows]
                # sampling: one text per batch, seeded, so a sample never depends on its batch neighbours
                results, budget = run_batches(sizes, lambda batch: self._generate_batch([rows[i] for i in batch], settings), device=self.device,
                                              budget=budget, max_batch_size=1 if settings.do_sample else self.options.max_batch_size)
                yield results
                bar.update(len(chunk))

    def use_prompt(self, prompt: Prompt) -> None:
        """Read every source through ``prompt`` (a decoder-only LM's instruction, chat-templated when ``prompt.chat``):
        generation, token probabilities and explanations all see the prompt, and its words are not the source's."""
        from .prompting import PromptRenderer

        if self.encoder_decoder:
            raise ModelError(f"{self.ref} is an encoder-decoder model; prompts apply to decoder-only LMs")
        self.prompt, self.renderer = prompt, PromptRenderer(self.tokenizer, prompt)

    def encode_sources(self, texts: Sequence[str]) -> list[list[int]]:
        """Each source's token ids as the model reads them: with its special tokens, cut at the model's limit (through
        the prompt, when the model has one: ``use_prompt``)."""
        if self.prompt is not None:
            return self.renderer.ids(list(texts))
        return self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]

    def reading(self, text: str) -> Reading:
        """What the model reads of a source: the prefix within its limit (its prompt's ``max_text_tokens``, if any)."""
        if self.prompt is not None:
            return self.renderer.reading(text)
        return tokenizer_reading(self.tokenizer, text, max_length=self.max_length, long_text="truncate", stride=0)

    def decode(self, ids: Sequence[int]) -> str:
        """Generated token ids as text, without special tokens."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=True).strip()

    def _generate_batch(self, rows: Sequence[Sequence[int]], settings: GenerationSettings) -> list[list[int]]:
        """``model.generate`` on one padded batch; the new tokens of each row, cut at its first end-of-sequence token."""
        inputs = self._padded(rows, left=not self.encoder_decoder)  # decoder-only: left padding, so generation follows the prompt
        width = inputs["input_ids"].shape[1]
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices, enabled=settings.do_sample), torch.inference_mode(), autocast_context(self.device, self.autocast):
            if settings.do_sample:  # seeded inside fork_rng: the caller's random state is left as it was
                torch.manual_seed(settings.seed)
            output = self.model.generate(**{k: v.to(self.device) for k, v in inputs.items()},
                                         max_new_tokens=settings.max_new_tokens, num_beams=settings.num_beams, do_sample=settings.do_sample,
                                         pad_token_id=self.pad_id)
        return [self.new_tokens(row.tolist(), width) for row in output.cpu()]

    def new_tokens(self, sequence: Sequence[int], prompt_width: int) -> list[int]:
        """The generated part of one output row of ``model.generate``, up to its first end-of-sequence token.

        An encoder-decoder's output starts with its decoder start token; a decoder-only
        model's repeats the (padded) prompt of ``prompt_width`` tokens.
        """
        new = list(sequence[1:] if self.encoder_decoder else sequence[prompt_width:])
        end = next((k for k, token in enumerate(new) if token in self.eos_ids), len(new))
        return new[:end]

    def token_probabilities(self, sources: Sequence[str], generated: Sequence[int], *,
                            fed: Sequence[Sequence[int]] | None = None,
                            contrast: Sequence[int] | None = None) -> np.ndarray:
        """``(len(sources), len(generated))``: the probability of each generated token at its step, teacher-forced.

        Row i reads ``sources[i]`` and, as the output so far, ``fed[i]`` (default: ``generated``
        itself, so step t sees the tokens generated before it); column t is the softmax
        probability (float64) the model gives ``generated[t]`` at step t. This is what the
        token explanations explain and what their faithfulness deletes words from; with the
        greedy output it is each token's probability when it was chosen.

        With ``contrast`` (one token id per step), column t is instead
        log p(``generated[t]``) − log p(``contrast[t]``) at step t, in the same context: what a contrastive explanation
        ("this token rather than that one") explains.
        It is the difference of the two logits (the softmax's normaliser cancels), taken in float64.
        """
        fed = [list(generated)] * len(sources) if fed is None else [list(f) for f in fed]
        if len(fed) != len(sources) or any(len(f) != len(generated) for f in fed):
            raise ValueError("fed must hold one sequence of len(generated) tokens per source")
        if contrast is not None and len(contrast) != len(generated):
            raise ValueError("contrast must hold one token per generated token")
        if not generated:
            return np.zeros((len(sources), 0))
        rows = self.encode_sources(sources)
        sizes = [len(r) + len(generated) for r in rows]
        positions, tokens = (torch.tensor(v, device=self.device) for v in (range(len(generated)), list(generated)))
        foils = None if contrast is None else torch.tensor(list(contrast), device=self.device)

        def batch_values(batch: list[int]) -> list[np.ndarray]:
            logits = self._step_logits([rows[i] for i in batch], [fed[i] for i in batch], len(generated))
            if foils is None:
                return list(torch.softmax(logits, dim=-1)[:, positions, tokens].cpu().numpy())
            return list((logits[:, positions, tokens] - logits[:, positions, foils]).cpu().numpy())

        results, _ = run_batches(sizes, batch_values, device=self.device, budget=self.options.token_budget,
                                 max_batch_size=self.options.max_batch_size)
        return np.array(results, dtype=np.float64).reshape(len(sources), len(generated))

    def runner_up(self, source: str, generated: Sequence[int]) -> list[int]:
        """At each step of ``generated`` (teacher-forced on ``source``), the most probable token other than the one
        generated: the default foil of a contrastive token explanation ("why this token rather than the next best")."""
        if not generated:
            return []
        logits = self._step_logits(self.encode_sources([source]), [list(generated)], len(generated))[0]
        chosen = torch.tensor(list(generated), device=logits.device)[:, None]
        return [int(token) for token in logits.scatter(-1, chosen, -torch.inf).argmax(dim=-1).tolist()]

    def teacher_forced_inputs(self, rows: Sequence[Sequence[int]], fed: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
        """Model inputs that score a fixed output: encoder-decoder: the sources padded right and the decoder fed [start] + fed[:-1];
        decoder-only: source + fed[:-1], padded left, so the last ``len(fed)`` positions predict the output's tokens,
        with position ids counted from each row's first real token (a forward pass, unlike ``generate``, does not derive
        them from the attention mask, so a padded row would otherwise read shifted positions)."""
        start = self.model.generation_config.decoder_start_token_id
        if self.encoder_decoder:
            inputs = self._padded(rows, left=False)
            inputs["decoder_input_ids"] = torch.tensor([[start, *f[:-1]] for f in fed], dtype=torch.long)
            return inputs
        inputs = self._padded([[*row, *f[:-1]] for row, f in zip(rows, fed)], left=True)
        inputs["position_ids"] = (inputs["attention_mask"].cumsum(dim=1) - 1).clamp(min=0)
        return inputs

    def _step_logits(self, rows: Sequence[Sequence[int]], fed: Sequence[Sequence[int]], steps: int) -> torch.Tensor:
        """``(rows, steps, vocabulary)`` float64 logits of the last ``steps`` positions, teacher-forced on ``fed``, on
        the model's device."""
        inputs = {k: v.to(self.device) for k, v in self.teacher_forced_inputs(rows, fed).items()}
        with torch.inference_mode(), autocast_context(self.device, self.autocast):
            logits = self.model(**inputs).logits[:, -steps:]
        return logits.to(torch.float64)

    def _padded(self, rows: Sequence[Sequence[int]], *, left: bool) -> dict[str, torch.Tensor]:
        return pad_batch([{"input_ids": list(row)} for row in rows], self.pad_id, left=left)

    def __repr__(self) -> str:
        kind = "encoder-decoder" if self.encoder_decoder else "decoder-only"
        return f"Generator({self.ref!r}, {kind}, device={self.device.type}, precision={self.precision}, max_length={self.max_length})"

