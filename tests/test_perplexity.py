"""Language modelling: a causal LM's perplexity and bits per byte on plain text, in sliding windows.

Unit tests run on the tiny seeded random Llama (``tiny_llama``) and check the windows against a direct computation
(one forward over the whole text, the model's own ``labels=`` loss) and against lm-evaluation-harness's
``loglikelihood_rolling``; the integration test reads BBC articles with ``demo:smollm2-instruct``.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

import workbench as wb
from .conftest import TINY_WORDS, invoke
from .test_llm import LMEVAL
from workbench.errors import DataError, ModelError, ParameterError
from workbench.models.language_modeling import LanguageModel, windows
from workbench.records.language_modeling import Window

# texts of the tiny model's words: short ones, and one of 440 tokens, longer than the model's 256 positions
TEXTS = [" ".join(TINY_WORDS[i::3]) for i in range(3)] + [" ".join(TINY_WORDS * 5)]


def evaluate_in_windows(model, data, out):
    """``workbench evaluate`` in windows of 32 tokens, 16 apart."""
    return invoke(
        "evaluate", "--model", model, "--data", data, "--out", out, "--window-tokens", 32, "--window-stride", 16
    )


@pytest.fixture(scope="module")
def tiny_lm(tiny_llama) -> LanguageModel:
    return wb.load_model(str(tiny_llama), task="language-modeling")


def direct_nll(lm: LanguageModel, text: str) -> tuple[float, float]:
    """The text's summed negative log-likelihood from one forward over [prefix, *tokens]: float64 log-softmax of the
    logits, and the model's own mean loss with ``labels=`` times the tokens."""
    import torch

    ids = torch.tensor([[lm.prefix, *lm.token_ids([text])[0]]])
    with torch.inference_mode():
        out = lm.lm.model(input_ids=ids, labels=ids)
    logp = torch.log_softmax(out.logits[0, :-1].double(), dim=-1)
    return -float(logp.gather(-1, ids[0, 1:, None]).sum()), float(out.loss) * (ids.shape[1] - 1)


@pytest.mark.parametrize("length,window", [(10, Window(4, 2)), (10, Window(4, 4)), (3, Window(8, 4)), (0, Window())])
def test_every_token_is_scored_once_after_a_full_window(length, window):
    spans = windows(length, window)
    assert sum(scored for _, _, scored in spans) == length
    for k, (start, stop, scored) in enumerate(spans):
        assert stop - 1 - start <= window.max_tokens  # what the model reads
        if k:  # after the first window, each scored token has at least max_tokens - stride tokens before it
            assert stop - scored - start >= min(window.max_tokens - window.stride, stop - scored)
    assert [stop for _, stop, _ in spans] == sorted({stop for _, stop, _ in spans})


def test_a_text_in_one_window_equals_one_forward_and_the_models_loss(tiny_lm):
    texts = [*TEXTS[:3], " ".join(TINY_WORDS * 2)]  # each fits in one window: batched, padded on the left
    nll, tokens = tiny_lm.negative_log_likelihoods(texts)
    assert list(tokens) == [len(ids) for ids in tiny_lm.token_ids(texts)]
    for value, text in zip(nll, texts):
        exact, loss = direct_nll(tiny_lm, text)
        assert value == pytest.approx(exact, rel=1e-6)  # fp32 logits of a padded batch: last digits move
        assert value == pytest.approx(loss, rel=1e-5)  # the model's fp32 mean loss, summed back


