"""Batched transformer inference: token-budget batches, streaming chunks, results in input order.

Checked: ``transformers.pipeline("text-classification")`` runs one text per forward pass
unless given ``batch_size``, and then pads each fixed-size batch, in input order, to its
longest member. Here the input streams through in chunks: each chunk is tokenized once,
sorted by token length, cut into batches of at most ``token_budget`` padded tokens (so short
texts travel in large batches and long ones in small, cache-friendly ones), run under
``torch.inference_mode`` (autocast on CUDA), and put back in input order. Memory therefore
depends on the chunk, not the corpus. Softmax runs in float64 so probabilities sum to one
within scikit-learn's checks. On out-of-memory the token budget is halved and the batch retried.

Long documents are cut at the model's limit by default; ``long_text="window"`` instead slides
windows of ``max_length`` tokens with ``stride`` tokens of overlap over the whole text and
averages the windows' probabilities.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from .options import LoadOptions, check_batching

logger = logging.getLogger(__name__)

PROGRESS_MIN_TEXTS = 256
# Padded tokens per forward pass. CPU: small batches stay in cache (measured by `make bench`:
# budget sweep in benchmarks/results/inference.json); CUDA: large batches fill the GPU.
DEFAULT_TOKEN_BUDGET = {"cpu": 1024, "cuda": 65536, "mps": 8192}


@dataclass(frozen=True)
class EngineOptions:
    """How texts are batched and cut.

    token_budget : most padded tokens in one forward pass (rows x longest row).
    max_batch_size : most texts in one forward pass, whatever their length.
    chunk_size : texts tokenized and sorted together; bounds memory when streaming.
    long_text : ``truncate`` (default, as the pipeline does) or ``window``.
    stride : tokens shared by consecutive windows in ``window`` mode.
    """

    token_budget: int | None = None  # None: DEFAULT_TOKEN_BUDGET of the device
    max_batch_size: int = LoadOptions.batch_size  # the defaults are LoadOptions', written once
    chunk_size: int = 512
    long_text: str = LoadOptions.long_text
    stride: int = LoadOptions.stride

    def __post_init__(self) -> None:
        check_batching(token_budget=self.token_budget, batch_size=self.max_batch_size, long_text=self.long_text, stride=self.stride, chunk_size=self.chunk_size)

    def for_device(self, device: torch.device) -> EngineOptions:
        """These options with the device's default token budget filled in."""
        if self.token_budget is not None:
            return self
        return replace(self, token_budget=DEFAULT_TOKEN_BUDGET.get(device.type, DEFAULT_TOKEN_BUDGET["cpu"]))


