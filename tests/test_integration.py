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


def test_the_evaluate_report_with_its_defaults_gives_the_command_lines_metrics(cli, tmp_path):
    """notebooks/evaluate.ipynb under papermill, on the real model, writes the same metrics.json as `workbench evaluate`."""
    from workbench.report import run_report

    from .test_report import EVALUATE

    report = run_report(EVALUATE, tmp_path / "report")
    result = cli("evaluate", "--model", "demo:minilm-bbc", "--data", "bbc-news:test", "--out", tmp_path / "cli", "--no-progress")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / "metrics.json").read_bytes() == (tmp_path / "cli" / "metrics.json").read_bytes()
    assert report.manifest["parameters"] == {"model": "demo:minilm-bbc", "data": "bbc-news:test", "seed": 0}
    [model] = report.manifest["inputs"]["models"]
    assert model["ref"] == "demo:minilm-bbc" and len(model["files"]["model.safetensors"]) == 64
    assert report.manifest["inputs"]["data"][0]["rows"] == 445 and report.manifest["headline"]["accuracy"] >= 0.97


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


def test_explanations_of_the_real_model_beat_random_deletions(test_split):
    """LIME, SHAP and integrated gradients find words whose deletion costs the prediction more than random words'."""
    from workbench.explainers.study import explain_dataset

    model = load_model("demo:minilm-bbc")
    study = explain_dataset(model, test_split, methods=["lime", "shap", "integrated-gradients"], n=5, num_samples=200, stability_seeds=0, cache=False, progress=False)
    for method, scores in study.summary["faithfulness"].items():
        ours, chance = scores["method"], scores["random"]
        # the model is near-certain on these documents, so deletions only bite at the larger fractions: AOPC shows it
        assert ours["aopc_comprehensiveness"] > chance["aopc_comprehensiveness"] + 0.02, method
    for record in study.attributions["shap"]:
        assert sum(record.scores) == pytest.approx(record.output - record.base, abs=1e-4)
    assert study.summary["agreement"][0]["n"] == 5


def test_comparing_the_three_demo_models(tmp_path):
    """The issue's check: three pairs whose McNemar p equals statsmodels' on the written predictions."""
    from statsmodels.stats.contingency_tables import mcnemar
    from sklearn.metrics import accuracy_score

    from workbench import compare, write_comparison

    demos = ["demo:minilm-bbc", "demo:minilm-l3-bbc", "demo:tfidf-logreg"]
    write_comparison(tmp_path, compare(demos, "bbc-news:test", probe_n=40, explain_n=2, num_samples=100, latency_documents=10))
    study = json.loads((tmp_path / "compare.json").read_text())
    frames = {ref: pd.read_csv(tmp_path / study["predictions"][ref], dtype=str) for ref in demos}
    for ref, frame in frames.items():
        assert len(frame) == 445 and study["metrics"][ref]["accuracy"] == accuracy_score(frame["label"], frame["prediction"])
        assert study["cost"][ref]["peak_memory_mb"] > 0 and study["cost"][ref]["docs_per_s"] > 0
    assert [(p["a"], p["b"]) for p in study["pairwise"]] == [(demos[0], demos[1]), (demos[0], demos[2]), (demos[1], demos[2])]
    for pair in study["pairwise"]:
        a, b = frames[pair["a"]], frames[pair["b"]]
        ca, cb = (a["label"] == a["prediction"]).to_numpy(), (b["label"] == b["prediction"]).to_numpy()
        assert pair["mcnemar_p"] == mcnemar([[np.sum(ca & cb), np.sum(ca & ~cb)], [np.sum(~ca & cb), np.sum(~ca & ~cb)]], exact=True).pvalue
    assert study["cost"][demos[1]]["parameters"] < study["cost"][demos[0]]["parameters"]
