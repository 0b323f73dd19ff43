"""Batched inference: invariant to batch size and order, equal to a plain forward and to the
transformers pipeline, truncating where the pipeline does, and backing off on out-of-memory."""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest
import torch

from workbench.engine import length_sorted_order
from workbench.models import load_model
from workbench.transformer import truncation_limit

from .conftest import TINY_ROWS

TEXTS = [t for t, _ in TINY_ROWS] + ["the " * 40 + "goal", "a", "bank bank bank data"]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(str(tiny_model_dir), device="cpu")


@pytest.mark.parametrize("batch_size", [1, 2, 3, 64])
def test_batch_size_does_not_change_probabilities(tiny, batch_size):
    reference = tiny.predict_proba(TEXTS, batch_size=len(TEXTS))
    np.testing.assert_allclose(tiny.predict_proba(TEXTS, batch_size=batch_size), reference, atol=1e-6)


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
    rows = classify(TEXTS)
    expected = np.array([[next(s["score"] for s in row if s["label"] == name) for name in tiny.label_names] for row in rows])
    np.testing.assert_allclose(tiny.predict_proba(TEXTS), expected, atol=1e-5)


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


def test_out_of_memory_halves_the_batch_and_retries(tiny_model_dir, caplog):
    model = load_model(str(tiny_model_dir), device="cpu", batch_size=8)
    reference = model.predict_proba(TEXTS)
    forward = model.model.forward
    sizes = []

    def limited_forward(*args, **kwargs):
        rows = kwargs["input_ids"].shape[0]
        sizes.append(rows)
        if rows > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return forward(*args, **kwargs)

    model.model.forward = limited_forward
    with caplog.at_level(logging.WARNING, logger="workbench.engine"):
        proba = model.predict_proba(TEXTS)
    np.testing.assert_allclose(proba, reference, atol=1e-6)
    assert sizes[:3] == [8, 4, 2] and max(sizes[3:]) == 2
    assert "retrying with batch size 2" in caplog.text


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