def length_sorted_order(lengths: Sequence[int]) -> list[int]:
    """Indices ordering rows from longest to shortest; ties keep input order (deterministic)."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


def token_budget_batches(lengths: Sequence[int], token_budget: int, max_batch_size: int) -> list[list[int]]:
    """Cut length-sorted rows into batches whose padded size (rows x longest) fits the budget.

    A row longer than the budget travels alone.
    """
    batches: list[list[int]] = []
    for i in length_sorted_order(lengths):
        batch = batches[-1] if batches else None
        # rows arrive longest first, so the batch's first row sets its padded width
        if batch and len(batch) < max_batch_size and (len(batch) + 1) * lengths[batch[0]] <= token_budget:
            batch.append(i)
        else:
            batches.append([i])
    return batches


def pad_batch(rows: Sequence[dict[str, list[int]]], pad_token_id: int, *, left: bool = False) -> dict[str, torch.Tensor]:
    """Pad token id lists to the longest in the batch, on the right (or the ``left``, for decoder-only generation),
    with the matching attention mask.

    Built in numpy, one copy per key for the whole batch: a tensor per row took 1.5 of the 6.3 s (under cProfile)
    of 20,000 BBC articles on an H200, more than its kernels (about 0.3 s); 9x faster on 500 rows here. The GPU
    check's figure barely moved (4,621 to 4,631 articles a second), as the tokenizer bounds it. Checked:
    ``tokenizer.pad`` pads encodings, converting per row too.
    """
    lengths = np.array([len(r["input_ids"]) for r in rows])
    width = int(lengths.max())
    columns = np.arange(width)[None, :]
    # True where a row has a token; boolean indexing fills it row by row, so each row's tokens land in order
    real = columns >= (width - lengths)[:, None] if left else columns < lengths[:, None]
    total = int(lengths.sum())

    def padded(key: str, fill: int) -> torch.Tensor:
        values = np.full((len(rows), width), fill, dtype=np.int64)
        values[real] = np.fromiter(itertools.chain.from_iterable(r[key] for r in rows), dtype=np.int64, count=total)
        return torch.from_numpy(values)

    batch = {"input_ids": padded("input_ids", pad_token_id), "attention_mask": torch.from_numpy(real.astype(np.int64))}
    if "token_type_ids" in rows[0]:
        batch["token_type_ids"] = padded("token_type_ids", 0)
    return batch


def encode(tokenizer, texts: Sequence[str], *, max_length: int, options: EngineOptions) -> tuple[list[dict[str, list[int]]], list[int]]:
    """Token rows for ``texts`` and, per row, the index of the text it came from."""
    window = options.long_text == "window"
    encoded = tokenizer(
        list(texts),
        truncation=True,
        max_length=max_length,
        stride=options.stride if window else 0,
        return_overflowing_tokens=window,
    )
    keys = [k for k in ("input_ids", "token_type_ids") if k in encoded]
    rows = [{k: encoded[k][i] for k in keys} for i in range(len(encoded["input_ids"]))]
    owners = list(encoded["overflow_to_sample_mapping"]) if window else list(range(len(texts)))
    return rows, owners


def iter_outputs(
    model: torch.nn.Module,
    tokenizer,
    texts: Iterable[str],
    *,
    outputs: Callable[[Any, Sequence[int]], Sequence[np.ndarray]],
    device: torch.device,
    max_length: int,
    options: EngineOptions = EngineOptions(),
    autocast: torch.dtype | None = None,
    progress: bool | None = None,
    total: int | None = None,
    desc: str = "predict",
) -> Iterator[np.ndarray]:
    """Stream one float64 ``(chunk, width)`` array per chunk of input: ``outputs(model_output, lengths)`` of each token
    row, a long text's windows averaged.

    ``texts`` may be any iterable (a generator over a file, say); it is read ``chunk_size``
    texts at a time. ``progress=None`` shows a bar for at least 256 texts on a terminal.
    """
    options = options.for_device(device)
    budget = options.token_budget  # halved on out-of-memory, for the rest of this call
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    disable = ((total or 0) < PROGRESS_MIN_TEXTS or None) if progress is None else not progress
    iterator = iter(texts)
    with tqdm(total=total, desc=desc, unit="text", disable=disable) as bar:
        while chunk := list(itertools.islice(iterator, options.chunk_size)):
            rows, owners = encode(tokenizer, chunk, max_length=max_length, options=options)
            row_outputs, budget = run_rows(model, rows, pad_id=pad, device=device, autocast=autocast, budget=budget,
                                           max_batch_size=options.max_batch_size, outputs=outputs)
            yield _per_text(np.stack(row_outputs).astype(np.float64), owners, len(chunk))
            bar.update(len(chunk))


def iter_predict_proba(model: torch.nn.Module, tokenizer, texts: Iterable[str], **kwargs: Any) -> Iterator[np.ndarray]:
    """Stream class probabilities: one float64 ``(chunk, num_labels)`` array per chunk of input
    (:func:`iter_outputs`)."""
    return iter_outputs(model, tokenizer, texts, outputs=probabilities, **kwargs)


def embed(model: torch.nn.Module, tokenizer, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
    """Each text as the mean of ``model``'s last hidden states over its tokens (windows averaged), float32
    ``(len(texts), hidden)`` in input order; ``model`` is an encoder (``TransformerModel.embed`` picks it)."""
    chunks = list(iter_outputs(model, tokenizer, texts, outputs=mean_hidden_state, total=len(texts), desc="embed",
                               **kwargs))
    empty = np.zeros((0, model.config.hidden_size), dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32) if chunks else empty


def run_rows(model: torch.nn.Module, rows: Sequence[dict[str, list[int]]], *, pad_id: int, device: torch.device, autocast: torch.dtype | None,
             budget: int, max_batch_size: int, outputs: Callable[[Any, Sequence[int]], Sequence[np.ndarray]]) -> tuple[list[np.ndarray], int]:
    """Run token rows through ``model`` in token-budget batches; ``outputs(model_output, lengths)`` gives one array per row.

    Rows go longest first into batches of at most ``budget`` padded tokens and come back in
    input order (``run_batches``); the budget that worked is returned with the results, for
    the caller's next rows. Identical rows run once and share their result: a perturbation
    leaves most windows of a long text as they were (a question-answering occlusion of a BBC article read
    up to four times as many windows as it had distinct ones), and a dataset repeats texts.
    """
    index: dict[tuple, int] = {}  # a row's tokens -> its place among the distinct rows
    which = [index.setdefault(tuple((k, tuple(v)) for k, v in sorted(row.items())), len(index)) for row in rows]
    distinct = list({d: row for d, row in zip(which, rows)}.values())  # in order of first appearance: d = 0, 1, ...

    def step(batch: Sequence[int]) -> Sequence[np.ndarray]:
        return outputs(forward(model, pad_batch([distinct[i] for i in batch], pad_id), device, autocast),
                       [len(distinct[i]["input_ids"]) for i in batch])

    results, budget = run_batches([len(r["input_ids"]) for r in distinct], step, device=device, budget=budget,
                                  max_batch_size=max_batch_size)
    return [results[d] for d in which], budget


def run_batches(sizes: Sequence[int], step: Callable[[Sequence[int]], Sequence[Any]], *, device: torch.device, budget: int,
                max_batch_size: int) -> tuple[list[Any], int]:
    """``step(batch)`` over token-budget batches of the rows (``sizes``: each row's padded tokens); results in input order.

    Rows go largest first into batches of at most ``budget`` tokens. On out-of-memory the
    budget is halved and the batch re-cut; the budget that worked is returned with the results.
    """
    results: list[Any] = [None] * len(sizes)
    pending = token_budget_batches(sizes, budget, max_batch_size)
    while pending:
        batch = pending.pop(0)
        try:
            for i, row in zip(batch, step(batch)):
                results[i] = row
        except torch.OutOfMemoryError:
            if len(batch) == 1:
                raise
            budget = max(1, budget // 2)
            logger.warning("out of memory; retrying with a token budget of %d", budget)
            if device.type == "cuda":
                torch.cuda.empty_cache()
            pending = [[batch[i] for i in b] for b in token_budget_batches([sizes[i] for i in batch], budget, max_batch_size)] + pending
    return results, budget


def probabilities(output: Any, lengths: Sequence[int]) -> np.ndarray:
    """Class probabilities of a batch's rows: softmax of the logits in float64 (sums to one within scikit-learn's checks)."""
    return torch.softmax(output.logits.to(torch.float64), dim=-1).cpu().numpy()


def mean_hidden_state(output: Any, lengths: Sequence[int]) -> np.ndarray:
    """The mean of each row's last hidden states over its real tokens (rows are right-padded), in float32.

    Checked: sentence-transformers' ``Pooling(pooling_mode_mean_tokens=True)`` averages the same way under the attention
    mask; the workbench runs its own models, so that library is not needed for it.
    """
    states = output.last_hidden_state.float()
    positions = torch.arange(states.shape[1], device=states.device)[None, :]
    mask = (positions < torch.tensor(lengths, device=states.device)[:, None]).float()
    return ((states * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)).cpu().numpy()


def _per_text(row_proba: np.ndarray, owners: Sequence[int], n_texts: int) -> np.ndarray:
    """Average the rows (windows) of each text; with one row per text this is the identity."""
    if len(owners) == n_texts:
        return row_proba
    sums = np.zeros((n_texts, row_proba.shape[1]))
    np.add.at(sums, np.asarray(owners), row_proba)
    return sums / np.bincount(owners, minlength=n_texts)[:, None]


def predict_proba(model: torch.nn.Module, tokenizer, texts: Sequence[str], **kwargs) -> np.ndarray:
    """Class probabilities ``(len(texts), num_labels)`` in input order (see ``iter_predict_proba``)."""
    chunks = list(iter_predict_proba(model, tokenizer, texts, total=len(texts), **kwargs))
    return np.concatenate(chunks) if chunks else np.zeros((0, model.config.num_labels), dtype=np.float64)


def forward(model: torch.nn.Module, batch: dict[str, torch.Tensor], device: torch.device, autocast: torch.dtype | None) -> Any:
    """The model's output on one padded batch, without gradients; pinned, non-blocking copies on CUDA."""
    pin = device.type == "cuda"
    inputs = {k: (v.pin_memory() if pin else v).to(device, non_blocking=pin) for k, v in batch.items()}
    with torch.inference_mode(), autocast_context(device, autocast):
        return model(**inputs)


def autocast_context(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """Autocast to ``dtype`` on ``device`` (bf16/fp16 precisions), or nothing when ``dtype`` is None (fp32)."""
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()
