"""Batched transformer inference: length-sorted batches, dynamic padding, results in input order.

Checked: ``transformers.pipeline("text-classification")`` pads each batch to its longest
member but keeps the input order, so mixed lengths waste compute on padding, and it applies
softmax in the model's dtype. Here texts are tokenized once, sorted by token length so each
batch pads little, run under ``torch.inference_mode`` (with bf16/fp16 autocast on CUDA), and
the logits go through softmax in float64 so probabilities sum to one for scikit-learn's checks.
On CUDA out-of-memory the batch is halved and the same texts are retried.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

PROGRESS_MIN_TEXTS = 256


def length_sorted_order(lengths: Sequence[int]) -> list[int]:
    """Indices ordering texts from longest to shortest; ties keep input order (deterministic)."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


def pad_batch(encodings: Sequence[dict[str, list[int]]], pad_token_id: int) -> dict[str, torch.Tensor]:
    """Right-pad token id lists to the longest in the batch, with the matching attention mask."""
    width = max(len(e["input_ids"]) for e in encodings)
    batch = {"input_ids": torch.full((len(encodings), width), pad_token_id, dtype=torch.long)}
    batch["attention_mask"] = torch.zeros((len(encodings), width), dtype=torch.long)
    if "token_type_ids" in encodings[0]:
        batch["token_type_ids"] = torch.zeros((len(encodings), width), dtype=torch.long)
    for row, enc in enumerate(encodings):
        n = len(enc["input_ids"])
        batch["input_ids"][row, :n] = torch.tensor(enc["input_ids"])
        batch["attention_mask"][row, :n] = 1
        if "token_type_ids" in batch:
            batch["token_type_ids"][row, :n] = torch.tensor(enc["token_type_ids"])
    return batch


def predict_proba(
    model: torch.nn.Module,
    tokenizer,
    texts: Sequence[str],
    *,
    device: torch.device,
    max_length: int,
    batch_size: int = 32,
    autocast: torch.dtype | None = None,
    progress: bool | None = None,
) -> np.ndarray:
    """Class probabilities ``(len(texts), num_labels)`` in input order, as float64.

    ``progress=None`` shows a bar for inputs of at least 256 texts on a terminal.
    """
    num_labels = model.config.num_labels
    if len(texts) == 0:
        return np.zeros((0, num_labels), dtype=np.float64)
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    keys = [k for k in ("input_ids", "token_type_ids") if k in encoded]
    encodings = [{k: encoded[k][i] for k in keys} for i in range(len(texts))]
    order = length_sorted_order([len(e["input_ids"]) for e in encodings])
    out = np.empty((len(texts), num_labels), dtype=np.float64)
    disable = (len(texts) < PROGRESS_MIN_TEXTS or None) if progress is None else not progress
    start = 0
    with tqdm(total=len(texts), desc="predict", unit="text", disable=disable) as bar:
        while start < len(order):
            rows = order[start : start + batch_size]
            try:
                proba = _forward(model, pad_batch([encodings[i] for i in rows], tokenizer.pad_token_id or 0), device, autocast)
            except torch.OutOfMemoryError:
                if batch_size == 1:
                    raise
                batch_size = max(1, batch_size // 2)
                logger.warning("out of memory; retrying with batch size %d", batch_size)
                if device.type == "cuda":
                    torch.cuda.empty_cache()
                continue
            out[rows] = proba
            start += len(rows)
            bar.update(len(rows))
    return out


def _forward(model: torch.nn.Module, batch: dict[str, torch.Tensor], device: torch.device, autocast: torch.dtype | None) -> np.ndarray:
    pin = device.type == "cuda"
    inputs = {k: (v.pin_memory() if pin else v).to(device, non_blocking=pin) for k, v in batch.items()}
    amp = torch.autocast(device.type, dtype=autocast) if autocast is not None else contextlib.nullcontext()
    with torch.inference_mode(), amp:
        logits = model(**inputs).logits
    return torch.softmax(logits.to(torch.float64), dim=-1).cpu().numpy()
