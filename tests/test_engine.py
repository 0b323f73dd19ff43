"""Batched inference: invariant to batch size and order, equal to a plain forward and to the
transformers pipeline, truncating where the pipeline does, and backing off on out-of-memory."""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest
import torch

from dataclasses import replace

from workbench.models.engine import length_sorted_order, pad_batch, token_budget_batches
from workbench.errors import ParameterError
from workbench.bench.inference import pipeline_proba
from workbench.models import load_model
from workbench.models.transformer import truncation_limit

from .conftest import TINY_ROWS

TEXTS = [t for t, _ in TINY_ROWS] + ["the " * 40 + "goal", "a", "bank bank bank data"]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(str(tiny_model_dir), device="cpu")


def with_options(model, **changes):
    model.options = replace(model.options, **changes)
    return model


@pytest.mark.parametrize("token_budget, batch_size", [(1, 256), (48, 256), (100_000, 2), (100_000, 256)])
def test_batching_does_not_change_probabilities(tiny_model_dir, tiny, token_budget, batch_size):
    reference = tiny.predict_proba(TEXTS)
    other = load_model(str(tiny_model_dir), device="cpu", token_budget=token_budget, batch_size=batch_size)
    np.testing.assert_allclose(other.predict_proba(TEXTS), reference, atol=1e-6)