def test_disjoint_windows_equal_lm_evaluation_harness_rolling_loglikelihood(tiny_lm):
    """lm-eval's ``loglikelihood_rolling`` (HFLM, max_length 32: rolling windows with one token of context) on the
    same model and texts; our windows with stride == max_tokens read exactly those windows."""
    if not LMEVAL.is_dir():
        pytest.skip("lm-evaluation-harness is installed apart by make install (.venv/lmeval-reference)")
    sys.path.append(str(LMEVAL))
    try:
        from lm_eval.api.instance import Instance
        from lm_eval.models.huggingface import HFLM
    finally:
        sys.path.remove(str(LMEVAL))
    harness = HFLM(
        pretrained=tiny_lm.lm.model, tokenizer=tiny_lm.lm.tokenizer, batch_size=4, device="cpu", max_length=32
    )
    requests = [Instance("loglikelihood_rolling", {}, (text,), idx=0) for text in TEXTS]
    reference = -np.array(harness.loglikelihood_rolling(requests, disable_tqdm=True))
    nll, _ = tiny_lm.negative_log_likelihoods(TEXTS, Window(32, 32))
    assert np.abs(nll - reference).max() < 1e-4


def test_a_longer_context_predicts_no_worse_on_the_same_tokens(tiny_lm):
    """Overlapping windows score the same tokens as disjoint ones; only the context differs, and the sums stay
    finite and positive. Each window's batch neighbours do not change its score."""
    long = [TEXTS[-1]]
    disjoint, _ = tiny_lm.negative_log_likelihoods(long, Window(32, 32))
    sliding, _ = tiny_lm.negative_log_likelihoods(long, Window(32, 8))
    alone = [tiny_lm.negative_log_likelihoods([text], Window(32, 8))[0][0] for text in TEXTS]
    together, _ = tiny_lm.negative_log_likelihoods(TEXTS, Window(32, 8))
    assert np.isfinite([disjoint[0], sliding[0]]).all() and sliding[0] > 0 and disjoint[0] > 0
    assert np.abs(np.array(alone) - together).max() < 1e-4


