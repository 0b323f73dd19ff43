"""Integration: the real demo models on the real BBC News test split.

`make test` builds the demo models before pytest runs (`workbench models build-demo`).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench import evaluate, load_dataset, load_model
from workbench.bench.inference import pipeline_proba

from .conftest import write_csv
from .regression import read_json, read_jsonl
from .test_cli import assert_metrics_match_predictions

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def test_split():
    return load_dataset("bbc-news:test")


def test_minilm_evaluates_above_097_and_every_figure_equals_sklearn(demo_run):
    out = demo_run("evaluate-minilm-bbc")  # `workbench evaluate --model demo:minilm-bbc --data bbc-news:test`
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 445
    assert metrics["accuracy"] >= 0.97
    assert metrics["model"] == "demo:minilm-bbc" and metrics["data"] == "bbc-news:test"
    assert metrics["ci"]["accuracy"]["low"] < metrics["accuracy"] < metrics["ci"]["accuracy"]["high"]
    assert_metrics_match_predictions(metrics, pd.read_csv(out / "predictions.csv", dtype={"id": str}))


def test_the_evaluate_report_with_its_defaults_gives_the_command_lines_metrics(demo_run, tmp_path):
    """notebooks/evaluate.ipynb under papermill, on the real model, writes the same metrics.json as `workbench evaluate`."""
    from workbench.report import run_report

    from .test_report import EVALUATE

    report = run_report(EVALUATE, tmp_path / "report")
    command = demo_run("evaluate-minilm-bbc")  # `workbench evaluate --model demo:minilm-bbc --data bbc-news:test`
    assert (tmp_path / "report" / "metrics.json").read_bytes() == (command / "metrics.json").read_bytes()
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

    from workbench.models.first_token import FirstTokenHead

    model = load_model("demo:minilm-bbc", device="cpu", backend="torch")  # auto may choose ONNX Runtime on this CPU
    assert isinstance(model.runner, FirstTokenHead)  # the last layer at [CLS] only; the pipeline runs all of it
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


def test_explanations_of_the_real_model_beat_random_deletions(demo_run):
    """Every method finds words whose deletion costs the prediction more than random words'. Read from `workbench explain
    --model demo:minilm-bbc --n 3 --num-samples 100` with all five methods, the run test_regression reruns byte for byte
    and holds against its fixture."""
    out = demo_run("explain-minilm-bbc")
    study = read_json(out / "faithfulness.json")
    assert sorted(study["faithfulness"]) == ["gradient-x-input", "integrated-gradients", "lime", "occlusion", "shap"]
    for method, scores in study["faithfulness"].items():
        # the model is near-certain on these documents, so deletions only bite at the larger fractions: AOPC shows it
        assert scores["method"]["aopc_comprehensiveness"] > scores["random"]["aopc_comprehensiveness"] + 0.02, method
    records = read_jsonl(out / "attributions.jsonl")
    shap = [r for r in records if r["method"] == "shap"]
    assert len(shap) == 3 and all(sum(r["scores"]) == pytest.approx(r["output"] - r["base"], abs=1e-4) for r in shap)
    assert {pair["n"] for pair in study["agreement"]} == {3}


def test_comparing_the_three_demo_models(tmp_path):
    """The issue's check: three pairs whose McNemar p equals statsmodels' on the written predictions."""
    from statsmodels.stats.contingency_tables import mcnemar
    from sklearn.metrics import accuracy_score

    from workbench import compare

    demos = ["demo:minilm-bbc", "demo:minilm-l3-bbc", "demo:tfidf-logreg"]
    compare(demos, "bbc-news:test", probe_n=40, explain_n=2, num_samples=100, latency_documents=10).write(tmp_path)
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


def is_subsequence(short, long) -> bool:
    it = iter(long)
    return all(any(word == other for other in it) for word in short)


@pytest.mark.parametrize("method", ["lime", "shap", "integrated-gradients", "gradient-x-input", "occlusion"])
def test_every_method_explains_only_the_words_the_real_model_read(test_split, method):
    """The issue's check on BBC documents longer than 128 tokens: no word beyond the limit in any top 10,
    no evaluated text holding a word beyond it, and the explanation of a document is that of what the model read."""
    from workbench.explainers import explain
    from workbench.statistics.faithfulness import top_words
    from workbench.words import split_words

    from .test_explainers import CountingModel

    model = load_model("demo:minilm-bbc", device="cpu")
    texts = [t for t in test_split.texts[::60] if len(split_words(t)) > 250][:3]
    gradients = method in ("integrated-gradients", "gradient-x-input")
    counting = CountingModel(model)
    records = explain(model if gradients else counting, texts, method=method, num_samples=200, cache=False, progress=False)
    for record, text in zip(records, texts):
        reading = model.reading(text)
        assert 100 < record.visible == reading.visible < len(record.words) / 2
        assert len(model.tokenizer(reading.read_text)["input_ids"]) <= 128
        assert all(i < record.visible for i in top_words(record.scores, 10))
        assert record.output == pytest.approx(model.predict_proba([text])[0].max(), abs=1e-5)  # the prefix is what the model read
        if method == "shap":
            assert sum(record.scores) == pytest.approx(record.output - record.base, abs=1e-4)
        if method == "integrated-gradients":
            assert record.diagnostics["converged"] and record.diagnostics["relative_error"] <= 0.05
    if not gradients:
        visible = {split_words(model.reading(t).read_text) for t in texts}
        assert counting.seen and all(any(is_subsequence(split_words(seen), words) for words in visible) for seen in counting.seen)
    [prefix] = explain(model, [model.reading(texts[0]).read_text], method=method, target=records[0].target, num_samples=200, cache=False)
    np.testing.assert_allclose(records[0].scores, prefix.scores, atol=1e-5)


def test_the_explorer_marks_the_test_articles_that_also_occur_in_training(test_split):
    """33 of bbc-news:test's articles are also training articles: the list says so, and so does the chosen document."""
    from workbench.widgets import Explorer

    app = Explorer(load_model("demo:tfidf-logreg"), test_split, methods=["occlusion"])
    marked = [i for label, i in app.document.options if " · in train · " in label]
    assert len(marked) == 33
    app.document.value = marked[0]
    assert "also in the training split bbc-news:train as " in app.prediction.value
    assert app.calibration_panel.value.startswith('<img alt="reliability diagram"')


def test_the_corpus_map_of_real_sentences_keeps_neighbours_and_topics_together():
    """1,000 test sentences embedded by the fine-tuned MiniLM and laid out by UMAP: the layout keeps each sentence's
    neighbours (scikit-learn's trustworthiness), and a sentence's nearest points on the map are mostly of its topic."""
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors

    from workbench.studies.corpus_map import corpus_points

    test = load_dataset("bbc-sentences:test")
    sentences = test.select(sorted(np.random.default_rng(0).choice(len(test), 1000, replace=False)))  # every topic
    model = load_model("demo:minilm-bbc")
    points = corpus_points(model, sentences.texts, seed=0)
    assert points.tobytes() == corpus_points(model, sentences.texts, seed=0).tobytes()
    assert trustworthiness(model.embed(list(sentences.texts)), points, n_neighbors=10) > 0.9
    _, near = NearestNeighbors(n_neighbors=11).fit(points).kneighbors(points)
    labels = np.array(sentences.labels)
    same = (labels[near[:, 1:]] == labels[:, None]).mean()
    chance = sum((labels == name).mean() ** 2 for name in set(labels))
    assert same > 2 * chance, (same, chance)
