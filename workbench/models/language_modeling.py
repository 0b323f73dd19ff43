"""A causal LM reading plain text: each text's negative log-likelihood, token by token, in sliding windows.

``LanguageModel`` wraps a loaded decoder-only ``Generator`` for the ``language-modeling`` task. A text is tokenized
once (the model's tokenizer, no special tokens) after the model's beginning-of-text token (its BOS, else its EOS, as
lm-evaluation-harness's rolling log-likelihood prefixes), and read in windows of ``Window.max_tokens`` tokens
``Window.stride`` apart, each scoring only the tokens the previous window did not (transformers' perplexity guide,
"Perplexity of fixed-length models"). Windows of every text are batched by the engine's token budget, padded on the
left so that the scored tokens end every row, and only their logits are computed (``logits_to_keep``).

Checked: transformers' guide computes this one text at a time with ``labels=``, whose loss is a mean over the
window; lm-eval's ``loglikelihood_rolling`` uses disjoint windows only. Neither batches windows across texts, so the
few lines here do; the tests check them against one forward with ``labels=`` (the model's own loss) and against
lm-eval's ``loglikelihood_rolling``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import torch

from ..errors import ModelError
from ..records.language_modeling import Window
from .engine import DEFAULT_TOKEN_BUDGET, autocast_context, run_batches
from .generation import Generator


def windows(length: int, window: Window) -> list[tuple[int, int, int]]:
    """The windows over a text of ``length`` tokens after one prefix token: ``(start, stop, scored)`` per window.

    Over ``sequence = [prefix, *tokens]``, a window's model input is ``sequence[start:stop - 1]`` (at most
    ``max_tokens``) and it scores its last ``scored`` targets, ``sequence[stop - scored:stop]``. The first window scores
    ``max_tokens`` tokens, each later one the next ``stride`` after a full window of context, so the scored counts sum
    to ``length`` and every token is scored once. With ``stride == max_tokens`` these are lm-evaluation-harness's
    rolling windows (``get_rolling_token_windows`` with one token of context), the last one included.
    """
    spans, done = [], 1
    while done <= length:
        stop = min(done + (window.max_tokens if done == 1 else window.stride), length + 1)
        spans.append((max(0, stop - 1 - window.max_tokens), stop, stop - done))
        done = stop
    return spans


class LanguageModel:
    """A decoder-only LM's log-likelihood of plain texts: the model of the ``language-modeling`` task."""

    task = "language-modeling"

    def __init__(self, lm: Generator) -> None:
        if lm.encoder_decoder:
            raise ModelError(
                f"{lm.ref} is an encoder-decoder model, which predicts an output from a source; perplexity of plain "
                "text needs a decoder-only (causal) LM"
            )
        self.lm = lm
        self.ref, self.folder, self.device, self.precision = lm.ref, lm.folder, lm.device, lm.precision
        self.backend = lm.backend
        self.load_options = lm.load_options
        tokenizer = lm.tokenizer
        found = (tokenizer.bos_token_id, *sorted(lm.eos_ids), tokenizer.eos_token_id)
        prefix = next((t for t in found if t is not None), None)
        if prefix is None:
            raise ModelError(f"{lm.ref} names no beginning- or end-of-text token to read a text's first token after")
        self.prefix = int(prefix)
        # a forward pass's tokens, as a classifier's (not generation's larger budget, which amortises decoding steps):
        # on demo:smollm2-instruct, 16 BBC articles, 2 CPU threads, 1,024 tokens read 333 tokens/s, 16,384 read 137
        self.token_budget = lm.load_options.token_budget or DEFAULT_TOKEN_BUDGET.get(lm.device.type, 1024)

    @property
    def num_parameters(self) -> int:
        return self.lm.num_parameters

    @cached_property
    def fingerprint(self) -> str:
        return self.lm.fingerprint

    def fitted(self, window: Window) -> Window:
        """``window`` cut to what the model reads in one pass (its position limit), the stride with it."""
        if window.max_tokens <= self.lm.max_length:
            return window
        return Window(max_tokens=self.lm.max_length, stride=min(window.stride, self.lm.max_length))

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's tokens as the model reads it: the tokenizer's, without special tokens."""
        return [list(ids) for ids in self.lm.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    def negative_log_likelihoods(
        self, texts: Sequence[str], window: Window = Window()
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(nll, tokens)``: each text's summed negative log-likelihood in nats (float64) and its tokens scored, read
        in ``window`` as :meth:`fitted` to the model."""
        ids, window = self.token_ids(texts), self.fitted(window)
        rows = [
            (i, [self.prefix, *doc][start:stop], scored)
            for i, doc in enumerate(ids)
            for start, stop, scored in windows(len(doc), window)
        ]
        results, _ = run_batches(
            [len(row) - 1 for _, row, _ in rows],
            lambda batch: self._window_nll([rows[k][1:] for k in batch]),
            device=self.device,
            budget=self.token_budget,
            max_batch_size=self.lm.options.max_batch_size,
        )
        nll = np.zeros(len(ids), dtype=np.float64)
        np.add.at(nll, [i for i, _, _ in rows], np.asarray(results, dtype=np.float64))
        return nll, np.array([len(doc) for doc in ids], dtype=np.int64)

    def _window_nll(self, batch: Sequence[tuple[list[int], int]]) -> list[float]:
        """Each window's summed negative log-likelihood of its last ``scored`` tokens: the model reads every row but
        its last token, padded on the left, so the last ``scored`` positions predict the row's last tokens."""
        keep = max(scored for _, scored in batch)
        inputs = self.lm._padded([row[:-1] for row, _ in batch], left=True)
        inputs["position_ids"] = (inputs["attention_mask"].cumsum(dim=1) - 1).clamp(min=0)
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        targets = self.lm._padded([row[1:] for row, _ in batch], left=True)["input_ids"][:, -keep:].to(self.device)
        with torch.inference_mode(), autocast_context(self.device, self.lm.autocast):
            logits = self.lm.model(**inputs, logits_to_keep=keep).logits
        # the log-softmax in the logits' float32 (a third of float64's time over a 49k vocabulary), summed in float64
        picked = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1).double()
        scored = torch.arange(keep, device=picked.device).unsqueeze(0) >= torch.tensor(
            [keep - s for _, s in batch], device=picked.device
        ).unsqueeze(1)
        return [-float(v) for v in (picked * scored).sum(dim=1).cpu()]

    def __repr__(self) -> str:
        return f"LanguageModel({self.ref!r}, device={self.device.type}, precision={self.precision})"