def test_evaluate_writes_perplexity_and_bits_per_byte_recomputable_from_its_rows(tmp_path, tiny_llama):
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(TEXTS[:3]) + "\n\n" + TEXTS[3] + "\n", encoding="utf-8")
    result = evaluate_in_windows(tiny_llama, data, tmp_path / "ev")
    assert result.exit_code == 0, result.output
    assert "perplexity=" in result.output and "bits/byte=" in result.output
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    rows = [json.loads(line) for line in (tmp_path / "ev" / "predictions.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["1", "2", "3", "5"]  # line numbers; the blank line is skipped
    assert [row["bytes"] for row in rows] == [len(t.encode()) for t in TEXTS]
    nll, tokens, size = (sum(row[k] for row in rows) for k in ("nll", "tokens", "bytes"))
    assert metrics["perplexity"] == pytest.approx(math.exp(nll / tokens), rel=1e-12)
    assert metrics["bits_per_byte"] == pytest.approx(nll / (math.log(2) * size), rel=1e-12)
    assert metrics["window"] == {"max_tokens": 32, "stride": 16}
    assert wb.evaluate(str(tiny_llama), str(data)).window == Window(256, 256)  # the default, cut to the model's 256
    ci = metrics["ci"]["bits_per_byte"]
    assert ci["low"] <= metrics["bits_per_byte"] <= ci["high"]
    rerun = evaluate_in_windows(tiny_llama, data, tmp_path / "again")
    assert rerun.exit_code == 0, rerun.output
    for name in ("metrics.json", "predictions.jsonl"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "ev" / name).read_bytes()


def test_two_language_models_compare_on_bits_per_byte(tmp_path, tiny_llama, tiny_generators):
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    comparison = wb.compare([str(tiny_llama), str(tiny_generators["gpt2"])], str(data), window=Window(32, 16))
    pair = comparison.pairwise[0]
    a, b = (comparison.metrics[ref].bits_per_byte for ref in comparison.models)
    assert pair.bits_per_byte_diff == pytest.approx(a - b) and pair.wins_a + pair.wins_b <= len(TEXTS)
    assert "bits per byte difference" in pair.verdict()
    files = comparison.write(tmp_path / "cmp")
    assert json.loads(files["compare.json"].read_text())["task"] == "language-modeling"
    assert "Language model comparison" in files["compare.html"].read_text()


@pytest.mark.parametrize(
    "args,message",
    [
        (("--window-tokens", 8, "--window-stride", 16), "stride 16 is longer than the window"),
        (("--data", "bbc-news:test[:2]"), "without a classification prompt"),
    ],
)
def test_bad_perplexity_input_is_one_line(tmp_path, tiny_generators, args, message):
    data = tmp_path / "t.txt"
    data.write_text("the market\n", encoding="utf-8")
    given = dict(zip(args[::2], args[1::2]))
    options = [item for key, value in {"--data": data, **given}.items() for item in (key, value)]
    result = invoke("evaluate", "--model", tiny_generators["gpt2"], *options, "--out", tmp_path / "out")
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_what_cannot_read_plain_text_says_so(tmp_path, tiny_generators, tiny_llama):
    data = tmp_path / "t.txt"
    data.write_text("the market\n", encoding="utf-8")
    with pytest.raises(ModelError, match="encoder-decoder"):
        wb.evaluate(str(tiny_generators["t5"]), str(data))
    with pytest.raises(ParameterError, match="no one prediction to explain"):
        wb.explain(str(tiny_llama), wb.load_dataset(str(data)))
    (tmp_path / "blank.txt").write_text("\n  \n", encoding="utf-8")
    with pytest.raises(DataError, match="only blank lines"):
        wb.load_dataset(str(tmp_path / "blank.txt"))


@pytest.mark.integration
def test_smollm2_reads_bbc_articles_with_perplexity_and_bits_per_byte(tmp_path):
    """Four BBC test articles through demo:smollm2-instruct: the figures land where a 135M-parameter LM's do on news
    text (measured 22.9 and 1.04 on these four), and the report pages show them."""
    result = invoke(
        "evaluate",
        "--model",
        "demo:smollm2-instruct",
        "--data",
        "bbc-text:test[:4]",
        "--out",
        tmp_path / "ev",
        "--window-tokens",
        256,
        "--window-stride",
        128,
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert 10 < metrics["perplexity"] < 50 and 0.7 < metrics["bits_per_byte"] < 1.4 and metrics["n"] == 4


def test_the_perplexity_report_runs_in_a_real_kernel_and_shows_what_it_wrote(tmp_path, tiny_llama, tiny_generators):
    """notebooks/perplexity.ipynb under papermill: the same metrics.json as ``workbench evaluate``, the baseline's pair,
    the model read again in int8, and every text escaped in the exported page (checked in Chromium)."""
    from pathlib import Path

    from workbench.report import run_report

    from .browser import chromium_dom, in_chromium

    data = tmp_path / "texts.txt"
    data.write_text("\n".join([*TEXTS, "<script>alert(1)</script> the market"]) + "\n", encoding="utf-8")
    result = evaluate_in_windows(tiny_llama, data, tmp_path / "cli")
    assert result.exit_code == 0, result.output
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "perplexity.ipynb"
    report = run_report(
        notebook,
        tmp_path / "report",
        {
            "model": str(tiny_llama),
            "data": str(data),
            "baseline": str(tiny_generators["gpt2"]),
            "window_tokens": 32,
            "window_stride": 16,
            "precisions": ["int8"],
            "documents": 3,
        },
    )
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    expected = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    figures = ("perplexity", "bits_per_byte", "ci")
    assert {k: metrics[k] for k in figures} == {k: expected[k] for k in figures}
    rows = (tmp_path / "report" / "predictions.jsonl").read_bytes()
    assert rows == (tmp_path / "cli" / "predictions.jsonl").read_bytes()
    assert set(metrics["precisions"]) == {"auto", "int8"}
    assert metrics["comparison"]["pairwise"][0]["n"] == len(TEXTS) + 1
    assert report.manifest["headline"]["n"] == len(TEXTS) + 1
    markup = report.html.read_text(encoding="utf-8")
    assert "<script>alert" not in markup and "Most surprising 3 texts" in markup and "Precisions" in markup
    assert "<script>alert" not in chromium_dom(report.html)  # the text stays text: shown, never run
    assert any("<script>alert(1)</script>" in cell for cell in in_chromium(report.html, "td", "e => e.textContent"))
