"""Integration: the real demo models on the real BBC News test split.

`make test` builds the demo models before pytest runs (`workbench models build-demo`).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench import evaluate, load_dataset, load_model
from workbench.benchmark import pipeline_proba

from .conftest import write_csv
from .test_cli import assert_metrics_match_predictions

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def test_split():
    return load_dataset("bbc-news:test")


def test_minilm_evaluates_above_097_and_every_figure_equals_sklearn(cli, tmp_path):
    out = tmp_path / "minilm"
    result = cli("evaluate", "--model", "demo:minilm-bbc", "--data", "bbc-news:test", "--out", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 445
    assert metrics["accuracy"] >= 0.97
    assert metrics["model"] == "demo:minilm-bbc" and metrics["data"] == "bbc-news:test"
    assert metrics["ci"]["accuracy"]["low"] < metrics["accuracy"] < metrics["ci"]["accuracy"]["high"]
    assert_metrics_match_predictions(metrics, pd.read_csv(out / "predictions.csv", dtype={"id": str}))


@pytest.mark.parametrize("name, floor", [("demo:minilm-l3-bbc", 0.93), ("demo:tfidf-logreg", 0.96)])
def test_other_demos_are_real_classifiers(test_split, name, floor):
    metrics = evaluate(load_model(name), test_split)
    assert metrics.n == 445 and metrics.accuracy >= floor


def test_minilm_equals_the_transformers_pipeline_on_bbc_documents(test_split):
    from transformers import pipeline

    model = load_model("demo:minilm-bbc", device="cpu")
    texts = list(test_split.texts[::30])
    classify = pipeline("text-classification", model=model.model, tokenizer=model.tokenizer, device="cpu", top_k=None, truncation=True)
    np.testing.assert_allclose(model.predict_proba(texts), pipeline_proba(classify(texts), model.label_names), atol=1e-5)


def test_a_label_the_real_model_does_not_know(cli, tmp_path):
    data = write_csv(tmp_path / "cooking.csv", [("Stir the risotto slowly.", "cooking"), ("Shares fell.", "business")])
    result = cli("evaluate", "--model", "demo:minilm-bbc", "--data", data, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "model labels: ['business', 'entertainment', 'politics', 'sports', 'tech']" in result.stderr
    assert not (tmp_path / "out").exists()


def test_models_path_prints_a_safetensors_folder(cli):
    result = cli("models", "path", "minilm-bbc")
    assert result.exit_code == 0
    from pathlib import Path

    folder = Path(result.stdout.strip())
    assert (folder / "model.safetensors").is_file() and not list(folder.glob("*.bin"))
    config = json.loads((folder / "config.json").read_text())
    assert config["id2label"] == {"0": "business", "1": "entertainment", "2": "politics", "3": "sports", "4": "tech"}