@pytest.mark.parametrize("left", [False, True])
def test_pad_batch_puts_each_rows_tokens_on_its_side_with_the_mask(left):
    """Rows of 3, 1 and 2 tokens: each row's ids (and token types) in order on the right (or, for decoder-only
    generation, the left), the pad id and type 0 elsewhere, and a mask of ones exactly where a row has tokens."""
    rows = [{"input_ids": [5, 6, 7], "token_type_ids": [0, 1, 1]}, {"input_ids": [8], "token_type_ids": [1]},
            {"input_ids": [9, 4], "token_type_ids": [1, 0]}]
    batch = pad_batch(rows, 0 if left else 3, left=left)
    if left:
        ids, types = [[5, 6, 7], [0, 0, 8], [0, 9, 4]], [[0, 1, 1], [0, 0, 1], [0, 1, 0]]
        mask = [[1, 1, 1], [0, 0, 1], [0, 1, 1]]
    else:
        ids, types = [[5, 6, 7], [8, 3, 3], [9, 4, 3]], [[0, 1, 1], [1, 0, 0], [1, 0, 0]]
        mask = [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    assert list(batch) == ["input_ids", "attention_mask", "token_type_ids"]
    assert all(t.dtype == torch.long for t in batch.values())
    assert batch["input_ids"].tolist() == ids and batch["token_type_ids"].tolist() == types
    assert batch["attention_mask"].tolist() == mask
    assert list(pad_batch([{"input_ids": [1]}], 0)) == ["input_ids", "attention_mask"]  # no types where rows have none


@pytest.mark.parametrize("budget, most", [(1, 256), (50, 256), (64, 3), (10_000, 256)])
def test_token_budget_batches_cover_every_row_once_within_budget(budget, most):
    lengths = [5, 24, 3, 24, 9, 1, 17, 17, 2]
    batches = token_budget_batches(lengths, budget, most)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= most
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= budget
    assert [lengths[b[0]] for b in batches] == sorted((lengths[b[0]] for b in batches), reverse=True)


def test_streaming_over_a_generator_equals_the_whole(tiny_model_dir, tiny):
    streaming = with_options(load_model(str(tiny_model_dir), device="cpu"), chunk_size=3)
    chunks = list(streaming.iter_predict_proba(t for t in TEXTS))
    assert [len(c) for c in chunks] == [3, 3, 3, 2]
    np.testing.assert_allclose(np.concatenate(chunks), tiny.predict_proba(TEXTS), atol=1e-6)


def test_window_mode_averages_overlapping_windows(tiny_model_dir, tiny):
    windowed = load_model(str(tiny_model_dir), device="cpu", long_text="window", stride=4)
    short, long_text = "the bank said profit rose", " ".join(["the bank said profit rose and the team won the match"] * 6)
    np.testing.assert_allclose(windowed.predict_proba([short]), tiny.predict_proba([short]), atol=1e-6)
    tok = tiny.tokenizer
    windows = tok(long_text, truncation=True, max_length=tiny.max_length, stride=4, return_overflowing_tokens=True)["input_ids"]
    assert len(windows) > 2
    texts = [tok.decode(w[1:-1]) for w in windows]
    expected = tiny.predict_proba(texts).mean(axis=0)
    np.testing.assert_allclose(windowed.predict_proba([short, long_text])[1], expected, atol=1e-6)


def test_int8_precision_quantizes_linear_layers_and_stays_close(tiny_model_dir, tiny):
    int8 = load_model(str(tiny_model_dir), device="cpu", precision="int8")
    linears = [m for m in int8.model.modules() if type(m).__name__ == "Linear"]
    assert linears and all(type(m).__module__ == "torch.ao.nn.quantized.dynamic.modules.linear" for m in linears)
    assert all(m.weight().qscheme() == torch.per_channel_affine for m in linears)
    np.testing.assert_allclose(int8.predict_proba(TEXTS), tiny.predict_proba(TEXTS), atol=0.05)
    assert int8.precision == "int8" and tiny.precision == "auto"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"precision": "int4"}, "unknown precision 'int4'"),
        ({"precision": "bf16"}, "precision 'bf16' needs a CUDA device"),
        ({"long_text": "summarize"}, "unknown long-text mode 'summarize'"),
        ({"token_budget": 0}, "token budget must be at least 1"),
        ({"batch_size": 0}, "batch size must be at least 1"),
        ({"long_text": "window", "stride": 20}, "stride 20 is too large for windows of 24 tokens"),
    ],
)
def test_bad_engine_options(tiny_model_dir, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        load_model(str(tiny_model_dir), device="cpu", **kwargs)


def test_results_come_back_in_input_order(tiny):
    reference = tiny.predict_proba(TEXTS)
    order = list(range(len(TEXTS)))
    random.Random(0).shuffle(order)
    shuffled = tiny.predict_proba([TEXTS[i] for i in order])
    np.testing.assert_allclose(shuffled, reference[order], atol=1e-6)


def test_equals_an_unbatched_forward_of_each_truncated_text(tiny):
    expected = []
    for text in TEXTS:
        inputs = tiny.tokenizer(text, truncation=True, max_length=tiny.max_length, return_tensors="pt")
        with torch.no_grad():
            expected.append(torch.softmax(tiny.model(**inputs).logits.double(), -1)[0].numpy())
    np.testing.assert_allclose(tiny.predict_proba(TEXTS), np.array(expected), atol=1e-6)


def test_equals_the_transformers_pipeline_with_truncation(tiny):
    from transformers import pipeline

    classify = pipeline("text-classification", model=tiny.model, tokenizer=tiny.tokenizer, device="cpu", top_k=None, truncation=True)
    np.testing.assert_allclose(tiny.predict_proba(TEXTS), pipeline_proba(classify(TEXTS), tiny.label_names), atol=1e-5)


def test_long_texts_are_cut_at_the_limit(tiny):
    words = "the bank said profit rose and the team won the match".split()
    long_text = " ".join(words * 10)
    head = tiny.tokenizer.decode(tiny.tokenizer(long_text, truncation=True, max_length=tiny.max_length)["input_ids"][1:-1])
    assert len(tiny.tokenizer(long_text)["input_ids"]) > tiny.max_length
    np.testing.assert_allclose(tiny.predict_proba([long_text]), tiny.predict_proba([head]), atol=1e-6)


def test_truncation_limit_guards_the_tokenizer_sentinel():
    from transformers import BertConfig, RobertaConfig

    assert truncation_limit(int(1e30), BertConfig(max_position_embeddings=512)) == 512
    assert truncation_limit(int(1e30), RobertaConfig(max_position_embeddings=514)) == 512
    assert truncation_limit(128, BertConfig(max_position_embeddings=512)) == 128
    assert truncation_limit(None, BertConfig(max_position_embeddings=256)) == 256


def test_empty_input_gives_an_empty_array(tiny):
    assert tiny.predict_proba([]).shape == (0, 3)


def test_length_sorted_order_is_stable():
    assert length_sorted_order([3, 5, 3, 1, 5]) == [1, 4, 0, 2, 3]


def test_out_of_memory_halves_the_token_budget_and_retries(tiny_model_dir, caplog):
    model = load_model(str(tiny_model_dir), device="cpu", token_budget=192, backend="torch")  # torch's forward fails
    reference = model.predict_proba(TEXTS)
    forward = model.runner.forward
    shapes = []

    def limited_forward(*args, **kwargs):
        shapes.append(tuple(kwargs["input_ids"].shape))
        if kwargs["input_ids"].numel() > 48:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return forward(*args, **kwargs)

    model.runner.forward = limited_forward
    with caplog.at_level(logging.WARNING, logger="workbench.models.engine"):
        proba = model.predict_proba(TEXTS)
    np.testing.assert_allclose(proba, reference, atol=1e-6)
    assert shapes[0][0] * shapes[0][1] > 48  # the first batch failed ...
    assert "retrying with a token budget of 96" in caplog.text and "token budget of 48" in caplog.text
    assert model.options.token_budget == 192  # ... the smaller budget lives in that call only


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_bf16_agrees_with_cpu(tiny_model_dir):
    cpu = load_model(str(tiny_model_dir), device="cpu").predict_proba(TEXTS)
    gpu_model = load_model(str(tiny_model_dir), device="cuda")
    assert gpu_model.autocast in (torch.bfloat16, torch.float16)
    gpu = gpu_model.predict_proba(TEXTS)
    assert gpu.dtype == np.float64
    np.testing.assert_allclose(gpu, cpu, atol=2e-2)
    np.testing.assert_allclose(gpu.sum(axis=1), 1.0, atol=1e-9)
